import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import type { FlowNode } from '../api'
import { MessagePreview } from './MessagePreview'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

type Call = { url: string; body: unknown }

/** A fetch that answers by path and records what was asked. */
function server(routes: Record<string, (body: unknown, url: string) => unknown>) {
  const calls: Call[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, body })
    const path = url.replace('/api/v1', '').split('?')[0]
    const h = routes[path]
    if (!h) return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
    return Response.json(h(body, url))
  }))
  return calls
}

const settle = () => act(async () => { await new Promise((r) => setTimeout(r, 5)) })

const email: FlowNode = { id: 'welcome', type: 'message.email', position: { x: 0, y: 0 },
  params: { subject: 'Hi {{ contact.first_name }}', html: '<p>Hello</p>' } }

describe('MessagePreview', () => {
  it('shows an email rendered for a sample contact, in HTML and plain text', async () => {
    const calls = server({ '/preview': () => ({ channel: 'email', to: 'ada@example.com', from: 'Team <team@example.com>',
      subject: 'Hi Ada', html: '<p>Hello <b>Ada</b></p><script>parent.x=1</script>', text: 'Hello Ada' }) })
    render(<MessagePreview flowId="welcome-flow" node={email} delay={0} />)
    await settle()
    expect(calls[0]).toEqual({ url: '/api/v1/preview', body: { flow_id: 'welcome-flow', node: { id: 'welcome', type: 'message.email', params: email.params } } })
    expect(screen.getByText('Hi Ada')).toBeTruthy()
    expect(screen.getByText('Team <team@example.com>')).toBeTruthy()
    const frame = screen.getByTitle('Email preview (HTML)') as HTMLIFrameElement
    expect(frame.getAttribute('sandbox')).toBe('')
    expect(frame.getAttribute('srcdoc')).toContain('<b>Ada</b>')
    fireEvent.click(screen.getByRole('tab', { name: 'Plain text' }))
    expect(screen.getByRole('tab', { name: 'Plain text' }).getAttribute('aria-selected')).toBe('true')
    expect(screen.getByRole('tabpanel').textContent).toBe('Hello Ada')
    expect(screen.queryByTitle('Email preview (HTML)')).toBeNull()
  })

  it('renders again for a chosen contact and when the step changes', async () => {
    const calls = server({
      '/preview': (b) => ({ channel: 'email', subject: (b as { contact_id?: string }).contact_id ? 'Hi Grace' : 'Hi there' }),
      '/contacts': () => ({ contacts: [{ id: 'c7', first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com' }], total: 1 }),
    })
    const { rerender } = render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    expect(screen.getByText('Hi there')).toBeTruthy()
    fireEvent.change(screen.getByRole('searchbox', { name: 'Preview as' }), { target: { value: 'grace' } })
    await act(async () => { await new Promise((r) => setTimeout(r, 300)) })
    expect(calls.some((c) => c.url === '/api/v1/contacts?limit=8&search=grace')).toBe(true)
    fireEvent.click(screen.getByRole('button', { name: 'Grace Hopper (grace@example.com)' }))
    await settle()
    expect(calls.at(-1)?.body).toMatchObject({ contact_id: 'c7' })
    expect(screen.getByText('Hi Grace')).toBeTruthy()
    expect(screen.getByText(/Previewing as/).textContent).toContain('Grace Hopper')
    const before = calls.length
    rerender(<MessagePreview flowId="f" node={{ ...email, params: { subject: 'New' } }} delay={0} />)
    await settle()
    expect(calls.length).toBe(before + 1)
    expect(calls.at(-1)?.body).toMatchObject({ node: { params: { subject: 'New' } }, contact_id: 'c7' })
  })

  it('shows SMS text with its length and parts', async () => {
    const text = 'Hi Ada, your order ships today. ' + 'x'.repeat(140)
    // The server counts the parts (nodes.SMSSegments); the preview says them.
    server({ '/preview': () => ({ channel: 'sms', to: '+33600000000', text, length: 172, segments: 2, per_segment: 153 }) })
    render(<MessagePreview flowId="f" node={{ id: 's', type: 'message.sms', position: { x: 0, y: 0 }, params: { body: 'x' } }} delay={0} />)
    await settle()
    expect(screen.getByLabelText('Message text').textContent).toBe(text)
    expect(screen.getByText(/172 characters · 2 SMS parts \(each part holds 153\)/)).toBeTruthy()
  })

  it('says when emoji make SMS parts smaller, and counts no parts for WhatsApp', async () => {
    server({ '/preview': (b) => (b as { node: FlowNode }).node.type === 'message.sms'
      ? { channel: 'sms', text: 'Hi 👋', length: 5, segments: 1, unicode: true, per_segment: 70 }
      : { channel: 'whatsapp', text: 'Hi 👋', length: 4 } })
    render(<MessagePreview flowId="f" node={{ id: 's', type: 'message.sms', position: { x: 0, y: 0 } }} delay={0} />)
    await settle()
    expect(screen.getByText(/4 characters · 1 SMS part \(it uses characters such as emoji/)).toBeTruthy()
    cleanup()
    render(<MessagePreview flowId="f" node={{ id: 'w', type: 'message.whatsapp', position: { x: 0, y: 0 } }} delay={0} />)
    await settle()
    expect(screen.getByText('4 characters')).toBeTruthy()
  })

  it('sends a test to me, into the sandbox when the step has no account', async () => {
    const calls = server({
      '/preview': () => ({ channel: 'email', subject: 'Hi' }),
      '/preview/send': () => ({ message_id: 'm1', to: 'me@example.com', sandbox: true }),
    })
    render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Send a test to me' })) })
    expect(calls.at(-1)?.url).toBe('/api/v1/preview/send')
    expect(calls.at(-1)?.body).toEqual({ flow_id: 'f', node: { id: 'welcome', type: 'message.email', params: email.params } })
    expect(screen.getByRole('status').textContent).toContain('Kept in the sandbox outbox: no email account is chosen on this step.')
    expect(screen.getByRole('link', { name: 'Open the inbox' }).getAttribute('href')).toBe('/inbox')
  })

  it('says where a real test went', async () => {
    server({ '/preview': () => ({ channel: 'email', subject: 'Hi' }), '/preview/send': () => ({ message_id: 'm1', to: 'me@example.com', sandbox: false }) })
    render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Send a test to me' })) })
    expect(screen.getByRole('status').textContent).toBe('Sent to me@example.com.')
  })

  it('says so when the server has no previews', async () => {
    server({})
    render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    expect(screen.getByText('Previews are not available on this server yet.')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Send a test to me' })).toBeNull()
  })

  it('takes a 405 from the page fallback as no previews too', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('', { status: 405 })))
    render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    expect(screen.getByText('Previews are not available on this server yet.')).toBeTruthy()
  })

  it('says why a test could not be sent', async () => {
    server({ '/preview': () => ({ channel: 'email', subject: 'Hi' }) })
    render(<MessagePreview flowId="f" node={email} delay={0} />)
    await settle()
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Send a test to me' })) })
    expect(screen.getByRole('status').textContent).toBe('The test could not be sent: There is nothing at this address.')
  })
})
