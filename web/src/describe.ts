// Plain-language sentences for node cards and palette groups.
import type { FlowDoc, FlowNode, TypeSpec } from './api'
import { fieldCatalog } from './catalog'
import { describeCondition } from './conditions/describe'
import { readableTemplate } from './fields/template'
import { eventPhrase } from './fields/events'

/** The contact's fields, to name them on cards (the journey's own fields are not at hand here). */
const knownFields = fieldCatalog({ nodes: [], edges: [] } as unknown as FlowDoc)

/** The palette's groups, in order, and which categories fall in each. */
export const paletteGroups: { id: string; title: string; hint: string }[] = [
  { id: 'when', title: 'When', hint: 'What starts the journey' },
  { id: 'check', title: 'Check', hint: 'Choose a path' },
  { id: 'wait', title: 'Wait', hint: 'Pause the journey' },
  { id: 'do', title: 'Do', hint: 'Change contacts, deals and lists' },
  { id: 'send', title: 'Send', hint: 'Send a message' },
]

export function groupOf(t: TypeSpec): string {
  if (t.trigger || t.category === 'trigger') return 'when'
  if (t.category === 'timing') return 'wait'
  if (t.category === 'message') return 'send'
  if (t.category === 'logic' && ['logic.if', 'logic.switch', 'logic.split'].includes(t.type)) return 'check'
  return 'do'
}

const units: Record<string, [string, string]> = {
  s: ['second', 'seconds'], m: ['minute', 'minutes'], h: ['hour', 'hours'], d: ['day', 'days'], w: ['week', 'weeks'],
}

/** "2d" -> "2 days", "90m" -> "90 minutes", "1h30m" -> "1 hour 30 minutes". */
export function humanDuration(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) return ''
  const parts = [...v.trim().matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)]
  if (!parts.length) return v
  return parts
    .map(([, n, u]) => (u === 'ms' ? `${n} ms` : `${n} ${Number(n) === 1 ? units[u][0] : units[u][1]}`))
    .join(' ')
}

const ops: [RegExp, string][] = [
  [/\s*>=\s*/g, ' is at least '],
  [/\s*<=\s*/g, ' is at most '],
  [/\s*==\s*/g, ' is '],
  [/\s*!=\s*/g, ' is not '],
  [/\s*>\s*/g, ' is more than '],
  [/\s*<\s*/g, ' is less than '],
  [/\s*&&\s*/g, ' and '],
  [/\s*\|\|\s*/g, ' or '],
]

