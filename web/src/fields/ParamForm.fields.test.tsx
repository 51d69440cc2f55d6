// The form's template parameters use the chip field, with the journey's
// catalog for labels and the picker.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import { ParamForm } from '../ParamForm'
import type { ParamSpec } from '../api'
import type { FieldDef } from '../catalog'

afterEach(cleanup)

const catalog: FieldDef[] = [{ path: 'trigger.email', label: 'Email', group: 'Trigger', type: 'text' }]
const specs: ParamSpec[] = [
  { name: 'email', label: 'Email', kind: 'template' },
  { name: 'body', label: 'Text', kind: 'template', required: true },
]

function Harness({ seen }: { seen: Record<string, unknown>[] }) {
  const [v, setV] = useState<Record<string, unknown>>({ email: '{{ trigger.email }}' })
  const [ctx] = useState(() => ({ nodeType: 'crm.upsert_contact', catalog, check: async () => ({ ok: true, problems: [] }) }))
  return <ParamForm specs={specs} values={v} idPrefix="t" ctx={ctx} onChange={(n) => { setV(n); seen.push(n) }} />
}

describe('template parameters in a form', () => {
  it('show chips with the catalog’s labels and insert its fields', () => {
    const seen: Record<string, unknown>[] = []
    render(<Harness seen={seen} />)
    const email = screen.getByRole('textbox', { name: 'Email' })
    expect(email.textContent).toBe('Trigger · Email')
    expect(email.getAttribute('aria-multiline')).toBe('false')
    expect(screen.getByRole('textbox', { name: 'Text' }).getAttribute('aria-multiline')).toBe('true')
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Text' }))
    fireEvent.click(screen.getByRole('option', { name: 'Trigger · Email' }))
    expect(seen.at(-1)).toEqual({ email: '{{ trigger.email }}', body: '{{ trigger.email }}' })
  })
})
