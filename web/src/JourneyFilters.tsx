import { useState } from 'react'
import type { FlowSummary } from './api'
import { Link, replaceAddress } from './router'

// The journey list's search, status filter and sort, kept in the address
// (?q=&status=&sort=) so Back and a shared link show the same list.

export interface JourneyFilter { q: string; status: string; sort: 'changed' | 'name' }

export const statusChoices = [
  { value: '', label: 'Any status' },
  { value: 'draft', label: 'Draft' },
  { value: 'active', label: 'Active' },
  { value: 'paused', label: 'Paused' },
]

function fromAddress(): JourneyFilter {
  const p = new URLSearchParams(location.search)
  return { q: p.get('q') ?? '', status: p.get('status') ?? '', sort: p.get('sort') === 'name' ? 'name' : 'changed' }
}

function toAddress(f: JourneyFilter) {
  const p = new URLSearchParams()
  if (f.q) p.set('q', f.q)
  if (f.status) p.set('status', f.status)
  if (f.sort !== 'changed') p.set('sort', f.sort)
  const qs = p.toString()
  replaceAddress(location.pathname + (qs ? '?' + qs : ''))
}

/** The journeys that match, in the chosen order. */
export function filterJourneys(flows: FlowSummary[], f: JourneyFilter): FlowSummary[] {
  const q = f.q.trim().toLowerCase()
  const out = flows.filter((x) => (!f.status || x.status === f.status) &&
    (!q || (x.name || x.id).toLowerCase().includes(q) || x.id.includes(q)))
  return out.sort(f.sort === 'name'
    ? (a, b) => (a.name || a.id).localeCompare(b.name || b.id, undefined, { sensitivity: 'base' })
    : (a, b) => b.updated_at.localeCompare(a.updated_at))
}

export function useJourneyFilter(): [JourneyFilter, (patch: Partial<JourneyFilter>) => void] {
  const [f, setF] = useState(fromAddress)
  const update = (patch: Partial<JourneyFilter>) => {
    const next = { ...f, ...patch }
    setF(next)
    toAddress(next)
  }
  return [f, update]
}

/** Search, status and order above the journey list. */
export function JourneyFilterBar({ filter, onChange }: { filter: JourneyFilter; onChange: (patch: Partial<JourneyFilter>) => void }) {
  return (
    <form className="filters" role="search" aria-label="Find journeys" onSubmit={(e) => e.preventDefault()}>
      <div className="field"><label htmlFor="j-search">Search by name</label>
        <input id="j-search" type="search" value={filter.q} onChange={(e) => onChange({ q: e.target.value })} /></div>
      <div className="field"><label htmlFor="j-status">Status</label>
        <select id="j-status" value={filter.status} onChange={(e) => onChange({ status: e.target.value })}>
          {statusChoices.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
        </select></div>
      <div className="field"><label htmlFor="j-sort">Sort by</label>
        <select id="j-sort" value={filter.sort} onChange={(e) => onChange({ sort: e.target.value === 'name' ? 'name' : 'changed' })}>
          <option value="changed">Last changed, newest first</option>
          <option value="name">Name, A to Z</option>
        </select></div>
    </form>
  )
}

/** Midnight UTC today: the start of the server's "runs today" counts. */
export function startOfTodayUTC(now = new Date()): string {
  return now.toISOString().slice(0, 10) + 'T00:00:00Z'
}

/** Today's failed runs of a journey, linking to them on the Runs page. */
export function FailedToday({ flow }: { flow: FlowSummary }) {
  const n = flow.runs_today?.failed ?? 0
  if (!n) return <span className="sub">none</span>
  // The same runs the count covers: live runs (not tests) started today.
  const q = new URLSearchParams({ flow: flow.id, status: 'failed', since: startOfTodayUTC(), test: 'false' })
  return <Link to={`/runs?${q}`} className="failed-count" aria-label={`${n} failed ${n === 1 ? 'run' : 'runs'} of ${flow.name || flow.id} today`}>{n} failed</Link>
}
