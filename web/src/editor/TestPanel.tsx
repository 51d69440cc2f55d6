import { useState } from 'react'
import { api, ApiError, type FlowDoc, type RunDetail } from '../api'
import { json, when } from '../format'
import { Link } from '../router'
import { samplePayload, type Specs } from './model'

interface Props {
  flowId: string
  doc: FlowDoc
  specs: Specs
  beforeRun: () => Promise<boolean>
  onRun: (r: RunDetail | null) => void
  onClose: () => void
}

const stepStatus: Record<string, string> = { completed: 'done', failed: 'failed', waiting: 'waiting', running: 'running' }

/** Runs the draft once with a sample payload and lists what each step did. */
export function TestPanel({ flowId, doc, specs, beforeRun, onRun, onClose }: Props) {
  const [payload, setPayload] = useState(() => JSON.stringify(samplePayload(doc), null, 2))
  const [run, setRun] = useState<RunDetail | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  // Skipped waits move a simulated clock: steps after a skip would have
  // run later by the time the wait had left.
  const [skips, setSkips] = useState<{ at: number; shift: number }[]>([])

  async function go() {
    setError('')
    let body: unknown
    try { body = JSON.parse(payload) } catch (e) { setError(`The sample is not valid JSON: ${(e as Error).message}`); return }
    setBusy(true)
    try {
      if (!(await beforeRun())) return
      const r = await api<RunDetail>(`/flows/${encodeURIComponent(flowId)}/test`, { method: 'POST', json: body })
      setRun(r)
      setSkips([])
      onRun(r)
    } catch (e) {
      setError(e instanceof ApiError && e.problems.length ? `${e.message} ${e.problems.map((p) => p.message).join(' ')}` : (e as Error).message)
      onRun(null)
    } finally {
      setBusy(false)
    }
  }

  async function skip() {
    if (!run) return
    setBusy(true)
    setError('')
    const at = Date.now()
    try {
      const r = await api<{ skipped: { node_id: string; due_at: string }[]; run: RunDetail }>(`/runs/${encodeURIComponent(run.id)}/skip-waits`, { method: 'POST' })
      const due = Math.min(...r.skipped.map((w) => new Date(w.due_at).getTime()))
      if (Number.isFinite(due) && due > at) setSkips((s) => [...s, { at, shift: due - at }])
      setRun(r.run)
      onRun(r.run)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const simulated = (iso: string): string | null => {
    const t = new Date(iso).getTime()
    const shift = skips.filter((s) => s.at <= t).reduce((a, s) => a + s.shift, 0)
    return shift > 0 ? when(new Date(t + shift).toISOString()) : null
  }
  const totalShift = skips.reduce((a, s) => a + s.shift, 0)

  const name = (id: string) => {
    const n = doc.nodes.find((x) => x.id === id)
    return n?.name || (n ? specs.get(n.type)?.title : undefined) || id
  }

  return (
    <section className="test-panel" aria-labelledby="test-title">
      <div className="test-head">
        <h2 id="test-title">Test run</h2>
        <button type="button" className="link" onClick={onClose}>Close test</button>
      </div>
      <div className="test-body">
        <div className="field">
          <label htmlFor="test-payload">Sample data the trigger receives (JSON)</label>
          <textarea id="test-payload" className="mono" rows={8} value={payload} onChange={(e) => setPayload(e.target.value)} />
          <button type="button" className="primary" onClick={go} disabled={busy}>{busy ? 'Running…' : 'Run test'}</button>
          <p className="hint">A test runs the draft for real: it creates or updates the contact, deals and tasks it names. Messages go to the sandbox unless a step uses a real connection.</p>
          {error && <p className="error" role="alert">{error}</p>}
        </div>
        {run && (
          <div className="test-result" aria-live="polite">
            <p data-testid="test-status">
              The test run {run.status === 'completed' ? 'finished' : run.status === 'waiting' ? 'is waiting' : run.status}
              {run.outcome ? ` (${run.outcome})` : ''}. <Link to={`/runs/${run.id}`}>Open the run</Link>
              {run.contact_id && <> · <Link to={`/contacts/${run.contact_id}`}>Open the contact</Link></>}
            </p>
            {run.status === 'waiting' && (
              <p><button type="button" onClick={skip} disabled={busy}>Skip the wait</button>{' '}
                <span className="hint">Moves a simulated clock forward; real contacts still wait for real.</span></p>
            )}
            {totalShift > 0 && <p className="hint" data-testid="sim-clock">Simulated clock: {Math.round(totalShift / 3600_000 * 10) / 10} hours ahead after skipping waits.</p>}
            <ol className="steps">
              {run.steps.map((s, i) => {
                const until = (s.output as { until?: string } | null)?.until
                return (
                  <li key={i} className={`step ${stepStatus[s.status] ?? s.status}`}>
                    <details>
                      <summary>
                        <b>{name(s.node_id)}</b> — {s.status}{s.port && s.port !== 'out' ? `, took the “${s.port}” path` : ''}
                        {' '}at {simulated(s.started_at) ? <>{simulated(s.started_at)} <span className="hint">(simulated)</span></> : when(s.started_at)}
                        {s.status === 'waiting' && until ? ` · would go on at ${when(until)}` : ''}
                      </summary>
                      {s.error && <p className="error">{s.error}</p>}
                      <div className="io"><div><h3>Input</h3><pre>{json(s.input)}</pre></div><div><h3>Output</h3><pre>{json(s.output)}</pre></div></div>
                    </details>
                  </li>
                )
              })}
            </ol>
          </div>
        )}
      </div>
    </section>
  )
}
