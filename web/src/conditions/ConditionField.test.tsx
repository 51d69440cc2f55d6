import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import axe from 'axe-core'
import { ConditionField } from './ConditionField'
import { fieldCatalog, type FieldDef } from '../catalog'
import type { FlowDoc } from '../api'
import { ParamForm } from '../ParamForm'
import { describeCondition } from './describe'
import { humanCondition } from '../describe'

afterEach(cleanup)

const doc = { id: 'j', name: 'J', settings: {}, nodes: [{ id: 'w', type: 'trigger.webhook', params: { path: 'x' }, position: { x: 0, y: 0 } }], edges: [] } as unknown as FlowDoc
const catalog: FieldDef[] = fieldCatalog(doc)
const ok = async () => ({ ok: true, problems: [] })

function Harness({ initial = '', seen, loadOptions }: { initial?: string; seen: string[]; loadOptions?: (t: string, p: string) => Promise<string[]> }) {
  const [v, setV] = useState(initial)
  return (
    <>
      <ConditionField id="c" label="Condition" value={v} catalog={catalog} check={ok} loadOptions={loadOptions}
        onChange={(n) => { seen.push(n); setV(n) }} />
      <output data-testid="value">{v}</output>
    </>
  )
}

const pick = (name: string, value: string) => fireEvent.change(screen.getByLabelText(name), { target: { value } })

