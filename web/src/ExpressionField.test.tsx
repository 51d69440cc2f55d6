import { describe, expect, it, vi } from 'vitest'
import { act, render, screen, fireEvent } from '@testing-library/react'
import { useState } from 'react'
import { completionsAt, ExpressionField, type Checker } from './ExpressionField'

function Harness({ check, names }: { check: Checker; names?: Record<string, string[]> }) {
  const [v, setV] = useState('')
  return <ExpressionField id="e" label="Condition" value={v} onChange={setV} check={check} returns="bool" names={names} delay={0} />
}

describe('completionsAt', () => {
  it('suggests the roots and then their names', () => {
    expect(completionsAt('con', 3)?.items).toEqual(['contact.'])
    expect(completionsAt('contact.fi', 10)?.items).toEqual(['contact.first_name', 'contact.fields'])
    expect(completionsAt('trigger.sc', 10, { trigger: ['score', 'email'] })?.items).toEqual(['trigger.score'])
    expect(completionsAt('x >= 5', 6)).toBeNull()
  })
})

describe('ExpressionField', () => {
  it('checks what is typed with the server and shows its problem', async () => {
    const check = vi.fn<Checker>(async (e) => (e.includes('>=') && !/\d$/.test(e)
      ? { ok: false, problems: [{ code: 'bad_expression', message: 'The condition ends too early (line 1, column 17).' }] }
      : { ok: true, problems: [] }))
    render(<Harness check={check} />)
    const box = screen.getByLabelText('Condition')
    await act(async () => { fireEvent.change(box, { target: { value: 'trigger.score >=', selectionStart: 16 } }) })
    await act(async () => { await new Promise((r) => setTimeout(r, 10)) })
    expect(check).toHaveBeenLastCalledWith('trigger.score >=', 'bool', false)
    expect(screen.getByRole('alert').textContent).toContain('ends too early')
    expect(box.getAttribute('aria-invalid')).toBe('true')
    await act(async () => { fireEvent.change(box, { target: { value: 'trigger.score >= 50', selectionStart: 19 } }) })
    await act(async () => { await new Promise((r) => setTimeout(r, 10)) })
    expect(screen.queryByRole('alert')).toBeNull()
    expect(screen.getByText('Looks good.')).toBeTruthy()
  })

  it('completes names with the keyboard', async () => {
    render(<Harness check={async () => ({ ok: true, problems: [] })} names={{ trigger: ['score'] }} />)
    const box = screen.getByLabelText('Condition') as HTMLTextAreaElement
    await act(async () => { fireEvent.change(box, { target: { value: 'trigger.s', selectionStart: 9 } }) })
    expect(screen.getByRole('listbox')).toBeTruthy()
    expect(screen.getByRole('option', { selected: true }).textContent).toBe('trigger.score')
    await act(async () => { fireEvent.keyDown(box, { key: 'Enter' }) })
    expect(box.value).toBe('trigger.score')
    expect(screen.queryByRole('listbox')).toBeNull()
  })
})

describe('ExpressionField problems', () => {
  it('marks the place of a problem and says what would fix it', async () => {
    const check = vi.fn<Checker>(async () => ({ ok: false, problems: [{ code: 'bad_expression', line: 1, column: 17,
      message: 'This condition does not work: it ends too early; something is missing at the end.' }] }))
    render(<Harness check={check} />)
    const box = screen.getByLabelText('Condition')
    await act(async () => { fireEvent.change(box, { target: { value: 'contact.score >= ', selectionStart: 17 } }) })
    await act(async () => { await new Promise((r) => setTimeout(r, 10)) })
    expect(screen.getByRole('alert').textContent).toBe('At line 1, column 17: This condition does not work: it ends too early; something is missing at the end.')
    const spot = document.querySelector('.problem-spot')!
    expect(spot.textContent).toBe('contact.score >= ')
    expect(spot.querySelector('mark')!.textContent).toBe(' ')
    expect(screen.getByText(/Add what is missing at the end/)).toBeTruthy()
  })

  it('offers the name the server suggests, and puts it in the right place', async () => {
    const check = vi.fn<Checker>(async (e) => (e.startsWith('contcat') || e.includes(' contcat')
      ? { ok: false, problems: [{ code: 'bad_expression', line: 1, column: 23, message: 'This condition does not work: there is nothing called "contcat" (did you mean "contact"?) (line 1, column 23).' }] }
      : { ok: true, problems: [] }))
    render(<Harness check={check} />)
    const box = screen.getByLabelText('Condition') as HTMLTextAreaElement
    await act(async () => { fireEvent.change(box, { target: { value: 'contact.score > 1 and contcat.score < 9', selectionStart: 5 } }) })
    await act(async () => { await new Promise((r) => setTimeout(r, 10)) })
    // The position is said once, not repeated from the message.
    expect(screen.getByRole('alert').textContent).toBe('At line 1, column 23: This condition does not work: there is nothing called "contcat" (did you mean "contact"?).')
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Change “contcat” to “contact”' })) })
    expect(box.value).toBe('contact.score > 1 and contact.score < 9')
  })
})
