import { describe, expect, it } from 'vitest'
import { parseExpr, rowExpr, toExpr, type Condition, type Row } from './expr'
import { opsByType, type OpId } from './ops'
import type { FieldType } from '../catalog'

/** A field of each type, and the value each operator takes, with the text it writes. */
const fieldOf: Record<FieldType, string[]> = {
  text: ['contact.first_name', 'trigger.email', 'event.data.plan', 'trigger["first name"]', 'contact.fields.industry'],
  number: ['contact.score', 'trigger.score', 'vars.count'],
  boolean: ['trigger.closed', 'vars.is_vip'],
  date: ['contact.last_activity_at', 'event.at', 'trigger.signed_up_at'],
  tags: ['contact.tags', 'trigger.tags'],
  lists: ['contact.lists'],
  consent: ['contact.consent'],
}

const valueFor: Record<string, Row['value'][]> = {
  text: ['Acme', 'O\'Brien "the" \\ co\nnext line', ''.padEnd(3, 'é'), '😀 emoji'],
  number: [50, 0, -3, 2.5, 1e-7],
  range: [[10, 20], [-5, 5], [0.5, 1.5]],
  duration: ['30m', '48h', '2d', '1w', '0h'],
  tag: ['vip', 'has "quotes"'],
  list: ['nurture', 'a\\b'],
  channel: ['email', 'sms', 'whatsapp'],
  none: [undefined],
}

const cases: { type: FieldType; row: Row }[] = []
for (const type of Object.keys(opsByType) as FieldType[]) {
  for (const op of opsByType[type]) {
    for (const field of fieldOf[type]) {
      for (const value of valueFor[op.value]) {
        const row: Row = { field, op: op.id }
        if (value !== undefined) row.value = value
        cases.push({ type, row })
      }
    }
  }
}

