import { describe, expect, it } from 'vitest'
import { smsSegments } from './sms'

describe('smsSegments', () => {
  const a = (n: number) => 'a'.repeat(n)
  const cases: [string, string, 'GSM-7' | 'UCS-2', number, number][] = [
    // name, text, encoding, units, segments
    ['empty', '', 'GSM-7', 0, 0],
    ['one character', 'a', 'GSM-7', 1, 1],
    ['160 GSM-7 characters fit one SMS', a(160), 'GSM-7', 160, 1],
    ['161 need two parts of 153', a(161), 'GSM-7', 161, 2],
    ['306 fill two parts', a(306), 'GSM-7', 306, 2],
    ['307 need three', a(307), 'GSM-7', 307, 3],
    ['GSM-7 accents stay GSM-7', 'Café à Zürich ÄÖÑÜ', 'GSM-7', 18, 1],
    ['an extension character takes two places', a(159) + '€', 'GSM-7', 161, 2],
    ['every extension character counts twice', '^{}\\[~]|€', 'GSM-7', 18, 1],
    ['a new line is one GSM-7 character', 'a\nb', 'GSM-7', 3, 1],
    ['one character outside GSM-7 makes it UCS-2', 'Hi ç', 'UCS-2', 4, 1],
    ['70 UCS-2 characters fit one SMS', 'ç' + a(69), 'UCS-2', 70, 1],
    ['71 need two parts of 67', 'ç' + a(70), 'UCS-2', 71, 2],
    ['134 fill two UCS-2 parts', 'ç' + a(133), 'UCS-2', 134, 2],
    ['135 need three', 'ç' + a(134), 'UCS-2', 135, 3],
    ['an emoji takes two UCS-2 places', '👋' + a(68), 'UCS-2', 70, 1],
    ['curly quotes are not GSM-7', '“Hi”', 'UCS-2', 4, 1],
  ]
  it.each(cases)('%s', (_, text, encoding, units, segments) => {
    const r = smsSegments(text)
    expect([r.encoding, r.units, r.segments]).toEqual([encoding, units, segments])
  })

  it('counts characters as a reader does and says the size of each part', () => {
    expect(smsSegments('👋 hi')).toMatchObject({ characters: 4, units: 5, perSegment: 70 })
    expect(smsSegments(a(200))).toMatchObject({ characters: 200, perSegment: 153 })
  })
})
