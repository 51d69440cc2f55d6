// A yes/no condition as a marketer builds it: the row builder, with "Edit
// as expression" as the way out. Plays the role of ExpressionField for
// parameters that return bool; reads and writes the same expr text.
import { useEffect, useRef, useState } from 'react'
import { api, type Problem } from '../api'
import type { FieldDef } from '../catalog'
import { ExpressionField, type Checker } from '../ExpressionField'
import { ConditionBuilder } from './ConditionBuilder'
import { emptyCondition, isGroup, parseExpr, toExpr, type Condition } from './expr'

export type OptionLoader = (nodeType: string, param: string) => Promise<string[]>

export interface ConditionFieldProps {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  /** The fields to pick from (see catalog.ts). */
  catalog: FieldDef[]
  description?: string
  required?: boolean
  problems?: Problem[]
  /** For expression mode: names to suggest and the live checker. */
  names?: Record<string, string[]>
  check?: Checker
  /** Loads tag and list names; defaults to the server's choices. */
  loadOptions?: OptionLoader
}

// Tags and lists come from the choices of the steps that set them.
const tagSource = ['contact.tag', 'add'] as const
const listSource = ['list.add', 'list'] as const

async function fromServer(nodeType: string, param: string): Promise<string[]> {
  const r = await api<{ options: { value: string }[] }>(`/node-types/${encodeURIComponent(nodeType)}/options/${encodeURIComponent(param)}`)
  return r.options.map((o) => o.value)
}

/** The builder shows one level of groups; deeper text stays an expression. */
function shallow(c: Condition): boolean {
  return c.rows.every((r) => !isGroup(r) || r.rows.every((x) => !isGroup(x)))
}

/** What the builder opens with for this text, or null when it cannot show it. */
function builderFor(text: string): Condition | null {
  const c = parseExpr(text)
  if (!c || !shallow(c)) return null
  return c.rows.length ? c : emptyCondition()
}

function usesChoices(c: Condition): boolean {
  return c.rows.some((r) => (isGroup(r) ? usesChoices(r) : ['has_tag', 'not_has_tag', 'in_list', 'not_in_list'].includes(r.op)))
}

export function ConditionField({ id, label, value, onChange, catalog, description, required, problems = [], names, check, loadOptions }: ConditionFieldProps) {
  const [cond, setCond] = useState<Condition | null>(() => builderFor(value))
  // Expression mode: chosen ("Edit as expression") or forced (text the builder cannot show).
  const [asText, setAsText] = useState(() => cond === null)
  const [choices, setChoices] = useState<{ tags: string[]; lists: string[] } | null>(null)
  // The text we last wrote: when the value changes to something else (undo,
  // another step selected) the builder reads it again.
  const sent = useRef(value)
  useEffect(() => {
    if (value === sent.current) return
    sent.current = value
    const c = builderFor(value)
    setCond(c)
    if (c === null) setAsText(true)
  }, [value])

  const wantChoices = cond !== null && !asText && usesChoices(cond)
  useEffect(() => {
    if (!wantChoices || choices) return
    const load = loadOptions ?? fromServer
    let stale = false
    const safe = (p: Promise<string[]>) => p.catch(() => [] as string[])
    Promise.all([safe(load(...tagSource)), safe(load(...listSource))]).then(([tags, lists]) => { if (!stale) setChoices({ tags, lists }) })
    return () => { stale = true }
  }, [wantChoices, choices, loadOptions])

  const build = (c: Condition) => {
    setCond(c)
    const text = toExpr(c)
    sent.current = text
    // An added or half-filled row changes no text: nothing to save or undo.
    if (text !== value) onChange(text)
  }

  const helpId = `${id}-help`
  if (asText || cond === null) {
    const readable = builderFor(value)
    return (
      <div className="condition-field">
        {!readable && (
          <p className="hint cond-note">
            This condition is written as an expression. Edit it below, or{' '}
            <button type="button" className="link" onClick={() => { setAsText(false); build(emptyCondition()) }}>Start over with the builder</button>
          </p>
        )}
        <ExpressionField id={id} label={label} value={value} required={required} returns="bool" names={names} check={check}
          problems={problems} description={description}
          onChange={(v) => { sent.current = v; onChange(v) }} />
        {readable && (
          <button type="button" className="link" onClick={() => { setCond(readable); setAsText(false) }}>Use the builder</button>
        )}
      </div>
    )
  }

  return (
    <fieldset className="field condition-field" aria-describedby={helpId} id={id}>
      <legend>{label}{required && <span aria-hidden="true"> *</span>}</legend>
      <ConditionBuilder id={id} value={cond} onChange={build} catalog={catalog} choices={choices ?? { tags: [], lists: [] }} />
      <button type="button" className="link" onClick={() => setAsText(true)}>Edit as expression</button>
      <div className="help" id={helpId}>
        {problems.map((p, i) => <p key={i} className="error" role="alert">{p.message}</p>)}
        {description && <p>{description}</p>}
      </div>
    </fieldset>
  )
}
