import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, render, screen, within } from '@testing-library/react'
import ContactsPage from './ContactsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

function serve(routes: Record<string, unknown>) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    const key = Object.keys(routes).find((k) => url.startsWith(k))
    return key ? new Response(JSON.stringify(routes[key]), { status: 200 })
      : new Response(JSON.stringify({ error: { code: 'not_found', message: 'There is nothing at this address.' } }), { status: 404 })
  }))
}

const base = { phone: null, external_id: null, last_name: '', company: '', score: 0, time_zone: '', fields: {}, consent: {},
  created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }
const owned = { ...base, id: 'c1', email: 'ana@example.com', first_name: 'Ana', owner: { id: 'u2', name: 'Maria', email: 'maria@example.com' } }
const unowned = { ...base, id: 'c2', email: 'bo@example.com', first_name: 'Bo' }

describe('Contacts show their owner', () => {
  it('in the list', async () => {
    serve({ '/api/v1/contacts': { contacts: [owned, unowned], total: 2 } })
    render(<ContactsPage path="/contacts" />)
    const row = (await screen.findByRole('link', { name: 'Ana' })).closest('tr')!
    expect(screen.getByRole('columnheader', { name: 'Owner' })).toBeTruthy()
    expect(within(row).getByText('Maria')).toBeTruthy()
  })

  it('in the profile, and says when nobody owns the contact', async () => {
    serve({ '/api/v1/contacts/c1': { contact: owned, deals: [], tasks: [], notes: [], timeline: [] }, '/api/v1/messages': { messages: [] } })
    render(<ContactsPage path="/contacts/c1" />)
    expect(await screen.findByText('Maria (maria@example.com)')).toBeTruthy()
    cleanup()
    serve({ '/api/v1/contacts/c2': { contact: unowned, deals: [], tasks: [], notes: [], timeline: [] }, '/api/v1/messages': { messages: [] } })
    render(<ContactsPage path="/contacts/c2" />)
    expect(await screen.findByText('Nobody yet')).toBeTruthy()
  })
})
