import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import axe from 'axe-core'
import UsersSection from './UsersSection'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const me = { id: 'u1', email: 'admin@example.com', role: 'admin', created_at: '2026-11-01T10:00:00Z' }
const ann = { id: 'u2', email: 'ann@example.com', role: 'admin', created_at: '2026-11-02T10:00:00Z' }

// serve answers /api/v1/users like the server does, keeping the list in memory.
function serve(initial = [me, ann]) {
  let users = [...initial]
  const calls: { url: string; method: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, method, body })
    const json = (status: number, v: unknown) => new Response(JSON.stringify(v), { status })
    if (url === '/api/v1/users' && method === 'GET') return json(200, { users })
    if (url === '/api/v1/users' && method === 'POST') {
      if (users.some((u) => u.email === body.email)) return json(409, { error: { code: 'conflict', message: 'There is already a user with this email address.' } })
      const u = { id: 'u' + (users.length + 1), email: body.email, role: body.role ?? 'admin', created_at: '2026-11-30T10:00:00Z' }
      users.push(u)
      return json(201, { user: u })
    }
    const one = url.match(/^\/api\/v1\/users\/(.+)$/)
    if (one && method === 'PATCH') {
      const admins = users.filter((u) => u.role === 'admin')
      const u = users.find((x) => x.id === one[1])!
      if (u.role === 'admin' && body.role !== 'admin' && admins.length <= 1) return json(409, { error: { code: 'conflict', message: 'This is the last administrator; make another user an administrator first.' } })
      users = users.map((x) => (x.id === u.id ? { ...x, role: body.role } : x))
      return json(200, { user: { ...u, role: body.role } })
    }
    const del = one
    if (del && method === 'DELETE') { users = users.filter((u) => u.id !== del[1]); return new Response(null, { status: 204 }) }
    return json(404, { error: { code: 'not_found', message: 'There is nothing at this address.' } })
  }))
  return calls
}

describe('Settings → Users', () => {
  it('lists users and lets me remove others but not myself', async () => {
    const calls = serve()
    vi.stubGlobal('confirm', vi.fn(() => true))
    render(<UsersSection me={me} />)
    const list = await screen.findByRole('list', { name: 'People who can sign in' })
    await waitFor(() => expect(within(list).getByText('ann@example.com')).toBeTruthy())
    expect(within(list).getByText('admin@example.com')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Remove admin@example.com' })).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Remove ann@example.com' }))
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('ann@example.com was removed.'))
    expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/v1/users/u2')).toBe(true)
    await waitFor(() => expect(within(list).queryByText('ann@example.com')).toBeNull())
  })

  it('shows mistakes next to the field and sends nothing', async () => {
    const calls = serve()
    render(<UsersSection me={me} />)
    await screen.findByText('ann@example.com')
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'not an email' } })
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }))
    const email = screen.getByLabelText('Email')
    expect(email.getAttribute('aria-invalid')).toBe('true')
    expect(document.getElementById(email.getAttribute('aria-describedby')!)!.textContent).toContain('Enter an email address')
    const pw = screen.getByLabelText('Password')
    expect(document.getElementById(pw.getAttribute('aria-describedby')!)!.textContent).toBe('The password needs at least 10 characters.')
    expect(document.activeElement).toBe(email)
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
  })

  it('adds a user and shows a taken email next to the email field', async () => {
    const calls = serve()
    render(<UsersSection me={me} />)
    await screen.findByText('ann@example.com')
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ann@example.com' } })
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough!' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await waitFor(() => expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true'))
    expect(screen.getByText('There is already a user with this email address.').id).toBe('user-email-error')

    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'bob@example.com' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await screen.findByText('bob@example.com')
    expect(screen.getByRole('status').textContent).toContain('bob@example.com can now sign in')
    expect(calls.filter((c) => c.method === 'POST').at(-1)!.body).toEqual({ email: 'bob@example.com', password: 'long enough!', role: 'editor' })
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('')
  })

  it('adds a user with the role chosen, each role explained in a sentence', async () => {
    const calls = serve()
    render(<UsersSection me={me} />)
    await screen.findByText('ann@example.com')
    const editor = screen.getByLabelText('Editor') as HTMLInputElement
    expect(editor.checked).toBe(true)
    expect(document.getElementById(editor.getAttribute('aria-describedby')!)!.textContent).toContain('cannot manage people')
    expect(screen.getByText('Can look at everything but change nothing.')).toBeTruthy()
    fireEvent.click(screen.getByLabelText('Viewer'))
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'vi@example.com' } })
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long enough!' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await screen.findByText('vi@example.com')
    expect(calls.filter((c) => c.method === 'POST').at(-1)!.body).toEqual({ email: 'vi@example.com', password: 'long enough!', role: 'viewer' })
    expect((screen.getByLabelText('Role of vi@example.com') as HTMLSelectElement).value).toBe('viewer')
  })

  it("changes another user's role, and says why the last administrator stays one", async () => {
    const calls = serve([me, { ...ann, role: 'editor' }])
    render(<UsersSection me={me} />)
    const role = await screen.findByLabelText('Role of ann@example.com') as HTMLSelectElement
    expect(role.value).toBe('editor')
    expect(screen.queryByLabelText('Role of admin@example.com')).toBeNull()
    fireEvent.change(role, { target: { value: 'admin' } })
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('ann@example.com is now an administrator.'))
    expect(calls.at(-2)).toEqual({ url: '/api/v1/users/u2', method: 'PATCH', body: { role: 'admin' } })
    await waitFor(() => expect((screen.getByLabelText('Role of ann@example.com') as HTMLSelectElement).value).toBe('admin'))
  })

  it('shows the server refusing to demote the last administrator and keeps the role shown', async () => {
    serve([{ ...me, role: 'editor' }, ann])
    render(<UsersSection me={{ ...me, role: 'editor' }} />)
    const role = await screen.findByLabelText('Role of ann@example.com') as HTMLSelectElement
    fireEvent.change(role, { target: { value: 'viewer' } })
    await screen.findByText('This is the last administrator; make another user an administrator first.')
    await waitFor(() => expect((screen.getByLabelText('Role of ann@example.com') as HTMLSelectElement).value).toBe('admin'))
  })

  it('passes the accessibility rules, also while showing errors', async () => {
    serve()
    const { container } = render(<UsersSection me={me} />)
    await screen.findByText('ann@example.com')
    fireEvent.click(screen.getByRole('button', { name: 'Add user' }))
    await screen.findByText('The password needs at least 10 characters.')
    const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => v.id)).toEqual([])
  })
})
