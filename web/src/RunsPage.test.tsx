import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import RunsPage from './RunsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const run = { flow_id: 'welcome', version: 1, status: 'failed', test: false, started_at: '2026-12-06T09:00:00Z', updated_at: '2026-12-06T09:00:00Z', ended_at: null }
const runs = [
  { ...run, id: 'r1', contact_id: 'c1', contact_name: 'Ada Lovelace', contact_email: 'ada@example.com' },
  { ...run, id: 'r2', contact_id: 'c2', contact_email: 'bob@example.com' },
  { ...run, id: 'r3', contact_id: 'c3', contact_phone: '+4915112345678' },
  { ...run, id: 'r4', contact_id: null },
]

function serve() {
  const urls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    urls.push(url)
    if (url === '/api/v1/flows') return Response.json({ flows: [{ id: 'welcome', name: 'Welcome series', status: 'active' }] })
    if (url.startsWith('/api/v1/runs?')) return Response.json({ runs, total: runs.length })
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
  return urls
}

describe('Runs page', () => {
  it('names the person of each run, not a contact id', async () => {
    serve()
    render(<RunsPage path="/runs" />)
    const ada = await screen.findByRole('link', { name: 'Ada Lovelace' })
    expect(ada.getAttribute('href')).toBe('/contacts/c1')
    expect(screen.getByRole('link', { name: 'bob@example.com' }).getAttribute('href')).toBe('/contacts/c2')
    expect(screen.getByRole('link', { name: '+4915112345678' })).toBeTruthy()
    expect(screen.getByRole('columnheader', { name: 'Person' })).toBeTruthy()
    const noContact = screen.getAllByRole('row').find((r) => within(r).queryByRole('link', { name: 'Details' })?.getAttribute('href') === '/runs/r4')!
    expect(noContact.textContent).toContain('—')
  })

  it('reads journey, status and since from the address and asks the server for them', async () => {
    const urls = serve()
    render(<RunsPage path="/runs?flow=welcome&status=failed&since=2026-12-06T00:00:00Z&test=false" />)
    await screen.findByRole('link', { name: 'Ada Lovelace' })
    const asked = new URL(urls.find((u) => u.startsWith('/api/v1/runs?'))!, 'http://x').searchParams
    expect(asked.get('flow')).toBe('welcome')
    expect(asked.get('status')).toBe('failed')
    expect(asked.get('since')).toBe('2026-12-06T00:00:00Z')
    expect(asked.get('test')).toBe('false')
    expect((screen.getByLabelText('Runs of') as HTMLSelectElement).value).toBe('false')
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('failed')
    const since = screen.getByLabelText('Started') as HTMLSelectElement
    expect(since.selectedOptions[0].textContent).toMatch(/^Since /)

    fireEvent.change(since, { target: { value: '7d' } })
    await waitFor(() => expect(urls.some((u) => u.includes('since=7d'))).toBe(true))
  })
})
