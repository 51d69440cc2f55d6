import { describe, expect, it, vi } from 'vitest'
import { render, screen, fireEvent, waitFor } from '@testing-library/react'
import { useState } from 'react'
import { ParamForm, type FormContext } from './ParamForm'
import type { ParamSpec, Problem } from './api'

const ok = async () => ({ ok: true, problems: [] })

function Harness({ specs, initial = {}, problems = [], ctx, onValues }: {
  specs: ParamSpec[]; initial?: Record<string, unknown>; problems?: Problem[]; ctx?: Partial<FormContext>
  onValues?: (v: Record<string, unknown>) => void
}) {
  const [v, setV] = useState(initial)
  return <ParamForm specs={specs} values={v} idPrefix="t" problems={problems}
    ctx={{ nodeType: 'x.test', check: ok, loadOptions: async () => [], loadCredentials: async () => [], ...ctx }}
    onChange={(n) => { setV(n); onValues?.(n) }} />
}

describe('ParamForm', () => {
  it('renders one labelled field per parameter kind', () => {
    const specs: ParamSpec[] = [
      { name: 'title', label: 'Title', kind: 'string', required: true },
      { name: 'points', label: 'Points', kind: 'integer' },
      { name: 'mode', label: 'How to wait', kind: 'enum', enum: ['duration', 'until'] },
      { name: 'due_in', label: 'Due in', kind: 'duration' },
      { name: 'condition', label: 'Condition', kind: 'expression', returns: 'bool' },
      { name: 'body', label: 'Body', kind: 'template' },
      { name: 'active', label: 'Active', kind: 'boolean' },
    ]
    render(<Harness specs={specs} />)
    expect(screen.getByLabelText(/^Title/)).toHaveProperty('type', 'text')
    expect(screen.getByLabelText('Points')).toHaveProperty('type', 'number')
    expect(screen.getByLabelText('How to wait').tagName).toBe('SELECT')
    expect(screen.getByLabelText('Due in')).toHaveProperty('type', 'text')
    expect(screen.getByLabelText('Condition').tagName).toBe('TEXTAREA')
    expect(screen.getByRole('textbox', { name: 'Body' }).getAttribute('contenteditable')).toBe('true')
    expect(screen.getByLabelText('Active')).toHaveProperty('type', 'checkbox')
  })

  it('writes typed values and drops emptied ones', () => {
    const seen: Record<string, unknown>[] = []
    render(<Harness specs={[{ name: 'points', label: 'Points', kind: 'integer' }, { name: 'due_in', label: 'Due in', kind: 'duration' }]}
      onValues={(v) => seen.push(v)} />)
    fireEvent.change(screen.getByLabelText('Points'), { target: { value: '15' } })
    expect(seen.at(-1)).toEqual({ points: 15 })
    fireEvent.change(screen.getByLabelText('Due in'), { target: { value: '2d' } })
    expect(seen.at(-1)).toEqual({ points: 15, due_in: '2d' })
    expect(screen.getByText('= 2 days')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Points'), { target: { value: '' } })
    expect(seen.at(-1)).toEqual({ due_in: '2d' })
  })

  it('says how to write a duration it cannot read', () => {
    render(<Harness specs={[{ name: 'due_in', label: 'Due in', kind: 'duration' }]} />)
    fireEvent.change(screen.getByLabelText('Due in'), { target: { value: 'two days' } })
    expect(screen.getByText(/Write a number and a unit/)).toBeTruthy()
  })

  it('lists choices by their plain names and saves the value', () => {
    const seen: Record<string, unknown>[] = []
    const specs: ParamSpec[] = [{ name: 'preset', label: 'Chat platform', kind: 'enum',
      enum: ['bot_framework', 'dialogflow_cx', 'manychat'],
      enum_labels: { bot_framework: 'Microsoft Bot Framework (Azure Bot Service, Teams)', manychat: 'ManyChat' } }]
    render(<Harness specs={specs} onValues={(v) => seen.push(v)} />)
    const select = screen.getByLabelText('Chat platform') as HTMLSelectElement
    expect([...select.options].map((o) => o.textContent)).toEqual(
      ['Choose…', 'Microsoft Bot Framework (Azure Bot Service, Teams)', 'dialogflow cx', 'ManyChat'])
    fireEvent.change(select, { target: { value: 'manychat' } })
    expect(seen.at(-1)).toEqual({ preset: 'manychat' })
  })

  it('shows and hides fields by show_if', () => {
    const specs: ParamSpec[] = [
      { name: 'mode', label: 'Mode', kind: 'enum', enum: ['duration', 'until'], default: 'duration' },
      { name: 'duration', label: 'For how long', kind: 'duration', show_if: { mode: ['duration'] } },
      { name: 'until', label: 'Until when', kind: 'datetime', show_if: { mode: ['until'] } },
    ]
    render(<Harness specs={specs} />)
    expect(screen.queryByLabelText('For how long')).toBeTruthy()
    expect(screen.queryByLabelText('Until when')).toBeNull()
    fireEvent.change(screen.getByLabelText('Mode'), { target: { value: 'until' } })
    expect(screen.queryByLabelText('For how long')).toBeNull()
    expect(screen.queryByLabelText('Until when')).toBeTruthy()
  })

  it('shows a saved problem next to its field', () => {
    render(<Harness specs={[{ name: 'list', label: 'List', kind: 'string', required: true }]}
      problems={[{ code: 'missing_param', param: 'list', message: 'Choose the list to add the contact to.' }]} />)
    const input = screen.getByLabelText(/^List/)
    expect(input.getAttribute('aria-invalid')).toBe('true')
    const help = document.getElementById(input.getAttribute('aria-describedby')!)!
    expect(help.textContent).toContain('Choose the list to add the contact to.')
  })

  it('offers dynamic choices from the server', async () => {
    const loadOptions = vi.fn(async () => ['nurture', 'vip'])
    render(<Harness specs={[{ name: 'list', label: 'List', kind: 'string', options: 'lists' }]} ctx={{ loadOptions }} />)
    await waitFor(() => expect(document.querySelectorAll('datalist option').length).toBe(2))
    expect(loadOptions).toHaveBeenCalledWith('x.test', 'list')
  })

  it('edits list parameters item by item', () => {
    const seen: Record<string, unknown>[] = []
    const specs: ParamSpec[] = [{ name: 'branches', label: 'Paths', kind: 'list', fields: [
      { name: 'name', label: 'Path name', kind: 'string' }, { name: 'weight', label: 'Weight', kind: 'integer' }] }]
    render(<Harness specs={specs} onValues={(v) => seen.push(v)} />)
    fireEvent.click(screen.getByRole('button', { name: 'Add' }))
    fireEvent.change(screen.getByLabelText('Path name'), { target: { value: 'a' } })
    fireEvent.change(screen.getByLabelText('Weight'), { target: { value: '50' } })
    expect(seen.at(-1)).toEqual({ branches: [{ name: 'a', weight: 50 }] })
  })

  it('offers the saved connections of the kind the step accepts', async () => {
    const loadCredentials = vi.fn(async (kind: string) => (kind === 'smtp' ? [{ id: 'c1', name: 'Office mail' }] : []))
    render(<Harness specs={[{ name: 'credential', label: 'Connection', kind: 'credential', credential_kind: 'smtp' }]} ctx={{ loadCredentials }} />)
    await waitFor(() => expect(screen.getByRole('option', { name: 'Office mail' })).toBeTruthy())
    expect(loadCredentials).toHaveBeenCalledWith('smtp')
  })

  it('offers the built-in store first for a CRM target', async () => {
    const loadCredentials = vi.fn(async () => [{ id: 'h1', name: 'Sales HubSpot' }])
    render(<Harness specs={[{ name: 'target', label: 'Save to', kind: 'credential', credential_kind: 'hubspot,pipedrive', default: 'builtin' }]} ctx={{ loadCredentials }} />)
    await waitFor(() => expect(screen.getByRole('option', { name: 'Sales HubSpot' })).toBeTruthy())
    expect(screen.getByRole('option', { name: "This app's contacts (built in)" })).toBeTruthy()
    expect(loadCredentials).toHaveBeenCalledWith('hubspot,pipedrive')
  })

  it('says that a message step without an account keeps its messages in the sandbox', async () => {
    const loadCredentials = vi.fn(async () => [{ id: 't1', name: 'Twilio' }])
    render(<Harness specs={[{ name: 'sms_credential', label: 'SMS account', kind: 'credential', credential_kind: 'twilio', without_account: 'sandbox' }]} ctx={{ loadCredentials }} />)
    await waitFor(() => expect(screen.getByRole('option', { name: 'Twilio' })).toBeTruthy())
    expect(screen.getByRole('option', { name: 'None: keep it in the sandbox outbox (nothing is sent)' })).toBeTruthy()
  })

  it('says when the server has no saved connections yet', async () => {
    render(<Harness specs={[{ name: 'credential', label: 'Connection', kind: 'credential' }]} ctx={{ loadCredentials: async () => null }} />)
    await waitFor(() => expect(screen.getByText(/not available on this server yet/)).toBeTruthy())
  })
})
