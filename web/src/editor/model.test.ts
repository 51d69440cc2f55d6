import { describe, expect, it } from 'vitest'
import type { FlowDoc, TypeSpec } from '../api'
import { autoLayout, pasteInto, portsOf, samplePayload } from './model'
import * as H from './history'
import { describeNode, humanDuration } from '../describe'

const doc: FlowDoc = {
  id: 'f', name: 'F', settings: {},
  nodes: [
    { id: 'start', type: 'trigger.webhook', params: { path: 'x' }, position: { x: 0, y: 0 } },
    { id: 'if', type: 'logic.if', params: { condition: '(trigger.score ?? 0) >= 50' }, position: { x: 0, y: 0 } },
    { id: 'deal', type: 'crm.create_deal', params: { title: 'Lead {{ trigger.name }}' }, position: { x: 0, y: 0 } },
  ],
  edges: [{ from: 'start', to: 'if' }, { from: 'if', port: 'yes', to: 'deal' }],
}
const specs = new Map<string, TypeSpec>([
  ['trigger.webhook', { type: 'trigger.webhook', version: 1, category: 'trigger', title: 'Webhook', description: '', outputs: [{ name: 'out', label: 'Next' }], params: [], trigger: true }],
])

describe('model', () => {
  it('lays out layers from the trigger down', () => {
    const d = autoLayout(doc, specs)
    const y = Object.fromEntries(d.nodes.map((n) => [n.id, n.position.y]))
    expect(y.start).toBeLessThan(y.if)
    expect(y.if).toBeLessThan(y.deal)
  })

  it('pastes copies with new ids and their inner connections', () => {
    const { doc: next, ids } = pasteInto(doc, { nodes: doc.nodes.slice(1), edges: [doc.edges[1]] })
    expect(ids).toEqual(['if_2', 'create_deal'])
    expect(next.nodes).toHaveLength(5)
    expect(next.edges).toContainEqual({ from: 'if_2', port: 'yes', to: 'create_deal' })
  })

  it('adds one port per switch case', () => {
    const spec: TypeSpec = { type: 'logic.switch', version: 1, category: 'logic', title: 'Choose', description: '', outputs: [{ name: 'default', label: 'Otherwise' }], dynamic_ports: 'cases', params: [] }
    expect(portsOf(spec, { id: 's', type: 'logic.switch', params: { cases: [{ name: 'big' }, { name: 'small' }] }, position: { x: 0, y: 0 } }).map((p) => p.name))
      .toEqual(['small', 'big', 'default'])
  })

  it('builds a sample payload from the trigger names the journey uses', () => {
    expect(samplePayload(doc)).toEqual({ score: 72, name: 'Ada Lovelace' })
  })

  it('undoes and redoes whole documents', () => {
    let h = H.start(doc)
    const without = { ...doc, nodes: doc.nodes.slice(0, 2) }
    h = H.commit(h, without)
    h = H.undo(h)
    expect(h.present).toBe(doc)
    h = H.redo(h)
    expect(h.present).toBe(without)
  })

  it('makes one undo step of quick edits to the same step', () => {
    let h = H.start(doc)
    const a = { ...doc, name: 'A' }, ab = { ...doc, name: 'AB' }, other = { ...doc, name: 'X' }
    h = H.commit(h, a, 'node:if', 1000)
    h = H.commit(h, ab, 'node:if', 1500)
    expect(H.undo(h).present).toBe(doc)
    h = H.commit(h, other, 'node:if', 5000) // a pause starts a new step
    expect(H.undo(h).present).toBe(ab)
  })
})

describe('sentences', () => {
  it('says what a step does', () => {
    expect(describeNode({ type: 'wait.delay', params: { duration: '2d' } })).toBe('Wait 2 days')
    expect(describeNode({ type: 'logic.if', params: { condition: 'contact.lead_score >= 50' } })).toBe('If lead score is at least 50')
    expect(describeNode({ type: 'crm.score', params: { points: -5 } })).toBe('Take 5 from the lead score')
    expect(humanDuration('1h30m')).toBe('1 hour 30 minutes')
  })
})
