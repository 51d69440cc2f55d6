// Step-level differences between two versions of a journey, and the
// three-way merge that reapplies one editor's changes over another's save.
import type { FlowDoc, FlowEdge, FlowNode } from '../api'
import { edgeKey, newNodeId } from './model'

export interface StepChange { id: string; name: string; fields: string[] }

export interface DocDiff {
  added: StepChange[]
  removed: StepChange[]
  changed: StepChange[]
  /** Journey-level fields that changed: name, description, settings, connections. */
  journey: string[]
}

const nodeFields = ['type', 'name', 'params', 'position'] as const
type NodeField = (typeof nodeFields)[number]

/** Plain names of what a change touched. */
const fieldWords: Record<string, string> = { type: 'type', name: 'name', params: 'settings', position: 'place on the canvas' }

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

function nameOf(n: FlowNode): string {
  return n.name || n.id
}

function changedFields(a: FlowNode, b: FlowNode): NodeField[] {
  return nodeFields.filter((f) => !same(a[f], b[f]))
}

/** What changed from a to b, step by step. */
export function diffDocs(a: FlowDoc, b: FlowDoc): DocDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]))
  const after = new Map(b.nodes.map((n) => [n.id, n]))
  const out: DocDiff = { added: [], removed: [], changed: [], journey: [] }
  for (const n of b.nodes) if (!before.has(n.id)) out.added.push({ id: n.id, name: nameOf(n), fields: [] })
  for (const n of a.nodes) if (!after.has(n.id)) out.removed.push({ id: n.id, name: nameOf(n), fields: [] })
  for (const n of b.nodes) {
    const old = before.get(n.id)
    if (!old) continue
    const fields = changedFields(old, n)
    if (fields.length) out.changed.push({ id: n.id, name: nameOf(n), fields: fields.map((f) => fieldWords[f]) })
  }
  if (a.name !== b.name) out.journey.push('name')
  if (!same(a.description, b.description)) out.journey.push('description')
  if (!same(a.settings, b.settings)) out.journey.push('settings')
  const ek = (d: FlowDoc) => d.edges.map(edgeKey).sort().join('|')
  if (ek(a) !== ek(b)) out.journey.push('connections')
  return out
}

/** One sentence per change, for the conflict dialog and history. */
export function describeDiff(d: DocDiff): string[] {
  const q = (s: StepChange) => `“${s.name}”`
  const out: string[] = []
  for (const s of d.added) out.push(`Added the step ${q(s)}.`)
  for (const s of d.removed) out.push(`Deleted the step ${q(s)}.`)
  for (const s of d.changed) out.push(`Changed the ${s.fields.join(', ')} of ${q(s)}.`)
  for (const j of d.journey) out.push(j === 'connections' ? 'Changed how steps connect.' : `Changed the journey's ${j}.`)
  return out
}

export interface Merged {
  doc: FlowDoc
  /** Sentences for the changes of mine that could not be reapplied. */
  conflicts: string[]
}

/**
 * Reapplies what mine changed since base onto theirs. Where both changed
 * the same thing differently, theirs stays and the clash is reported.
 */
export function merge3(base: FlowDoc, theirs: FlowDoc, mine: FlowDoc): Merged {
  const conflicts: string[] = []
  const baseNodes = new Map(base.nodes.map((n) => [n.id, n]))
  const theirNodes = new Map(theirs.nodes.map((n) => [n.id, n]))
  const mineIds = new Set(mine.nodes.map((n) => n.id))
  let doc: FlowDoc = { ...theirs, nodes: [...theirs.nodes], edges: [...theirs.edges] }
  const renamed = new Map<string, string>()

  // Journey fields.
  for (const f of ['name', 'description', 'settings'] as const) {
    if (same(base[f], mine[f])) continue
    if (same(base[f], theirs[f]) || same(theirs[f], mine[f])) doc = { ...doc, [f]: mine[f] }
    else conflicts.push(`The journey's ${f} was changed in both; theirs is kept.`)
  }

  for (const n of mine.nodes) {
    const b = baseNodes.get(n.id)
    const t = theirNodes.get(n.id)
    if (!b) {
      // A step I added. Their save may have used the same id.
      if (t && !same(t, n)) {
        const id = newNodeId(doc, n.type)
        renamed.set(n.id, id)
        doc.nodes.push({ ...n, id })
      } else if (!t) doc.nodes.push(n)
      continue
    }
    const mineChanged = changedFields(b, n)
    if (!mineChanged.length) continue
    if (!t) {
      conflicts.push(`“${nameOf(n)}” was deleted in the other save; your changes to it are not reapplied.`)
      continue
    }
    const next: FlowNode = { ...t }
    for (const f of mineChanged) {
      if (same(b[f], t[f]) || same(t[f], n[f])) (next as unknown as Record<string, unknown>)[f] = n[f]
      else conflicts.push(`The ${fieldWords[f]} of “${nameOf(n)}” was changed in both; theirs is kept.`)
    }
    doc.nodes = doc.nodes.map((x) => (x.id === n.id ? next : x))
  }

  // Steps I deleted go, unless their save changed them.
  for (const b of base.nodes) {
    if (mineIds.has(b.id)) continue
    const t = theirNodes.get(b.id)
    if (!t) continue
    if (changedFields(b, t).length) conflicts.push(`You deleted “${nameOf(b)}”, but the other save changed it; it is kept.`)
    else doc.nodes = doc.nodes.filter((x) => x.id !== b.id)
  }

  // Connections: theirs, plus mine added, minus mine removed.
  const baseEdges = new Set(base.edges.map(edgeKey))
  const mineEdges = new Set(mine.edges.map(edgeKey))
  const ids = new Set(doc.nodes.map((n) => n.id))
  const remap = (e: FlowEdge): FlowEdge => ({ ...e, from: renamed.get(e.from) ?? e.from, to: renamed.get(e.to) ?? e.to })
  let edges = doc.edges.filter((e) => !(baseEdges.has(edgeKey(e)) && !mineEdges.has(edgeKey(e))))
  const have = new Set(edges.map(edgeKey))
  for (const e of mine.edges.map(remap)) {
    if (baseEdges.has(edgeKey(e)) || have.has(edgeKey(e))) continue
    edges.push(e)
    have.add(edgeKey(e))
  }
  edges = edges.filter((e) => ids.has(e.from) && ids.has(e.to))
  return { doc: { ...doc, edges }, conflicts }
}
