// The fields a marketer can pick instead of typing names: what the
// journey's trigger gives, the contact, the event that started or resumed
// the run, and values remembered by earlier steps. The condition builder,
// "Insert a field" and the test panel all read this one list.
import type { FlowDoc, FlowNode } from './api'

export type FieldType = 'text' | 'number' | 'boolean' | 'date' | 'tags' | 'lists' | 'consent'

export type FieldGroup = 'Trigger' | 'Contact' | 'Owner' | 'Event' | 'Remembered'

export interface FieldDef {
  /** The expr path the engine reads, e.g. "contact.first_name", "trigger.score". */
  path: string
  /** Readable name, e.g. "First name". */
  label: string
  group: FieldGroup
  type: FieldType
  /** The values the field takes, offered when a condition compares it ("valid", "risky"...). */
  values?: string[]
}

/** "Contact · First name", as chips and pickers show a field. */
export function chipLabel(f: Pick<FieldDef, 'group' | 'label'>): string {
  return `${f.group} · ${f.label}`
}

/** What a "Check the email address" step concludes (its paths out). */
const emailStatuses = ['valid', 'risky', 'invalid']

const contactFields: FieldDef[] = [
  { path: 'contact.first_name', label: 'First name', group: 'Contact', type: 'text' },
  { path: 'contact.last_name', label: 'Last name', group: 'Contact', type: 'text' },
  { path: 'contact.email', label: 'Email', group: 'Contact', type: 'text' },
  { path: 'contact.phone', label: 'Phone', group: 'Contact', type: 'text' },
  { path: 'contact.company', label: 'Company', group: 'Contact', type: 'text' },
  { path: 'contact.score', label: 'Lead score', group: 'Contact', type: 'number' },
  { path: 'contact.time_zone', label: 'Time zone', group: 'Contact', type: 'text' },
  { path: 'contact.tags', label: 'Tags', group: 'Contact', type: 'tags' },
  { path: 'contact.lists', label: 'Lists', group: 'Contact', type: 'lists' },
  { path: 'contact.consent', label: 'Consent', group: 'Contact', type: 'consent' },
  { path: 'contact.deals_count', label: 'Number of deals', group: 'Contact', type: 'number' },
  { path: 'contact.open_deals', label: 'Open deals', group: 'Contact', type: 'number' },
  { path: 'contact.last_activity_at', label: 'Last activity', group: 'Contact', type: 'date' },
  { path: 'contact.created_at', label: 'Created', group: 'Contact', type: 'date' },
  // Kept by "Check the email address" steps (nodes/verify.go): valid, risky or invalid, and why.
  { path: 'contact.fields.email_status', label: 'Email check', group: 'Contact', type: 'text', values: emailStatuses },
  { path: 'contact.fields.email_check_reason', label: 'Email check reason', group: 'Contact', type: 'text' },
]

/** What a "Check the email address" step remembers for the steps after it. */
const emailCheckFields: FieldDef[] = [
  { path: 'vars.email_status', label: 'Email check result', group: 'Remembered', type: 'text', values: emailStatuses },
  { path: 'vars.email_check_reason', label: 'Email check reason', group: 'Remembered', type: 'text' },
  { path: 'vars.email_suggestion', label: 'Suggested email', group: 'Remembered', type: 'text' },
]

// The contact's owner, set by the "Assign owner" step (flows.Owner).
const ownerFields: FieldDef[] = [
  { path: 'owner.name', label: 'Name', group: 'Owner', type: 'text' },
  { path: 'owner.email', label: 'Email', group: 'Owner', type: 'text' },
  { path: 'owner.mention', label: 'Slack mention', group: 'Owner', type: 'text' },
]

const eventFields: FieldDef[] = [
  { path: 'event.type', label: 'Event name', group: 'Event', type: 'text' },
  { path: 'event.at', label: 'When it happened', group: 'Event', type: 'date' },
]

/** What a chat platform preset gives (see nodes/connectors/chatpresets). */
const presetTrigger: [string, FieldType][] = [
  ['email', 'text'], ['name', 'text'], ['first_name', 'text'], ['last_name', 'text'], ['phone', 'text'],
  ['company', 'text'], ['external_id', 'text'], ['transcript', 'text'], ['summary', 'text'],
  ['channel', 'text'], ['conversation_id', 'text'], ['closed', 'boolean'],
  // When the platform sends a lead score (an Intercom attribute, a Dialogflow parameter...).
  ['score', 'number'],
]

/** What a plain webhook usually carries, offered when nothing says more. */
const commonTrigger: [string, FieldType][] = [
  ['email', 'text'], ['name', 'text'], ['first_name', 'text'], ['last_name', 'text'], ['phone', 'text'],
  ['company', 'text'], ['score', 'number'], ['transcript', 'text'],
]

const words: Record<string, string> = { id: 'ID', url: 'URL', utm: 'UTM', sms: 'SMS' }

/** "conversation_id" -> "Conversation ID", "data.plan" -> "Plan". */
export function labelOf(name: string): string {
  const last = name.split('.').pop() ?? name
  const s = last.split('_').filter(Boolean).map((w) => words[w] ?? w).join(' ')
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : name
}

