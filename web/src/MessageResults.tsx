// The results of each message step (GET /api/v1/analytics/messages): in
// the Inbox as a table of every step, in the editor's step panel for the
// selected step. Both show counts and rates, and each A/B split path when
// the step comes after a split.
import { useEffect, useState } from 'react'
import { api, isMissingRoute } from './api'
import { channelHas, channelNames, count, type MessageStep, pct } from './results'

export const messagePeriods: [string, string][] = [['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']]

/** What each channel reports, in the order marketers read them. */
export const channelOutcomes: Record<string, [string, string][]> = {
  email: [['sent', 'Sent'], ['delivered', 'Delivered'], ['opened', 'Opened'], ['clicked', 'Clicked'], ['bounced', 'Bounced'],
    ['complained', 'Marked as spam'], ['unsubscribed', 'Unsubscribed']],
  sms: [['sent', 'Sent'], ['delivered', 'Delivered'], ['failed', 'Failed']],
  whatsapp: [['sent', 'Sent'], ['delivered', 'Delivered'], ['read', 'Read'], ['failed', 'Failed']],
}

const allOutcomes: [string, string][] = [['sent', 'Sent'], ['delivered', 'Delivered'], ['opened', 'Opened'], ['clicked', 'Clicked'], ['read', 'Read'],
  ['failed', 'Failed'], ['bounced', 'Bounced'], ['complained', 'Marked as spam'], ['unsubscribed', 'Unsubscribed']]

/** A step's totals and, when its contacts went down A/B split paths, each path's. */
export interface StepResults { total: MessageStep; variants: MessageStep[] }

const stepKey = (m: MessageStep) => `${m.flow_id}/${m.node_id}/${m.channel}`

/** Joins the per-step totals with the per-path rows of the same period. */
export function groupResults(totals: MessageStep[], byVariant: MessageStep[]): StepResults[] {
  const paths = new Map<string, MessageStep[]>()
  for (const v of byVariant) paths.set(stepKey(v), [...(paths.get(stepKey(v)) ?? []), v])
  return totals.map((t) => {
    const vs = (paths.get(stepKey(t)) ?? []).slice().sort((a, b) => (a.variant ?? '').localeCompare(b.variant ?? ''))
    // One row with no path says nothing more than the total.
    return { total: t, variants: vs.length === 1 && !vs[0].variant ? [] : vs }
  })
}

/** Loads the message step results of a period (and of one journey). */
export function useMessageResults(period: string, flow?: string, refresh = 0): { results: StepResults[] | null; error: string } {
  const [results, setResults] = useState<StepResults[] | null>(null)
  const [error, setError] = useState('')
  useEffect(() => {
    let live = true
    const q = new URLSearchParams({ period })
    if (flow) q.set('flow', flow)
    Promise.all([
      api<{ steps: MessageStep[] }>('/analytics/messages?' + q),
      api<{ steps: MessageStep[] }>('/analytics/messages?' + q + '&by_variant=true'),
    ]).then(([t, v]) => { if (live) { setResults(groupResults(t.steps, v.steps)); setError('') } },
      (e) => { if (live) { setResults([]); setError(isMissingRoute(e) ? '' : (e as Error).message) } })
    return () => { live = false }
  }, [period, flow, refresh])
  return { results, error }
}

/** "12 (34.5%)": a count with its rate; sent has no rate. */
export function cell(m: MessageStep, k: string): string {
  const n = count(m[k as keyof MessageStep] as number)
  return k === 'sent' ? n : `${n} (${pct(m.rates[k] ?? null)})`
}

/** "Last 7 days" for 7d. */
export function periodName(period: string): string {
  const days = Number(period.replace(/d$/, ''))
  return days === 1 ? 'Last 24 hours' : `Last ${days} days`
}

const pathName = (v: string | undefined) => (v ? `Path ${v}` : 'No split')

