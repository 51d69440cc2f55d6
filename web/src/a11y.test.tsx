// Accessibility rules (axe-core) over the main screens rendered in jsdom:
// every field labelled, roles and names valid. Layout rules such as colour
// contrast need a real browser and are not checked here.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, render, screen } from '@testing-library/react'
import axe from 'axe-core'
import { SignIn } from './SignIn'
import { FlowsPage } from './FlowsPage'
import { ParamForm } from './ParamForm'
import type { ParamSpec } from './api'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

async function violations(container: HTMLElement): Promise<string[]> {
  const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

describe('accessibility', () => {
  it('sign-in and first-run screens', async () => {
    const { container, rerender } = render(<SignIn setup={false} onSignedIn={() => {}} />)
    expect(await violations(container)).toEqual([])
    rerender(<SignIn setup onSignedIn={() => {}} />)
    expect(await violations(container)).toEqual([])
  })

  it('the journeys list', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ flows: [{ id: 'w', name: 'Welcome', description: '', status: 'draft', version: 0, created_at: '2026-11-30T10:00:00Z', updated_at: '2026-11-30T10:00:00Z' }] })))
    const { container } = render(<FlowsPage />)
    await screen.findByRole('link', { name: 'Welcome' })
    expect(await violations(container)).toEqual([])
  })

  it('a generated form with every kind of field', async () => {
    const specs: ParamSpec[] = [
      { name: 'title', label: 'Title', kind: 'string', required: true },
      { name: 'n', label: 'Points', kind: 'integer' },
      { name: 'mode', label: 'Mode', kind: 'enum', enum: ['a', 'b'] },
      { name: 'd', label: 'Due in', kind: 'duration' },
      { name: 'c', label: 'Condition', kind: 'expression', returns: 'bool' },
      { name: 't', label: 'Body', kind: 'template' },
      { name: 'b', label: 'Active', kind: 'boolean' },
      { name: 'days', label: 'Days', kind: 'weekdays' },
      { name: 'at', label: 'From', kind: 'time_of_day' },
      { name: 'tags', label: 'Tags', kind: 'string_list' },
      { name: 'cases', label: 'Paths', kind: 'list', fields: [{ name: 'name', label: 'Path name', kind: 'string' }] },
      { name: 'fields', label: 'Custom fields', kind: 'map' },
      { name: 'cred', label: 'Connection', kind: 'credential', credential_kind: 'smtp' },
    ]
    const { container } = render(<ParamForm specs={specs} values={{ cases: [{ name: 'a' }], fields: { plan: 'trigger.plan' } }} idPrefix="f" onChange={() => {}}
      ctx={{ nodeType: 'x', check: async () => ({ ok: true, problems: [] }), loadOptions: async () => [], loadCredentials: async () => [{ id: 'c', name: 'Mail' }] }} />)
    await screen.findByRole('option', { name: 'Mail' })
    expect(await violations(container)).toEqual([])
  })
})