describe('toExpr and parseExpr', () => {
  it('has a round trip for every operator of every field type', () => {
    const seen = new Set<OpId>()
    for (const { row } of cases) {
      const c: Condition = { join: 'all', rows: [row] }
      const e = toExpr(c)
      expect(e, JSON.stringify(row)).not.toBe('')
      const back = parseExpr(e)
      expect(back, e).toEqual(c)
      expect(toExpr(back!)).toBe(e)
      seen.add(row.op)
    }
    // Every operator of every type went through.
    for (const ops of Object.values(opsByType)) for (const o of ops) expect(seen.has(o.id), o.id).toBe(true)
  })

  it('writes readable expressions', () => {
    const w = (row: Row) => rowExpr(row)
    expect(w({ field: 'contact.score', op: 'gte', value: 50 })).toBe('contact.score >= 50')
    expect(w({ field: 'trigger.email', op: 'ends_with', value: '@acme.com' })).toBe('trigger.email endsWith "@acme.com"')
    expect(w({ field: 'trigger.email', op: 'not_contains', value: 'test' })).toBe('trigger.email not contains "test"')
    expect(w({ field: 'contact.first_name', op: 'is_empty' })).toBe('(contact.first_name ?? "") == ""')
    expect(w({ field: 'contact.score', op: 'between', value: [10, 20] })).toBe('(10 <= contact.score and contact.score <= 20)')
    expect(w({ field: 'contact.last_activity_at', op: 'within', value: '2d' })).toBe('daysSince(contact.last_activity_at) <= 2')
    expect(w({ field: 'contact.last_activity_at', op: 'before', value: '30m' })).toBe('hoursSince(contact.last_activity_at) * 60 > 30')
    expect(w({ field: 'event.at', op: 'within', value: '2w' })).toBe('daysSince(event.at) / 7 <= 2')
    expect(w({ field: 'contact.last_activity_at', op: 'date_empty' })).toBe('coalesce(contact.last_activity_at) == nil')
    expect(w({ field: 'contact.tags', op: 'not_has_tag', value: 'vip' })).toBe('not hasTag("vip")')
    expect(w({ field: 'contact.lists', op: 'in_list', value: 'nurture' })).toBe('inList("nurture")')
    expect(w({ field: 'trigger.tags', op: 'has_tag', value: 'vip' })).toBe('"vip" in trigger.tags')
    expect(w({ field: 'contact.consent', op: 'no_consent', value: 'sms' })).toBe('contact.consent.sms != true')
    expect(w({ field: 'trigger["first name"]', op: 'eq', value: 'Ann' })).toBe('trigger["first name"] == "Ann"')
  })

  it('joins rows with and / or and nests one level of groups', () => {
    const c: Condition = {
      join: 'any',
      rows: [
        { field: 'contact.score', op: 'gte', value: 50 },
        { join: 'all', rows: [{ field: 'contact.tags', op: 'has_tag', value: 'vip' }, { field: 'contact.score', op: 'between', value: [1, 9] }] },
        { field: 'trigger.closed', op: 'is_true' },
      ],
    }
    const e = toExpr(c)
    expect(e).toBe('contact.score >= 50 or (hasTag("vip") and (1 <= contact.score and contact.score <= 9)) or trigger.closed == true')
    expect(parseExpr(e)).toEqual(c)
    // A group of the same join, a group of one row, a between alone, a group of a between.
    for (const d of [
      { join: 'all', rows: [{ field: 'contact.score', op: 'gt', value: 1 }, { join: 'all', rows: [{ field: 'vars.a', op: 'exists' }, { field: 'vars.b', op: 'missing' }] }] },
      { join: 'all', rows: [{ join: 'all', rows: [{ field: 'vars.a', op: 'lt', value: 3 }] }] },
      { join: 'all', rows: [{ field: 'contact.score', op: 'between', value: [1, 2] }] },
      { join: 'all', rows: [{ join: 'all', rows: [{ field: 'contact.score', op: 'between', value: [1, 2] }] }] },
      { join: 'all', rows: [{ field: 'contact.score', op: 'gte', value: 1 }, { field: 'contact.score', op: 'lte', value: 2 }] },
      { join: 'all', rows: [{ join: 'all', rows: [{ field: 'contact.score', op: 'gte', value: 1 }, { field: 'contact.score', op: 'lte', value: 2 }] }] },
    ] as Condition[]) {
      const text = toExpr(d)
      expect(parseExpr(text), text).toEqual(d)
      expect(toExpr(parseExpr(text)!)).toBe(text)
    }
  })

  it('reads a group of one row back as "all" (its text has no join to keep)', () => {
    const one: Condition = { join: 'any', rows: [{ join: 'any', rows: [{ field: 'vars.a', op: 'lt', value: 3 }] }] }
    expect(toExpr(one)).toBe('(vars.a < 3)')
    expect(parseExpr('(vars.a < 3)')).toEqual({ join: 'all', rows: [{ join: 'all', rows: [{ field: 'vars.a', op: 'lt', value: 3 }] }] })
  })

  it('leaves incomplete rows and empty groups out', () => {
    const c: Condition = {
      join: 'all',
      rows: [
        { field: '', op: 'eq' },
        { field: 'contact.score', op: 'gte' },
        { field: 'contact.email', op: 'contains', value: '' },
        { field: 'contact.score', op: 'between', value: [1, Number.NaN] },
        { field: 'contact.created_at', op: 'within', value: 'soon' },
        { join: 'any', rows: [{ field: '', op: 'eq' }] },
        { field: 'contact.score', op: 'gte', value: 50 },
      ],
    }
    expect(toExpr(c)).toBe('contact.score >= 50')
    expect(toExpr({ join: 'any', rows: [] })).toBe('')
    expect(parseExpr('')).toEqual({ join: 'all', rows: [] })
    expect(parseExpr('   ')).toEqual({ join: 'all', rows: [] })
  })

  it('keeps odd strings intact', () => {
    const odd = ['"', "'", '\\', '\\"', '\n', '\r\n', '\t', '\u0000', '\u001f', '\u2028', '{{ x }}', '" or true or "',
      'a"b\\"c', '\\n', 'ünï', '中文', '𝄞', '\ud800', 'x\udc00y']
    // A fixed pseudo-random walk through awkward characters, so a failure repeats.
    let seed = 7
    const pool = ['"', "'", '\\', '\n', 'a', ' ', '\u0001', 'é', '😀', '\ud83d', 'u', 'x', '0', '}', '(']
    for (let i = 0; i < 300; i++) {
      let s = ''
      const len = 1 + (i % 12)
      for (let j = 0; j < len; j++) { seed = (seed * 1103515245 + 12345) % 2147483648; s += pool[seed % pool.length] }
      odd.push(s)
    }
    for (const s of odd) {
      const row: Row = { field: 'trigger.note', op: 'contains', value: s }
      const e = rowExpr(row)!
      const back = parseExpr(e)
      const want = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      expect(back, e).toEqual({ join: 'all', rows: [{ ...row, value: want }] })
      // The whole value stays inside one string literal: nothing after it.
      expect(e.startsWith('trigger.note contains "')).toBe(true)
      expect(toExpr(back!)).toBe(e)
    }
  })
})

