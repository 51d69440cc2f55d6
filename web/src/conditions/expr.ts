// The condition builder's model and the expr text it stands for. toExpr
// writes a Condition as the expression the engine runs; parseExpr reads
// back exactly what toExpr writes (and a few hand-written forms meaning the
// same), and returns null for anything else.
import { parseAst, segment, type Node } from './ast'
import { quote } from './tokens'
import { isPath } from './fields'
import type { OpId } from './ops'

export type RowValue = string | number | boolean | [number, number]

export interface Row {
  /** The expr path of the field: contact.score, trigger.email, trigger["first name"]. */
  field: string
  op: OpId
  value?: RowValue
  /** A value used when the field is missing, as in (trigger.score ?? 0) >= 50. Kept from hand-written text. */
  fallback?: string | number
}

export interface Condition {
  join: 'all' | 'any'
  rows: (Row | Condition)[]
}

export function isGroup(r: Row | Condition): r is Condition {
  return 'rows' in r
}

/** A condition with one empty row, as the builder starts. */
export function emptyCondition(): Condition {
  return { join: 'all', rows: [{ field: '', op: 'eq' }] }
}

const tagsPath = 'contact.tags'
const listsPath = 'contact.lists'
export const consentPath = 'contact.consent'

/** Durations in conditions: how a unit is written, e.g. 30 minutes is hoursSince(x) * 60 <= 30. */
const sinceForms: Record<string, [fn: string, tail: string]> = {
  m: ['hoursSince', ' * 60'], h: ['hoursSince', ''], d: ['daysSince', ''], w: ['daysSince', ' / 7'],
}

function num(n: unknown): n is number {
  return typeof n === 'number' && Number.isFinite(n)
}

function lit(v: string | number): string {
  return typeof v === 'number' ? String(v) : quote(v)
}

/** The expression of one row, or null while it is incomplete. */
export function rowExpr(r: Row): string | null {
  const f = r.field.trim()
  if (!isPath(f)) return null
  const v = r.value
  const lhs = r.fallback !== undefined ? `(${f} ?? ${lit(r.fallback)})` : f
  const text = typeof v === 'string' && v !== '' ? quote(v) : null
  const number = num(v) ? String(v) : null
  switch (r.op) {
    case 'eq':
    case 'ne': {
      const val = text ?? number
      return val === null ? null : `${lhs} ${r.op === 'eq' ? '==' : '!='} ${val}`
    }
    case 'contains': return text && `${lhs} contains ${text}`
    case 'not_contains': return text && `${lhs} not contains ${text}`
    case 'starts_with': return text && `${lhs} startsWith ${text}`
    case 'ends_with': return text && `${lhs} endsWith ${text}`
    case 'gte': return number && `${lhs} >= ${number}`
    case 'lte': return number && `${lhs} <= ${number}`
    case 'gt': return number && `${lhs} > ${number}`
    case 'lt': return number && `${lhs} < ${number}`
    case 'between':
      return Array.isArray(v) && num(v[0]) && num(v[1]) ? `(${v[0]} <= ${lhs} and ${lhs} <= ${v[1]})` : null
    // nil and "" are both empty text: a webhook may leave a field out or send it blank.
    case 'is_set': return `(${f} ?? "") != ""`
    case 'is_empty': return `(${f} ?? "") == ""`
    case 'exists': return `${f} != nil`
    case 'missing': return `${f} == nil`
    case 'is_true': return `${f} == true`
    case 'is_false': return `${f} == false`
    // coalesce treats a zero time (a contact with no activity yet) as empty too.
    case 'date_set': return `coalesce(${f}) != nil`
    case 'date_empty': return `coalesce(${f}) == nil`
    case 'within':
    case 'before': {
      const m = typeof v === 'string' ? /^(\d+)([mhdw])$/.exec(v) : null
      if (!m) return null
      const [fn, tail] = sinceForms[m[2]]
      return `${fn}(${f})${tail} ${r.op === 'within' ? '<=' : '>'} ${m[1]}`
    }
    case 'has_tag':
    case 'not_has_tag':
    case 'in_list':
    case 'not_in_list': {
      if (!text) return null
      const yes = r.op === 'has_tag' || r.op === 'in_list'
      const helper = f === tagsPath ? 'hasTag' : f === listsPath ? 'inList' : null
      if (helper) return `${yes ? '' : 'not '}${helper}(${text})`
      return `${text} ${yes ? 'in' : 'not in'} ${f}`
    }
    case 'has_consent':
    case 'no_consent':
      return typeof v === 'string' && v ? `${f}${segment(v)} ${r.op === 'has_consent' ? '==' : '!='} true` : null
  }
  return null
}

