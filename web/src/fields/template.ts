// Template text ("Hi {{ contact.first_name }}") cut into plain text and
// fields, so the editor can show each field as a chip and give back the
// exact text it was given. A field is a {{ }} holding a plain name
// (contact.first_name) or coalesce(name, "fallback"); anything else between
// braces is code and stays as typed text.
import { chipLabel, fieldByPath, type FieldDef } from '../catalog'

export type Segment =
  | { kind: 'text'; text: string }
  /** raw is the exact source, spacing included, so joining gives the input back. */
  | { kind: 'field'; raw: string; path: string; fallback?: string }

const name = String.raw`[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*`
// A JSON-style string: expr accepts the same escapes for "..." literals.
const str = String.raw`"(?:[^"\\\n]|\\.)*"`
const tagRe = new RegExp(String.raw`\{\{\s*(?:(${name})|coalesce\(\s*(${name})\s*,\s*(${str})\s*\))\s*\}\}`, 'g')

/** Splits template text into text and field segments; joinSegments undoes it exactly. */
export function parseTemplate(text: string): Segment[] {
  const out: Segment[] = []
  let last = 0
  for (const m of text.matchAll(tagRe)) {
    const at = m.index ?? 0
    let fallback: string | undefined
    if (!m[1]) {
      fallback = unquote(m[3])
      if (fallback === undefined) continue // an escape we do not read: leave it as text
    }
    if (at > last) out.push({ kind: 'text', text: text.slice(last, at) })
    out.push(m[1] ? { kind: 'field', raw: m[0], path: m[1] } : { kind: 'field', raw: m[0], path: m[2], fallback })
    last = at + m[0].length
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) })
  return out
}

function unquote(s: string): string | undefined {
  try {
    return JSON.parse(s) as string
  } catch {
    return undefined
  }
}

export function joinSegments(segs: Segment[]): string {
  return segs.map((s) => (s.kind === 'text' ? s.text : s.raw)).join('')
}

/** The template text of a field, with its fallback when it may be empty. */
export function fieldTag(path: string, fallback?: string): string {
  return fallback ? `{{ coalesce(${path}, ${JSON.stringify(fallback)}) }}` : `{{ ${path} }}`
}

/** Whether the whole text is one field (e.g. "{{ trigger.email }}"). */
export function isSingleField(text: string): boolean {
  const s = parseTemplate(text)
  return s.length === 1 && s[0].kind === 'field'
}

/** A chip's text: "Contact · First name", or "…, or “there”" with a fallback. */
export function chipText(catalog: FieldDef[], s: Extract<Segment, { kind: 'field' }>): string {
  const base = chipLabel(fieldByPath(catalog, s.path))
  return s.fallback !== undefined ? `${base}, or “${s.fallback}”` : base
}

/** The text as a marketer reads it, fields in brackets: "Hi [Contact · First name]". For summaries. */
export function readableTemplate(text: string, catalog: FieldDef[] = []): string {
  return parseTemplate(text).map((s) => (s.kind === 'text' ? s.text : `[${chipText(catalog, s)}]`)).join('')
}
