import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import axe from 'axe-core'
import { ExperimentPanel, everyoneDownTheWinner, type Experiment } from './ExperimentPanel'
import type { FlowDoc, FlowNode } from '../api'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const split: FlowNode = { id: 'split', type: 'logic.split', name: 'Subject test', position: { x: 0, y: 0 },
  params: { branches: [{ name: 'a', weight: 50 }, { name: 'b', weight: 50 }] } }

const won: Experiment = {
  node_id: 'split', name: 'Subject test', winner: 'b', confidence: 0.9645, min_sample_per_path: 50,
  verdict: 'Path b converts better, 96% confidence.',
  variants: [
    { name: 'a', weight: 50, entries: 1000, conversions: 100, conversion_rate: 0.1, uplift: null, confidence: 0, enough_data: true },
    { name: 'b', weight: 50, entries: 1000, conversions: 130, conversion_rate: 0.13, uplift: 0.3, confidence: 0.9645, enough_data: true },
  ],
}

function serve(exp: Experiment) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url === '/api/v1/flows/ab/experiments') return Response.json({ experiments: [exp] })
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
}

describe('ExperimentPanel', () => {
  it('shows each path with its rate, change against the control, confidence and the verdict', async () => {
    serve(won)
    const { container } = render(<ExperimentPanel flowId="ab" node={split} change={vi.fn()} />)
    expect((await screen.findByText('Path b converts better, 96% confidence.')).closest('[role=status]')).toBeTruthy()
    const table = screen.getByRole('table')
    const rows = within(table).getAllByRole('row').map((r) => Array.from(r.children).map((c) => c.textContent))
    expect(rows).toEqual([
      ['Path', 'Entered', 'Converted', 'Conversion rate', 'Change vs control', 'Confidence'],
      ['a (control)', '1000', '100', '10%', '–', '–'],
      ['b', '1000', '130', '13%', '+30%', '96%'],
    ])
    expect(screen.getByText(/two-proportion z-test/).textContent).toContain('about 50 contacts per path')
    const res = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(res.violations.map((v) => v.id)).toEqual([])
  })

  it('sends everyone down the winner as one change to the draft', async () => {
    serve(won)
    const change = vi.fn()
    render(<ExperimentPanel flowId="ab" node={split} change={change} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Send everyone down the winner (b)' }))
    expect(change).toHaveBeenCalledTimes(1)
    const doc = { id: 'ab', name: 'AB', nodes: [split], edges: [] } as unknown as FlowDoc
    const next = change.mock.calls[0][0](doc) as FlowDoc
    expect(next.nodes[0].params?.branches).toEqual([{ name: 'a', weight: 0 }, { name: 'b', weight: 100 }])
    expect(screen.getByText(/Publish to make it live/)).toBeTruthy()
  })

  it('offers no winner while there is not enough data, nor once everyone goes down it', async () => {
    serve({ ...won, winner: '', verdict: 'Not enough data yet: each path needs about 50 contacts and at least 5 conversions.' })
    render(<ExperimentPanel flowId="ab" node={split} change={vi.fn()} />)
    expect(await screen.findByText(/Not enough data yet/)).toBeTruthy()
    expect(screen.queryByRole('button')).toBeNull()
    cleanup()
    serve(won)
    render(<ExperimentPanel flowId="ab" node={everyoneDownTheWinner(split, 'b')} change={vi.fn()} />)
    expect(await screen.findByText(/Path b converts better/)).toBeTruthy()
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('says there are no results yet for a split the server does not know', async () => {
    serve({ ...won, node_id: 'other' })
    render(<ExperimentPanel flowId="ab" node={split} change={vi.fn()} />)
    expect(await screen.findByText(/No results yet: save this split/)).toBeTruthy()
    expect(screen.queryByRole('table')).toBeNull()
  })
})
