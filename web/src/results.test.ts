import { describe, expect, it } from 'vitest'
import { countedAt, dayRange, duration } from './results'

describe('dayRange', () => {
  it('names the first and the last day of a period of whole UTC days', () => {
    expect(dayRange('2026-11-07T00:00:00Z', '2026-12-07T00:00:00Z')).toBe('7 Nov – 6 Dec 2026')
    expect(dayRange('2025-12-08T00:00:00Z', '2026-01-07T00:00:00Z')).toBe('8 Dec 2025 – 6 Jan 2026')
    expect(dayRange('2026-12-06T00:00:00Z', '2026-12-07T00:00:00Z')).toBe('6 Dec 2026')
  })
})

describe('duration', () => {
  it('says under a second for times counted as 0 whole seconds', () => {
    expect(duration(0)).toBe('under 1 s')
    expect(duration(42)).toBe('42 s')
    expect(duration(null)).toBe('—')
  })
})

describe('countedAt', () => {
  it('says when the numbers were counted, and nothing before the first count', () => {
    expect(countedAt('2026-12-06T23:05:12Z', 'UTC')).toBe('Numbers as of 23:05:12; they are counted again every 15 seconds.')
    expect(countedAt(null)).toBe('')
    expect(countedAt(undefined)).toBe('')
  })
})
