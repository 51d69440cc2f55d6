import { useEffect, useMemo, useState } from 'react'
import { api, ApiError, type FlowDoc, type RunDetail } from '../api'
import { json, when } from '../format'
import { Link } from '../router'
import { portsOf, samplePayload, type Specs } from './model'
import { AFTER, buildChoices, choiceShifts, decisionSteps, stepName, testRequest, triggerOf, type Picked } from './testChoices'

/** A sample body of a chat platform (GET /node-types/trigger.webhook/samples). */
interface Sample { preset: string; title: string; body: unknown }

interface Props {
  flowId: string
  doc: FlowDoc
  specs: Specs
  beforeRun: () => Promise<boolean>
  onRun: (r: RunDetail | null) => void
  onClose: () => void
}

const stepStatus: Record<string, string> = { completed: 'done', failed: 'failed', waiting: 'waiting', running: 'running' }

/**
 * Runs the draft once and lists what each step did. A webhook journey is
 * tested with the body the platform would send (its preset's samples are
 * offered); at each decision step the tester may choose what happens.
 */
export function TestPanel({ flowId, doc, specs, beforeRun, onRun, onClose }: Props) {
  const [payload, setPayload] = useState(() => JSON.stringify(samplePayload(doc), null, 2))
  const trigger = triggerOf(doc, specs)
  const webhook = trigger?.type === 'trigger.webhook'
  const preset = webhook ? String(trigger?.params?.preset ?? '') : ''
  const [samples, setSamples] = useState<Sample[]>([])
  const [sampleIdx, setSampleIdx] = useState(0)
  const decisions = useMemo(() => decisionSteps(doc, specs), [doc, specs])
  const [picked, setPicked] = useState<Record<string, Picked>>({})
  const [run, setRun] = useState<RunDetail | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  // Skipped waits move a simulated clock: steps after a skip would have
  // run later by the time the wait had left.
  const [skips, setSkips] = useState<{ at: number; shift: number }[]>([])

  // A preset's samples fill the body, the first one preselected.
  useEffect(() => {
    if (!preset) return
    let live = true
    api<{ samples: Sample[] }>(`/node-types/trigger.webhook/samples?preset=${encodeURIComponent(preset)}`)
      .then((r) => {
        if (!live || !r.samples.length) return
        setSamples(r.samples)
        setSampleIdx(0)
        setPayload(JSON.stringify(r.samples[0].body, null, 2))
      })
      .catch(() => { /* no samples: the generated sample stays */ })
    return () => { live = false }
  }, [preset])

  function pickSample(i: number) {
    setSampleIdx(i)
    setPayload(JSON.stringify(samples[i].body, null, 2))
  }

  function pick(id: string, p: Picked) {
    setPicked((old) => ({ ...old, [id]: p }))
  }

  async function go() {
    setError('')
    let body: unknown
    try { body = testRequest(payload, buildChoices(picked), webhook) } catch (e) { setError(`The sample is not valid JSON: ${(e as Error).message}`); return }
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

  const shifts = [...choiceShifts(run), ...skips]
  const simulated = (iso: string): string | null => {
    const t = new Date(iso).getTime()
    const shift = shifts.filter((s) => s.at <= t).reduce((a, s) => a + s.shift, 0)
    return shift > 0 ? when(new Date(t + shift).toISOString()) : null
  }
  const totalShift = shifts.reduce((a, s) => a + s.shift, 0)

  // A port as the canvas labels it ("Yes"), not its name ("yes").
  const portName = (id: string, port: string) => {
    const n = doc.nodes.find((x) => x.id === id)
    return (n && portsOf(specs.get(n.type), n).find((p) => p.name === port)?.label) || port
  }

  const name = (id: string) => {
    const n = doc.nodes.find((x) => x.id === id)
    return n ? stepName(n, specs) : id
  }

  return (
    <section className="test-panel" aria-labelledby="test-title">
      <div className="test-head">
        <h2 id="test-title">Test run</h2>
        <button type="button" className="link" onClick={onClose}>Close test</button>
      </div>
      <div className="test-body">
        {samples.length > 0 && (
          <div className="field">
            <label htmlFor="test-sample">Sample</label>
            <select id="test-sample" value={sampleIdx} onChange={(e) => pickSample(Number(e.target.value))}>
              {samples.map((s, i) => <option key={i} value={i}>{s.title}</option>)}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="test-payload">Sample data the trigger receives (JSON)</label>
          <textarea id="test-payload" className="mono" rows={8} value={payload} onChange={(e) => setPayload(e.target.value)} />
          {webhook && <p className="hint">Sent as the body of a real request to the webhook: the chat platform preset and field mapping read it as they would a real one (only the signature is not checked).</p>}
        </div>
        {decisions.length > 0 && (
          <fieldset className="test-choices">
            <legend>What happens at each step</legend>
            {decisions.map((d) => {
              const p = picked[d.id] ?? { value: '' }
              return (
                <div className="field" key={d.id}>
                  <label htmlFor={`choice-${d.id}`}>At “{d.name}”</label>
                  <select id={`choice-${d.id}`} value={p.value} onChange={(e) => pick(d.id, { ...p, value: e.target.value })}>
                    {d.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
                  </select>
                  {p.value === AFTER && (
                    <input type="number" min="0" step="any" inputMode="decimal" placeholder="hours" value={p.hours ?? ''}
                      aria-label={`Hours until the event at “${d.name}”`} onChange={(e) => pick(d.id, { ...p, hours: e.target.value })} />
                  )}
                </div>
              )
            })}
          </fieldset>
        )}
        <div className="field">
          <button type="button" className="primary" onClick={go} disabled={busy}>{busy ? 'Running…' : 'Run test'}</button>
          <p className="hint">A test runs the draft against a test contact of its own: the contacts, deals, tasks and list members it makes are test data, kept out of your lists and numbers and removed after a day. Messages stay in the sandbox unless a step uses a real account (then they are really sent).</p>
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
                        <b>{name(s.node_id)}</b> — {s.status}{s.port && s.port !== 'out' ? `, took the “${portName(s.node_id, s.port)}” path` : ''}
                        {chosen(s.output) ? <> <span className="badge">your choice</span></> : ''}
                        {' '}at {simulated(s.started_at) ? <>{simulated(s.started_at)} <span className="hint">(simulated)</span></> : when(s.started_at)}
                        {s.status === 'waiting' && until ? ` · would go on at ${when(until)}` : ''}
                      </summary>
                      {s.error && <p className="error">{s.error}</p>}
                      <div className="io"><div><h3>Input</h3><pre>{json(s.input)}</pre></div><div><h3>Output</h3><pre>{json(s.output)}</pre></div></div>
                    </details>
                    {/* Why a condition was false (a field not set), shown without opening the step. */}
                    {reason(s.output) && <p className="hint step-reason">{reason(s.output)}</p>}
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

/** Why a condition step decided as it did, when the step says. */
function reason(output: unknown): string {
  const r = (output as { reason?: unknown } | null)?.reason
  return typeof r === 'string' ? r : ''
}

/** The tester's choice a step records, if any. */
function chosen(output: unknown): string {
  return (output as { chosen_by_tester?: string } | null)?.chosen_by_tester ?? ''
}
