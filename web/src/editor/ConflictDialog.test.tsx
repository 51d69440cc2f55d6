import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import type { FlowDetail, FlowDoc } from '../api'
import { ConflictDialog } from './ConflictDialog'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const base: FlowDoc = { id: 'j', name: 'J', settings: {}, edges: [], nodes: [] }
const theirs = { definition: { ...base, description: 'Edited' }, updated_by: 'ana@example.com', updated_at: new Date().toISOString() } as unknown as FlowDetail

function signedInAs(email: string) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => url === '/api/v1/auth/me'
    ? Response.json({ user: { id: 'u1', email, role: 'editor', created_at: '' } })
    : Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 })))
}

const noop = () => {}

describe('ConflictDialog', () => {
  it('says another tab when the other save was the same person', async () => {
    signedInAs('Ana@example.com')
    render(<ConflictDialog theirs={theirs} base={base} mine={base} busy={false} onMerge={noop} onOverwrite={noop} onCopy={noop} onCancel={noop} />)
    expect(await screen.findByRole('heading', { name: 'You saved this journey in another tab' })).toBeTruthy()
    expect(screen.getByText(/in another tab or window, after this one opened it/)).toBeTruthy()
  })

  it('names the other person otherwise', async () => {
    signedInAs('ben@example.com')
    render(<ConflictDialog theirs={theirs} base={base} mine={base} busy={false} onMerge={noop} onOverwrite={noop} onCopy={noop} onCancel={noop} />)
    // Once the signed-in user is known, it is still someone else.
    await waitFor(() => expect(fetch).toHaveBeenCalled())
    await act(async () => {})
    expect(screen.getByText(/ana@example.com saved it/)).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'Someone else saved this journey' })).toBeTruthy()
  })
})
