import { useMemo } from 'react'
import type { FlowDoc, FlowNode, Problem, TypeSpec } from '../api'
import { describeNode } from '../describe'
import { ConditionField } from '../conditions/ConditionField'
import { ParamForm, type FormContext } from '../ParamForm'
import { portsOf, triggerNames } from './model'
import { fieldCatalog } from '../catalog'
import { MessagePreview } from '../fields/MessagePreview'
import { isMessage } from '../fields/preview'
import { JourneySettings } from './JourneySettings'
import { ExperimentPanel } from './ExperimentPanel'
import { StepMessageResults } from '../MessageResults'
import type { Specs } from './model'

interface Props {
  doc: FlowDoc
  node?: FlowNode
  spec?: TypeSpec
  selectedCount: number
  problems: Problem[]
  /** The step's warnings: shown apart from its problems, in a milder style. */
  warnings?: Problem[]
  /** key: edits under the same key in a row make one undo step. */
  change: (fn: (d: FlowDoc) => FlowDoc, key?: string) => void
  onDelete: () => void
  specs: Specs
  /** The period of the step's message results, such as 30d (the Numbers period). */
  resultsPeriod?: string
}

/** The form of the selected step, or the journey's settings when none is selected. */
export function SidePanel({ doc, node, spec, selectedCount, problems, warnings = [], change, onDelete, specs, resultsPeriod = '30d' }: Props) {
  const names = useMemo(() => ({ trigger: triggerNames(doc) }), [doc])
  const catalog = useMemo(() => fieldCatalog(doc), [doc])
  const ctx: FormContext = useMemo(() => ({ nodeType: node?.type ?? '', names, catalog, flowId: doc.id }), [node?.type, names, catalog, doc.id])

  if (selectedCount > 1) {
    return (
      <aside className="side" aria-label="Selection">
        <h2>{selectedCount} steps selected</h2>
        <p className="hint">Drag them together, copy them with Ctrl+C and paste with Ctrl+V, or delete them.</p>
        <button type="button" className="danger" onClick={onDelete}>Delete {selectedCount} steps</button>
      </aside>
    )
  }

  if (!node) {
    const setSettings = (s: FlowDoc['settings']) => change((d) => ({ ...d, settings: s }), 'settings')
    return (
      <JourneySettings doc={doc} problems={problems} change={change} goal={
        <ConditionField id="flow-goal" label="Goal (the contact converts when this is true)" names={names} catalog={catalog}
          value={doc.settings?.goal ?? ''} onChange={(v) => setSettings({ ...doc.settings, goal: v || undefined })}
          description="A contact who reaches the goal leaves the journey as converted." />
      } />
    )
  }

  const setNode = (fn: (n: FlowNode) => FlowNode) =>
    change((d) => ({ ...d, nodes: d.nodes.map((n) => (n.id === node.id ? fn(n) : n)) }), `node:${node.id}`)
  const general = problems.filter((p) => !p.param)
  return (
    <aside className="side" aria-label="Step settings">
      <h2>{spec?.title ?? node.type}</h2>
      <p className="sentence">{describeNode(node, spec)}</p>
      {spec?.description && <p className="hint">{spec.description}</p>}
      {general.length > 0 && <div className="error-box" role="alert"><ul>{general.map((p, i) => <li key={i}>{p.message}</li>)}</ul></div>}
      {warnings.length > 0 && (
        <div className="warn-box" role="status" data-testid="step-warnings">
          <strong>Worth checking</strong> (this does not stop you saving or publishing):
          <ul>{warnings.map((p, i) => <li key={i}>{p.message}</li>)}</ul>
        </div>
      )}
      <div className="field">
        <label htmlFor="node-name">Name on the canvas</label>
        <input id="node-name" value={node.name ?? ''} placeholder={spec?.title}
          onChange={(e) => setNode((n) => ({ ...n, name: e.target.value || undefined }))} />
      </div>
      {spec ? (
        <ParamForm specs={spec.params} values={node.params ?? {}} idPrefix={`p-${node.id}`} problems={problems} ctx={ctx}
          onChange={(v) => setNode((n) => ({ ...n, params: v }))} />
      ) : <p className="error">This step's type is unknown to this server.</p>}
      {isMessage(node.type) && <MessagePreview key={node.id} flowId={doc.id} node={node} />}
      {isMessage(node.type) && <StepMessageResults flowId={doc.id} nodeId={node.id} period={resultsPeriod} />}
      {node.type === 'logic.split' && <ExperimentPanel flowId={doc.id} node={node} change={change} />}
      <Paths doc={doc} node={node} spec={spec} specs={specs} change={change} />
      <p className="hint">Step id: <code>{node.id}</code></p>
      <button type="button" className="danger" onClick={onDelete}>Delete this step</button>
    </aside>
  )
}

/** The step's paths out, editable without a mouse: pick the next step of each. */
function Paths({ doc, node, spec, specs, change }: { doc: FlowDoc; node: FlowNode; spec?: TypeSpec; specs: Specs; change: Props['change'] }) {
  const ports = portsOf(spec, node)
  if (!ports.length) return null
  const targets = doc.nodes.filter((n) => n.id !== node.id && !specs.get(n.type)?.trigger)
  const label = (id: string) => {
    const n = doc.nodes.find((x) => x.id === id)
    return n ? n.name || specs.get(n.type)?.title || n.id : id
  }
  return (
    <fieldset className="field paths">
      <legend>Next steps</legend>
      {ports.map((p) => {
        const port = p.name === 'out' ? undefined : p.name
        const out = doc.edges.filter((e) => e.from === node.id && (e.port ?? 'out') === p.name)
        const id = `next-${node.id}-${p.name}`
        return (
          <div key={p.name} className="path">
            <label htmlFor={id}>{p.name === 'out' ? 'Then go to' : `When “${p.label || p.name}”, go to`}</label>
            {out.map((e) => (
              <div key={e.to} className="path-target">
                {label(e.to)}{' '}
                <button type="button" className="link danger" aria-label={`Remove the path to ${label(e.to)}`}
                  onClick={() => change((d) => ({ ...d, edges: d.edges.filter((x) => x !== e) }))}>Remove</button>
              </div>
            ))}
            <select id={id} value="" onChange={(ev) => {
              const to = ev.target.value
              if (!to) return
              change((d) => ({ ...d, edges: [...d.edges, port ? { from: node.id, port, to } : { from: node.id, to }] }))
            }}>
              <option value="">{out.length ? 'Add another step…' : 'Choose a step…'}</option>
              {targets.filter((t) => !out.some((e) => e.to === t.id)).map((t) => <option key={t.id} value={t.id}>{label(t.id)}</option>)}
            </select>
          </div>
        )
      })}
    </fieldset>
  )
}
