import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { useState } from 'react'
import { ParamForm } from '../ParamForm'
import type { ParamSpec } from '../api'
import { groupEvents } from './events'

afterEach(cleanup)

const spec: ParamSpec = { name: 'event_type', label: 'Event', kind: 'string', required: true, options: 'event_types' }

function Harness({ initial = {}, seen, load }: { initial?: Record<string, unknown>; seen: Record<string, unknown>[]; load: () => Promise<unknown[]> }) {
  const [v, setV] = useState(initial)
  // One context for the form's life, as SidePanel keeps it: a new one would load the choices again.
  const [ctx] = useState(() => ({ nodeType: 'trigger.event', check: async () => ({ ok: true, problems: [] }), loadOptions: load as never }))
  return <ParamForm specs={[spec]} values={v} idPrefix="t" onChange={(n) => { setV(n); seen.push(n) }} ctx={ctx} />
}

describe('groupEvents', () => {
  it('adds sentences and groups to what the server lists, and keeps its own', () => {
    const g = groupEvents([{ value: 'email.opened', label: 'email.opened' }, { value: 'order.paid' },
      { value: 'quiz.done', description: 'The contact finished the quiz', group: 'Quizzes' }])
    const by = Object.fromEntries(g)
    expect(by.Email.find((e) => e.value === 'email.opened')?.description).toBe('The contact opened an email')
    expect(by['Seen on this server'].map((e) => e.value)).toContain('order.paid')
    expect(by.Quizzes).toEqual([{ value: 'quiz.done', description: 'The contact finished the quiz', group: 'Quizzes' }])
    expect(g.map(([name]) => name).slice(0, 5)).toEqual(['Email', 'SMS', 'WhatsApp', 'Chat', 'Forms and shop'])
    // Each event once.
    const values = g.flatMap(([, es]) => es.map((e) => e.value))
    expect(new Set(values).size).toBe(values.length)
  })
})

describe('EventPicker in a form', () => {
  it('offers events by sentence, grouped, and stores the event name', async () => {
    const seen: Record<string, unknown>[] = []
    render(<Harness seen={seen} load={async () => [{ value: 'email.opened', label: 'email.opened' }, { value: 'order.paid', label: 'order.paid' }]} />)
    const select = screen.getByRole('combobox', { name: /^Event/ })
    await screen.findByRole('option', { name: 'order.paid' })
    const sms = screen.getByRole('group', { name: 'SMS' })
    expect(within(sms).getByRole('option', { name: 'An SMS was not delivered to the contact’s phone' })).toBeTruthy()
    expect(within(screen.getByRole('group', { name: 'Seen on this server' })).getByRole('option', { name: 'order.paid' })).toBeTruthy()
    fireEvent.change(select, { target: { value: 'email.opened' } })
    expect(seen.at(-1)).toEqual({ event_type: 'email.opened' })
    expect((screen.getByRole('option', { name: 'The contact opened an email' }) as HTMLOptionElement).selected).toBe(true)
  })

  it('works with plain values from an older server', async () => {
    const seen: Record<string, unknown>[] = []
    render(<Harness seen={seen} load={async () => ['chat.finished', 'team.custom']} />)
    expect(await screen.findByRole('option', { name: 'team.custom' })).toBeTruthy()
    expect(screen.getByRole('option', { name: 'A chat conversation with the contact finished' })).toBeTruthy()
  })

  it('accepts another event by name', async () => {
    const seen: Record<string, unknown>[] = []
    render(<Harness seen={seen} load={async () => []} />)
    await act(async () => {}) // the choices load
    fireEvent.change(screen.getByRole('combobox', { name: /^Event/ }), { target: { value: '\u0000other' } })
    const name = screen.getByRole('textbox', { name: 'Name of the event' })
    fireEvent.change(name, { target: { value: 'Order paid' } })
    expect(screen.getByText(/Use lowercase words separated by dots/)).toBeTruthy()
    fireEvent.change(name, { target: { value: 'order.paid' } })
    expect(seen.at(-1)).toEqual({ event_type: 'order.paid' })
    expect((screen.getByRole('option', { name: 'Another event…' }) as HTMLOptionElement).selected).toBe(true)
  })

  it('opens a saved event of one’s own under Another event', async () => {
    render(<Harness seen={[]} initial={{ event_type: 'order.paid' }} load={async () => []} />)
    await act(async () => {})
    expect((screen.getByRole('option', { name: 'Another event…' }) as HTMLOptionElement).selected).toBe(true)
    expect((screen.getByRole('textbox', { name: 'Name of the event' }) as HTMLInputElement).value).toBe('order.paid')
  })

  it('loads the choices once, not again on every edit of the journey', async () => {
    const load = vi.fn(async () => [{ value: 'order.paid' }])
    const ctx = () => ({ nodeType: 'trigger.event', check: async () => ({ ok: true, problems: [] }), loadOptions: load })
    const { rerender } = render(<ParamForm specs={[spec]} values={{}} idPrefix="t" onChange={() => {}} ctx={ctx()} />)
    await act(async () => {})
    rerender(<ParamForm specs={[spec]} values={{ event_type: 'email.opened' }} idPrefix="t" onChange={() => {}} ctx={ctx()} />)
    await act(async () => {})
    expect(load).toHaveBeenCalledTimes(1)
  })
})