describe('parseExpr of hand-written expressions', () => {
  it('reads forms that mean the same as a row', () => {
    expect(parseExpr('(trigger.score ?? 0) >= 50')).toEqual({ join: 'all', rows: [{ field: 'trigger.score', op: 'gte', value: 50, fallback: 0 }] })
    expect(toExpr(parseExpr('(trigger.score ?? 0) >= 50')!)).toBe('(trigger.score ?? 0) >= 50')
    expect(parseExpr('contact.fields.chats == 3')!.rows).toEqual([{ field: 'contact.fields.chats', op: 'eq', value: 3 }])
    expect(parseExpr('contact.open_deals > 0')!.rows).toEqual([{ field: 'contact.open_deals', op: 'gt', value: 0 }])
    expect(parseExpr('contact.score >= 50 && hasTag("vip")')).toEqual({
      join: 'all', rows: [{ field: 'contact.score', op: 'gte', value: 50 }, { field: 'contact.tags', op: 'has_tag', value: 'vip' }],
    })
    expect(parseExpr('!inList(\'nurture\')')!.rows).toEqual([{ field: 'contact.lists', op: 'not_in_list', value: 'nurture' }])
    expect(parseExpr('"vip" in contact.tags')!.rows).toEqual([{ field: 'contact.tags', op: 'has_tag', value: 'vip' }])
    expect(parseExpr('contact.consent.email')!.rows).toEqual([{ field: 'contact.consent', op: 'has_consent', value: 'email' }])
    expect(parseExpr('not contact.consent.sms')!.rows).toEqual([{ field: 'contact.consent', op: 'no_consent', value: 'sms' }])
    expect(parseExpr('trigger.closed')!.rows).toEqual([{ field: 'trigger.closed', op: 'is_true' }])
    expect(parseExpr("trigger['first-name'] == 'Ann'")!.rows).toEqual([{ field: 'trigger["first-name"]', op: 'eq', value: 'Ann' }])
    expect(parseExpr('contact.score >= 1 and contact.score <= 5')!.rows).toHaveLength(2)
  })

  it('returns null for anything the builder cannot show faithfully', () => {
    for (const e of [
      'date(trigger.starts_at).Add(duration("-24h")) > now',
      'daysSince(coalesce(contact.last_activity_at, contact.created_at)) >= 90',
      'lower(string(trigger.transcript)) contains "demo"',
      'event.data.url matches "pricing"',
      'contact.score >= 50 and hasTag("a") or hasTag("b")',
      'contact.score + 1 > 5',
      'contact.score >= trigger.score',
      'trigger.closed != true',
      'trigger.closed != false',
      'hoursSince(event.at) < 48',
      'hoursSince(event.at) <= 1.5',
      'hoursSince(event.at) * 30 <= 1',
      'not (contact.email contains "x")',
      'trigger.email not startsWith "x"',
      'contact.consent.email == "yes"',
      'score >= 50',
      'contact >= 50',
      '50 <= contact.score',
      '10 <= contact.score and contact.score <= 20',
      '(1 <= contact.score and trigger.score <= 2)',
      'contact.score >= 50 )',
      '(contact.score >= 50',
      'contact.email == "unterminated',
      'contact.email == "bad \\q escape"',
      'contact.email == "\\ud800"',
      'contact.email == ""',
      'contact.email contains ""',
      'hasTag(trigger.tag)',
      'hasTag("a", "b")',
      'foo("a")',
      '"a" in ["a", "b"]',
      'contact.tags[0] == "a"',
      'true',
      'contact.score >= 50 ?? false',
      '`raw` == contact.email',
      'let x = 1; x > 0',
    ]) expect(parseExpr(e), e).toBeNull()
  })
})
