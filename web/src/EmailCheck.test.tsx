// The result of a "Check the email address" step: on the contact's
// profile as one plain line, in the field pickers, and on the step's card.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import ContactsPage from './ContactsPage'
import { ConditionField } from './conditions/ConditionField'
import { fieldCatalog } from './catalog'
import { describeNode } from './describe'
import type { FlowDoc } from './api'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

function profile(fields: Record<string, unknown>) {
  const contact = { id: 'c1', email: 'ana@gmial.com', phone: null, external_id: null, first_name: 'Ana', last_name: 'Ruiz', company: '', score: 0,
    time_zone: '', fields, consent: {}, created_at: '2026-12-01T10:00:00Z', updated_at: '2026-12-01T10:00:00Z' }
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    const body = url.startsWith('/api/v1/contacts/c1') ? { contact, deals: [], tasks: [], notes: [], timeline: [] } : { messages: [] }
    return new Response(JSON.stringify(body), { status: 200 })
  }))
  render(<ContactsPage path="/contacts/c1" />)
}

describe('email check', () => {
  it('shows the result and its reason on the profile, not as raw fields', async () => {
    profile({ email_status: 'risky', email_check_reason: 'looks like a typo of gmail.com', plan: 'pro' })
    const line = await screen.findByTestId('email-check')
    expect(line.textContent).toBe('risky — looks like a typo of gmail.com')
    expect(screen.getByText('Email check')).toBeTruthy()
    expect(screen.queryByText('email_status')).toBeNull()
    expect(screen.queryByText('email_check_reason')).toBeNull()
    expect(screen.getByText('plan')).toBeTruthy() // other custom fields still show
  })

  it('shows nothing for an address never checked', async () => {
    profile({ plan: 'pro' })
    await screen.findByText('plan')
    expect(screen.queryByTestId('email-check')).toBeNull()
  })

  it('offers the result to conditions', () => {
    const doc = { id: 'f', name: 'F', nodes: [{ id: 'check', type: 'contact.verify_email', params: {} }], edges: [] } as unknown as FlowDoc
    const paths = fieldCatalog(doc).map((f) => f.path)
    expect(paths).toContain('contact.fields.email_status')
    expect(paths).toContain('vars.email_status')
    expect(paths).toContain('vars.email_suggestion')
    const without = { ...doc, nodes: [] } as unknown as FlowDoc
    expect(fieldCatalog(without).map((f) => f.path)).not.toContain('vars.email_status')
  })

  it('says on the card which address is checked', () => {
    expect(describeNode({ type: 'contact.verify_email', params: {} })).toBe("Check the contact's email address")
    expect(describeNode({ type: 'contact.verify_email', params: { email: '{{ contact.email }}' } })).toBe("Check the contact's email address")
    expect(describeNode({ type: 'contact.verify_email', params: { email: '{{ trigger.email }}' } })).toBe('Check the email address [Trigger · Email]')
  })

  it('lets a condition pick "risky" instead of typing it', () => {
    const doc = { id: 'f', name: 'F', nodes: [{ id: 'check', type: 'contact.verify_email', params: {} }], edges: [] } as unknown as FlowDoc
    const seen: string[] = []
    render(<ConditionField id="c" label="Condition" value="" catalog={fieldCatalog(doc)} check={async () => ({ ok: true, problems: [] })}
      onChange={(v) => seen.push(v)} />)
    fireEvent.change(screen.getByLabelText('Field of condition 1'), { target: { value: 'vars.email_status' } })
    fireEvent.change(screen.getByLabelText('Operator of condition 1'), { target: { value: 'eq' } })
    const input = screen.getByLabelText('Value of condition 1') as HTMLInputElement
    const list = document.getElementById(input.getAttribute('list') ?? '')
    expect([...(list?.querySelectorAll('option') ?? [])].map((o) => o.getAttribute('value'))).toEqual(['valid', 'risky', 'invalid'])
    fireEvent.change(input, { target: { value: 'risky' } })
    expect(seen.at(-1)).toBe('vars.email_status == "risky"')
  })
})
