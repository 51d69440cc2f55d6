import { describe, expect, it } from 'vitest'
import type { FlowDoc, TypeSpec } from '../api'
import { addStep, autoLayout, pasteInto, portsOf, samplePayload, startingParams } from './model'
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
    expect(describeNode({ type: 'crm.assign_owner', params: { team: [{ user: 'maria@example.com' }, { user: 'li@example.com' }] } }))
      .toBe('Give the lead to maria, li, in turn')
    expect(describeNode({ type: 'crm.assign_owner', params: { team: [{ user: 'maria@example.com' }], strategy: 'fewest_open_deals' } }))
      .toBe('Give the lead to maria, to whoever has the fewest open deals')
    expect(humanDuration('1h30m')).toBe('1 hour 30 minutes')
  })
})

describe('adding steps', () => {
  const ifSpec: TypeSpec = { type: 'logic.if', version: 1, category: 'logic', title: 'If / else', description: '', outputs: [{ name: 'yes', label: 'Yes' }, { name: 'no', label: 'No' }], params: [] }
  const stepSpec: TypeSpec = { type: 'crm.score', version: 1, category: 'crm', title: 'Score', description: '', outputs: [{ name: 'out', label: '' }], params: [] }
  const upsert: TypeSpec = { type: 'crm.upsert_contact', version: 1, category: 'crm', title: 'Upsert', description: '', outputs: [{ name: 'out', label: '' }],
    params: ['email', 'name', 'first_name', 'last_name', 'phone', 'company', 'target'].map((n) => ({ name: n, label: n, kind: 'template' as const })) }
  const all = new Map<string, TypeSpec>([...specs, ['logic.if', ifSpec], ['crm.score', stepSpec], ['crm.upsert_contact', upsert]])
  const chain: FlowDoc = {
    id: 'c', name: 'C', settings: {},
    nodes: [
      { id: 'start', type: 'trigger.webhook', position: { x: 0, y: 0 } },
      { id: 'a', type: 'crm.score', position: { x: 0, y: 150 } },
      { id: 'b', type: 'crm.score', position: { x: 0, y: 300 } },
    ],
    edges: [{ from: 'start', to: 'a' }, { from: 'a', to: 'b' }],
  }
  const at = (d: FlowDoc, id: string) => d.nodes.find((n) => n.id === id)!.position

  it('puts a step below the port it follows, connected', () => {
    const d = addStep(chain, all, { kind: 'after', from: 'b', port: 'out' }, { id: 'c', type: 'crm.score' })
    expect(at(d, 'c')).toEqual({ x: 0, y: 450 })
    expect(d.edges).toContainEqual({ from: 'b', to: 'c' })
  })

  it('gives each path of a branching step its own column', () => {
    const withIf = addStep(chain, all, { kind: 'after', from: 'b', port: 'out' }, { id: 'if', type: 'logic.if' })
    const yes = addStep(withIf, all, { kind: 'after', from: 'if', port: 'yes' }, { id: 'y', type: 'crm.score' })
    const both = addStep(yes, all, { kind: 'after', from: 'if', port: 'no' }, { id: 'n', type: 'crm.score' })
    expect(at(both, 'y').x).toBeLessThan(at(both, 'n').x)
    expect(at(both, 'y').y).toBe(at(both, 'n').y)
    expect(both.edges).toContainEqual({ from: 'if', port: 'yes', to: 'y' })
    expect(both.edges).toContainEqual({ from: 'if', port: 'no', to: 'n' })
  })

  it('inserts between two steps and moves the rest down', () => {
    const d = addStep(chain, all, { kind: 'between', from: 'a', port: 'out', to: 'b' }, { id: 'm', type: 'crm.score' })
    expect(at(d, 'm')).toEqual({ x: 0, y: 300 })
    expect(at(d, 'b')).toEqual({ x: 0, y: 450 })
    expect(at(d, 'a')).toEqual({ x: 0, y: 150 })
    expect(d.edges).toEqual([{ from: 'start', to: 'a' }, { from: 'a', to: 'm' }, { from: 'm', to: 'b' }])
  })

  it('never places a step on top of another', () => {
    // "a" has a second, unconnected step right below it.
    const crowded: FlowDoc = { ...chain, edges: [{ from: 'start', to: 'a' }] }
    const d = addStep(crowded, all, { kind: 'after', from: 'a', port: 'out' }, { id: 'n', type: 'crm.score' })
    expect(at(d, 'n')).toEqual({ x: 0, y: 300 })
    expect(at(d, 'b').y).toBeGreaterThanOrEqual(450)
  })

  it('puts a new trigger above the first step and connects it', () => {
    const headless: FlowDoc = { ...chain, nodes: chain.nodes.slice(1), edges: [{ from: 'a', to: 'b' }] }
    const d = addStep(headless, all, { kind: 'start' }, { id: 'start', type: 'trigger.webhook' })
    expect(at(d, 'start').y).toBeLessThan(at(d, 'a').y)
    expect(d.edges).toContainEqual({ from: 'start', to: 'a' })
  })

  it('fills a new contact upsert from the trigger fields', () => {
    expect(startingParams(upsert, ['email', 'name', 'phone', 'company', 'transcript'])).toEqual({
      email: '{{ trigger.email }}', name: '{{ trigger.name }}', phone: '{{ trigger.phone }}', company: '{{ trigger.company }}',
    })
    expect(startingParams(upsert, ['email', 'first_name', 'last_name'])).toEqual({
      email: '{{ trigger.email }}', first_name: '{{ trigger.first_name }}', last_name: '{{ trigger.last_name }}',
    })
    expect(startingParams(upsert, [])).toEqual({})
  })
})