/** The expression of a condition: its complete rows, joined; "" when none is complete. */
export function toExpr(c: Condition): string {
  const parts: string[] = []
  for (const r of c.rows) {
    if (isGroup(r)) {
      const inner = toExpr(r)
      if (inner) parts.push(`(${inner})`)
    } else {
      const e = rowExpr(r)
      if (e) parts.push(e)
    }
  }
  return parts.join(c.join === 'all' ? ' and ' : ' or ')
}

/**
 * The condition src stands for, or null when the builder cannot show it
 * faithfully (then the editor shows the text). "" is an empty condition.
 */
export function parseExpr(src: string): Condition | null {
  if (!src.trim()) return { join: 'all', rows: [] }
  const ast = parseAst(src)
  return ast ? condOf(ast) : null
}

function condOf(n: Node): Condition | null {
  const join = n.k === 'logic' ? n.op : null
  const items: Node[] = []
  const flatten = (x: Node) => {
    if (x.k === 'logic' && x.op === join) { flatten(x.l); flatten(x.r) } else items.push(x)
  }
  flatten(n)
  const rows: (Row | Condition)[] = []
  for (const it of items) {
    const r = it.k === 'paren' ? (betweenOf(it.e) ?? condOf(it.e)) : rowOf(it)
    if (!r) return null
    rows.push(r)
  }
  return { join: join === 'or' ? 'any' : 'all', rows }
}

/** A field, or a field with a fallback: (trigger.score ?? 0). */
function lhsOf(n: Node): { field: string; fallback?: string | number } | null {
  if (n.k === 'path') return { field: n.path }
  const inner = n.k === 'paren' ? n.e : n
  if (inner.k === 'bin' && inner.op === '??' && inner.l.k === 'path') {
    const fb = inner.r.k === 'str' || inner.r.k === 'num' ? inner.r.v : numOf(inner.r)
    if (fb !== null) return { field: inner.l.path, fallback: fb }
  }
  return null
}

function numOf(n: Node): number | null {
  if (n.k === 'num') return n.v
  if (n.k === 'neg' && n.e.k === 'num') return -n.e.v
  return null
}

function consentChannel(path: string): string | null {
  const m = /^contact\.consent\.([A-Za-z_]\w*)$/.exec(path)
  return m ? m[1] : null
}

function helperRow(n: Node, yes: boolean): Row | null {
  if (n.k !== 'call' || n.args.length !== 1 || n.args[0].k !== 'str') return null
  const value = n.args[0].v
  if (n.name === 'hasTag') return { field: tagsPath, op: yes ? 'has_tag' : 'not_has_tag', value }
  if (n.name === 'inList') return { field: listsPath, op: yes ? 'in_list' : 'not_in_list', value }
  return null
}

/** hoursSince(x), hoursSince(x) * 60, daysSince(x), daysSince(x) / 7: the field and unit. */
function sinceOf(n: Node): { field: string; unit: string } | null {
  let call = n
  let tail = ''
  if (n.k === 'bin' && (n.op === '*' || n.op === '/') && n.r.k === 'num') {
    call = n.l
    tail = ` ${n.op} ${n.r.v}`
  }
  if (call.k !== 'call' || call.args.length !== 1 || call.args[0].k !== 'path') return null
  const unit = Object.keys(sinceForms).find((u) => sinceForms[u][0] === call.name && sinceForms[u][1] === tail)
  return unit ? { field: call.args[0].path, unit } : null
}

