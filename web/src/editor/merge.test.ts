import { describe, expect, it } from 'vitest'
import type { FlowDoc } from '../api'
import { describeDiff, diffDocs, merge3 } from './merge'

const base: FlowDoc = {
  id: 'w', name: 'Welcome', description: 'old', settings: {},
  nodes: [
    { id: 'start', type: 'trigger.event', name: 'Signed up', params: { event_type: 'signup' }, position: { x: 0, y: 0 } },
    { id: 'mail', type: 'message.email', name: 'Welcome email', params: { subject: 'Hi' }, position: { x: 0, y: 150 } },
    { id: 'wait', type: 'wait.delay', name: 'Wait', params: { duration: '2d' }, position: { x: 0, y: 300 } },
  ],
  edges: [{ from: 'start', to: 'mail' }, { from: 'mail', to: 'wait' }],
}

describe('diffDocs', () => {
  it('names steps added, removed and changed', () => {
    const b: FlowDoc = { ...base, description: 'new', nodes: [base.nodes[0], { ...base.nodes[1], params: { subject: 'Hello' } },
      { id: 'sms', type: 'message.sms', name: 'SMS', params: {}, position: { x: 0, y: 300 } }], edges: [base.edges[0], { from: 'mail', to: 'sms' }] }
    const d = diffDocs(base, b)
    expect(d.added.map((s) => s.name)).toEqual(['SMS'])
    expect(d.removed.map((s) => s.name)).toEqual(['Wait'])
    expect(d.changed).toEqual([{ id: 'mail', name: 'Welcome email', fields: ['settings'] }])
    expect(d.journey).toEqual(['description', 'connections'])
    expect(describeDiff(d)).toContain('Added the step “SMS”.')
  })
})

describe('merge3', () => {
  it('keeps their description change and reapplies my deleted step', () => {
    const theirs = { ...base, description: 'theirs' }
    const mine = { ...base, nodes: base.nodes.slice(0, 2), edges: base.edges.slice(0, 1) }
    const m = merge3(base, theirs, mine)
    expect(m.conflicts).toEqual([])
    expect(m.doc.description).toBe('theirs')
    expect(m.doc.nodes.map((n) => n.id)).toEqual(['start', 'mail'])
    expect(m.doc.edges).toEqual([{ from: 'start', to: 'mail' }])
  })

  it('merges changes to different fields of one step and reports a clash on the same field', () => {
    const theirs = { ...base, nodes: base.nodes.map((n) => (n.id === 'mail' ? { ...n, params: { subject: 'Theirs' } } : n)) }
    const moved = { ...base, nodes: base.nodes.map((n) => (n.id === 'mail' ? { ...n, position: { x: 50, y: 150 } } : n)) }
    const a = merge3(base, theirs, moved)
    expect(a.conflicts).toEqual([])
    expect(a.doc.nodes[1]).toEqual({ ...base.nodes[1], params: { subject: 'Theirs' }, position: { x: 50, y: 150 } })
    const clash = { ...base, nodes: base.nodes.map((n) => (n.id === 'mail' ? { ...n, params: { subject: 'Mine' } } : n)) }
    const b = merge3(base, theirs, clash)
    expect(b.doc.nodes[1].params).toEqual({ subject: 'Theirs' })
    expect(b.conflicts).toEqual(['The settings of “Welcome email” was changed in both; theirs is kept.'])
  })

  it('adds both sides’ new steps, renaming mine when the ids clash', () => {
    const sms = { id: 'sms', type: 'message.sms', name: 'Their SMS', params: {}, position: { x: 0, y: 450 } }
    const theirs = { ...base, nodes: [...base.nodes, sms], edges: [...base.edges, { from: 'wait', to: 'sms' }] }
    const mySms = { ...sms, name: 'My SMS', position: { x: 300, y: 450 } }
    const mine = { ...base, nodes: [...base.nodes, mySms], edges: [...base.edges, { from: 'wait', to: 'sms' }] }
    const m = merge3(base, theirs, mine)
    expect(m.doc.nodes.map((n) => `${n.id}:${n.name}`)).toEqual(['start:Signed up', 'mail:Welcome email', 'wait:Wait', 'sms:Their SMS', 'sms_2:My SMS'])
    expect(m.doc.edges).toContainEqual({ from: 'wait', to: 'sms_2' })
  })

  it('keeps a step they changed even if I deleted it, and says so', () => {
    const theirs = { ...base, nodes: base.nodes.map((n) => (n.id === 'wait' ? { ...n, params: { duration: '3d' } } : n)) }
    const mine = { ...base, nodes: base.nodes.slice(0, 2), edges: base.edges.slice(0, 1) }
    const m = merge3(base, theirs, mine)
    expect(m.doc.nodes.map((n) => n.id)).toContain('wait')
    expect(m.conflicts[0]).toContain('You deleted “Wait”')
  })
})
