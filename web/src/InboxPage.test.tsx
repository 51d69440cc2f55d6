import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import InboxPage from './InboxPage'
import SettingsPage from './SettingsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

function serve(routes: Record<string, (init?: RequestInit) => [number, unknown]>) {
  const calls: { url: string; init?: RequestInit }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, init })
    const key = Object.keys(routes).find((k) => url.startsWith(k))
    const [status, body] = key ? routes[key](init) : [404, { error: { code: 'not_found', message: 'There is nothing at this address.' } }]
    return new Response(status === 204 ? null : JSON.stringify(body), { status })
  }))
  return calls
}

const sandboxed = { id: 'm1', channel: 'email', provider: 'sandbox', status: 'sandboxed', to: 'ada@example.com', subject: 'Welcome', body_text: 'Hi', created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }
const skipped = { ...sandboxed, id: 'm2', status: 'skipped', provider: 'smtp', reason: 'Ada unsubscribed from email on 2 November.' }

describe('Inbox', () => {
  it('lists messages with the reason of a skip and simulates an open', async () => {
    const calls = serve({
      '/api/v1/messages/m1/simulate': () => [200, { message: { ...sandboxed, status: 'opened' } }],
      '/api/v1/messages': () => [200, { messages: [sandboxed, skipped], total: 2 }],
    })
    render(<InboxPage />)
    await waitFor(() => expect(screen.getByText('Ada unsubscribed from email on 2 November.')).toBeTruthy())
    // Only the sandboxed message can be simulated.
    expect(screen.getAllByRole('group', { name: 'Pretend that the message was' })).toHaveLength(1)
    fireEvent.click(screen.getByRole('button', { name: 'opened' }))
    await waitFor(() => expect(screen.getAllByText('opened').some((e) => e.classList.contains('badge'))).toBe(true))
    const sim = calls.find((c) => c.url.includes('/simulate'))!
    expect(sim.init?.method).toBe('POST')
    expect(JSON.parse(String(sim.init?.body))).toEqual({ event: 'opened' })
  })

  it('lists a Slack post kept in the sandbox without pretend buttons', async () => {
    const post = { ...sandboxed, id: 'm3', channel: 'slack', to: '#sales', subject: '', body_text: 'New hot lead from the chat: Ada Lovelace',
      reason: 'No Slack account is chosen for this step, so the post was kept in the sandbox outbox; nothing was sent.' }
    const calls = serve({ '/api/v1/messages': () => [200, { messages: [post], total: 1 }] })
    render(<InboxPage />)
    await waitFor(() => expect(screen.getByText(/nothing was sent/)).toBeTruthy())
    expect(screen.getByText('New hot lead from the chat: Ada Lovelace')).toBeTruthy()
    expect(screen.queryByRole('group', { name: 'Pretend that the message was' })).toBeNull()
    fireEvent.change(screen.getByLabelText('Channel'), { target: { value: 'slack' } })
    await waitFor(() => expect(calls.some((c) => c.url.includes('channel=slack'))).toBe(true))
  })

  it('says when the server has no messages yet', async () => {
    serve({})
    render(<InboxPage />)
    await waitFor(() => expect(screen.getByText('Messages are not available on this server yet.')).toBeTruthy())
  })
})

describe('Settings', () => {
  const kinds = { kinds: [{ kind: 'smtp', title: 'SMTP server', fields: [
    { name: 'host', label: 'Host', secret: false, required: true, type: 'string' },
    { name: 'password', label: 'Password', secret: true, required: true, type: 'string' }] }] }
  const cred = { id: 'c1', name: 'Office mail', kind: 'smtp', fields: { host: 'smtp.example.com' }, secrets_set: ['password'], created_at: '', updated_at: '2026-11-30T10:00:00Z' }

  it('keeps a stored secret when it is left empty on edit', async () => {
    const calls = serve({
      '/api/v1/credential-kinds': () => [200, kinds],
      '/api/v1/credentials/c1': () => [200, { credential: cred }],
      '/api/v1/credentials': () => [200, { credentials: [cred] }],
      '/api/v1/tokens': () => [200, { tokens: [] }],
    })
    render(<SettingsPage user={{ id: 'u', email: 'a@example.com', role: 'admin', created_at: '' }} />)
    await waitFor(() => expect(screen.getByText('Office mail')).toBeTruthy())
    fireEvent.click(screen.getByRole('button', { name: 'Edit' }))
    const pw = screen.getByLabelText('Password') as HTMLInputElement
    expect(pw.value).toBe('')
    expect(pw.type).toBe('password')
    expect(pw.placeholder).toContain('Saved')
    fireEvent.change(screen.getByLabelText(/Host/), { target: { value: 'mail.example.com' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save connection' }))
    await waitFor(() => expect(calls.some((c) => c.init?.method === 'PUT')).toBe(true))
    const put = calls.find((c) => c.init?.method === 'PUT')!
    expect(put.url).toBe('/api/v1/credentials/c1')
    expect(JSON.parse(String(put.init?.body))).toEqual({ name: 'Office mail', kind: 'smtp', fields: { host: 'mail.example.com' } })
  })

  it('says when the server has no connections yet', async () => {
    serve({ '/api/v1/tokens': () => [200, { tokens: [] }] })
    render(<SettingsPage user={{ id: 'u', email: 'a@example.com', role: 'admin', created_at: '' }} />)
    await waitFor(() => expect(screen.getByText('Saved connections are not available on this server yet.')).toBeTruthy())
  })
})
