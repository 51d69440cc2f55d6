import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
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

const task = { id: 't1', title: 'Call Ana back', notes: '', owner: '', due_at: null, done: false, completed_at: null }

/** Serves Ana's profile with one open task; PATCH /api/v1/tasks/t1 answers with patch(body). */
function serveTask(patch: (body: { done: boolean }) => [number, unknown]) {
  const patches: { url: string; body: { done: boolean } }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'PATCH') {
      const body = JSON.parse(String(init.body))
      patches.push({ url, body })
      const [status, out] = patch(body)
      return new Response(JSON.stringify(out), { status })
    }
    if (url.startsWith('/api/v1/contacts/c1')) return new Response(JSON.stringify({ contact: owned, deals: [], tasks: [task], notes: [], timeline: [] }))
    if (url.startsWith('/api/v1/messages')) return new Response(JSON.stringify({ messages: [] }))
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'There is nothing at this address.' } }), { status: 404 })
  }))
  return patches
}

describe('Contact tasks', () => {
  it('checks a task off, shows when, and opens it again', async () => {
    const patches = serveTask(({ done }) => [200, { task: { ...task, done, completed_at: done ? '2026-12-01T09:00:00Z' : null } }])
    render(<ContactsPage path="/contacts/c1" />)
    const box = await screen.findByRole('checkbox', { name: 'Call Ana back' }) as HTMLInputElement
    expect(box.checked).toBe(false)
    fireEvent.click(box)
    await waitFor(() => expect(box.checked).toBe(true))
    expect(patches).toEqual([{ url: '/api/v1/tasks/t1', body: { done: true } }])
    expect(within(screen.getByTestId('task')).getByText(/done/)).toBeTruthy()
    await waitFor(() => expect(box.disabled).toBe(false))
    fireEvent.click(box)
    await waitFor(() => expect(box.checked).toBe(false))
    expect(patches[1]).toEqual({ url: '/api/v1/tasks/t1', body: { done: false } })
    expect(within(screen.getByTestId('task')).queryByText(/done/)).toBeNull()
  })

  it('says why a task could not be checked off and leaves it open', async () => {
    serveTask(() => [403, { error: { code: 'forbidden', message: 'This needs the editor role; your account has the viewer role.' } }])
    render(<ContactsPage path="/contacts/c1" />)
    const box = await screen.findByRole('checkbox', { name: 'Call Ana back' }) as HTMLInputElement
    fireEvent.click(box)
    expect((await screen.findByRole('alert')).textContent).toMatch(/editor role/)
    expect(box.checked).toBe(false)
  })
})
