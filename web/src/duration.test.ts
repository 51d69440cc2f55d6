import { describe, expect, it } from 'vitest'
import { isEngineDuration, joinDuration, parseDuration, splitDuration } from './duration'

describe('parseDuration', () => {
  it('reads durations as people type them', () => {
    const table: [string, string][] = [
      ['2 days', '2d'], ['48 hours', '48h'], ['90 minutes', '90m'], ['1 week', '1w'], ['30 min', '30m'],
      ['2d', '2d'], ['48h', '48h'], ['1h30m', '1h30m'], ['1 hour 30 minutes', '1h30m'], ['1 day, 12 hours', '1d12h'],
      ['2 days and 3 hours', '2d3h'], ['1.5 hours', '1h30m'], ['  3 Weeks ', '3w'], ['45 secs', '45s'], ['0', '0'],
      ['1 hr', '1h'], ['2 wks', '2w'], ['30m 1h', '1h30m'], ['1 minute', '1m'],
    ]
    for (const [text, want] of table) expect(parseDuration(text), text).toEqual({ ok: true, value: want })
  })

  it('says what is wrong with junk, in plain words', () => {
    for (const junk of ['', 'soon', 'two days', '2', '2 fortnights', '-2 days', '2 days ago', 'h', '1.5 seconds', '2d!', 'x'.repeat(80)]) {
      const r = parseDuration(junk)
      expect(r.ok, junk).toBe(false)
      if (!r.ok) expect(r.message).toMatch(/^[A-Z“]/)
    }
    const r = parseDuration('2 fortnights')
    expect(!r.ok && r.message).toContain('“fortnights” is not a unit')
  })

  it('writes only what the engine accepts', () => {
    for (const text of ['2 days', '1.5 hours', '1 day 12 hours', '90 minutes', '3 weeks 2 days 1 hour 5 minutes 7 seconds']) {
      const r = parseDuration(text)
      expect(r.ok && isEngineDuration(r.value), text).toBe(true)
    }
    expect(isEngineDuration('1h1d')).toBe(false)
    expect(isEngineDuration('2 days')).toBe(false)
  })
})

describe('splitDuration and joinDuration', () => {
  it('shows an engine duration as a number and a unit', () => {
    expect(splitDuration('48h')).toEqual({ amount: 48, unit: 'hours' })
    expect(splitDuration('2d')).toEqual({ amount: 2, unit: 'days' })
    expect(splitDuration('1w')).toEqual({ amount: 1, unit: 'weeks' })
    expect(splitDuration('14d')).toEqual({ amount: 14, unit: 'days' })
    expect(splitDuration('1d12h')).toEqual({ amount: 36, unit: 'hours' })
    expect(splitDuration('1h30m')).toEqual({ amount: 90, unit: 'minutes' })
    expect(splitDuration('90s')).toBeNull()
    expect(splitDuration('soon')).toBeNull()
  })

  it('writes a number and a unit as an engine duration', () => {
    expect(joinDuration(2, 'days')).toBe('2d')
    expect(joinDuration(48, 'hours')).toBe('48h')
    expect(joinDuration(1.5, 'hours')).toBe('1h30m')
    expect(joinDuration(-1, 'hours')).toBeNull()
    for (const v of ['30m', '48h', '2d', '3w']) {
      const s = splitDuration(v)!
      expect(joinDuration(s.amount, s.unit)).toBe(v)
    }
  })
})
