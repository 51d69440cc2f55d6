import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { useState } from 'react'
import type { FieldDef } from '../catalog'
import type { Checker } from '../ExpressionField'
import { TemplateField } from './TemplateField'
import { placeCaret, read } from './editable'

afterEach(cleanup)

const catalog: FieldDef[] = [
  { path: 'trigger.email', label: 'Email', group: 'Trigger', type: 'text' },
  { path: 'contact.first_name', label: 'First name', group: 'Contact', type: 'text' },
  { path: 'contact.company', label: 'Company', group: 'Contact', type: 'text' },
]
const ok: Checker = async () => ({ ok: true, problems: [] })

function Harness({ initial, seen, check = ok, multiline }: { initial: string; seen?: string[]; check?: Checker; multiline?: boolean }) {
  const [v, setV] = useState(initial)
  return <TemplateField id="t" label="Subject" value={v} catalog={catalog} check={check} delay={0} multiline={multiline}
    onChange={(n) => { setV(n); seen?.push(n) }} />
}

const box = () => screen.getByRole('textbox', { name: 'Subject' })
const chips = () => Array.from(box().querySelectorAll('.chip')).map((c) => c.textContent)

describe('TemplateField', () => {
  it('shows fields as chips and reads back the exact text', () => {
    const text = 'Hi {{contact.first_name}},  {{ coalesce(contact.company, "your team") }} {{   vars.plan }} {{ contact.score * 2 }}\nBye'
    render(<Harness initial={text} />)
    expect(chips()).toEqual(['Contact · First name', 'Contact · Company, or “your team”', 'Remembered · Plan'])
    expect(box().textContent).not.toContain('{{ contact.first_name')
    expect(box().textContent).toContain('{{ contact.score * 2 }}') // code stays as typed
    expect(read(box())).toBe(text)
  })

  it('shows a value that is one field as the chip alone', () => {
    render(<Harness initial="{{ trigger.email }}" />)
    expect(chips()).toEqual(['Trigger · Email'])
    expect(box().textContent).toBe('Trigger · Email')
  })

  it('labels the text box and the insert button', () => {
    render(<Harness initial="" />)
    expect(box().getAttribute('contenteditable')).toBe('true')
    expect(screen.getByRole('button', { name: 'Insert a field into Subject' })).toBeTruthy()
  })

  it('inserts a chosen field at the cursor', async () => {
    const seen: string[] = []
    render(<Harness initial="Hello , welcome" seen={seen} />)
    box().focus()
    placeCaret(box(), 'Hello '.length)
    fireEvent.keyUp(box(), { key: 'ArrowLeft' })
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    const dialog = screen.getByRole('dialog', { name: 'Insert a field into Subject' })
    expect(within(dialog).getByRole('group', { name: 'Contact' })).toBeTruthy()
    fireEvent.click(within(dialog).getByRole('option', { name: 'Contact · First name' }))
    expect(seen.at(-1)).toBe('Hello {{ contact.first_name }}, welcome')
    expect(chips()).toEqual(['Contact · First name'])
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('searches fields by keyboard and writes a fallback', () => {
    const seen: string[] = []
    render(<Harness initial="Hi " seen={seen} />)
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    const search = screen.getByRole('combobox', { name: 'Search fields' })
    expect(document.activeElement).toBe(search)
    fireEvent.change(search, { target: { value: 'first' } })
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Contact · First name'])
    fireEvent.change(screen.getByLabelText('When it is empty, write (optional)'), { target: { value: 'there' } })
    fireEvent.keyDown(search, { key: 'Enter' })
    // No caret was ever placed: the field goes at the end.
    expect(seen.at(-1)).toBe('Hi {{ coalesce(contact.first_name, "there") }}')
    expect(chips()).toEqual(['Contact · First name, or “there”'])
  })

  it('closes the picker with Escape and gives focus back to its button', () => {
    render(<Harness initial="" />)
    const btn = screen.getByRole('button', { name: 'Insert a field into Subject' })
    fireEvent.click(btn)
    fireEvent.keyDown(screen.getByRole('combobox', { name: 'Search fields' }), { key: 'Escape' })
    expect(screen.queryByRole('dialog')).toBeNull()
    expect(document.activeElement).toBe(btn)
  })

  it('turns typed braces into a chip and suggests names after {{', () => {
    const seen: string[] = []
    render(<Harness initial="" seen={seen} />)
    const el = box()
    el.focus()
    el.textContent = 'Hi {{ con'
    placeCaret(el, 9)
    fireEvent.input(el)
    expect(seen.at(-1)).toBe('Hi {{ con')
    expect(screen.getByRole('option').textContent).toBe('contact.')
    fireEvent.keyDown(el, { key: 'Enter' })
    expect(seen.at(-1)).toBe('Hi {{ contact.')
    fireEvent.keyDown(el, { key: 'ArrowDown' })
    const pick = screen.getAllByRole('option').find((o) => o.getAttribute('aria-selected') === 'true')!
    expect(pick.textContent).toBe('contact.phone')
    fireEvent.keyDown(el, { key: 'Enter' })
    expect(seen.at(-1)).toBe('Hi {{ contact.phone }}')
    expect(chips()).toEqual(['Contact · Phone'])
    // Typing the closing braces by hand makes a chip too.
    el.replaceChildren(document.createTextNode('A {{contact.company}} B'))
    placeCaret(el, 21)
    fireEvent.input(el)
    expect(seen.at(-1)).toBe('A {{contact.company}} B')
    expect(chips()).toEqual(['Contact · Company'])
  })

  it('does not also type the Enter that chose a field', () => {
    const seen: string[] = []
    render(<Harness initial="Hi " seen={seen} />)
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    fireEvent.keyDown(screen.getByRole('combobox', { name: 'Search fields' }), { key: 'Enter' })
    expect(document.activeElement).toBe(box())
    // Browsers deliver the key's input to the element focused meanwhile.
    const late = new InputEvent('beforeinput', { inputType: 'insertParagraph', cancelable: true, bubbles: true })
    act(() => { box().dispatchEvent(late) })
    expect(late.defaultPrevented).toBe(true)
    expect(seen.at(-1)).toBe('Hi {{ trigger.email }}')
  })

  it('changes or removes a chip’s fallback, and removes a chip, when it is clicked', () => {
    const seen: string[] = []
    render(<Harness initial="Hi {{contact.first_name}} at {{ contact.company }}!" seen={seen} />)
    fireEvent.click(box().querySelectorAll('.chip')[1])
    const edit = screen.getByRole('dialog', { name: 'Contact · Company' })
    const input = within(edit).getByLabelText('When Contact · Company is empty, write')
    expect(document.activeElement).toBe(input)
    fireEvent.change(input, { target: { value: 'your company' } })
    fireEvent.click(within(edit).getByRole('button', { name: 'Save' }))
    expect(seen.at(-1)).toBe('Hi {{contact.first_name}} at {{ coalesce(contact.company, "your company") }}!')
    expect(chips()).toEqual(['Contact · First name', 'Contact · Company, or “your company”'])
    // Saving unchanged keeps the text as it was written.
    fireEvent.click(box().querySelectorAll('.chip')[0])
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect(seen.length).toBe(1)
    fireEvent.click(box().querySelectorAll('.chip')[1])
    fireEvent.change(screen.getByLabelText('When Contact · Company is empty, write'), { target: { value: '' } })
    fireEvent.keyDown(screen.getByLabelText('When Contact · Company is empty, write'), { key: 'Enter' })
    const late = new InputEvent('beforeinput', { inputType: 'insertParagraph', cancelable: true, bubbles: true })
    act(() => { box().dispatchEvent(late) })
    expect(late.defaultPrevented).toBe(true)
    expect(seen.at(-1)).toBe('Hi {{contact.first_name}} at {{ contact.company }}!')
    fireEvent.click(box().querySelectorAll('.chip')[0])
    fireEvent.click(screen.getByRole('button', { name: 'Remove this field' }))
    expect(seen.at(-1)).toBe('Hi  at {{ contact.company }}!')
    expect(screen.queryByRole('dialog')).toBeNull()
  })

  it('undoes and redoes its own changes with Ctrl+Z and Ctrl+Shift+Z', () => {
    const seen: string[] = []
    render(<Harness initial="Hi" seen={seen} />)
    const el = box()
    el.focus()
    placeCaret(el, 2)
    fireEvent.paste(el, { clipboardData: { getData: () => ' {{ contact.email }}' } })
    expect(chips()).toEqual(['Contact · Email'])
    fireEvent.keyDown(el, { key: 'z', ctrlKey: true })
    expect(seen.at(-1)).toBe('Hi')
    expect(chips()).toEqual([])
    fireEvent.keyDown(el, { key: 'Z', ctrlKey: true, shiftKey: true })
    expect(seen.at(-1)).toBe('Hi {{ contact.email }}')
    expect(chips()).toEqual(['Contact · Email'])
    // The browser's Undo menu goes through the same history.
    const menu = new InputEvent('beforeinput', { inputType: 'historyUndo', cancelable: true, bubbles: true })
    act(() => { el.dispatchEvent(menu) })
    expect(menu.defaultPrevented).toBe(true)
    expect(seen.at(-1)).toBe('Hi')
  })

  it('copies and cuts the template text, so a pasted chip stays a field', () => {
    const seen: string[] = []
    render(<Harness initial="Hi {{ contact.first_name }}!" seen={seen} />)
    const el = box()
    el.focus()
    const r = document.createRange()
    r.setStart(el.firstChild!, 3)
    r.setEnd(el.lastChild!, 1)
    getSelection()!.removeAllRanges()
    getSelection()!.addRange(r)
    const put = vi.fn()
    fireEvent.copy(el, { clipboardData: { setData: put } })
    expect(put).toHaveBeenCalledWith('text/plain', '{{ contact.first_name }}!')
    expect(seen).toEqual([])
    fireEvent.cut(el, { clipboardData: { setData: put } })
    expect(seen.at(-1)).toBe('Hi ')
  })

  it('keeps Enter and pasted text as plain text', () => {
    const seen: string[] = []
    render(<Harness initial="ab" seen={seen} />)
    const el = box()
    el.focus()
    placeCaret(el, 1)
    const enter = new InputEvent('beforeinput', { inputType: 'insertParagraph', cancelable: true, bubbles: true })
    act(() => { el.dispatchEvent(enter) })
    expect(enter.defaultPrevented).toBe(true)
    expect(seen.at(-1)).toBe('a\nb')
    // The last empty line shows through a <br> that is not part of the text.
    placeCaret(el, 3)
    act(() => { el.dispatchEvent(new InputEvent('beforeinput', { inputType: 'insertLineBreak', cancelable: true, bubbles: true })) })
    expect(seen.at(-1)).toBe('a\nb\n')
    expect(el.lastChild?.nodeName).toBe('BR')
    expect(read(el)).toBe('a\nb\n')
    placeCaret(el, 2)
    fireEvent.paste(el, { clipboardData: { getData: () => 'X {{ contact.email }}' } })
    expect(seen.at(-1)).toBe('a\nX {{ contact.email }}b\n')
    expect(chips()).toEqual(['Contact · Email'])
  })

  it('shows where a template is wrong', async () => {
    const check = vi.fn<Checker>(async () => ({ ok: false, problems: [{ code: 'bad_template', message: 'This text does not work: this "{{" is never closed with "}}".', line: 1, column: 4 }] }))
    render(<Harness initial="Hi {{ contact.first_name" check={check} />)
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    expect(screen.getByRole('alert').textContent).toBe('At line 1, column 4: This text does not work: this "{{" is never closed with "}}".')
    expect(document.querySelector('.problem-spot mark')?.textContent).toBe('{')
    expect(screen.getByText(/Close the field with }}/)).toBeTruthy()
    expect(box().getAttribute('aria-invalid')).toBe('true')
  })

  it('fixes a misspelt field the server recognises', async () => {
    const seen: string[] = []
    const check: Checker = async (t) => (t.includes('frist')
      ? { ok: false, problems: [{ code: 'bad_template', line: 1, column: 13, message: 'This text does not work: contact has no field "frist_name" (did you mean "first_name"?).' }] }
      : { ok: true, problems: [] })
    render(<Harness initial="Hi {{ contact.frist_name }}" seen={seen} check={check} />)
    expect(chips()).toEqual(['Contact · Frist name'])
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    fireEvent.click(screen.getByRole('button', { name: 'Change “frist_name” to “first_name”' }))
    expect(seen.at(-1)).toBe('Hi {{ contact.first_name }}')
    expect(chips()).toEqual(['Contact · First name'])
  })

  it('keeps a one-line field on one line', () => {
    const seen: string[] = []
    render(<Harness initial="ab" seen={seen} multiline={false} />)
    const el = box()
    expect(el.getAttribute('aria-multiline')).toBe('false')
    el.focus()
    placeCaret(el, 1)
    const enter = new InputEvent('beforeinput', { inputType: 'insertParagraph', cancelable: true, bubbles: true })
    act(() => { el.dispatchEvent(enter) })
    expect(enter.defaultPrevented).toBe(true)
    expect(seen).toEqual([])
    fireEvent.paste(el, { clipboardData: { getData: () => 'x\n  y\r\nz' } })
    expect(seen.at(-1)).toBe('ax y zb')
  })

  it('opens the chip next to the cursor with Alt+Enter', () => {
    const seen: string[] = []
    render(<Harness initial="Hi {{ contact.first_name }} and {{ contact.company }}" seen={seen} />)
    const el = box()
    el.focus()
    placeCaret(el, 'Hi {{ contact.first_name }}'.length)
    fireEvent.keyDown(el, { key: 'Enter', altKey: true })
    const input = screen.getByLabelText('When Contact · First name is empty, write')
    fireEvent.change(input, { target: { value: 'there' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(seen.at(-1)).toBe('Hi {{ coalesce(contact.first_name, "there") }} and {{ contact.company }}')
    // Right before a chip opens that one.
    placeCaret(el, seen.at(-1)!.indexOf('{{ contact.company'))
    fireEvent.keyDown(el, { key: 'F2' })
    expect(screen.getByRole('dialog', { name: 'Contact · Company' })).toBeTruthy()
  })

  it('offers only fields that read well in a text', () => {
    const withSets: FieldDef[] = [...catalog, { path: 'contact.tags', label: 'Tags', group: 'Contact', type: 'tags' }]
    render(<TemplateField id="t" label="Subject" value="" onChange={() => {}} catalog={withSets} check={ok} delay={0} />)
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Trigger · Email', 'Contact · First name', 'Contact · Company'])
  })

  it('draws chips again when labels change, not when the same catalog comes anew', () => {
    const { rerender } = render(<TemplateField id="t" label="Subject" value="Hi {{ trigger.plan }}" onChange={() => {}} catalog={[...catalog]} check={ok} delay={0} />)
    expect(chips()).toEqual(['Trigger · Plan'])
    const first = box().querySelector('.chip')
    rerender(<TemplateField id="t" label="Subject" value="Hi {{ trigger.plan }}" onChange={() => {}} catalog={[...catalog]} check={ok} delay={0} />)
    expect(box().querySelector('.chip')).toBe(first)
    rerender(<TemplateField id="t" label="Subject" value="Hi {{ trigger.plan }}" onChange={() => {}} check={ok} delay={0}
      catalog={[...catalog, { path: 'trigger.plan', label: 'Chosen plan', group: 'Trigger', type: 'text' }]} />)
    expect(chips()).toEqual(['Trigger · Chosen plan'])
  })
})
