// An A/B split's results in its side panel: each path's numbers, the
// verdict from the server's significance test, and "Send everyone down
// the winner", which edits the draft's weights as one undoable change.
import { useEffect, useState } from 'react'
import { api, ApiError, type FlowDoc, type FlowNode } from '../api'
import { percent } from './funnel'

export interface Variant {
  name: string
  weight: number
  entries: number
  conversions: number
  conversion_rate: number
  uplift: number | null
  confidence: number
  enough_data: boolean
}
export interface Experiment {
  node_id: string
  name: string
  variants: Variant[]
  winner: string
  confidence: number
  min_sample_per_path: number
  verdict: string
}

interface Branch { name: string; weight: number }

/** everyoneDownTheWinner gives the winner all the weight and the other paths 0. */
export function everyoneDownTheWinner(node: FlowNode, winner: string): FlowNode {
  const branches = ((node.params?.branches as Branch[] | undefined) ?? []).map((b) => ({ ...b, weight: b.name === winner ? 100 : 0 }))
  return { ...node, params: { ...node.params, branches } }
}

function signed(uplift: number | null): string {
  if (uplift == null) return '–'
  const p = Math.round(uplift * 100)
  return `${p > 0 ? '+' : ''}${p}%`
}

export function ExperimentPanel({ flowId, node, change }: {
  flowId: string
  node: FlowNode
  change: (fn: (d: FlowDoc) => FlowDoc, key?: string) => void
}) {
  const [exp, setExp] = useState<Experiment | null>(null)
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState('')
  const [done, setDone] = useState('')

  useEffect(() => {
    let live = true
    api<{ experiments: Experiment[] }>(`/flows/${encodeURIComponent(flowId)}/experiments`).then(
      (r) => { if (live) { setExp(r.experiments.find((e) => e.node_id === node.id) ?? null); setLoaded(true) } },
      (e) => { if (live) { setError(e instanceof ApiError && e.status === 404 ? '' : (e as Error).message); setLoaded(true) } })
    return () => { live = false }
  }, [flowId, node.id])

  const branches = (node.params?.branches as Branch[] | undefined) ?? []
  const already = exp?.winner ? branches.every((b) => (b.name === exp.winner ? b.weight > 0 : !b.weight)) : false

  return (
    <section className="experiment" aria-labelledby={`exp-${node.id}`}>
      <h3 id={`exp-${node.id}`}>Experiment results</h3>
      {error && <p className="error" role="alert">The results could not be loaded: {error}</p>}
      {!exp && !error && <p className="hint" role="status">{loaded ? 'No results yet: save this split, then publish the journey to start the experiment.' : 'Loading results…'}</p>}
      {exp && (
        <>
          <table className="table">
            <caption className="hint">All contacts who went through this split since it started; test runs are not counted. The first path is the control.</caption>
            <thead>
              <tr><th scope="col">Path</th><th scope="col">Entered</th><th scope="col">Converted</th><th scope="col">Conversion rate</th><th scope="col">Change vs control</th><th scope="col">Confidence</th></tr>
            </thead>
            <tbody>
              {exp.variants.map((v, i) => (
                <tr key={v.name}>
                  <th scope="row">{v.name}{i === 0 ? ' (control)' : ''}</th>
                  <td>{v.entries}</td>
                  <td>{v.conversions}</td>
                  <td>{v.entries ? percent(v.conversions, v.entries) : '–'}</td>
                  <td>{i === 0 ? '–' : signed(v.uplift)}</td>
                  <td>{i === 0 || !v.entries ? '–' : `${Math.floor(v.confidence * 100)}%`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="verdict" role="status"><strong>{exp.verdict}</strong></p>
          <p className="hint">
            Confidence comes from a two-proportion z-test of each path against the control. A winner needs 95% confidence
            and at least 5 conversions and 5 non-conversions on every path
            {exp.min_sample_per_path > 0 ? ` (about ${exp.min_sample_per_path} contacts per path at the control's rate)` : ''}.
          </p>
          {exp.winner && !already && (
            <button type="button" onClick={() => {
              change((d) => ({ ...d, nodes: d.nodes.map((n) => (n.id === node.id ? everyoneDownTheWinner(n, exp.winner) : n)) }))
              setDone(`Everyone now goes down path ${exp.winner} in the draft. Publish to make it live; Undo takes it back.`)
            }}>Send everyone down the winner ({exp.winner})</button>
          )}
          {done && <p className="notice" role="status">{done}</p>}
        </>
      )}
    </section>
  )
}
