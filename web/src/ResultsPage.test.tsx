import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import ResultsPage from './ResultsPage'
import { countChange, rateChange, pct, duration } from './results'

// The canvas chart is not drawn in jsdom; the table carries the numbers.
vi.mock('./ResultsChart', () => ({ default: () => null }))

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const channel = (o: Partial<Record<string, number>>, rates: Record<string, number | null>) => ({
  tried: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, read: 0, failed: 0, bounced: 0, complained: 0, unsubscribed: 0, ...o, rates,
})
const report = (o: Record<string, unknown>) => ({
  entries: 0, conversions: 0, conversion_rate: null, leads: 0, chats_started: 0, capture_rate: null,
  qualified_leads: 0, qualified_rate: null, deals_created: 0, deal_value: 0, won_deals: 0, won_value: 0,
  channels: { email: channel({}, {}), sms: channel({}, {}), whatsapp: channel({}, {}) },
  first_contact: { measured: 0, median_seconds: null, p90_seconds: null }, ...o,
})
const summary = {
  flow: '', since: '2026-11-06T00:00:00Z', until: '2026-12-06T00:00:00Z', previous_since: '2026-10-07T00:00:00Z', stage: 'qualified', attribution_days: 30,
  current: report({
    entries: 40, conversions: 10, conversion_rate: 0.25, leads: 30, chats_started: 60, capture_rate: 0.5, qualified_leads: 6, qualified_rate: 0.2,
    deals_created: 5, deal_value: 12500, won_deals: 2, won_value: 4000,
    channels: {
      email: channel({ tried: 20, sent: 20, delivered: 18, opened: 9, clicked: 3, bounced: 2 }, { delivered: 0.9, opened: 0.5, clicked: 1 / 6, bounced: 0.1, complained: 0, unsubscribed: 0, read: 0, failed: 0 }),
      sms: channel({}, { delivered: null, failed: null }),
      whatsapp: channel({ tried: 4, sent: 3, delivered: 3, read: 2, failed: 1 }, { delivered: 1, read: 2 / 3, failed: 0.25 }),
    },
    first_contact: { measured: 12, median_seconds: 300, p90_seconds: 7200 },
  }),
  previous: report({ entries: 20, leads: 20, chats_started: 50, capture_rate: 0.4, first_contact: { measured: 3, median_seconds: 600, p90_seconds: 900 } }),
}
const points = [
  { start: '2026-12-04', day: '2026-12-04', entries: 3, conversions: 1, leads: 2, emails_sent: 2, emails_opened: 1 },
  { start: '2026-12-05', day: '2026-12-05', entries: 0, conversions: 0, leads: 0, emails_sent: 0, emails_opened: 0 },
]

function serve() {
  const urls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    urls.push(url)
    if (url === '/api/v1/flows') return Response.json({ flows: [{ id: 'chat', name: 'Chat leads', status: 'active' }] })
    if (url.startsWith('/api/v1/analytics/summary?')) return Response.json(summary)
    if (url.startsWith('/api/v1/analytics/series?')) return Response.json({ interval: 'day', points })
    if (url.startsWith('/api/v1/analytics/messages?')) return Response.json({ steps: [
      { flow_id: 'chat', flow_name: 'Chat leads', node_id: 'welcome', node_name: 'Welcome email', channel: 'email',
        ...channel({ tried: 10, sent: 10, delivered: 8, opened: 4, clicked: 1 }, { delivered: 0.8, opened: 0.5, clicked: 0.125, bounced: 0, unsubscribed: null }) },
    ] })
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
  return urls
}

const tile = (name: string) => screen.getAllByRole('listitem').find((li) => li.querySelector('.kpi-label')?.textContent === name)!

