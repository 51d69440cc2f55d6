import { useEffect, useState } from 'react'
import { api, type FlowSummary, type RunDetail, type RunSummary } from './api'
import { json, when } from './format'
import { Link, navigate } from './router'

const statuses = ['running', 'waiting', 'completed', 'failed', 'cancelled']

// Periods the server reads as "back from now" (?since=24h).
const sinceChoices = [{ value: '1h', label: 'Last hour' }, { value: '24h', label: 'Last 24 hours' }, { value: '7d', label: 'Last 7 days' }]

/** A since= from a link (a date and time): "Since 6 Dec, 00:00". */
function sinceLabel(since: string): string {
  return `Since ${when(since)}`
}

/** Who a run is for: the name, else the email or phone. */
export function personLabel(r: RunSummary): string {
  return r.contact_name || r.contact_email || r.contact_phone || 'Unnamed contact'
}

export default function RunsPage({ path }: { path: string }) {
  const m = /^\/runs\/([^/?]+)/.exec(path)
  if (m) return <RunView id={decodeURIComponent(m[1])} />
  return <RunList path={path} />
}

function RunList({ path }: { path: string }) {
  const params = new URLSearchParams(path.split('?')[1] ?? '')
  const [flow, setFlow] = useState(params.get('flow') ?? '')
  const [status, setStatus] = useState(params.get('status') ?? '')
  const [contact, setContact] = useState(params.get('contact') ?? '')
  const [since, setSince] = useState(params.get('since') ?? '')
  const [test, setTest] = useState(params.get('test') ?? '')
  const [flows, setFlows] = useState<FlowSummary[]>([])
  const [runs, setRuns] = useState<RunSummary[] | null>(null)
  const [total, setTotal] = useState(0)
  const [error, setError] = useState('')

  useEffect(() => { api<{ flows: FlowSummary[] }>('/flows').then((r) => setFlows(r.flows), () => {}) }, [])
  useEffect(() => {
    const q = new URLSearchParams()
    if (flow) q.set('flow', flow)
    if (status) q.set('status', status)
    if (contact.trim()) q.set('contact', contact.trim())
    if (since) q.set('since', since)
    if (test) q.set('test', test)
    q.set('limit', '200')
    api<{ runs: RunSummary[]; total: number }>('/runs?' + q).then((r) => { setRuns(r.runs); setTotal(r.total); setError('') }, (e) => setError(e.message))
  }, [flow, status, contact, since, test])

  const shown = runs ?? []
  return (
    <section className="page">
      <h1>Runs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter runs">
        <div className="field"><label htmlFor="f-flow">Journey</label>
          <select id="f-flow" value={flow} onChange={(e) => setFlow(e.target.value)}>
            <option value="">All journeys</option>
            {flows.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </select></div>
        <div className="field"><label htmlFor="f-status">Status</label>
          <select id="f-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {statuses.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></div>
        <div className="field"><label htmlFor="f-contact">Contact id</label>
          <input id="f-contact" value={contact} onChange={(e) => setContact(e.target.value)} /></div>
        <div className="field"><label htmlFor="f-since">Started</label>
          <select id="f-since" value={since} onChange={(e) => setSince(e.target.value)}>
            <option value="">Any time</option>
            {sinceChoices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
            {since && !sinceChoices.some((c) => c.value === since) && <option value={since}>{sinceLabel(since)}</option>}
          </select></div>
        <div className="field"><label htmlFor="f-test">Runs of</label>
          <select id="f-test" value={test} onChange={(e) => setTest(e.target.value)}>
            <option value="">Real contacts and tests</option><option value="false">Real contacts only</option><option value="true">Tests only</option>
          </select></div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {runs === null ? <p role="status">Loading…</p> : shown.length === 0 ? <p className="empty">No run matches.</p> : (
        <table className="table">
          <thead><tr><th>Started</th><th>Journey</th><th>Status</th><th>Person</th><th>Run</th></tr></thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.id}>
                <td>{when(r.started_at)}</td>
                <td>{flows.find((f) => f.id === r.flow_id)?.name ?? r.flow_id} {r.test && <span className="badge">test</span>}</td>
                <td><span className={`badge ${r.status}`}>{r.status}</span>{r.outcome ? ` (${r.outcome})` : ''}</td>
                <td>{r.contact_id ? <Link to={`/contacts/${r.contact_id}`}>{personLabel(r)}</Link> : '—'}</td>
                <td><Link to={`/runs/${r.id}`}>Details</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="hint">{total} run{total === 1 ? '' : 's'} in all{shown.length < total ? `; showing ${shown.length}` : ''}.</p>
    </section>
  )
}

function RunView({ id }: { id: string }) {
  const [run, setRun] = useState<RunDetail | null>(null)
  const [error, setError] = useState('')
  const load = () => api<RunDetail>(`/runs/${encodeURIComponent(id)}`).then(setRun, (e) => setError(e.message))
  useEffect(() => { load() }, [id])
  const act = (what: 'retry' | 'cancel') => api<RunDetail>(`/runs/${encodeURIComponent(id)}/${what}`, { method: 'POST' }).then(setRun, (e) => setError(e.message))
  if (!run) return <section className="page">{error ? <p className="error" role="alert">{error}</p> : <p role="status">Loading…</p>}</section>
  return (
    <section className="page">
      <button type="button" className="link" onClick={() => navigate('/runs')}>← All runs</button>
      <h1>Run of <Link to={`/flows/${run.flow_id}`}>{run.flow_id}</Link> {run.test && <span className="badge">test</span>}</h1>
      <p>Status: <span className={`badge ${run.status}`}>{run.status}</span>{run.outcome ? ` (${run.outcome})` : ''} · started {when(run.started_at)}
        {run.ended_at ? ` · ended ${when(run.ended_at)}` : ''} · {run.version > 0 ? `version ${run.version}` : 'a test of the draft'}
        {run.contact_id && <> · for <Link to={`/contacts/${run.contact_id}`}>{personLabel(run)}</Link></>}</p>
      {run.error && <p className="error">{run.error}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <div className="actions">
        {run.status === 'failed' && <button type="button" onClick={() => act('retry')}>Retry from the failed step</button>}
        {(run.status === 'running' || run.status === 'waiting') && <button type="button" className="danger" onClick={() => act('cancel')}>Cancel this run</button>}
      </div>
      <h2>Steps</h2>
      <ol className="timeline">
        {run.steps.map((s, i) => (
          <li key={i} className={`step ${s.status}`}>
            <details open={s.status === 'failed'}>
              <summary><b>{s.node_id}</b> ({s.node_type}) — {s.status}{s.port ? `, path “${s.port}”` : ''}, attempt {s.attempt} · {when(s.started_at)}</summary>
              {s.error && <p className="error">{s.error}</p>}
              <div className="io"><div><h3>Input</h3><pre>{json(s.input)}</pre></div><div><h3>Output</h3><pre>{json(s.output)}</pre></div></div>
            </details>
          </li>
        ))}
      </ol>
      <details><summary>Trigger data</summary><pre>{json(run.trigger)}</pre></details>
      <details><summary>Remembered values</summary><pre>{json(run.vars)}</pre></details>
    </section>
  )
}
