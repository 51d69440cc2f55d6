import { describe, expect, it } from 'vitest'
import { fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import { DurationInput } from './DurationInput'

function Harness({ initial = '', seen }: { initial?: string; seen: (string | undefined)[] }) {
  const [v, setV] = useState(initial)
  return (
    <>
      <label htmlFor="d">Give up after</label>
      <DurationInput id="d" value={v} unitLabel="Give up after: unit" showError onChange={(n) => { seen.push(n); setV(n ?? '') }} />
    </>
  )
}

describe('DurationInput', () => {
  it('shows an engine duration as a number and a unit', () => {
    render(<Harness initial="2d" seen={[]} />)
    expect((screen.getByLabelText('Give up after') as HTMLInputElement).value).toBe('2')
    expect((screen.getByLabelText('Give up after: unit') as HTMLSelectElement).value).toBe('days')
  })

  it('takes a number and a unit, or typed words', () => {
    const seen: (string | undefined)[] = []
    render(<Harness seen={seen} />)
    const box = screen.getByLabelText('Give up after') as HTMLInputElement
    const unit = screen.getByLabelText('Give up after: unit') as HTMLSelectElement
    fireEvent.change(box, { target: { value: '48' } })
    expect(seen.at(-1)).toBe('48h')
    fireEvent.change(unit, { target: { value: 'days' } })
    expect(seen.at(-1)).toBe('48d')
    fireEvent.change(box, { target: { value: '2 weeks' } })
    expect(seen.at(-1)).toBe('2w')
    expect(unit.value).toBe('weeks')
    fireEvent.blur(box)
    expect(box.value).toBe('2')
    fireEvent.change(box, { target: { value: '2 da' } })
    expect(seen.at(-1)).toBe('2 da')
    expect(box.value).toBe('2 da')
    expect(screen.getByRole('alert').textContent).toMatch(/Write a number and a unit/)
    fireEvent.change(box, { target: { value: '2 days' } })
    expect(seen.at(-1)).toBe('2d')
    expect(screen.queryByRole('alert')).toBeNull()
    fireEvent.change(box, { target: { value: '' } })
    expect(seen.at(-1)).toBeUndefined()
  })
})
