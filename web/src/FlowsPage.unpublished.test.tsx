import { afterEach, expect, it, vi } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import { FlowsPage } from './FlowsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const flow = { id: 'welcome', name: 'Welcome', description: '', status: 'active', version: 2, created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }

it('marks a journey whose draft differs from its live version', async () => {
  vi.stubGlobal('fetch', vi.fn(async () => Response.json({ flows: [
    { ...flow, unpublished_changes: true },
    { ...flow, id: 'promo', name: 'Promo', unpublished_changes: false },
  ] })))
  render(<FlowsPage />)
  const changed = (await screen.findByRole('link', { name: 'Welcome' })).closest('tr')!
  expect(changed.textContent).toContain('Changes not published')
  const same = screen.getByRole('link', { name: 'Promo' }).closest('tr')!
  expect(same.textContent).not.toContain('Changes not published')
})
