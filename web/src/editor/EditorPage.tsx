// The journey canvas: palette, React Flow canvas, side panel with the
// generated form, toolbar (save, publish, pause, undo/redo, layout), test
// runs that light the path, and per-step numbers.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import {
  ReactFlow, ReactFlowProvider, Background, Controls, MiniMap, applyNodeChanges, useReactFlow,
  type Connection, type NodeChange, type EdgeChange, type OnSelectionChangeParams, type OnConnectEnd,
} from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { worthChecking } from './warnings'
import { api, ApiError, type FlowDetail, type FlowDoc, type FlowEdge, type FlowNode, type Problem, type RunDetail, type TypeSpec } from '../api'
import { Link, navigate, replaceAddress, setLeaveGuard } from '../router'
import { ConflictDialog } from './ConflictDialog'
import { merge3 } from './merge'
import { clearUnsaved, readUnsaved, writeUnsaved, type Unsaved } from './unsaved'
import { NodeCard, type CardNode } from './NodeCard'
import { funnelOf, headline, type StatsResponse } from './funnel'
import { Palette, dragType } from './Palette'
import { SidePanel } from './SidePanel'
import { TestPanel } from './TestPanel'
import { HistoryPanel } from './HistoryPanel'
import { PublishDialog } from './PublishDialog'
import { useUnpublished } from './publishState'
import { loadNodeTypes } from './nodeTypes'
import * as H from './history'
import { addStep, autoLayout, edgeKey, freePort, newNodeId, pasteInto, portsOf, startingParams, type Anchor, type Specs } from './model'
import { AddEdge, type AddEdgeType } from './AddEdge'
import { CanvasActionsContext, type CanvasActions } from './actions'
import { StepPicker } from './StepPicker'
import { triggerFields } from '../catalog'

const nodeTypes = { card: NodeCard }
const edgeTypes = { add: AddEdge }

/** The open step picker: where the step goes and where the list shows. */
interface Picker { anchor: Anchor; at: { x: number; y: number }; only: 'triggers' | 'steps'; title: string }
const noProblems: Problem[] = []

export default function EditorPage({ flowId }: { flowId: string }) {
  return (
    <ReactFlowProvider>
      <Editor flowId={flowId} />
    </ReactFlowProvider>
  )
}