describe('Results page', () => {
  it('shows each key result with its change against the previous period', async () => {
    serve()
    render(<ResultsPage path="/results" />)
    await screen.findByRole('list', { name: 'Key results' })
    expect(tile('Leads captured').textContent).toContain('30')
    expect(tile('Leads captured').textContent).toContain('up 50% vs previous period')
    expect(tile('Capture rate').textContent).toContain('50.0%')
    expect(tile('Capture rate').textContent).toContain('up 10.0 pts')
    expect(tile('Won value').textContent).toContain('4,000')
    expect(tile('Time to first contact').textContent).toContain('5 min')
    expect(tile('Time to first contact').textContent).toContain('5 min faster')
    expect(tile('Time to first contact').textContent).toContain('9 in 10 within 2.0 h')
    // No previous rate: nothing to compare, never NaN.
    expect(tile('Goal conversion rate').textContent).toContain('nothing to compare')
    expect(document.body.textContent).not.toContain('NaN')
  })

  it('lists message outcomes per channel with rates, and a dash where nothing was sent', async () => {
    serve()
    render(<ResultsPage path="/results" />)
    const table = await screen.findByRole('table', { name: 'Message results' })
    const email = within(table).getByRole('row', { name: /^Email/ })
    expect(email.textContent).toContain('9 (50.0%)')
    const sms = within(table).getByRole('row', { name: /^SMS/ })
    expect(sms.textContent).toContain('0 (—)')
    const wa = within(table).getByRole('row', { name: /^WhatsApp/ })
    expect(wa.textContent).toContain('2 (66.7%)')
    expect(screen.getByRole('link', { name: 'Download all results (CSV)' }).getAttribute('href')).toBe('/api/v1/analytics/summary?period=30d&format=csv')
    const perDay = screen.getByRole('table', { name: 'Results per day' })
    expect(within(perDay).getAllByRole('row')).toHaveLength(3)
  })

  it('asks the server for the chosen period, journey and interval', async () => {
    const urls = serve()
    render(<ResultsPage path="/results?period=7d" />)
    await screen.findByRole('list', { name: 'Key results' })
    expect(urls).toContain('/api/v1/analytics/summary?period=7d')
    await screen.findByRole('option', { name: 'Chat leads' })
    fireEvent.change(screen.getByLabelText('Journey'), { target: { value: 'chat' } })
    fireEvent.change(screen.getByLabelText('Period'), { target: { value: '90d' } })
    fireEvent.change(screen.getByLabelText('Show per'), { target: { value: 'week' } })
    await waitFor(() => expect(urls).toContain('/api/v1/analytics/series?period=90d&flow=chat&interval=week'))
    expect(urls).toContain('/api/v1/analytics/summary?period=90d&flow=chat')
  })

  it('shows the rates of each message step', async () => {
    serve()
    render(<ResultsPage path="/results" />)
    const table = await screen.findByRole('table', { name: 'Results of each message step' })
    const row = within(table).getByRole('row', { name: /Welcome email/ })
    expect(row.textContent).toContain('Chat leads')
    expect(row.textContent).toContain('4 (50.0%)')
    expect(row.textContent).toContain('1 (12.5%)')
    expect(row.textContent).toContain('0 (—)')
  })

  it('shows the server’s message when the numbers cannot be read', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => url === '/api/v1/flows' ? Response.json({ flows: [] })
      : Response.json({ error: { code: 'bad_request', message: 'period must be a length of time such as 7d, 30d or 90d.' } }, { status: 400 })))
    render(<ResultsPage path="/results?period=soon" />)
    expect((await screen.findByRole('alert')).textContent).toContain('period must be a length of time')
  })
})

describe('Results wording', () => {
  it('never divides by zero', () => {
    expect(pct(null)).toBe('—')
    expect(countChange(5, 0)).toBe('up from 0')
    expect(countChange(0, 0)).toBe('no change')
    expect(countChange(5, 10)).toBe('down 50%')
    expect(rateChange(null, 0.5)).toBe('nothing to compare')
    expect(rateChange(0.3, 0.5)).toBe('down 20.0 pts')
    expect(duration(90)).toBe('2 min')
    expect(duration(null)).toBe('—')
  })
})
