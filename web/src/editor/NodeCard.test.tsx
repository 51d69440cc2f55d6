import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import { ReactFlowProvider, type NodeProps } from '@xyflow/react'
import { NodeCard, type CardNode } from './NodeCard'
import { funnelOf } from './funnel'
import type { TypeSpec } from '../api'

afterEach(cleanup)

const spec = { type: 'logic.if', title: 'If', category: 'logic', params: [], outputs: [{ name: 'yes', label: 'Yes' }, { name: 'no', label: 'No' }] } as unknown as TypeSpec
const node = { id: 'is_hot', type: 'logic.if', name: 'Is it a hot lead?', position: { x: 0, y: 0 } }

describe('NodeCard numbers', () => {
  it('shows the funnel: entered, share of entries, drop-off, converted and each path with its share', () => {
    const f = funnelOf({
      since: '2026-12-01T00:00:00Z', converted: 23, waiting: 0, entries: 400,
      nodes: { is_hot: { entered: 200, waiting: 0, failed: 0, converted: 23, ports: { yes: 50, no: 140 } } },
    })
    const props = { id: 'is_hot', data: { node, spec, problems: [], stats: f.is_hot }, selected: false } as unknown as NodeProps<CardNode>
    render(<ReactFlowProvider><NodeCard {...props} /></ReactFlowProvider>)
    expect(Array.from(screen.getByTestId('node-stats').children).map((c) => c.textContent)).toEqual(
      ['200 entered', '50% of entries', '10 dropped off (5%)', '23 converted'])
    expect(screen.getByText('Yes · 50 (25%)')).toBeTruthy()
    expect(screen.getByText('No · 140 (70%)')).toBeTruthy()
  })
})

describe('NodeCard warnings', () => {
  const sms = { id: 'sms', type: 'message.sms', name: 'Send welcome SMS', position: { x: 0, y: 0 }, params: { body: 'Hi' } }
  const smsSpec = { type: 'message.sms', title: 'Send SMS', category: 'message', params: [], outputs: [{ name: 'sent', label: 'Sent' }, { name: 'failed', label: 'Not sent' }] } as unknown as TypeSpec
  const warning = { code: 'contact_field_missing', node_id: 'sms', severity: 'warning' as const,
    message: '"Send welcome SMS" sends to the contact\'s phone number, but no step before it saves a phone number and the trigger does not provide one: people without a phone number will be skipped.' }

  it('shows a warning in plain words, apart from problems and milder', () => {
    const props = { id: 'sms', data: { node: sms, spec: smsSpec, problems: [], warnings: [warning] }, selected: false } as unknown as NodeProps<CardNode>
    const { container } = render(<ReactFlowProvider><NodeCard {...props} /></ReactFlowProvider>)
    expect(screen.getByTestId('node-warnings').textContent).toContain('people without a phone number will be skipped')
    expect(screen.queryByTestId('node-problems')).toBeNull()
    const card = container.querySelector('.card-node')!
    expect(card.classList.contains('has-warnings')).toBe(true)
    expect(card.classList.contains('has-problems')).toBe(false)
  })

  it('marks a step with a problem as a problem, even with warnings', () => {
    const problem = { code: 'missing_param', node_id: 'sms', param: 'body', message: 'Write the text.' }
    const props = { id: 'sms', data: { node: sms, spec: smsSpec, problems: [problem], warnings: [warning] }, selected: false } as unknown as NodeProps<CardNode>
    const { container } = render(<ReactFlowProvider><NodeCard {...props} /></ReactFlowProvider>)
    const card = container.querySelector('.card-node')!
    expect(card.classList.contains('has-problems')).toBe(true)
    expect(card.classList.contains('has-warnings')).toBe(false)
    expect(screen.getByTestId('node-problems').textContent).toContain('Write the text.')
    expect(screen.getByTestId('node-warnings').textContent).toContain('phone number')
  })
})
