import { describe, expect, it } from 'vitest'
import { worthChecking } from './warnings'

describe('worthChecking', () => {
  it('says nothing without warnings', () => {
    expect(worthChecking(undefined)).toBe('')
    expect(worthChecking([])).toBe('')
  })
  it('counts steps, not warnings', () => {
    const w = (node_id: string) => ({ code: 'contact_field_missing', node_id, message: 'x', severity: 'warning' as const })
    expect(worthChecking([w('sms'), w('sms')])).toBe(' 1 step is worth checking (marked in amber); this does not stop the journey.')
    expect(worthChecking([w('sms'), w('mail')])).toBe(' 2 steps are worth checking (marked in amber); this does not stop the journey.')
  })
})