export const ratesHint = 'Delivered and bounced are shares of the messages sent; opened, clicked, read, marked as spam and unsubscribed are shares of the messages delivered; failed is a share of the messages tried. A dash means there was nothing to count yet. Test runs are never counted.'

/** The Inbox's table: every message step of the period, with its A/B paths. refresh reloads it. */
export function MessageResultsTable({ refresh = 0 }: { refresh?: number }) {
  const [period, setPeriod] = useState('30d')
  const { results, error } = useMessageResults(period, undefined, refresh)
  return (
    <section aria-labelledby="step-results-title" className="step-results">
      <h2 id="step-results-title">Results of each message step</h2>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Period of the step results">
        <div className="field"><label htmlFor="step-results-period">Period</label>
          <select id="step-results-period" value={period} onChange={(e) => setPeriod(e.target.value)}>
            {messagePeriods.map(([v, t]) => <option key={v} value={v}>{t}</option>)}
          </select></div>
      </form>
      {error && <p className="error" role="alert">The results could not be loaded: {error}</p>}
      {results === null ? <p role="status">Loading…</p> : results.length === 0 ? <p className="muted">No messages in this period.</p> : (
        <div className="table-scroll">
          <table className="table" aria-label="Results of each message step">
            <thead><tr><th>Journey</th><th>Step</th><th>Channel</th>{allOutcomes.map(([, t]) => <th key={t}>{t}</th>)}</tr></thead>
            <tbody>{results.flatMap(({ total, variants }) => [total, ...variants].map((m, i) => (
              <tr key={stepKey(m) + (i ? '/' + (m.variant ?? '') : '')} className={i ? 'variant' : undefined}>
                {i === 0
                  ? <><td>{m.flow_name}</td><th scope="row">{m.node_name}</th><td>{channelNames[m.channel] ?? m.channel}</td></>
                  : <><td /><th scope="row" className="sub">↳ {pathName(m.variant)}</th><td /></>}
                {allOutcomes.map(([k]) => <td key={k}>{channelHas(m.channel, k) && (channelOutcomes[m.channel] ?? []).some(([o]) => o === k)
                  ? cell(m, k) : <span aria-label="does not apply">—</span>}</td>)}
              </tr>
            )))}</tbody>
          </table>
        </div>
      )}
      <p className="muted">{ratesHint}</p>
    </section>
  )
}

/** The step panel's results: one column for the step, one per A/B path. */
export function StepMessageResults({ flowId, nodeId, period }: { flowId: string; nodeId: string; period: string }) {
  const { results, error } = useMessageResults(period, flowId)
  const mine = (results ?? []).filter((r) => r.total.node_id === nodeId)
  return (
    <section className="step-results" aria-labelledby={`results-${nodeId}`}>
      <h3 id={`results-${nodeId}`}>Results of this step</h3>
      <p className="hint">{periodName(period)}; choose another period under Numbers.</p>
      {error && <p className="error" role="alert">The results could not be loaded: {error}</p>}
      {results === null ? <p role="status">Loading results…</p> : mine.length === 0 ? <p className="hint">No messages from this step in this period yet.</p> : mine.map(({ total, variants }) => (
        <div key={total.channel} className="table-scroll">
        <table className="table" aria-label={`${channelNames[total.channel] ?? total.channel} results of this step`}>
          <thead><tr><th>{channelNames[total.channel] ?? total.channel}</th><th>All</th>{variants.map((v) => <th key={v.variant ?? ''}>{pathName(v.variant)}</th>)}</tr></thead>
          <tbody>{(channelOutcomes[total.channel] ?? []).map(([k, t]) => (
            <tr key={k}><th scope="row">{t}</th><td>{cell(total, k)}</td>{variants.map((v) => <td key={v.variant ?? ''}>{cell(v, k)}</td>)}</tr>
          ))}</tbody>
        </table>
        </div>
      ))}
      {mine.length > 0 && <p className="hint">{ratesHint}</p>}
    </section>
  )
}
