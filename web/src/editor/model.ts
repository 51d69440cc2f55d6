// Pure helpers over a flow document: ports, ids, layout, clipboard and
// sample payloads. The canvas keeps the document as its single truth.
import type { FlowDoc, FlowEdge, FlowNode, TypeSpec } from '../api'

export type Specs = Map<string, TypeSpec>

export function specOf(specs: Specs, n: FlowNode): TypeSpec | undefined {
  return specs.get(n.type)
}

/** The output ports of a node: declared ones plus one per list item for switch and split. */
export function portsOf(spec: TypeSpec | undefined, n: FlowNode): { name: string; label: string }[] {
  if (!spec) return [{ name: 'out', label: '' }]
  const out = [...spec.outputs]
  if (spec.dynamic_ports) {
    const items = (n.params?.[spec.dynamic_ports] as { name?: string }[] | undefined) ?? []
    for (const it of items) if (it?.name) out.unshift({ name: it.name, label: it.name })
  }
  return out
}

/** A fresh node id from the type: "wait_delay", "wait_delay_2"... */
export function newNodeId(doc: FlowDoc, type: string): string {
  const base = type.split('.').pop()!.replace(/[^a-z0-9_]/g, '_')
  const ids = new Set(doc.nodes.map((n) => n.id))
  if (!ids.has(base)) return base
  for (let i = 2; ; i++) if (!ids.has(`${base}_${i}`)) return `${base}_${i}`
}

/** Default parameter values from the declaration. */
export function defaultParams(spec: TypeSpec): Record<string, unknown> {
  const p: Record<string, unknown> = {}
  for (const s of spec.params) if (s.default !== undefined) p[s.name] = s.default
  return p
}

export function edgeKey(e: FlowEdge): string {
  return `${e.from}:${e.port ?? 'out'}->${e.to}`
}

/** Copies nodes with new ids and the edges between them, offset by (dx, dy). */
export function pasteInto(doc: FlowDoc, clip: { nodes: FlowNode[]; edges: FlowEdge[] }, dx = 40, dy = 40): { doc: FlowDoc; ids: string[] } {
  const next: FlowDoc = { ...doc, nodes: [...doc.nodes], edges: [...doc.edges] }
  const map = new Map<string, string>()
  for (const n of clip.nodes) {
    const id = newNodeId(next, n.type)
    map.set(n.id, id)
    next.nodes.push({ ...structuredClone(n), id, position: { x: n.position.x + dx, y: n.position.y + dy } })
  }
  for (const e of clip.edges) {
    if (map.has(e.from) && map.has(e.to)) next.edges.push({ ...e, from: map.get(e.from)!, to: map.get(e.to)! })
  }
  return { doc: next, ids: [...map.values()] }
}

/** Layered layout: triggers on top, each node one row below its deepest parent. */
export function autoLayout(doc: FlowDoc, specs: Specs, gapX = 280, gapY = 150): FlowDoc {
  const depth = new Map<string, number>()
  const children = new Map<string, string[]>()
  for (const e of doc.edges) children.set(e.from, [...(children.get(e.from) ?? []), e.to])
  const roots = doc.nodes.filter((n) => specs.get(n.type)?.trigger || !doc.edges.some((e) => e.to === n.id))
  const queue = roots.map((r) => r.id)
  for (const r of queue) depth.set(r, 0)
  // Longest path, bounded so that loops through waits end.
  let guard = doc.nodes.length * doc.nodes.length + 10
  while (queue.length && guard-- > 0) {
    const id = queue.shift()!
    for (const c of children.get(id) ?? []) {
      const d = depth.get(id)! + 1
      if ((depth.get(c) ?? -1) < d && d < doc.nodes.length) {
        depth.set(c, d)
        queue.push(c)
      }
    }
  }
  const rows = new Map<number, string[]>()
  for (const n of doc.nodes) {
    const d = depth.get(n.id) ?? 0
    rows.set(d, [...(rows.get(d) ?? []), n.id])
  }
  const pos = new Map<string, { x: number; y: number }>()
  for (const [d, ids] of rows) {
    ids.forEach((id, i) => pos.set(id, { x: (i - (ids.length - 1) / 2) * gapX, y: d * gapY }))
  }
  return { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position })) }
}

const samples: Record<string, unknown> = {
  email: 'ada@example.com', name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', phone: '+14155550100',
  company: 'Analytical Engines Ltd', score: 72, transcript: 'Hi, we would like a demo for 40 people.', amount: 120,
}

/** A sample trigger payload with every trigger.* name the journey uses. */
export function samplePayload(doc: FlowDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const text = JSON.stringify(doc.nodes.map((n) => n.params ?? {}))
  for (const m of text.matchAll(/trigger\.(?:body\.)?([a-zA-Z_]\w*)/g)) {
    const k = m[1]
    if (!(k in out)) out[k] = samples[k] ?? `sample ${k.replace(/_/g, ' ')}`
  }
  // Nothing read from the trigger: a sample person (the test contact of event journeys).
  if (!Object.keys(out).length) return { email: samples.email, name: samples.name, phone: samples.phone }
  return out
}

/** Names of the sample payload, for autocomplete of trigger.* */
export function triggerNames(doc: FlowDoc): string[] {
  return Object.keys(samplePayload(doc))
}

/** The size of a card on the canvas, for placing steps without overlap. */
export const card = { w: 220, h: 90, gapX: 260, gapY: 150 }

/** Where a new step goes: after a step's port, or between two steps. */
export type Anchor =
  | { kind: 'start' }
  | { kind: 'after'; from: string; port: string }
  | { kind: 'between'; from: string; port: string; to: string }
  | { kind: 'at'; position: { x: number; y: number }; from?: string; port?: string }