/** "(trigger.score ?? 0) >= 50" -> "score is at least 50". */
export function humanCondition(expr: unknown): string {
  if (typeof expr !== 'string' || !expr.trim()) return ''
  // What the condition builder writes reads in its own words ("lead score is at least 50").
  const built = describeCondition(expr, knownFields)
  if (built) return built.length > 1 && built[1] === built[1].toLowerCase() ? built[0].toLowerCase() + built.slice(1) : built
  let s = expr.trim()
  s = s.replace(/\(([\w.]+)\s*\?\?\s*[^)]*\)/g, '$1')
  s = s.replace(/\b(?:trigger|contact|event|vars)\.(?:body\.|data\.|fields\.)?([a-z_]\w*)/g, (_m, f: string) => f.replace(/_/g, ' '))
  for (const [re, w] of ops) s = s.replace(re, w)
  return s.replace(/["']/g, '')
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v == null ? '' : String(v)
}

/** A template as words, its fields in brackets ("Hi [Contact · First name]"). */
function words(v: unknown): string {
  return readableTemplate(str(v), knownFields)
}

function list(v: unknown): string {
  return Array.isArray(v) ? v.join(', ') : str(v)
}

/** A sentence saying what a node does, from its type and parameters. */
export function describeNode(n: Pick<FlowNode, 'type' | 'params'>, spec?: TypeSpec): string {
  const p = n.params ?? {}
  switch (n.type) {
    case 'wait.delay': {
      const mode = str(p.mode) || 'duration'
      if (mode === 'duration' && p.duration) return `Wait ${humanDuration(p.duration)}`
      if (mode === 'until' && p.until) return `Wait until ${str(p.until)}`
      if (p.from && p.to) return `Wait until between ${str(p.from)} and ${str(p.to)}`
      return 'Wait'
    }
    case 'wait.event':
      return p.event_type
        ? `Wait until ${eventPhrase(str(p.event_type))}${p.timeout ? `, for up to ${humanDuration(p.timeout)}` : ''}`
        : 'Wait for something to happen'
    case 'logic.if':
      return p.condition ? `If ${humanCondition(p.condition)}` : 'If … (set a condition)'
    case 'trigger.webhook':
      return p.path ? `When a webhook arrives at /hooks/${str(p.path)}` : 'When a webhook is received'
    case 'trigger.event':
      return p.event_type ? `When ${eventPhrase(str(p.event_type))}` : 'When something happens to a contact'
    case 'trigger.schedule':
      return p.cron ? `On the schedule ${str(p.cron)}` : 'On a schedule'
    case 'trigger.absence':
      return p.event && p.missing_event
        ? `When “${eventPhrase(str(p.event))}” is not followed by “${eventPhrase(str(p.missing_event))}”${p.within ? ` within ${humanDuration(p.within)}` : ''}`
        : 'When something does not follow'
    case 'crm.create_deal':
      return p.title ? `Create the deal "${words(p.title)}"${p.stage ? ` in stage ${str(p.stage)}` : ''}` : 'Create a deal'
    case 'crm.create_task':
      return p.title ? `Create the task "${words(p.title)}"${p.due_in ? `, due in ${humanDuration(p.due_in)}` : ''}` : 'Create a task'
    case 'crm.add_note':
      return 'Add a note to the contact'
    case 'crm.score': {
      const pts = Number(p.points)
      if (!Number.isFinite(pts) || p.points === undefined) return 'Change the lead score'
      return pts >= 0 ? `Add ${pts} to the lead score` : `Take ${-pts} from the lead score`
    }
    case 'crm.upsert_contact':
      return 'Create or update the contact'
    case 'contact.verify_email':
      return p.email && str(p.email).replace(/\s/g, '') !== '{{contact.email}}'
        ? `Check the email address ${words(p.email)}`
        : "Check the contact's email address"
    case 'crm.assign_owner': {
      const team = Array.isArray(p.team) ? p.team.map((m) => str((m as { user?: unknown })?.user).split('@')[0]).filter(Boolean) : []
      if (!team.length) return 'Give the lead to a salesperson'
      const how = p.strategy === 'weighted' ? 'in turn by share' : p.strategy === 'fewest_open_deals' ? 'to whoever has the fewest open deals' : 'in turn'
      return `Give the lead to ${team.join(', ')}, ${how}`
    }
    case 'list.add':
      return p.list ? `Add to the list ${str(p.list)}` : 'Add to a list'
    case 'list.remove':
      return p.list ? `Remove from the list ${str(p.list)}` : 'Remove from a list'
    case 'contact.tag': {
      const bits = []
      if (Array.isArray(p.add) && p.add.length) bits.push(`Tag ${list(p.add)}`)
      if (Array.isArray(p.remove) && p.remove.length) bits.push(`untag ${list(p.remove)}`)
      return bits.length ? bits.join(', ') : 'Tag or untag the contact'
    }
    case 'flow.exit':
      return p.outcome ? `End the journey (${str(p.outcome)})` : 'End the journey'
    case 'data.set':
      return 'Remember values'
  }
  if (n.type.startsWith('message.')) {
    const what = spec?.title ?? 'Send a message'
    return p.subject ? `${what}: "${words(p.subject)}"` : what
  }
  return spec?.title ?? n.type
}

/** Plain label of an output port ("yes", "timeout", a case name). */
export function portLabel(spec: TypeSpec | undefined, port: string): string {
  const p = spec?.outputs.find((o) => o.name === port)
  return p?.label ?? port
}