/** A guess at a field's type from its name, for fields nothing declares. */
export function typeOfName(name: string): FieldType {
  const last = name.split('.').pop() ?? name
  if (/^(score|amount|count|total|price|value|quantity|age|rating)$|_(count|total|amount|score)$/.test(last)) return 'number'
  if (/^(is|has)_|^(closed|active|subscribed)$/.test(last)) return 'boolean'
  if (/_at$|^(date|at)$/.test(last)) return 'date'
  if (last === 'tags') return 'tags'
  return 'text'
}

function namesUsed(text: string, root: string): string[] {
  const out: string[] = []
  const re = new RegExp(`\\b${root.replace('.', '\\.')}\\.([a-zA-Z_]\\w*)`, 'g')
  for (const m of text.matchAll(re)) if (!out.includes(m[1])) out.push(m[1])
  return out
}

function triggerNode(doc: FlowDoc): FlowNode | undefined {
  return doc.nodes.find((n) => n.type.startsWith('trigger.'))
}

/** The fields of the trigger's data, by trigger type and settings. */
export function triggerFields(doc: FlowDoc): FieldDef[] {
  const t = triggerNode(doc)
  const text = JSON.stringify(doc.nodes.map((n) => n.params ?? {}))
  const pairs: [string, FieldType][] = []
  const add = (name: string, type?: FieldType) => {
    if (name && name !== 'body' && !pairs.some(([n]) => n === name)) pairs.push([name, type ?? typeOfName(name)])
  }
  if (t?.type === 'trigger.webhook') {
    const p = t.params ?? {}
    const mapping = (p.mapping && typeof p.mapping === 'object' ? Object.keys(p.mapping as object) : [])
    if (p.preset) for (const [n, ty] of presetTrigger) add(n, ty)
    for (const n of mapping) add(n)
    if (!p.preset && !mapping.length) for (const [n, ty] of commonTrigger) add(n, ty)
  } else if (t?.type === 'trigger.manual') {
    for (const [n, ty] of commonTrigger) add(n, ty)
  }
  for (const n of namesUsed(text, 'trigger')) add(n)
  return pairs.map(([name, type]) => ({ path: `trigger.${name}`, label: labelOf(name), group: 'Trigger' as const, type }))
}

/** Event data fields the journey already uses (event.data.plan...). */
function eventDataFields(doc: FlowDoc): FieldDef[] {
  const text = JSON.stringify(doc.nodes.map((n) => n.params ?? {}))
  return namesUsed(text, 'event.data').map((n) => ({ path: `event.data.${n}`, label: labelOf(n), group: 'Event' as const, type: typeOfName(n) }))
}

/** Values remembered by "Remember values" steps (vars.plan...). */
function rememberedFields(doc: FlowDoc): FieldDef[] {
  const out: FieldDef[] = doc.nodes.some((n) => n.type === 'contact.verify_email') ? [...emailCheckFields] : []
  for (const n of doc.nodes) {
    if (n.type !== 'logic.set') continue
    const values = n.params?.values
    if (!values || typeof values !== 'object') continue
    for (const [name, expr] of Object.entries(values as Record<string, unknown>)) {
      if (out.some((f) => f.path === `vars.${name}`)) continue
      const e = String(expr ?? '')
      const type: FieldType = /(>=|<=|==|!=|[<>]|\b(and|or|not)\b|&&|\|\|)/.test(e) ? 'boolean' : typeOfName(name)
      out.push({ path: `vars.${name}`, label: labelOf(name), group: 'Remembered', type })
    }
  }
  return out
}

/** Whether the journey's runs have an event: event triggers, and steps after a wait. */
function hasEvents(doc: FlowDoc): boolean {
  return doc.nodes.some((n) => n.type === 'trigger.event' || n.type === 'trigger.absence' || n.type === 'wait.event')
}

/**
 * Every field a step of this journey can read, grouped Trigger, Contact,
 * Owner (with an "Assign owner" step), Event, Remembered. With eventOnly, just the event's fields (for a wait's
 * filter, which sees the incoming event).
 */
export function fieldCatalog(doc: FlowDoc, opts: { eventOnly?: boolean } = {}): FieldDef[] {
  const events = [...eventFields, ...eventDataFields(doc)]
  if (opts.eventOnly) return events
  const owner = doc.nodes.some((n) => n.type === 'crm.assign_owner') ? ownerFields : []
  return [...triggerFields(doc), ...contactFields, ...owner, ...(hasEvents(doc) ? events : []), ...rememberedFields(doc)]
}

/** The field with this path, or one made up from the path's name. */
export function fieldByPath(catalog: FieldDef[], path: string): FieldDef {
  const f = catalog.find((x) => x.path === path)
  if (f) return f
  const [root] = path.split('.')
  const group: FieldGroup = root === 'contact' ? 'Contact' : root === 'owner' ? 'Owner' : root === 'event' ? 'Event' : root === 'vars' ? 'Remembered' : 'Trigger'
  return { path, label: labelOf(path), group, type: typeOfName(path) }
}
