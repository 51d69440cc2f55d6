// Builder conditions in plain words for cards and summaries: "Lead score is
// at least 50 and contact has tag “vip”".
import type { FieldDef } from '../catalog'
import { splitDuration } from '../duration'
import { isGroup, parseExpr, type Condition, type Row } from './expr'
import { consentChannels, opDef, opsByType, typesOfOp } from './ops'
import { fieldOf } from './fields'

/** "Lead score" -> "lead score" inside a sentence; "SMS" and "ID" stay. */
function lowerFirst(s: string): string {
  return s.length > 1 && s[1] === s[1].toLowerCase() ? s[0].toLowerCase() + s.slice(1) : s
}

/** "2d" -> "2 days", "1h" -> "1 hour". */
function durationWords(v: unknown): string {
  const d = typeof v === 'string' ? splitDuration(v) : null
  if (!d) return String(v)
  return `${d.amount} ${d.amount === 1 ? d.unit.slice(0, -1) : d.unit}`
}

function rowWords(r: Row, catalog: FieldDef[]): string {
  const f = fieldOf(catalog, r.field)
  const type = opsByType[f.type].some((o) => o.id === r.op) ? f.type : typesOfOp(r.op)[0]
  const op = opDef(type, r.op)!
  const v = r.value
  // Tags, lists and consent belong to the contact: "contact has tag vip".
  const subject = ['tags', 'lists', 'consent'].includes(type) && f.group === 'Contact' ? 'contact' : lowerFirst(f.label)
  let value = ''
  switch (op.value) {
    case 'text': case 'tag': case 'list': value = ` “${String(v)}”`; break
    case 'number': value = ` ${String(v)}`; break
    case 'range': value = Array.isArray(v) ? ` ${v[0]} and ${v[1]}` : ''; break
    case 'duration': value = ` ${durationWords(v)}${r.op === 'before' ? ' ago' : ''}`; break
    case 'channel': value = ` ${consentChannels.find((c) => c.id === v)?.label ?? String(v)}`; break
  }
  return `${subject} ${op.label}${value}`
}

function condWords(c: Condition, catalog: FieldDef[]): string {
  const parts = c.rows.map((r) => (isGroup(r) ? `(${condWords(r, catalog)})` : rowWords(r, catalog)))
  return parts.join(c.join === 'all' ? ' and ' : ' or ')
}

/** The condition in words, or null when it is not one the builder writes. */
export function describeCondition(expr: string, catalog: FieldDef[]): string | null {
  const c = parseExpr(expr)
  if (!c || !c.rows.length) return null
  const s = condWords(c, catalog)
  return s.charAt(0).toUpperCase() + s.slice(1)
}
