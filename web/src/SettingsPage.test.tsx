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
