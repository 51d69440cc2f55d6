// The fields a condition row can pick, as the builder names them.
import type { FlowDoc } from '../api'
import { fieldByPath, fieldCatalog, labelOf, typeOfName, type FieldDef, type FieldGroup } from '../catalog'
import { parseAst, segment } from './ast'

/** Whether text is a field path the builder may write (contact.score, trigger["first name"]). */
export function isPath(text: string): boolean {
  return parseAst(text)?.k === 'path'
}

/** The last name of a path: trigger["first name"] -> "first name", contact.score -> "score". */
export function lastName(path: string): string {
  const m = /\["((?:[^"\\]|\\.)*)"\]$/.exec(path)
  if (m) return JSON.parse(`"${m[1]}"`) as string
  return path.split('.').pop() ?? path
}

/** Where a field typed by name may live: the trigger's data or the event's. */
export const customRoots = [
  { root: 'trigger', label: 'Another trigger field…' },
  { root: 'event.data', label: 'Another event field…' },
] as const

/** The root of a typed-by-name field ("trigger", "event.data"), or null. A bare "trigger." is one not named yet. */
export function customRoot(path: string): string | null {
  return customRoots.find((c) => path.startsWith(c.root + '.') || path.startsWith(c.root + '['))?.root ?? null
}

/** The path of a field typed by name: ("trigger", "first name") -> trigger["first name"]; "" gives "trigger.", not yet a path. */
export function customPath(root: string, name: string): string {
  return name.trim() ? root + segment(name.trim()) : root + '.'
}

/** The catalog's field, or one made up from the path for fields it does not list. */
export function fieldOf(catalog: FieldDef[], path: string): FieldDef {
  const f = catalog.find((x) => x.path === path)
  if (f) return f
  if (!path.includes('[')) return fieldByPath(catalog, path)
  const name = lastName(path)
  const root = path.split(/[.[]/)[0]
  const group: FieldGroup = root === 'contact' ? 'Contact' : root === 'owner' ? 'Owner' : root === 'event' ? 'Event' : root === 'vars' ? 'Remembered' : 'Trigger'
  return { path, label: labelOf(name.replace(/\W+/g, '_')), group, type: typeOfName(name) }
}

/** Steps whose condition sees the incoming event: their builder offers event and contact fields. */
const eventSteps = new Set(['wait.event', 'trigger.event', 'trigger.absence'])

/** The fields a step's condition offers, from the journey's catalog. */
export function conditionCatalog(nodeType: string, catalog: FieldDef[]): FieldDef[] {
  if (!eventSteps.has(nodeType)) return catalog
  const events = catalog.filter((f) => f.group === 'Event')
  const base = events.length ? [] : fieldCatalog({ nodes: [], edges: [] } as unknown as FlowDoc, { eventOnly: true })
  return [...base, ...events, ...catalog.filter((f) => f.group === 'Contact')]
}