/** The first output port of a step that leads nowhere yet, else its first port. */
export function freePort(doc: FlowDoc, spec: TypeSpec | undefined, n: FlowNode): string | undefined {
  const ports = portsOf(spec, n)
  if (!ports.length) return undefined
  const used = new Set(doc.edges.filter((e) => e.from === n.id).map((e) => e.port ?? 'out'))
  return (ports.find((p) => !used.has(p.name)) ?? ports[0]).name
}

function overlaps(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) < card.w + 20 && Math.abs(a.y - b.y) < card.h + 30
}

/** Nodes reachable from id (id included), following edges. */
function downstream(doc: FlowDoc, id: string): Set<string> {
  const seen = new Set([id])
  const queue = [id]
  while (queue.length) {
    const cur = queue.shift()!
    for (const e of doc.edges) if (e.from === cur && !seen.has(e.to)) { seen.add(e.to); queue.push(e.to) }
  }
  return seen
}

/**
 * Adds a step at the anchor: below the port it follows (each port of a
 * branching step has its own column), connected to it, and, between two
 * steps, connected on to the next one. Steps that would sit under the new
 * one move down a row, so nothing overlaps.
 */
export function addStep(doc: FlowDoc, specs: Specs, anchor: Anchor, node: Omit<FlowNode, 'position'>): FlowDoc {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]))
  let pos = { x: 0, y: 0 }
  const edges = [...doc.edges]
  const link = (from: string, port: string, to: string) => edges.push(port === 'out' ? { from, to } : { from, port, to })
  if (anchor.kind === 'at') pos = { x: Math.round(anchor.position.x), y: Math.round(anchor.position.y) }
  else if (anchor.kind === 'start') {
    const top = doc.nodes.length ? Math.min(...doc.nodes.map((n) => n.position.y)) : card.gapY
    pos = { x: doc.nodes.length ? Math.min(...doc.nodes.map((n) => n.position.x)) : 0, y: top - card.gapY }
  } else {
    const from = byId.get(anchor.from)
    if (!from) return doc
    const ports = portsOf(specs.get(from.type), from)
    const i = Math.max(0, ports.findIndex((p) => p.name === anchor.port))
    const dx = ports.length > 1 ? (i - (ports.length - 1) / 2) * card.gapX : 0
    pos = { x: from.position.x + dx, y: from.position.y + card.gapY }
  }
  let nodes = doc.nodes
  if (anchor.kind === 'between') {
    // Open a row: the next step and everything after it move down.
    const below = downstream(doc, anchor.to)
    below.delete(anchor.from)
    const to = byId.get(anchor.to)
    if (to) pos = { x: to.position.x, y: Math.min(pos.y, to.position.y) }
    nodes = nodes.map((n) => (below.has(n.id) && n.position.y >= pos.y - card.h ? { ...n, position: { x: n.position.x, y: n.position.y + card.gapY } } : n))
    const at = edges.findIndex((e) => e.from === anchor.from && (e.port ?? 'out') === anchor.port && e.to === anchor.to)
    if (at >= 0) edges.splice(at, 1)
  } else if (anchor.kind !== 'start' && nodes.some((n) => overlaps(n.position, pos))) {
    // Something sits where the step goes: it and every step below it in
    // that column range move down a row.
    const hit = nodes.filter((n) => overlaps(n.position, pos))
    const fromY = Math.min(...hit.map((n) => n.position.y))
    nodes = nodes.map((n) => (n.position.y >= fromY && Math.abs(n.position.x - pos.x) < card.w * 3 ? { ...n, position: { x: n.position.x, y: n.position.y + card.gapY } } : n))
  }
  const added: FlowNode = { ...node, position: pos }
  if (anchor.kind === 'after' || anchor.kind === 'between') link(anchor.from, anchor.port, added.id)
  if (anchor.kind === 'at' && anchor.from) link(anchor.from, anchor.port ?? 'out', added.id)
  if (anchor.kind === 'between') {
    const out = portsOf(specs.get(added.type), added)[0]
    if (out) link(added.id, out.name, anchor.to)
  }
  if (anchor.kind === 'start') {
    // A trigger added above an untriggered first step leads into it.
    const first = doc.nodes.find((n) => !specs.get(n.type)?.trigger && !doc.edges.some((e) => e.to === n.id))
    if (first && specs.get(added.type)?.trigger) link(added.id, 'out', first.id)
  }
  return { ...doc, nodes: [...nodes, added], edges }
}

/** Fields of "Create or update contact" filled from the trigger's fields when it has them. */
const contactFromTrigger: [param: string, field: string][] = [
  ['email', 'email'], ['name', 'name'], ['first_name', 'first_name'], ['last_name', 'last_name'], ['phone', 'phone'], ['company', 'company'],
]

/** The params a new step starts with: defaults, and for a contact upsert the trigger's fields. */
export function startingParams(spec: TypeSpec, triggerFieldNames: string[]): Record<string, unknown> {
  const p = defaultParams(spec)
  if (spec.type === 'crm.upsert_contact') {
    const names = new Set(triggerFieldNames)
    const params = new Set(spec.params.map((s) => s.name))
    for (const [param, field] of contactFromTrigger) {
      if (!params.has(param) || !names.has(field)) continue
      // A full name when the trigger has one; first and last names otherwise.
      if ((param === 'first_name' || param === 'last_name') && names.has('name')) continue
      p[param] = `{{ trigger.${field} }}`
    }
  }
  return p
}
