// A text field for expressions ("trigger.score >= 50") that checks what is typed with the
// server as you go, shows where a problem is and what would fix it, and
// suggests contact., event., trigger. and vars. names. Template parameters
// of steps use fields/TemplateField (chips) instead.
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { api, type Problem } from './api'
import { ProblemView } from './fields/problems'

export interface CheckResult { ok: boolean; problems: Problem[] }
export type Checker = (expression: string, returns: string, template: boolean) => Promise<CheckResult>

export const checkWithServer: Checker = (expression, returns, template) =>
  api<CheckResult>('/expressions/check', { method: 'POST', json: { expression, returns, template } })

/** Names offered after "contact.", "event.", "trigger." and "vars.". */
export const baseSuggestions: Record<string, string[]> = {
  contact: ['email', 'phone', 'first_name', 'last_name', 'company', 'score', 'time_zone', 'tags', 'lists', 'fields', 'external_id', 'id'],
  event: ['type', 'data', 'at', 'source'],
  trigger: [],
  vars: [],
}
const roots = Object.keys(baseSuggestions)

/** The partial name just before the cursor and its completions. */
export function completionsAt(text: string, cursor: number, extra: Record<string, string[]> = {}): { from: number; items: string[] } | null {
  const before = text.slice(0, cursor)
  const m = /([A-Za-z_][\w.]*)$/.exec(before)
  if (!m) return null
  const word = m[1]
  const from = cursor - word.length
  const dot = word.lastIndexOf('.')
  if (dot < 0) {
    const items = roots.filter((r) => r.startsWith(word) && r !== word).map((r) => r + '.')
    return items.length ? { from, items } : null
  }
  const head = word.slice(0, dot)
  const tail = word.slice(dot + 1)
  const names = [...(extra[head] ?? []), ...(baseSuggestions[head] ?? [])]
  const items = [...new Set(names)].filter((n) => n.startsWith(tail) && n !== tail).map((n) => `${head}.${n}`)
  return items.length ? { from, items } : null
}

interface Props {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  returns?: string
  description?: string
  required?: boolean
  /** More names to suggest, e.g. {trigger: ["email", "score"]} from the sample payload. */
  names?: Record<string, string[]>
  check?: Checker
  /** Problems the server reported for this parameter on save. */
  problems?: Problem[]
  delay?: number
}

export function ExpressionField({ id, label, value, onChange, returns = 'any', description, required,
  names, check = checkWithServer, problems = [], delay = 300 }: Props) {
  const [live, setLive] = useState<Problem[] | null>(null)
  const [sugg, setSugg] = useState<{ from: number; items: string[] } | null>(null)
  const [active, setActive] = useState(0)
  const ref = useRef<HTMLTextAreaElement>(null)
  const listId = useId()
  const helpId = useId()

  useEffect(() => {
    if (!value.trim()) {
      setLive(null)
      return
    }
    let stale = false
    const t = setTimeout(() => {
      check(value, returns, false).then(
        (r) => { if (!stale) setLive(r.problems ?? []) },
        () => { if (!stale) setLive(null) },
      )
    }, delay)
    return () => { stale = true; clearTimeout(t) }
  }, [value, returns, check, delay])

  const shown = useMemo(() => (live !== null ? live : problems), [live, problems])

  function update(text: string, cursor: number) {
    onChange(text)
    setSugg(completionsAt(text, cursor, names))
    setActive(0)
  }

  function accept(item: string) {
    if (!sugg || !ref.current) return
    const cursor = ref.current.selectionStart ?? value.length
    const next = value.slice(0, sugg.from) + item + value.slice(cursor)
    onChange(next)
    setSugg(null)
    const pos = sugg.from + item.length
    requestAnimationFrame(() => ref.current?.setSelectionRange(pos, pos))
  }

  function onKeyDown(e: React.KeyboardEvent) {
    if (!sugg) return
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => (a + 1) % sugg.items.length) }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => (a - 1 + sugg.items.length) % sugg.items.length) }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); accept(sugg.items[active]) }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setSugg(null) }
  }

  const invalid = shown.length > 0
  return (
    <div className="field expr-field">
      <label htmlFor={id}>{label}{required && <span aria-hidden="true"> *</span>}</label>
      <textarea
        id={id}
        ref={ref}
        className={'mono' + (invalid ? ' invalid' : '')}
        rows={1}
        value={value}
        spellCheck={false}
        aria-invalid={invalid}
        aria-describedby={helpId}
        aria-autocomplete="list"
        aria-controls={sugg ? listId : undefined}
        onChange={(e) => update(e.target.value, e.target.selectionStart)}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setSugg(null), 150)}
      />
      {sugg && <SuggestionList id={listId} items={sugg.items} active={active} onPick={accept} />}
      <div id={helpId} className="help">
        {invalid
          ? shown.map((p, i) => <ProblemView key={i} problem={p} source={value} onFix={onChange} />)
          : live !== null && value.trim() ? <p className="ok">Looks good.</p>
          : description ? <p>{description}</p> : null}
      </div>
    </div>
  )
}

/** The names offered while typing; a press picks one (the field keeps its focus). */
export function SuggestionList({ id, items, active, onPick }: { id: string; items: string[]; active: number; onPick: (item: string) => void }) {
  return (
    <ul className="suggestions" role="listbox" id={id} aria-label="Suggestions">
      {items.map((it, i) => (
        <li key={it} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}
          onMouseDown={(e) => { e.preventDefault(); onPick(it) }}>{it}</li>
      ))}
    </ul>
  )
}