describe('ConditionField', () => {
  it('builds "Lead score is at least 50" from choices and a typed number', () => {
    const seen: string[] = []
    render(<Harness seen={seen} />)
    // An empty condition opens the builder with one empty row.
    expect(screen.getByRole('group', { name: 'Condition 1' })).toBeTruthy()
    expect(screen.getByText('Choose a field.')).toBeTruthy()
    const field = screen.getByLabelText('Field of condition 1') as HTMLSelectElement
    expect([...field.options].map((o) => o.text)).toContain('Contact · Lead score')
    expect([...field.querySelectorAll('optgroup')].map((g) => g.label)).toEqual(['Trigger', 'Contact'])
    pick('Field of condition 1', 'contact.score')
    // Nothing is written while the row is incomplete.
    expect(seen.filter(Boolean)).toEqual([])
    const ops = screen.getByLabelText('Operator of condition 1') as HTMLSelectElement
    expect([...ops.options].map((o) => o.text)).toEqual(['is', 'is not', 'is at least', 'is at most', 'is more than', 'is less than', 'is between', 'is set', 'is empty'])
    pick('Operator of condition 1', 'gte')
    expect(screen.getByText('Enter a number.')).toBeTruthy()
    pick('Value of condition 1', '50')
    expect(seen.at(-1)).toBe('contact.score >= 50')
    expect(screen.queryByText('Enter a number.')).toBeNull()
    expect(describeCondition(seen.at(-1)!, catalog)).toBe('Lead score is at least 50')
    expect(humanCondition(seen.at(-1))).toBe('lead score is at least 50')
    // An empty new row changes nothing that is saved.
    const count = seen.length
    fireEvent.click(screen.getByRole('button', { name: 'Add a condition' }))
    expect(screen.getByLabelText('Field of condition 2')).toBeTruthy()
    expect(seen.length).toBe(count)
  })

  it('switches to expression mode and back', async () => {
    const seen: string[] = []
    render(<Harness initial="contact.score >= 50" seen={seen} />)
    expect((screen.getByLabelText('Value of condition 1') as HTMLInputElement).value).toBe('50')
    fireEvent.click(screen.getByRole('button', { name: 'Edit as expression' }))
    const box = screen.getByLabelText('Condition') as HTMLTextAreaElement
    expect(box.value).toBe('contact.score >= 50')
    await act(async () => { fireEvent.change(box, { target: { value: 'contact.score >= 70 and hasTag("vip")', selectionStart: 5 } }) })
    fireEvent.click(screen.getByRole('button', { name: 'Use the builder' }))
    expect((screen.getByLabelText('Value of condition 1') as HTMLInputElement).value).toBe('70')
    expect((screen.getByLabelText('Value of condition 2') as HTMLInputElement).value).toBe('vip')
    expect((screen.getByLabelText('Match') as HTMLSelectElement).value).toBe('all')
    pick('Match', 'any')
    expect(seen.at(-1)).toBe('contact.score >= 70 or hasTag("vip")')
  })

  it('opens text it cannot show as an expression, with a way to start over', () => {
    const seen: string[] = []
    render(<Harness initial={'lower(string(trigger.transcript)) contains "demo"'} seen={seen} />)
    expect(screen.getByText(/This condition is written as an expression\. Edit it below, or/)).toBeTruthy()
    expect((screen.getByLabelText('Condition') as HTMLTextAreaElement).value).toContain('transcript')
    expect(screen.queryByLabelText('Field of condition 1')).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Start over with the builder' }))
    expect(seen.at(-1)).toBe('')
    expect(screen.getByLabelText('Field of condition 1')).toBeTruthy()
  })

  it('reads a new value given from outside (undo, another step)', () => {
    function Outer() {
      const [v, setV] = useState('contact.score >= 50')
      return (
        <>
          <button type="button" onClick={() => setV('hasTag("vip")')}>Undo</button>
          <ConditionField id="c" label="Condition" value={v} catalog={catalog} check={ok} onChange={setV} loadOptions={async () => []} />
        </>
      )
    }
    render(<Outer />)
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }))
    expect((screen.getByLabelText('Operator of condition 1') as HTMLSelectElement).value).toBe('has_tag')
    expect((screen.getByLabelText('Value of condition 1') as HTMLInputElement).value).toBe('vip')
  })

  it('offers operators and values by the field type', async () => {
    const seen: string[] = []
    const loadOptions = vi.fn(async (t: string) => (t === 'contact.tag' ? ['vip', 'lead'] : ['nurture']))
    render(<Harness seen={seen} loadOptions={loadOptions} />)
    pick('Field of condition 1', 'contact.tags')
    expect([...(screen.getByLabelText('Operator of condition 1') as HTMLSelectElement).options].map((o) => o.text)).toEqual(['has tag', 'does not have tag'])
    await act(async () => {})
    expect(loadOptions).toHaveBeenCalledWith('contact.tag', 'add')
    expect([...document.querySelectorAll('#c-r1-choices option')].map((o) => (o as HTMLOptionElement).value)).toEqual(['vip', 'lead'])
    pick('Operator of condition 1', 'not_has_tag')
    pick('Value of condition 1', 'vip')
    expect(seen.at(-1)).toBe('not hasTag("vip")')

    fireEvent.click(screen.getByRole('button', { name: 'Add a condition' }))
    pick('Field of condition 2', 'contact.last_activity_at')
    pick('Operator of condition 2', 'before')
    pick('Value of condition 2', '2 weeks')
    expect(seen.at(-1)).toBe('not hasTag("vip") and daysSince(contact.last_activity_at) / 7 > 2')
    pick('Unit of condition 2', 'days')
    expect(seen.at(-1)).toBe('not hasTag("vip") and daysSince(contact.last_activity_at) > 2')

    fireEvent.click(screen.getByRole('button', { name: 'Add a condition' }))
    pick('Field of condition 3', 'contact.consent')
    pick('Value of condition 3', 'whatsapp')
    expect(seen.at(-1)).toContain(' and contact.consent.whatsapp == true')

    fireEvent.click(screen.getByRole('button', { name: 'Remove condition 1' }))
    fireEvent.click(screen.getByRole('button', { name: 'Remove condition 1' }))
    pick('Field of condition 1', 'contact.first_name')
    expect((screen.getByLabelText('Operator of condition 1') as HTMLSelectElement).value).toBe('eq')
    pick('Operator of condition 1', 'is_empty')
    expect(seen.at(-1)).toBe('(contact.first_name ?? "") == ""')
    pick('Field of condition 1', 'contact.score')
    pick('Operator of condition 1', 'between')
    pick('Lowest value of condition 1', '10')
    expect(seen.at(-1)).toBe('')
    pick('Highest value of condition 1', '20')
    expect(seen.at(-1)).toBe('(10 <= contact.score and contact.score <= 20)')
  })

  it('takes a trigger field typed by name, and groups', () => {
    const seen: string[] = []
    render(<Harness seen={seen} />)
    expect(screen.queryByRole('option', { name: 'Another event field…' })).toBeNull()
    pick('Field of condition 1', '\u0000trigger')
    expect(screen.getByText('Write the field’s name.')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Field name of condition 1'), { target: { value: 'plan name' } })
    pick('Value of condition 1', 'Pro "Max"')
    expect(seen.at(-1)).toBe('trigger["plan name"] == "Pro \\"Max\\""')
    fireEvent.click(screen.getByRole('button', { name: 'Add a group' }))
    pick('Field of condition 2.1', 'contact.lists')
    pick('Value of condition 2.1', 'nurture')
    fireEvent.click(screen.getByRole('button', { name: 'Add a condition to group 2' }))
    pick('Field of condition 2.2', 'contact.score')
    pick('Operator of condition 2.2', 'lt')
    pick('Value of condition 2.2', '-5')
    expect((screen.getByLabelText('In group 2, match') as HTMLSelectElement).value).toBe('any')
    expect(seen.at(-1)).toBe('trigger["plan name"] == "Pro \\"Max\\"" and (inList("nurture") or contact.score < -5)')
    fireEvent.click(screen.getByRole('button', { name: 'Remove group 2' }))
    expect(seen.at(-1)).toBe('trigger["plan name"] == "Pro \\"Max\\""')
  })

  it('has every control labelled (axe)', async () => {
    const { container } = render(<Harness initial={'contact.score >= 50 and (hasTag("a") or daysSince(contact.created_at) <= 3) and (10 <= trigger.score and trigger.score <= 20)'} seen={[]} loadOptions={async () => []} />)
    await act(async () => {})
    const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])
  })
})

