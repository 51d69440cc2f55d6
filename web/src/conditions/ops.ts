// The operators a condition row offers, by the type of its field, in the
// words a marketer reads. expr.ts writes and reads the expression of each.
import type { FieldType } from '../catalog'

export type OpId =
  // text
  | 'eq' | 'ne' | 'contains' | 'not_contains' | 'starts_with' | 'ends_with' | 'is_set' | 'is_empty'
  // number (eq and ne too)
  | 'gte' | 'lte' | 'gt' | 'lt' | 'between' | 'exists' | 'missing'
  // boolean
  | 'is_true' | 'is_false'
  // date
  | 'within' | 'before' | 'date_set' | 'date_empty'
  // tags, lists, consent
  | 'has_tag' | 'not_has_tag' | 'in_list' | 'not_in_list' | 'has_consent' | 'no_consent'

/** What the value input of a row is. */
export type ValueKind = 'none' | 'text' | 'number' | 'range' | 'duration' | 'tag' | 'list' | 'channel'

export interface OpDef {
  id: OpId
  label: string
  value: ValueKind
}

const op = (id: OpId, label: string, value: ValueKind): OpDef => ({ id, label, value })

// "is set"/"is empty" are spelled differently per type (see expr.ts), so
// each type has its own ids for them; the words are the same.
export const opsByType: Record<FieldType, OpDef[]> = {
  text: [
    op('eq', 'is', 'text'), op('ne', 'is not', 'text'), op('contains', 'contains', 'text'),
    op('not_contains', 'does not contain', 'text'), op('starts_with', 'starts with', 'text'),
    op('ends_with', 'ends with', 'text'), op('is_set', 'is set', 'none'), op('is_empty', 'is empty', 'none'),
  ],
  number: [
    op('eq', 'is', 'number'), op('ne', 'is not', 'number'), op('gte', 'is at least', 'number'),
    op('lte', 'is at most', 'number'), op('gt', 'is more than', 'number'), op('lt', 'is less than', 'number'),
    op('between', 'is between', 'range'), op('exists', 'is set', 'none'), op('missing', 'is empty', 'none'),
  ],
  boolean: [op('is_true', 'is true', 'none'), op('is_false', 'is false', 'none')],
  date: [
    op('within', 'happened within the last', 'duration'), op('before', 'happened more than', 'duration'),
    op('date_set', 'is set', 'none'), op('date_empty', 'is empty', 'none'),
  ],
  tags: [op('has_tag', 'has tag', 'tag'), op('not_has_tag', 'does not have tag', 'tag')],
  lists: [op('in_list', 'is on list', 'list'), op('not_in_list', 'is not on list', 'list')],
  consent: [op('has_consent', 'has consent for', 'channel'), op('no_consent', 'has no consent for', 'channel')],
}

/** The channels a contact gives consent for (contact.consent.<channel>). */
export const consentChannels: { id: string; label: string }[] = [
  { id: 'email', label: 'Email' }, { id: 'sms', label: 'SMS' }, { id: 'whatsapp', label: 'WhatsApp' },
]

/** The types whose operators include id, in the order of opsByType. */
export function typesOfOp(id: OpId): FieldType[] {
  return (Object.keys(opsByType) as FieldType[]).filter((t) => opsByType[t].some((o) => o.id === id))
}

export function opDef(type: FieldType, id: OpId): OpDef | undefined {
  return opsByType[type].find((o) => o.id === id)
}
