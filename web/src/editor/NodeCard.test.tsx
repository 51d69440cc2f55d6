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
