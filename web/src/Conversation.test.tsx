import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import ContactsPage from './ContactsPage'
import InboxPage from './InboxPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

function serve(routes: Record<string, () => [number, unknown]>) {
  const calls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    calls.push(url)
    const key = Object.keys(routes).find((k) => url.startsWith(k))
    const [status, body] = key ? routes[key]() : [404, { error: { code: 'not_found', message: 'There is nothing at this address.' } }]
    return new Response(JSON.stringify(body), { status })
  }))
  return calls
}

const question = { id: 'm1', channel: 'sms', provider: 'sandbox', status: 'sandboxed', to: '+34600111222', body_text: 'Can you come tomorrow?',
  contact_id: 'c1', created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }
const reply = { direction: 'in', channel: 'sms', text: 'Yes, 10am works', at: '2026-11-30T10:05:00Z', contact_id: 'c1', event_id: 'e1', from: '+34600111222' }
const thread = [
  { direction: 'out', channel: 'sms', text: 'Can you come tomorrow?', at: '2026-11-30T10:00:00Z', contact_id: 'c1', message_id: 'm1', status: 'sandboxed' },
  reply,
  { direction: 'in', channel: 'sms', text: 'STOP', at: '2026-11-30T10:06:00Z', contact_id: 'c1', event_id: 'e2', from: '+34600111222' },
  { direction: 'out', channel: 'sms', text: 'See you!', at: '2026-11-30T10:07:00Z', contact_id: 'c1', message_id: 'm2', status: 'skipped',
    reason: 'The contact does not want sms messages (consent withdrawn).' },
]

describe('Inbox conversations', () => {
  it('lists replies and opens the two-way conversation of a contact', async () => {
    const calls = serve({
      '/api/v1/conversations': () => [200, { messages: [reply] }],
      '/api/v1/contacts/c1/conversation': () => [200, { contact_id: 'c1', messages: thread }],
      '/api/v1/messages': () => [200, { messages: [question], total: 1 }],
    })
    render(<InboxPage />)
    const replies = await screen.findByRole('list', { name: 'Replies' })
    expect(within(replies).getByText('Yes, 10am works')).toBeTruthy()
    const open = within(replies).getByRole('button', { name: 'Conversation with +34600111222' })
    fireEvent.click(open)
    const conv = await screen.findByRole('list', { name: 'Conversation with +34600111222' })
    const items = within(conv).getAllByRole('listitem')
    expect(items.map((li) => li.className)).toEqual(['bubble out', 'bubble in', 'bubble in', 'bubble out'])
    expect(within(items[2]).getByText('STOP')).toBeTruthy()
    expect(within(items[3]).getByText(/consent withdrawn/)).toBeTruthy()
    expect(open.getAttribute('aria-expanded')).toBe('true')
    expect(calls.some((u) => u.startsWith('/api/v1/contacts/c1/conversation'))).toBe(true)
  })

  it('opens the conversation from a sent SMS, and shows no replies on a server without them', async () => {
    serve({
      '/api/v1/contacts/c1/conversation': () => [200, { contact_id: 'c1', messages: thread }],
      '/api/v1/messages': () => [200, { messages: [question], total: 1 }],
    })
    render(<InboxPage />)
    fireEvent.click(await screen.findByRole('button', { name: 'Conversation with +34600111222' }))
    expect(await screen.findByRole('list', { name: 'Conversation with +34600111222' })).toBeTruthy()
    expect(screen.queryByRole('list', { name: 'Replies' })).toBeNull()
    expect(screen.queryByRole('alert')).toBeNull()
  })

  it('shows the conversation on the profile of a contact with a phone', async () => {
    const contact = { id: 'c1', email: null, phone: '+34600111222', external_id: null, first_name: 'Ana', last_name: 'Ruiz', company: '', score: 0,
      time_zone: '', fields: {}, consent: { sms: false }, created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }
    serve({
      '/api/v1/contacts/c1/conversation': () => [200, { contact_id: 'c1', messages: thread }],
      '/api/v1/contacts/c1': () => [200, { contact, deals: [], tasks: [], notes: [], timeline: [] }],
      '/api/v1/messages': () => [200, { messages: [question], total: 1 }],
    })
    render(<ContactsPage path="/contacts/c1" />)
    const conv = await screen.findByRole('list', { name: 'Conversation with Ana Ruiz' })
    expect(within(conv).getByText('Yes, 10am works')).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'SMS and WhatsApp conversation' })).toBeTruthy()
  })
})
