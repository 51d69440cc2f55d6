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
  if (!Object.keys(out).length) return { email: samples.email, name: samples.name }
  return out
}

/** Names of the sample payload, for autocomplete of trigger.* */
export function triggerNames(doc: FlowDoc): string[] {
  return Object.keys(samplePayload(doc))
}
