// Every form of expression the builder writes, kept in a file that a Go
// test (web/e2e/conditions_test.go) compiles with the engine: a change
// here that the engine would refuse fails there. Update the file with
// npx vitest run src/conditions -u.
import { expect, it } from 'vitest'
import { rowExpr, toExpr, type Row } from './expr'
import { opsByType } from './ops'
import type { FieldType } from '../catalog'

const fields: Record<FieldType, string[]> = {
  text: ['contact.first_name', 'trigger.email', 'trigger["first name"]', 'contact.fields.industry', 'event.data.plan', 'vars.note', 'event.type'],
  number: ['contact.score', 'trigger.score', 'vars.count', 'contact.open_deals'],
  boolean: ['trigger.closed', 'vars.is_vip'],
  date: ['contact.last_activity_at', 'contact.created_at', 'event.at', 'trigger.signed_up_at'],
  tags: ['contact.tags', 'trigger.tags'],
  lists: ['contact.lists'],
  consent: ['contact.consent'],
}

const values: Record<string, Row['value'][]> = {
  text: ['Acme', 'a"b\\c\n\t\u0001\u2028é😀\b\f\u007f', "it's"],
  number: [50, -3, 2.5, 1e-7, 1e21],
  range: [[1, 5], [-1.5, 2]],
  duration: ['30m', '48h', '2d', '1w'],
  tag: ['vip', 'new "lead"'],
  list: ['nurture'],
  channel: ['email', 'sms', 'whatsapp'],
  none: [undefined],
}

it('lists every form of expression the builder writes', async () => {
  const out: string[] = []
  for (const [type, ops] of Object.entries(opsByType) as [FieldType, typeof opsByType.text][]) {
    for (const op of ops) for (const field of fields[type]) for (const value of values[op.value]) {
      const e = rowExpr(value === undefined ? { field, op: op.id } : { field, op: op.id, value })
      expect(e).not.toBeNull()
      out.push(e!)
    }
  }
  out.push(rowExpr({ field: 'trigger.score', op: 'gte', value: 50, fallback: 0 })!)
  out.push(toExpr({
    join: 'any',
    rows: [
      { field: 'contact.score', op: 'gte', value: 50 },
      { join: 'all', rows: [{ field: 'contact.tags', op: 'has_tag', value: 'vip' }, { field: 'contact.score', op: 'between', value: [1, 9] }] },
      { join: 'any', rows: [{ field: 'contact.email', op: 'is_empty' }] },
    ],
  }))
  await expect(`[\n${out.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`).toMatchFileSnapshot('./testdata/expressions.json')
})
