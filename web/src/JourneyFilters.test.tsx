import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { FlowsPage } from './FlowsPage'
import { filterJourneys, startOfTodayUTC } from './JourneyFilters'
import type { FlowSummary } from './api'

afterEach(() => { cleanup(); vi.unstubAllGlobals(); history.replaceState(null, '', '/') })

const at = (d: string) => `2026-11-${d}T10:00:00Z`
const flows: FlowSummary[] = [
  { id: 'welcome', name: 'Welcome series', description: '', status: 'active', version: 2, created_at: at('01'), updated_at: at('20'), runs_today: { completed: 5, failed: 2 }, runs_today_total: 7 },
  { id: 'birthday', name: 'birthday wishes', description: '', status: 'draft', version: 0, created_at: at('01'), updated_at: at('28'), runs_today: {}, runs_today_total: 0 },
  { id: 'cart', name: 'Abandoned cart', description: '', status: 'paused', version: 1, created_at: at('01'), updated_at: at('10'), runs_today: { failed: 1 }, runs_today_total: 1 },
]

function serve() {
  vi.stubGlobal('fetch', vi.fn(async () => Response.json({ flows })))
}

const names = () => screen.getAllByRole('row').slice(1).map((r) => within(r).getAllByRole('link')[0].textContent)

describe('journey list: search, status, sort', () => {
  it('filters by name and status, sorts by last change or name, and keeps the choice in the address', async () => {
    serve()
    render(<FlowsPage />)
    await screen.findByRole('link', { name: 'Welcome series' })
    expect(names()).toEqual(['birthday wishes', 'Welcome series', 'Abandoned cart'])

    fireEvent.change(screen.getByLabelText('Sort by'), { target: { value: 'name' } })
    expect(names()).toEqual(['Abandoned cart', 'birthday wishes', 'Welcome series'])

    fireEvent.change(screen.getByLabelText('Search by name'), { target: { value: 'CART' } })
    expect(names()).toEqual(['Abandoned cart'])
    fireEvent.change(screen.getByLabelText('Search by name'), { target: { value: '' } })

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'draft' } })
    expect(names()).toEqual(['birthday wishes'])
    expect(location.search).toBe('?status=draft&sort=name')

    fireEvent.change(screen.getByLabelText('Search by name'), { target: { value: 'welcome' } })
    expect(screen.queryByRole('table')).toBeNull()
    expect(screen.getByRole('status').textContent).toContain('No journey matches')
  })

  it('starts from the filters in the address', async () => {
    history.replaceState(null, '', '/?status=active')
    serve()
    render(<FlowsPage />)
    await screen.findByRole('link', { name: 'Welcome series' })
    expect(names()).toEqual(['Welcome series'])
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('active')
  })

  it("links today's failed runs of each journey to the Runs page", async () => {
    serve()
    render(<FlowsPage />)
    const link = await screen.findByRole('link', { name: '2 failed runs of Welcome series today' })
    const href = new URL(link.getAttribute('href')!, 'http://x')
    expect(href.pathname).toBe('/runs')
    expect(Object.fromEntries(href.searchParams)).toEqual({ flow: 'welcome', status: 'failed', since: startOfTodayUTC(), test: 'false' })
    expect(screen.getByRole('link', { name: '1 failed run of Abandoned cart today' })).toBeTruthy()
    const birthday = screen.getByRole('link', { name: 'birthday wishes' }).closest('tr')!
    expect(within(birthday).queryByText(/failed/)).toBeNull()
    fireEvent.click(link)
    await waitFor(() => expect(location.pathname + location.search).toBe(href.pathname + href.search))
  })
})

describe('filterJourneys', () => {
  it('matches ids as well as names and never changes the list it is given', () => {
    const copy = [...flows]
    expect(filterJourneys(flows, { q: 'birth', status: '', sort: 'changed' }).map((f) => f.id)).toEqual(['birthday'])
    expect(filterJourneys(flows, { q: 'cart', status: 'active', sort: 'changed' })).toEqual([])
    expect(flows).toEqual(copy)
  })

  it('counts today from midnight UTC, as the server does', () => {
    expect(startOfTodayUTC(new Date('2026-12-06T23:30:00-05:00'))).toBe('2026-12-07T00:00:00Z')
  })
})
