import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import SettingsPage from './SettingsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const me = { id: 'u1', email: 'admin@example.com', role: 'admin', created_at: '2026-11-01T10:00:00Z' }

describe('Settings → API tokens', () => {
  it('creates a token with the role chosen and lists each token with its role', async () => {
    const tokens: { id: string; name: string; role: string; created_at: string; last_used_at: null }[] = []
    const posts: unknown[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      const json = (status: number, v: unknown) => new Response(JSON.stringify(v), { status })
      if (url === '/api/v1/tokens' && method === 'POST') {
        const body = JSON.parse(String(init!.body))
        posts.push(body)
        tokens.push({ id: 't' + tokens.length, name: body.name, role: body.role, created_at: '2026-11-30T10:00:00Z', last_used_at: null })
        return json(201, { token: 'jrn_secret' })
      }
      if (url === '/api/v1/tokens') return json(200, { tokens })
      if (url === '/api/v1/users') return json(200, { users: [me] })
      return json(404, { error: { code: 'not_found', message: 'There is nothing at this address.' } })
    }))
    render(<SettingsPage user={me} />)
    const form = (await screen.findByRole('form', { name: 'Create a token' }))
    expect((within(form).getByLabelText('Editor') as HTMLInputElement).checked).toBe(true)
    fireEvent.change(within(form).getByLabelText('New token name'), { target: { value: 'Dashboard' } })
    fireEvent.click(within(form).getByLabelText('Viewer'))
    fireEvent.click(within(form).getByRole('button', { name: 'Create token' }))
    await screen.findByText('jrn_secret')
    expect(posts).toEqual([{ name: 'Dashboard', role: 'viewer' }])
    const item = (await screen.findByText('Dashboard')).closest('li')!
    expect(item.textContent).toContain('Viewer')
  })
})

describe('Settings → Connections with Connect (OAuth)', () => {
  const kinds = { kinds: [{ kind: 'salesforce', title: 'Salesforce', oauth: true, fields: [{ name: 'client_id', label: 'Consumer key', secret: false, required: true, type: 'string' }] }],
    oauth_callback_url: 'https://journeys.example.com/oauth/callback' }
  const cred = (connection: unknown) => ({ id: 'c1', name: 'Acme org', kind: 'salesforce', fields: { client_id: 'cid' }, secrets_set: ['client_secret'], updated_at: '2026-12-01T10:00:00Z', connection })
  function serve(connection: unknown, calls: string[]) {
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      calls.push(method + ' ' + url)
      const json = (status: number, v: unknown) => new Response(JSON.stringify(v), { status })
      if (url === '/api/v1/credential-kinds') return json(200, kinds)
      if (url === '/api/v1/credentials') return json(200, { credentials: [cred(connection)] })
      if (url === '/api/v1/credentials/c1/connect' && method === 'POST') return json(200, { url: 'https://login.example.com/authorize?state=x' })
      if (url === '/api/v1/tokens') return json(200, { tokens: [] })
      if (url === '/api/v1/users') return json(200, { users: [me] })
      return json(404, { error: { code: 'not_found', message: 'There is nothing at this address.' } })
    }))
  }

  it('Connect asks the server for the sign-in page and goes there', async () => {
    const calls: string[] = []
    serve({ status: 'not_connected', message: 'Not connected yet: save the credential, then press Connect.' }, calls)
    const assign = vi.fn()
    vi.stubGlobal('location', { ...window.location, search: '', assign })
    render(<SettingsPage user={me} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Connect' }))
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith('https://login.example.com/authorize?state=x'))
    expect(calls).toContain('POST /api/v1/credentials/c1/connect')
  })

  it('says who is connected, when a connection needs renewing, and the callback outcome', async () => {
    serve({ status: 'needs_renewal', account: 'ana@acme.com', message: 'The Salesforce connection needs to be renewed: open Settings, Credentials and press Connect again.' }, [])
    vi.stubGlobal('location', { ...window.location, search: '?connect_error=This+sign-in+was+already+used&credential=c1' })
    render(<SettingsPage user={me} />)
    expect((await screen.findByRole('alert')).textContent).toBe('This sign-in was already used')
    const item = (await screen.findByText('Acme org')).closest('li')!
    expect(item.textContent).toContain('needs to be renewed')
    expect(within(item).getByRole('button', { name: 'Connect again' })).toBeTruthy()
  })

  it('shows the callback URL to register in the vendor app', async () => {
    serve({ status: 'connected', account: 'ana@acme.com', message: 'Connected to Salesforce as ana@acme.com.' }, [])
    vi.stubGlobal('location', { ...window.location, search: '?connected=Connected+to+Salesforce+as+ana%40acme.com.' })
    render(<SettingsPage user={me} />)
    expect((await screen.findAllByText('Connected to Salesforce as ana@acme.com.')).length).toBeGreaterThan(0)
    fireEvent.click(await screen.findByRole('button', { name: 'Edit' }))
    expect(await screen.findByText('https://journeys.example.com/oauth/callback')).toBeTruthy()
  })
})
