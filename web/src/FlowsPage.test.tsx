import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { FlowsPage, slug } from './FlowsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals(); history.replaceState(null, '', '/') })

const flow = { id: 'welcome', name: 'Welcome', description: '', status: 'active', version: 2, created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z', runs_today_total: 3 }
const definition = { id: 'welcome', name: 'Welcome', version: 2, settings: {}, nodes: [], edges: [] }

function serve() {
  const calls: { url: string; method: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ url, method, body })
    if (url === '/api/v1/flows' && method === 'GET') return Response.json({ flows: [flow, { ...flow, id: 'welcome-copy', name: 'Copy of Welcome', status: 'draft' }] })
    if (url === '/api/v1/flows/welcome' && method === 'GET') return Response.json({ ...flow, definition, problems: [] })
    if (url === '/api/v1/flows' && method === 'POST') return Response.json({ flow: { ...flow, id: body.id }, problems: [{ code: 'no_trigger', message: 'x' }] }, { status: 201 })
    if (method === 'DELETE') return new Response(null, { status: 204 })
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
  return calls
}

describe('FlowsPage', () => {
  it('lists journeys with status and runs today', async () => {
    serve()
    render(<FlowsPage />)
    await waitFor(() => expect(screen.getByRole('link', { name: 'Welcome' })).toBeTruthy())
    const row = screen.getByRole('link', { name: 'Welcome' }).closest('tr')!
    expect(row.textContent).toContain('Active')
    expect(row.textContent).toContain('3')
  })

  it('duplicates under a free id, never over an existing journey', async () => {
    const calls = serve()
    render(<FlowsPage />)
    fireEvent.click(await screen.findByRole('button', { name: 'Duplicate Welcome' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true))
    const post = calls.find((c) => c.method === 'POST')!.body as { id: string; name: string; version?: number }
    expect(post.id).toBe('welcome-copy-2')
    expect(post.name).toBe('Copy of Welcome')
    expect(post.version).toBeUndefined()
  })

  it('deletes only after the user confirms', async () => {
    const calls = serve()
    const confirm = vi.fn(() => false)
    vi.stubGlobal('confirm', confirm)
    render(<FlowsPage />)
    fireEvent.click(await screen.findByRole('button', { name: 'Delete Welcome' }))
    expect(confirm).toHaveBeenCalled()
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    confirm.mockReturnValue(true)
    fireEvent.click(screen.getByRole('button', { name: 'Delete Welcome' }))
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.url === '/api/v1/flows/welcome')).toBe(true))
  })

  it('imports a file as a draft and opens it to show its problems', async () => {
    const calls = serve()
    render(<FlowsPage />)
    await screen.findByRole('link', { name: 'Welcome' })
    const file = new File([JSON.stringify({ ...definition, name: 'Imported' })], 'welcome.json', { type: 'application/json' })
    fireEvent.change(screen.getByTestId('import-file'), { target: { files: [file] } })
    await waitFor(() => expect(location.pathname + location.search).toBe('/flows/welcome-2?imported=1'))
    expect((calls.find((c) => c.method === 'POST')!.body as { id: string }).id).toBe('welcome-2')
  })

  it('says plainly when a file is not JSON, and sends nothing', async () => {
    const calls = serve()
    render(<FlowsPage />)
    await screen.findByRole('link', { name: 'Welcome' })
    fireEvent.change(screen.getByTestId('import-file'), { target: { files: [new File(['{oops'], 'bad.json')] } })
    expect((await screen.findByRole('alert')).textContent).toContain('bad.json is not a journey')
    expect(calls.some((c) => c.method === 'POST')).toBe(false)
  })

  it('makes ids from names', () => {
    expect(slug('Welcome series!')).toBe('welcome-series')
    expect(slug('Über Café')).toBe('uber-cafe')
  })
})