function Editor({ flowId }: { flowId: string }) {
  const [types, setTypes] = useState<TypeSpec[] | null>(null)
  const [info, setInfo] = useState<FlowDetail | null>(null)
  const [hist, setHist] = useState<H.History<FlowDoc> | null>(null)
  const [saved, setSaved] = useState<FlowDoc | null>(null)
  const [problems, setProblems] = useState<Problem[]>([])
  // Warnings never block saving or publishing; they are shown milder.
  const [warnings, setWarnings] = useState<Problem[]>([])
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null)
  // Selection lives in React Flow's nodes (one truth); pendingSelect asks
  // the next rebuild to select new steps (after add and paste).
  const pendingSelect = useRef<string[] | null>(null)
  const setSelected = (ids: string[]) => { pendingSelect.current = ids }
  // A step added out of sight is brought into view after the next rebuild.
  const pendingReveal = useRef<string | null>(null)
  const [selectedEdges, setSelectedEdges] = useState<string[]>([])
  const [rfNodes, setRfNodes] = useState<CardNode[]>([])
  const [lit, setLit] = useState<Record<string, string>>({})
  const [panel, setPanel] = useState<'none' | 'test' | 'publish' | 'history'>('none')
  const [period, setPeriod] = useState('')
  const [stats, setStats] = useState<StatsResponse | null>(null)
  const [statsMissing, setStatsMissing] = useState(false)
  // Percentages once per stats response: cards keep their data objects.
  const funnel = useMemo(() => (stats ? funnelOf(stats) : null), [stats])
  const clipboard = useRef<{ nodes: FlowNode[]; edges: FlowEdge[] } | null>(null)
  const [picker, setPicker] = useState<Picker | null>(null)
  // The draft revision this editor's work is based on (sent as If-Match).
  const revision = useRef<number | undefined>(undefined)
  const [conflict, setConflict] = useState<{ theirs: FlowDetail; base: FlowDoc; mine: FlowDoc } | null>(null)
  const [busy, setBusy] = useState(false)
  // Unsaved work this browser kept from an earlier visit, offered back.
  const [restore, setRestore] = useState<Unsaved | null>(null)
  const rf = useReactFlow()
  // useReactFlow's object changes once the canvas is ready: effects reach it
  // through a ref, so that the journey is loaded once (a second load would
  // drop what was edited in between).
  const rfRef = useRef(rf)
  rfRef.current = rf
  const wrapper = useRef<HTMLDivElement>(null)

  const doc = hist?.present ?? null
  const dirty = !!doc && doc !== saved
  const unpublished = useUnpublished(flowId, !!info?.unpublished_changes, saved, info?.version ?? 0)
  // The history is read again after each save and publish.
  const historyKey = useMemo(() => ({ saved, version: info?.version }), [saved, info?.version])
  const specs: Specs = useMemo(() => new Map((types ?? []).map((t) => [t.type, t])), [types])

  useEffect(() => {
    Promise.all([loadNodeTypes(), api<FlowDetail>(`/flows/${encodeURIComponent(flowId)}`)]).then(([t, f]) => {
      const d = { ...f.definition, nodes: f.definition.nodes ?? [], edges: f.definition.edges ?? [] }
      setTypes(t)
      setInfo(f)
      setHist(H.start(d))
      setSaved(d)
      revision.current = f.revision
      const kept = readUnsaved(flowId)
      if (kept && JSON.stringify(kept.doc) !== JSON.stringify(d)) setRestore(kept)
      else if (kept) clearUnsaved(flowId)
      setProblems(f.problems)
      setWarnings(f.warnings ?? [])
      if (location.search.includes('imported=1')) {
        replaceAddress(location.pathname)
        const n = f.problems.length
        setMessage(n
          ? { kind: 'error', text: `The imported file has ${n} problem${n > 1 ? 's' : ''}. It is kept as a draft; each problem is shown on its step.` }
          : { kind: 'ok', text: 'Imported as a draft. Publish it when it is ready.' + worthChecking(f.warnings) })
      }
      if (d.nodes.length) requestAnimationFrame(() => rfRef.current.fitView({ padding: 0.2, maxZoom: 1 }))
    }, (e) => setMessage({ kind: 'error', text: e.message }))
  }, [flowId])

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    const ask = () => !dirty || confirm('You have changes that are not saved. Leave without saving them?')
    setLeaveGuard(ask)
    const before = (e: BeforeUnloadEvent) => { if (dirty) e.preventDefault() }
    addEventListener('beforeunload', before)
    return () => { setLeaveGuard(null); removeEventListener('beforeunload', before) }
  }, [dirty])

  // The draft is checked as it is edited, so each card says what is wrong
  // with it now, not at the last save.
  // (The canvas says data-checking meanwhile: cards may change size.)
  const [checking, setChecking] = useState(false)
  useEffect(() => {
    if (!doc || doc === saved) return
    let stale = false
    setChecking(true)
    const t = setTimeout(() => {
      api<{ problems: Problem[]; warnings?: Problem[] }>('/flows/validate', { method: 'POST', json: doc })
        .then((r) => { if (!stale) { setProblems(r.problems); setWarnings(r.warnings ?? []) } }, () => {})
        .finally(() => { if (!stale) setChecking(false) })
    }, 400)
    return () => { stale = true; clearTimeout(t) }
  }, [doc, saved])

  // Unsaved changes are kept in this browser as they are made, so a
  // reload, a crash or a closed tab loses nothing.
  useEffect(() => {
    if (!doc || !saved || restore) return
    if (doc === saved) { clearUnsaved(flowId); return }
    const t = setTimeout(() => writeUnsaved(flowId, { doc, base: saved, revision: revision.current, at: Date.now() }), 300)
    return () => clearTimeout(t)
  }, [doc, saved, restore, flowId])

  const change = useCallback((fn: (d: FlowDoc) => FlowDoc, key?: string) => setHist((h) => (h ? H.commit(h, fn(h.present), key) : h)), [])

  const problemsByNode = useMemo(() => {
    const m = new Map<string, Problem[]>()
    for (const p of problems) if (p.node_id) m.set(p.node_id, [...(m.get(p.node_id) ?? []), p])
    return m
  }, [problems])
  const warningsByNode = useMemo(() => {
    const m = new Map<string, Problem[]>()
    for (const p of warnings) if (p.node_id) m.set(p.node_id, [...(m.get(p.node_id) ?? []), p])
    return m
  }, [warnings])

  // Cards are rebuilt from the document; data objects are reused when
  // nothing they show changed, so a 200-step canvas re-renders only what moved.
  const cardCache = useRef(new Map<string, CardNode>())
  useEffect(() => {
    if (!doc) return
    // A rebuild for something else (problems from a validation that just
    // came back) can run between a step being added and the document
    // showing it: the selection waits until its steps are there.
    const asked = pendingSelect.current
    const pending = asked && asked.every((id) => doc.nodes.some((n) => n.id === id)) ? asked : null
    if (pending) pendingSelect.current = null
    const sel = new Set(pending ?? [])
    const next = new Map<string, CardNode>()
    // Ports with a connection out of them, to show "+" on the others.
    const used = new Set(doc.edges.map((e) => `${e.from}:${e.port ?? 'out'}`))
    const openPorts = (n: FlowNode, spec: ReturnType<typeof specs.get>, old: string[] | undefined): string[] => {
      const op = portsOf(spec, n).map((p) => p.name).filter((p) => !used.has(`${n.id}:${p}`))
      return old && old.length === op.length && old.every((x, i) => x === op[i]) ? old : op
    }
    const nodes = doc.nodes.map((n): CardNode => {
      const old = cardCache.current.get(n.id)
      const spec = specs.get(n.type)
      const ps = problemsByNode.get(n.id) ?? noProblems
      const ws = warningsByNode.get(n.id) ?? noProblems
      const st = funnel?.[n.id]
      const l = lit[n.id]
      const op = openPorts(n, spec, old?.data?.open)
      const d = old?.data
      const data = d && d.node === n && d.spec === spec && d.problems === ps && d.warnings === ws && d.stats === st && d.lit === l && d.open === op
        ? d : { node: n, spec, problems: ps, warnings: ws, stats: st, lit: l, open: op }
      const isSel = pending ? sel.has(n.id) : !!old?.selected
      // React Flow skips nodes whose object is unchanged, so reuse them.
      const card = old && old.data === data && old.position === n.position && !!old.selected === isSel
        ? old : { id: n.id, type: 'card' as const, position: n.position, data, selected: isSel, ...(old?.measured ? { measured: old.measured } : {}) }
      next.set(n.id, card)
      return card
    })
    cardCache.current = next
    setRfNodes(nodes)
    const reveal = pendingReveal.current
    pendingReveal.current = null
    const n = reveal ? doc.nodes.find((x) => x.id === reveal) : undefined
    const r = wrapper.current?.getBoundingClientRect()
    if (n && r) {
      const tl = rfRef.current.flowToScreenPosition(n.position)
      const br = rfRef.current.flowToScreenPosition({ x: n.position.x + 220, y: n.position.y + 140 })
      if (tl.x < r.left || tl.y < r.top || br.x > r.right || br.y > r.bottom) {
        rfRef.current.setCenter(n.position.x + 110, n.position.y + 45, { zoom: rfRef.current.getZoom() })
      }
    }
  }, [doc, specs, problemsByNode, warningsByNode, funnel, lit])

  const selectedKey = rfNodes.filter((n) => n.selected).map((n) => n.id).join('\n')
  const selected = useMemo(() => (selectedKey ? selectedKey.split('\n') : []), [selectedKey])

  // Edges are rebuilt from the document too, reusing the objects of those
  // that did not change, so React Flow redraws only what moved.
  const edgeCache = useRef(new Map<string, AddEdgeType>())
  const rfEdges: AddEdgeType[] = useMemo(() => {
    if (!doc) return []
    const sel = new Set(selectedEdges)
    const byId = new Map(doc.nodes.map((n) => [n.id, n]))
    const nameOf = (n: FlowNode | undefined, fallback: string) => (n ? n.name || specs.get(n.type)?.title || n.id : fallback)
    const next = new Map<string, AddEdgeType>()
    const out = doc.edges.map((e) => {
      const from = byId.get(e.from)
      const spec = from ? specs.get(from.type) : undefined
      const port = e.port ?? 'out'
      const label = port === 'out' ? undefined : (from ? portsOf(spec, from).find((p) => p.name === port)?.label : undefined) ?? port
      const id = edgeKey(e)
      const fromName = nameOf(from, e.from)
      const toName = nameOf(byId.get(e.to), e.to)
      const on = !!(lit[e.from] && lit[e.to])
      const old = edgeCache.current.get(id)
      const edge = old && old.label === label && old.selected === sel.has(id) && old.animated === on &&
        old.data?.fromName === fromName && old.data?.toName === toName
        ? old
        : { id, type: 'add' as const, source: e.from, target: e.to, sourceHandle: port, label, selected: sel.has(id),
          data: { port, fromName, toName }, animated: on, className: on ? 'lit' : undefined }
      next.set(id, edge)
      return edge
    })
    edgeCache.current = next
    return out
  }, [doc, specs, selectedEdges, lit])

  const onNodesChange = useCallback((changes: NodeChange<CardNode>[]) => {
    // Moves and selection live in React Flow's state until the drag ends;
    // removals go through onDelete so that they can be undone.
    setRfNodes((ns) => {
      const out = applyNodeChanges(changes.filter((c) => c.type !== 'remove'), ns)
      // Keep what React Flow learnt (sizes, selection) for the next rebuild.
      for (const n of out) cardCache.current.set(n.id, n)
      return out
    })
  }, [])

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const sel = changes.filter((c) => c.type === 'select')
    if (sel.length) setSelectedEdges((s) => {
      const set = new Set(s)
      for (const c of sel) if (c.type === 'select') { if (c.selected) set.add(c.id); else set.delete(c.id) }
      return [...set]
    })
  }, [])

  const onSelectionChange = useCallback(({ edges }: OnSelectionChangeParams) => {
    const eids = edges.map((e) => e.id)
    setSelectedEdges((s) => (s.length === eids.length && s.every((x, i) => x === eids[i]) ? s : eids))
  }, [])

  const onNodeDragStop = useCallback((_e: unknown, _n: unknown, moved: CardNode[]) => {
    const pos = new Map(moved.map((n) => [n.id, n.position]))
    change((d) => ({ ...d, nodes: d.nodes.map((n) => (pos.has(n.id) ? { ...n, position: { x: Math.round(pos.get(n.id)!.x), y: Math.round(pos.get(n.id)!.y) } } : n)) }))
  }, [change])

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return
    const edge: FlowEdge = { from: c.source, to: c.target }
    if (c.sourceHandle && c.sourceHandle !== 'out') edge.port = c.sourceHandle
    change((d) => (d.edges.some((e) => edgeKey(e) === edgeKey(edge)) ? d : { ...d, edges: [...d.edges, edge] }))
  }, [change])

  const removeItems = useCallback((nodeIds: string[], edgeIds: string[]) => {
    if (!nodeIds.length && !edgeIds.length) return
    const ns = new Set(nodeIds)
    const es = new Set(edgeIds)
    change((d) => ({
      ...d,
      nodes: d.nodes.filter((n) => !ns.has(n.id)),
      edges: d.edges.filter((e) => !ns.has(e.from) && !ns.has(e.to) && !es.has(edgeKey(e))),
    }))
    setSelected([])
    setSelectedEdges([])
  }, [change])

  const onDelete = useCallback(({ nodes, edges }: { nodes: { id: string }[]; edges: { id: string }[] }) => {
    removeItems(nodes.map((n) => n.id), edges.map((e) => e.id))
  }, [removeItems])

  /** Adds a step of this type at the anchor, connected, and selects it. */
  const placeStep = useCallback((type: string, anchor: Anchor) => {
    const spec = specs.get(type)
    if (!spec || !hist) return
    performance.mark('add-step-start')
    const id = newNodeId(hist.present, type)
    const params = startingParams(spec, triggerFields(hist.present).map((f) => f.path.slice('trigger.'.length)))
    change((d) => addStep(d, specs, anchor, { id, type, params }))
    setSelected([id])
    pendingReveal.current = id
    setPicker(null)
    // Measured by the browser test: the next paint shows the new step.
    requestAnimationFrame(() => performance.measure('add-step', 'add-step-start'))
  }, [specs, hist, change])

  /** A palette press: after the selected step when one is selected, else in the middle of the view. */
  const addNode = useCallback((type: string, position?: { x: number; y: number }) => {
    const spec = specs.get(type)
    if (!spec || !hist) return
    const d = hist.present
    if (!position && spec.trigger && !d.nodes.some((n) => specs.get(n.type)?.trigger)) return placeStep(type, { kind: 'start' })
    const sel = selected.length === 1 ? d.nodes.find((n) => n.id === selected[0]) : undefined
    const port = sel && !spec.trigger ? freePort(d, specs.get(sel.type), sel) : undefined
    if (!position && sel && port) return placeStep(type, { kind: 'after', from: sel.id, port })
    let pos = position
    if (!pos) {
      const r = wrapper.current?.getBoundingClientRect()
      pos = rf.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 800) / 2, y: (r?.top ?? 0) + (r?.height ?? 600) / 2 })
    }
    placeStep(type, { kind: 'at', position: { x: pos.x - 110, y: pos.y - 30 } })
  }, [specs, hist, rf, selected, placeStep])

  // "+" buttons and connections dropped on empty canvas open the picker
  // next to where the user pointed.
  const openPickerAt = useCallback((anchor: Anchor, x: number, y: number) => {
    performance.mark('picker-open-start')
    const r = wrapper.current?.getBoundingClientRect()
    const left = Math.max(8, Math.min(x - (r?.left ?? 0), (r?.width ?? 800) - 340))
    const top = Math.max(8, Math.min(y - (r?.top ?? 0), (r?.height ?? 600) - 360))
    const start = anchor.kind === 'start'
    setPicker({ anchor, at: { x: left, y: top }, only: start ? 'triggers' : 'steps', title: start ? 'Choose how the journey starts' : 'Choose the next step' })
    requestAnimationFrame(() => performance.measure('picker-open', 'picker-open-start'))
  }, [])
  const actions: CanvasActions = useMemo(() => ({
    openPicker: (anchor, near) => {
      const b = near.getBoundingClientRect()
      openPickerAt(anchor, b.left + b.width / 2 - 150, b.bottom + 6)
    },
  }), [openPickerAt])

  const onConnectEnd: OnConnectEnd = useCallback((event, state) => {
    if (state.isValid || state.toNode || !state.fromNode || state.fromHandle?.type !== 'source') return
    const pt = 'changedTouches' in event ? event.changedTouches[0] : event
    const flowPos = rf.screenToFlowPosition({ x: pt.clientX, y: pt.clientY })
    openPickerAt({ kind: 'at', position: { x: flowPos.x - 110, y: flowPos.y }, from: state.fromNode.id, port: state.fromHandle.id ?? 'out' }, pt.clientX, pt.clientY)
  }, [rf, openPickerAt])

  const onDrop = useCallback((e: React.DragEvent) => {
    const type = e.dataTransfer.getData(dragType)
    if (!type) return
    e.preventDefault()
    addNode(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }))
  }, [addNode, rf])

  // Keyboard: undo/redo, copy/paste (outside text fields).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey
      if (!mod) return
      const k = e.key.toLowerCase()
      if (k === 's') { e.preventDefault(); save(); return }
      // Inside text fields the browser's own undo and copy apply.
      if ((e.target as HTMLElement).closest('input, textarea, select, [contenteditable]')) return
      if (k === 'z' && !e.shiftKey) { e.preventDefault(); setHist((h) => (h ? H.undo(h) : h)) }
      else if ((k === 'z' && e.shiftKey) || k === 'y') { e.preventDefault(); setHist((h) => (h ? H.redo(h) : h)) }
      else if (k === 'c' && doc && selected.length) {
        const ids = new Set(selected)
        clipboard.current = { nodes: doc.nodes.filter((n) => ids.has(n.id)), edges: doc.edges.filter((x) => ids.has(x.from) && ids.has(x.to)) }
      } else if (k === 'v' && clipboard.current && hist) {
        e.preventDefault()
        const { doc: next, ids } = pasteInto(hist.present, clipboard.current)
        change(() => next)
        setSelected(ids)
      }
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  })

  async function save(): Promise<boolean> {
    return doc ? saveDoc(doc) : false
  }

  /** Saves d over the revision this editor is based on; a newer save opens the conflict dialog. */
  async function saveDoc(d: FlowDoc): Promise<boolean> {
    try {
      const headers: Record<string, string> = revision.current !== undefined ? { 'If-Match': `"${revision.current}"` } : {}
      const r = await api<{ flow: { revision?: number }; problems: Problem[]; warnings?: Problem[] }>(`/flows/${encodeURIComponent(flowId)}`, { method: 'PUT', json: d, headers })
      revision.current = r.flow?.revision
      setSaved(d)
      setProblems(r.problems)
      setWarnings(r.warnings ?? [])
      setMessage(r.problems.length
        ? { kind: 'error', text: `Saved as a draft. ${r.problems.length} thing${r.problems.length > 1 ? 's' : ''} to fix before publishing; see the steps marked in red.` }
        : { kind: 'ok', text: 'Saved.' + worthChecking(r.warnings) })
      return true
    } catch (e) {
      if (e instanceof ApiError && e.code === 'revision_conflict') {
        await openConflict(d)
        return false
      }
      setMessage({ kind: 'error', text: (e as Error).message })
      if (e instanceof ApiError) setProblems(e.problems)
      return false
    }
  }

  async function openConflict(mine: FlowDoc) {
    try {
      const theirs = await api<FlowDetail>(`/flows/${encodeURIComponent(flowId)}`)
      setConflict({ theirs, base: saved ?? mine, mine })
      setMessage({ kind: 'error', text: 'Not saved yet: this journey was saved elsewhere (by someone else or in another tab) after you opened it here.' })
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    }
  }

  /** Takes their save as the new base of this editor's work. */
  function rebase(theirs: FlowDetail) {
    const d = { ...theirs.definition, nodes: theirs.definition.nodes ?? [], edges: theirs.definition.edges ?? [] }
    revision.current = theirs.revision
    setSaved(d)
    setInfo((i) => (i ? { ...i, ...theirs } : i))
    return d
  }

  async function resolveConflict(how: 'merge' | 'overwrite' | 'copy') {
    if (!conflict) return
    const { theirs, base, mine } = conflict
    setBusy(true)
    try {
      if (how === 'copy') {
        const taken = new Set((await api<{ flows: { id: string }[] }>('/flows')).flows.map((f) => f.id))
        let id = `${flowId}-copy`
        for (let i = 2; taken.has(id); i++) id = `${flowId}-copy-${i}`
        await api('/flows', { method: 'POST', json: { ...mine, id, name: `${mine.name} (your copy)` } })
        setConflict(null)
        setSaved(doc) // nothing is left unsaved here: the copy holds it
        clearUnsaved(flowId)
        navigate(`/flows/${encodeURIComponent(id)}`)
        return
      }
      const theirDoc = rebase(theirs)
      const next = how === 'merge' ? merge3(base, theirDoc, mine) : { doc: mine, conflicts: [] }
      setHist((h) => (h ? H.commit(h, next.doc) : h))
      setConflict(null)
      if (await saveDoc(next.doc)) {
        setMessage(next.conflicts.length
          ? { kind: 'error', text: `Saved with their changes and yours, except: ${next.conflicts.join(' ')}` }
          : { kind: 'ok', text: how === 'merge' ? 'Saved with their changes and yours.' : 'Saved: your version replaced theirs.' })
      }
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    } finally {
      setBusy(false)
    }
  }

  async function askPublish() {
    if (dirty && !(await save())) return
    setPanel('publish')
  }

  async function publish() {
    try {
      const r = await api<{ version: number; warnings?: Problem[] }>(`/flows/${encodeURIComponent(flowId)}/publish`, { method: 'POST', json: revision.current !== undefined ? { revision: revision.current } : {} })
      setInfo((i) => (i ? { ...i, status: 'active', version: r.version } : i))
      setProblems([])
      setWarnings(r.warnings ?? [])
      setMessage({ kind: 'ok', text: `Published as version ${r.version}. New contacts now start this journey.` + worthChecking(r.warnings) })
    } catch (e) {
      setPanel('none')
      if (e instanceof ApiError && e.code === 'revision_conflict' && doc) return openConflict(doc)
      setMessage({ kind: 'error', text: (e as Error).message })
      if (e instanceof ApiError) setProblems(e.problems)
    }
    setPanel('none')
  }

  /** "Restore this version": the version becomes the draft (an undoable change), saved at once. */
  async function restoreVersion(d: FlowDoc): Promise<boolean> {
    change(() => d)
    return saveDoc(d)
  }

  async function pause() {
    try {
      await api(`/flows/${encodeURIComponent(flowId)}/pause`, { method: 'POST' })
      setInfo((i) => (i ? { ...i, status: 'paused' } : i))
      setMessage({ kind: 'ok', text: 'Paused. No new contact starts this journey; contacts already in it carry on.' })
    } catch (e) {
      setMessage({ kind: 'error', text: (e as Error).message })
    }
  }

  // Numbers per step for the chosen period.
  useEffect(() => {
    if (!period) { setStats(null); return }
    const since = new Date(Date.now() - Number(period) * 86400_000).toISOString()
    api<StatsResponse>(`/flows/${encodeURIComponent(flowId)}/stats?since=${encodeURIComponent(since)}`).then(setStats, (e) => {
      setStats(null)
      if (e instanceof ApiError && e.status === 404) setStatsMissing(true)
      else setMessage({ kind: 'error', text: e.message })
    })
  }, [period, flowId, info?.version])

  const playRun = useCallback((run: RunDetail | null) => {
    setLit({})
    if (!run) return
    run.steps.forEach((s, i) => {
      setTimeout(() => setLit((l) => ({ ...l, [s.node_id]: s.status === 'failed' ? 'failed' : s.status === 'waiting' ? 'waiting' : 'done' })), 300 * (i + 1))
    })
  }, [])

  if (!doc || !types || !info) {
    return <section className="page">{message ? <p className="error" role="alert">{message.text}</p> : <p role="status">Loading…</p>}</section>
  }

  const one = selected.length === 1 ? doc.nodes.find((n) => n.id === selected[0]) : undefined
  const flowProblems = problems.filter((p) => !p.node_id)

  return (
    <div className="editor">
      <div className="toolbar" role="toolbar" aria-label="Journey">
        <Link to="/flows" className="back">← Journeys</Link>
        <h1 className="flow-name">{doc.name || flowId}</h1>
        <span className={`badge ${info.status}`}>{info.status === 'active' ? `Active (v${info.version})` : info.status === 'paused' ? 'Paused' : 'Draft'}</span>
        {unpublished && <span className="badge changes" role="status">Changes not published</span>}
        {dirty && <span className="unsaved" role="status">Unsaved changes</span>}
        <span className="spacer" />
        <button type="button" onClick={() => setHist((h) => (h ? H.undo(h) : h))} disabled={!hist?.past.length} aria-keyshortcuts="Control+Z">Undo</button>
        <button type="button" onClick={() => setHist((h) => (h ? H.redo(h) : h))} disabled={!hist?.future.length} aria-keyshortcuts="Control+Shift+Z">Redo</button>
        <button type="button" onClick={() => { change((d) => autoLayout(d, specs)); requestAnimationFrame(() => rf.fitView({ padding: 0.2, maxZoom: 1 })) }}>Tidy up</button>
        <label className="inline" htmlFor="period">Numbers</label>
        <select id="period" value={period} onChange={(e) => setPeriod(e.target.value)}>
          <option value="">Hidden</option>
          <option value="1">Last 24 hours</option>
          <option value="7">Last 7 days</option>
          <option value="30">Last 30 days</option>
          <option value="3650">All time</option>
        </select>
        <button type="button" onClick={() => setPanel(panel === 'test' ? 'none' : 'test')} aria-pressed={panel === 'test'}>Test</button>
        <button type="button" onClick={() => { setPanel(panel === 'history' ? 'none' : 'history'); setLit({}) }} aria-pressed={panel === 'history'}>History</button>
        <button type="button" onClick={save} aria-keyshortcuts="Control+S">Save</button>
        {info.status === 'active' && <button type="button" onClick={pause}>Pause</button>}
        <button type="button" className="primary" onClick={askPublish}>Publish</button>
      </div>
      {message && (
        <div className={message.kind === 'ok' ? 'notice' : 'error-box'} role={message.kind === 'ok' ? 'status' : 'alert'}>
          {message.text}
          {flowProblems.length > 0 && <ul>{flowProblems.map((p, i) => <li key={i}>{p.message}</li>)}</ul>}
          <button type="button" className="link" onClick={() => setMessage(null)} aria-label="Dismiss message">×</button>
        </div>
      )}
      {restore && (
        <div className="notice restore-bar" role="status">
          <span>Changes you made on {new Date(restore.at).toLocaleString()} were not saved. They are kept in this browser.</span>
          <button type="button" className="primary" onClick={() => {
            revision.current = restore.revision
            setSaved(restore.base)
            setHist((h) => (h ? H.commit(h, restore.doc) : h))
            setRestore(null)
          }}>Restore unsaved changes</button>
          <button type="button" onClick={() => { clearUnsaved(flowId); setRestore(null) }}>Discard them</button>
        </div>
      )}
      {conflict && <ConflictDialog theirs={conflict.theirs} base={conflict.base} mine={conflict.mine} busy={busy}
        onMerge={() => resolveConflict('merge')} onOverwrite={() => resolveConflict('overwrite')} onCopy={() => resolveConflict('copy')}
        onCancel={() => setConflict(null)} />}
      {statsMissing && period && <p className="notice" role="status">Numbers per step are not available on this server yet.</p>}
      {stats && <p className="notice" role="status" data-testid="journey-numbers">{headline(stats)}</p>}
      {panel === 'publish' && <PublishDialog flowId={flowId} info={info} doc={doc} specs={specs} warnings={warnings} onPublish={publish} onCancel={() => setPanel('none')} />}
      <div className="editor-body">
        <Palette types={types} onAdd={(t) => addNode(t)} />
        <div className="canvas" ref={wrapper} data-checking={checking || undefined} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move' }} onDrop={onDrop}>
          <CanvasActionsContext.Provider value={actions}>
          <ReactFlow<CardNode, AddEdgeType>
            nodes={rfNodes}
            edges={rfEdges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            onConnectEnd={onConnectEnd}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onSelectionChange={onSelectionChange}
            onNodeDragStop={onNodeDragStop}
            onConnect={onConnect}
            onDelete={onDelete}
            deleteKeyCode={['Backspace', 'Delete']}
            multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
            selectionKeyCode="Shift"
            onlyRenderVisibleElements={doc.nodes.length > 500}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
            aria-label="Journey canvas"
          >
            <Background gap={20} />
            <Controls aria-label="Zoom" fitViewOptions={{ padding: 0.2, maxZoom: 1 }} />
            {panel !== 'test' && <MiniMap pannable zoomable ariaLabel="Overview of the journey" />}
          </ReactFlow>
          </CanvasActionsContext.Provider>
          {doc.nodes.length === 0 && !picker && (
            <div className="canvas-empty">
              <p>Every journey starts with what sets it off: a chat that finished, a sign-up, a date.</p>
              <button type="button" className="primary" onClick={(e) => { const b = e.currentTarget.getBoundingClientRect(); openPickerAt({ kind: 'start' }, b.left, b.bottom + 6) }}>
                Choose how the journey starts
              </button>
            </div>
          )}
          {picker && <StepPicker types={types} title={picker.title} only={picker.only} at={picker.at}
            onPick={(t) => placeStep(t, picker.anchor)} onClose={() => setPicker(null)} />}
        </div>
        <SidePanel key={one?.id ?? 'flow'} doc={doc} node={one} spec={one ? specs.get(one.type) : undefined} selectedCount={selected.length}
          problems={one ? problemsByNode.get(one.id) ?? noProblems : flowProblems}
          warnings={one ? warningsByNode.get(one.id) ?? noProblems : noProblems}
          change={change} specs={specs} resultsPeriod={period ? `${Math.min(Number(period), 366)}d` : '30d'}
          onDelete={() => removeItems(selected, [])} />
      </div>
      {panel === 'test' && <TestPanel flowId={flowId} doc={doc} specs={specs} beforeRun={async () => !dirty || save()} onRun={playRun}
        onClose={() => { setPanel('none'); setLit({}) }} />}
      {panel === 'history' && <HistoryPanel flowId={flowId} refreshKey={historyKey} onHighlight={setLit} onRestore={restoreVersion}
        onClose={() => { setPanel('none'); setLit({}) }} />}
    </div>
  )
}