const orderOps: Record<string, OpId> = { '>=': 'gte', '<=': 'lte', '>': 'gt', '<': 'lt' }
const textOps: Record<string, OpId> = {
  contains: 'contains', 'not contains': 'not_contains', startsWith: 'starts_with', endsWith: 'ends_with',
}

function rowOf(n: Node): Row | null {
  switch (n.k) {
    case 'call':
      return helperRow(n, true)
    case 'not': {
      if (n.e.k === 'path' && consentChannel(n.e.path)) return { field: consentPath, op: 'no_consent', value: consentChannel(n.e.path)! }
      return helperRow(n.e, false)
    }
    case 'path': {
      const ch = consentChannel(n.path)
      return ch ? { field: consentPath, op: 'has_consent', value: ch } : { field: n.path, op: 'is_true' }
    }
    case 'bin':
      return binRow(n)
  }
  return null
}

function binRow(n: Extract<Node, { k: 'bin' }>): Row | null {
  const { op, l, r } = n
  if (op === '==' || op === '!=') {
    const eq = op === '=='
    const lhs = lhsOf(l)
    if (lhs && lhs.fallback === '' && r.k === 'str' && r.v === '') return { field: lhs.field, op: eq ? 'is_empty' : 'is_set' }
    if (l.k === 'call' && l.name === 'coalesce' && l.args.length === 1 && l.args[0].k === 'path' && r.k === 'nil') {
      return { field: l.args[0].path, op: eq ? 'date_empty' : 'date_set' }
    }
    if (l.k !== 'path' && !lhs) return null
    if (l.k === 'path') {
      const ch = consentChannel(l.path)
      if (ch && r.k === 'bool') return { field: consentPath, op: eq === r.v ? 'has_consent' : 'no_consent', value: ch }
      if (ch) return null
      if (r.k === 'nil') return { field: l.path, op: eq ? 'missing' : 'exists' }
      // x != true also holds for a missing x, unlike x == false: no row says that.
      if (r.k === 'bool') return eq ? { field: l.path, op: r.v ? 'is_true' : 'is_false' } : null
    }
    const value = r.k === 'str' && r.v !== '' ? r.v : numOf(r)
    if (!lhs || value === null) return null
    return { ...lhs, op: eq ? 'eq' : 'ne', value }
  }
  if (op in textOps) {
    const lhs = lhsOf(l)
    return lhs && r.k === 'str' && r.v !== '' ? { ...lhs, op: textOps[op], value: r.v } : null
  }
  if (op === 'in' || op === 'not in') {
    if (l.k !== 'str' || !l.v || r.k !== 'path') return null
    const lists = r.path === listsPath || r.path.endsWith('.lists')
    const yes = op === 'in'
    return { field: r.path, op: lists ? (yes ? 'in_list' : 'not_in_list') : (yes ? 'has_tag' : 'not_has_tag'), value: l.v }
  }
  if (op in orderOps) {
    const since = sinceOf(l)
    if (since) {
      const count = numOf(r)
      if (count === null || !Number.isInteger(count) || count < 0) return null
      if (op !== '<=' && op !== '>') return null
      return { field: since.field, op: op === '<=' ? 'within' : 'before', value: `${count}${since.unit}` }
    }
    const lhs = lhsOf(l)
    const value = numOf(r)
    return lhs && value !== null ? { ...lhs, op: orderOps[op], value } : null
  }
  return null
}

/** (a <= x and x <= b), as toExpr writes "is between". */
function betweenOf(n: Node): Row | null {
  if (n.k !== 'logic' || n.op !== 'and' || n.l.k !== 'bin' || n.r.k !== 'bin') return null
  const lo = n.l
  const hi = n.r
  if (lo.op !== '<=' || hi.op !== '<=') return null
  const a = numOf(lo.l)
  const b = numOf(hi.r)
  const x = lhsOf(lo.r)
  const y = lhsOf(hi.l)
  if (a === null || b === null || !x || !y || x.field !== y.field || x.fallback !== y.fallback) return null
  return { ...x, op: 'between', value: [a, b] }
}