describe('ParamForm with a catalog', () => {
  it('uses the builder for yes/no parameters, with event fields for a wait', () => {
    const seen: Record<string, unknown>[] = []
    function Form() {
      const [v, setV] = useState<Record<string, unknown>>({})
      return <ParamForm specs={[{ name: 'match', label: 'Only when', kind: 'expression', returns: 'bool' }, { name: 'value', label: 'Amount', kind: 'expression', returns: 'any' }]}
        values={v} idPrefix="p" onChange={(n) => { seen.push(n); setV(n) }}
        ctx={{ nodeType: 'wait.event', catalog, check: ok, loadOptions: async () => [] }} />
    }
    render(<Form />)
    const field = screen.getByLabelText('Field of condition 1') as HTMLSelectElement
    expect([...field.querySelectorAll('optgroup')].map((g) => g.label)).toEqual(['Contact', 'Event'])
    pick('Field of condition 1', 'event.type')
    pick('Operator of condition 1', 'starts_with')
    pick('Value of condition 1', 'email.')
    expect(seen.at(-1)).toEqual({ match: 'event.type startsWith "email."' })
    // A field of the event's data typed by name.
    fireEvent.click(screen.getByRole('button', { name: 'Add a condition' }))
    pick('Field of condition 2', '\u0000event.data')
    fireEvent.change(screen.getByLabelText('Field name of condition 2'), { target: { value: 'campaign' } })
    pick('Value of condition 2', 'welcome')
    expect(seen.at(-1)).toEqual({ match: 'event.type startsWith "email." and event.data.campaign == "welcome"' })
    expect((screen.getByLabelText('Field of condition 2') as HTMLSelectElement).value).toBe('\u0000event.data')
    // An expression that is not a condition keeps the text box.
    expect(screen.getByLabelText('Amount').tagName).toBe('TEXTAREA')
  })
})
