import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import axe from 'axe-core'
import UsersSection, { routingSummary } from './UsersSection'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const me = { id: 'u1', email: 'admin@example.com', role: 'admin', created_at: '2026-11-01T10:00:00Z' }
const maria = { id: 'u2', email: 'maria@example.com', role: 'editor', created_at: '2026-11-02T10:00:00Z', name: '', work_days: [], owner_ids: {} }

// serve answers the users and credentials routes; PATCH answers what the
// server would store, or its refusal for a bad Slack id.
function serve() {
  const calls: { url: string; method: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, method, body })
    const json = (status: number, v: unknown) => new Response(JSON.stringify(v), { status })
    if (url === '/api/v1/users') return json(200, { users: [me, maria] })
    if (url === '/api/v1/credential-kinds') return json(200, { kinds: [
      { kind: 'hubspot', title: 'HubSpot', provides: ['crm', 'contacts'] }, { kind: 'mailchimp', title: 'Mailchimp', provides: ['lists', 'tags'] }] })
    if (url === '/api/v1/credentials') return json(200, { credentials: [
      { id: 'hs1', name: 'Sales HubSpot', kind: 'hubspot' }, { id: 'mc1', name: 'Newsletter', kind: 'mailchimp' }] })
    if (url === '/api/v1/users/u2' && method === 'PATCH') {
      if (body.slack_id === '@maria') return json(400, { error: { code: 'bad_request', message: '"@MARIA" is not a Slack member id.' } })
      return json(200, { user: { ...maria, ...body, away_until: body.away_until ? body.away_until + 'T00:00:00Z' : null } })
    }
    return json(404, { error: { code: 'not_found', message: 'There is nothing at this address.' } })
  }))
  return calls
}

describe('Settings → Users → Lead routing', () => {
  it('sets the name, away date, working hours and CRM owner id in plain fields', async () => {
    const calls = serve()
    render(<UsersSection me={me} />)
    fireEvent.click(await screen.findByLabelText('Lead routing for maria@example.com'))
    const panel = screen.getByRole('form', { name: 'Lead routing for maria@example.com' }) as HTMLElement
    // Only CRM accounts ask for an owner id.
    await screen.findByLabelText('HubSpot owner id in Sales HubSpot')
    expect(screen.queryByText(/Newsletter/)).toBeNull()
    fireEvent.change(screen.getByLabelText('Name shown to colleagues and in messages'), { target: { value: 'Maria' } })
    fireEvent.change(screen.getByLabelText('Away until (the day they are back)'), { target: { value: '2026-12-24' } })
    for (const d of ['Fri', 'Mon']) fireEvent.click(screen.getByLabelText(d))
    fireEvent.change(screen.getByLabelText('Working hours from'), { target: { value: '09:00' } })
    fireEvent.change(screen.getByLabelText('Time zone of the working hours'), { target: { value: 'Europe/Berlin' } })

    // Half the hours is explained and nothing is sent.
    fireEvent.click(screen.getByRole('button', { name: 'Save lead routing' }))
    expect((await screen.findByRole('alert')).textContent).toContain('both the start and the end')
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)

    fireEvent.change(screen.getByLabelText('to'), { target: { value: '17:00' } })
    fireEvent.change(screen.getByLabelText('HubSpot owner id in Sales HubSpot'), { target: { value: '5150' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save lead routing' }))
    await waitFor(() => expect(screen.getByText('Saved.')).toBeTruthy())
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({
      name: 'Maria', away_until: '2026-12-24', time_zone: 'Europe/Berlin', work_days: ['mon', 'fri'],
      work_start: '09:00', work_end: '17:00', slack_id: '', owner_ids: { hs1: '5150' },
    })
    expect(panel.isConnected).toBe(true)
  })

  it('passes the accessibility rules', async () => {
    serve()
    render(<UsersSection me={me} />)
    fireEvent.click(await screen.findByLabelText('Lead routing for maria@example.com'))
    await screen.findByLabelText('HubSpot owner id in Sales HubSpot')
    const panel = screen.getByRole('form', { name: 'Lead routing for maria@example.com' }) as HTMLElement
    const r = await axe.run(panel, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => v.id)).toEqual([])
  })

  it("shows the server's refusal", async () => {
    serve()
    render(<UsersSection me={me} />)
    fireEvent.click(await screen.findByLabelText('Lead routing for maria@example.com'))
    fireEvent.change(await screen.findByLabelText('Slack member id (to mention them)'), { target: { value: '@maria' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save lead routing' }))
    expect((await screen.findByRole('alert')).textContent).toBe('"@MARIA" is not a Slack member id.')
  })

  it('sums up what keeps leads from someone', () => {
    expect(routingSummary({ ...maria, away_until: '2999-01-02T00:00:00Z' })).toMatch(/^away until /)
    expect(routingSummary({ ...maria, away_until: '2000-01-02T00:00:00Z' })).toBe('')
    expect(routingSummary({ ...maria, work_days: ['mon', 'tue'], work_start: '09:00', work_end: '17:00', time_zone: 'Europe/Berlin' }))
      .toBe('takes leads mon, tue 09:00–17:00 Europe/Berlin')
  })
})
