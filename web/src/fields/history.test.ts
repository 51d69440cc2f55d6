import { describe, expect, it } from 'vitest'
import { changedEnd, newHistory, record, redo, undo } from './history'

describe('template field history', () => {
  it('groups letters typed in a row and undoes other changes one by one', () => {
    const h = newHistory()
    record(h, '', true) // "a"
    record(h, 'a', true) // "ab"
    record(h, 'ab', false) // " " or a field
    record(h, 'ab {{ x }}', true) // "c"
    expect(undo(h, 'ab {{ x }}c')).toBe('ab {{ x }}')
    expect(undo(h, 'ab {{ x }}')).toBe('ab')
    expect(undo(h, 'ab')).toBe('')
    expect(undo(h, '')).toBeNull()
    expect(redo(h, '')).toBe('ab')
    expect(redo(h, 'ab')).toBe('ab {{ x }}')
    // A new change forgets what could be redone.
    record(h, 'ab {{ x }}', false)
    expect(redo(h, 'ab {{ x }}!')).toBeNull()
  })

  it('puts the caret at the end of what changed', () => {
    expect(changedEnd('Hello , welcome', 'Hello {{ a }}, welcome')).toBe('Hello {{ a }}'.length)
    expect(changedEnd('Hello {{ a }}, welcome', 'Hello , welcome')).toBe('Hello '.length)
    expect(changedEnd('abc', 'abcd')).toBe(4)
  })
})
