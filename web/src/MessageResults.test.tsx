import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { MessageResultsTable, StepMessageResults, groupResults } from './MessageResults'
import type { MessageStep } from './results'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const zero = { tried: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, read: 0, failed: 0, bounced: 0, complained: 0, unsubscribed: 0 }
function step(node: string, channel: string, variant: string | undefined, counts: Partial<typeof zero>, rates: Record<string, number | null>): MessageStep {
  return { flow_id: 'ab', flow_name: 'Welcome test', node_id: node, node_name: node === 'email' ? 'Welcome email' : 'Reminder text', channel, variant, ...zero, ...counts, rates }
}

const totals = [
  step('email', 'email', '', { sent: 6, delivered: 3, opened: 2, clicked: 1, bounced: 3 }, { delivered: 0.5, opened: 2 / 3, clicked: 1 / 3, bounced: 0.5, complained: 0, unsubscribed: 0 }),
  step('sms', 'sms', '', { sent: 1, delivered: 1, tried: 1 }, { delivered: 1, failed: 0 }),
]
const byVariant = [
  step('email', 'email', 'a', { sent: 4, delivered: 3, opened: 2, clicked: 1, bounced: 1 }, { delivered: 0.75, opened: 2 / 3, clicked: 1 / 3, bounced: 0.25, complained: 0, unsubscribed: 0 }),
  step('email', 'email', 'b', { sent: 2, bounced: 2 }, { delivered: 0, opened: null, clicked: null, bounced: 1, complained: null, unsubscribed: null }),
  step('sms', 'sms', '', { sent: 1, delivered: 1, tried: 1 }, { delivered: 1, failed: 0 }),
]

function serve() {
  const urls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    urls.push(url)
    if (url.startsWith('/api/v1/analytics/messages?')) return Response.json({ steps: url.includes('by_variant=true') ? byVariant : totals })
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
  return urls
}

describe('message step results', () => {
  it('groups each step with its A/B paths, and leaves out a lone row without a path', () => {
    const g = groupResults(totals, byVariant)
    expect(g.map((r) => [r.total.node_id, r.variants.map((v) => v.variant)])).toEqual([['email', ['a', 'b']], ['sms', []]])
  })

  it('shows the Inbox table: each step with counts and rates, then each path, for the chosen period', async () => {
    const urls = serve()
    render(<MessageResultsTable />)
    const table = await screen.findByRole('table', { name: 'Results of each message step' })
    const rows = within(table).getAllByRole('row').slice(1).map((r) => Array.from(r.children).map((c) => c.textContent))
    expect(rows).toEqual([
      ['Welcome test', 'Welcome email', 'Email', '6', '3 (50.0%)', '2 (66.7%)', '1 (33.3%)', '—', '—', '3 (50.0%)', '0 (0.0%)', '0 (0.0%)'],
      ['', '↳ Path a', '', '4', '3 (75.0%)', '2 (66.7%)', '1 (33.3%)', '—', '—', '1 (25.0%)', '0 (0.0%)', '0 (0.0%)'],
      // Nothing delivered on path b: no open rate, a dash.
      ['', '↳ Path b', '', '2', '0 (0.0%)', '0 (—)', '0 (—)', '—', '—', '2 (100.0%)', '0 (—)', '0 (—)'],
      ['Welcome test', 'Reminder text', 'SMS', '1', '1 (100.0%)', '—', '—', '—', '0 (0.0%)', '—', '—', '—'],
    ])
    expect(urls).toContain('/api/v1/analytics/messages?period=30d')
    expect(urls).toContain('/api/v1/analytics/messages?period=30d&by_variant=true')
    fireEvent.change(screen.getByLabelText('Period'), { target: { value: '7d' } })
    await waitFor(() => expect(urls).toContain('/api/v1/analytics/messages?period=7d&by_variant=true'))
  })

  it('shows the selected step its own results, one column per path', async () => {
    const urls = serve()
    render(<StepMessageResults flowId="ab" nodeId="email" period="7d" />)
    const table = await screen.findByRole('table', { name: 'Email results of this step' })
    expect(screen.getByText('Last 7 days; choose another period under Numbers.')).toBeTruthy()
    const rows = within(table).getAllByRole('row').map((r) => Array.from(r.children).map((c) => c.textContent))
    expect(rows).toEqual([
      ['Email', 'All', 'Path a', 'Path b'],
      ['Sent', '6', '4', '2'],
      ['Delivered', '3 (50.0%)', '3 (75.0%)', '0 (0.0%)'],
      ['Opened', '2 (66.7%)', '2 (66.7%)', '0 (—)'],
      ['Clicked', '1 (33.3%)', '1 (33.3%)', '0 (—)'],
      ['Bounced', '3 (50.0%)', '1 (25.0%)', '2 (100.0%)'],
      ['Marked as spam', '0 (0.0%)', '0 (0.0%)', '0 (—)'],
      ['Unsubscribed', '0 (0.0%)', '0 (0.0%)', '0 (—)'],
    ])
    expect(urls).toContain('/api/v1/analytics/messages?period=7d&flow=ab&by_variant=true')
  })

  it('tells a step with no messages yet, and a server without results stays quiet', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })))
    render(<StepMessageResults flowId="ab" nodeId="email" period="30d" />)
    await screen.findByText('No messages from this step in this period yet.')
    expect(screen.queryByRole('alert')).toBeNull()
  })
})
