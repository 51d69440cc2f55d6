import { memo, useContext } from 'react'
import { Handle, Position, type NodeProps, type Node } from '@xyflow/react'
import type { FlowNode, Problem, TypeSpec } from '../api'
import { describeNode } from '../describe'
import { portsOf } from './model'
import { CanvasActionsContext } from './actions'
import type { FunnelStep } from './funnel'

export interface NodeStats {
  entered: number
  waiting: number
  failed: number
  converted: number
  ports: Record<string, number>
}

export type CardData = {
  node: FlowNode
  /** Output ports that lead nowhere yet: each shows a "+" to add the next step. */
  open?: string[]
  spec?: TypeSpec
  problems: Problem[]
  /** What works but probably not as meant: shown milder than problems, never blocks. */
  warnings?: Problem[]
  stats?: FunnelStep
  /** Test run state: "done", "failed", "waiting", "next". */
  lit?: string
}
export type CardNode = Node<CardData, 'card'>

function NodeCardImpl({ data, selected }: NodeProps<CardNode>) {
  const { node, spec, problems, warnings = [], stats, lit, open } = data
  const actions = useContext(CanvasActionsContext)
  const name = node.name || spec?.title || node.type
  const ports = portsOf(spec, node)
  const isTrigger = !!spec?.trigger
  const group = spec ? spec.category : 'unknown'
  return (
    <div className={`card-node cat-${group}${selected ? ' selected' : ''}${problems.length ? ' has-problems' : warnings.length ? ' has-warnings' : ''}${lit ? ' lit-' + lit : ''}`}
      data-node-id={node.id} role="group" aria-label={`${name}: ${describeNode(node, spec)}`}>
      {!isTrigger && <Handle type="target" position={Position.Top} role="img" aria-label={`Into “${name}”: drop a connection here`} />}
      <div className="card-title">{name}</div>
      <div className="card-sentence">{describeNode(node, spec)}</div>
      {problems.length > 0 && (
        <ul className="card-problems" data-testid="node-problems">
          {problems.slice(0, 3).map((p, i) => <li key={i}>{p.message}</li>)}
          {problems.length > 3 && <li>and {problems.length - 3} more</li>}
        </ul>
      )}
      {warnings.length > 0 && (
        <ul className="card-warnings" data-testid="node-warnings" aria-label="Worth checking">
          {warnings.slice(0, 2).map((p, i) => <li key={i}>{p.message}</li>)}
          {warnings.length > 2 && <li>and {warnings.length - 2} more to check</li>}
        </ul>
      )}
      {stats && (
        <div className="card-stats" data-testid="node-stats">
          <span title="Contacts that entered this step">{stats.entered} entered</span>
          {stats.ofEntries && <span title="Share of everyone who entered the journey">{stats.ofEntries} of entries</span>}
          {ports.length > 0 && stats.dropOff > 0 && (
            <span className="bad" title="Contacts who went no further from this step">{stats.dropOff} dropped off ({stats.dropOffShare})</span>
          )}
          {stats.waiting > 0 && <span title="Contacts waiting here now">{stats.waiting} waiting</span>}
          {stats.failed > 0 && <span className="bad" title="Contacts for whom this step failed">{stats.failed} failed</span>}
          {stats.converted > 0 && <span className="good" title="Contacts who reached the goal after this step">{stats.converted} converted</span>}
        </div>
      )}
      {!spec && <div className="card-problems">Unknown step type {node.type}</div>}
      {ports.map((p, i) => {
        const left = `${((i + 1) / (ports.length + 1)) * 100}%`
        const count = stats?.ports[p.name]
        const share = count ? stats?.pathShare[p.name] : ''
        const text = p.name === 'out' ? (count ? String(count) : '') : `${p.label || p.name}${count ? ` · ${count}${share ? ` (${share})` : ''}` : ''}`
        return (
          <span key={p.name}>
            {text && <span className="port-label" style={{ left }}>{text}</span>}
            <Handle type="source" id={p.name} position={Position.Bottom} role="img"
              aria-label={p.name === 'out' ? `Out of “${name}”: drag to connect the next step` : `The “${p.label || p.name}” path of “${name}”: drag to connect a step`}
              data-port={p.name} style={{ left }} />
            {open?.includes(p.name) && actions && (
              <button type="button" className="add-step port-add nodrag" style={{ left }} data-port={p.name}
                title="Add the next step"
                aria-label={p.name === 'out' ? `Add a step after “${name}”` : `Add a step on the “${p.label || p.name}” path of “${name}”`}
                onClick={(e) => { e.stopPropagation(); actions.openPicker({ kind: 'after', from: node.id, port: p.name }, e.currentTarget) }}>+</button>
            )}
          </span>
        )
      })}
    </div>
  )
}

export const NodeCard = memo(NodeCardImpl)
