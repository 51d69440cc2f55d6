// A template field (email subject, SMS text, deal title...) that shows each
// {{ field }} as a readable chip ("Contact · First name") and offers
// "Insert a field" so nobody has to type braces. Typing {{ still works and
// suggests names; a finished {{ name }} turns into a chip. A click on a
// chip (or Alt+Enter next to it) sets what is written when it is empty.
// The value given to onChange is always the exact template text.
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import type { Problem } from '../api'
import { chipLabel, fieldByPath, type FieldDef } from '../catalog'
import { checkWithServer, completionsAt, SuggestionList, type Checker } from '../ExpressionField'
import { ChipEditor } from './ChipEditor'
import { FieldPicker } from './FieldPicker'
import { ProblemView } from './problems'
import { chipText, fieldTag, parseTemplate } from './template'
import { useChipText, type FieldSegment } from './useChipText'
import './fields.css'

interface Props {
  id: string
  label: string
  value: string
  onChange: (v: string) => void
  required?: boolean
  description?: string
  /** The fields to offer (see catalog.ts); chips take their labels from it. */
  catalog?: FieldDef[]
  /** More names to suggest after {{, e.g. {trigger: ["email"]}. */
  names?: Record<string, string[]>
  check?: Checker
  problems?: Problem[]
  delay?: number
  /** Whether the text may have several lines (a body); else Enter adds none. */
  multiline?: boolean
}

type Placed = { start: number; seg: FieldSegment }

export function TemplateField({ id, label, value, onChange, required, description, catalog = [], names,
  check = checkWithServer, problems = [], delay = 300, multiline = true }: Props) {
  const [picking, setPicking] = useState(false)
  const [editing, setEditing] = useState<Placed | null>(null)
  const [sugg, setSugg] = useState<{ from: number; items: string[] } | null>(null)
  const [active, setActive] = useState(0)
  const [live, setLive] = useState<Problem[] | null>(null)
  const labelId = useId()
  const helpId = useId()
  const listId = useId()
  const button = useRef<HTMLButtonElement>(null)
  // The suggestions close a moment after the field loses focus (so that a
  // click on one still lands); a field that goes away first cancels it.
  const closing = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(closing.current), [])

  // Tags, lists and consent are sets of values: they read badly inside a text.
  const insertable = useMemo(() => catalog.filter((f) => !['tags', 'lists', 'consent'].includes(f.type)), [catalog])
  // The side panel makes a new catalog on every edit of the journey; chips
  // are drawn again only when a label really changed (not while typing).
  const labelsKey = catalog.map((f) => `${f.path}\u0001${f.group}\u0001${f.label}`).join('\u0002')
  const chip = useMemo(() => (s: FieldSegment) => ({ text: chipText(catalog, s), title: `${s.raw}: click to change` }),
    [labelsKey]) // eslint-disable-line react-hooks/exhaustive-deps

  const ed = useChipText({ value, onChange, chip, multiline, onTyped: suggest, onJump: () => setSugg(null), onKey })

  useEffect(() => {
    if (!value.trim()) { setLive(null); return }
    let stale = false
    const t = setTimeout(() => {
      check(value, 'any', true).then((r) => { if (!stale) setLive(r.problems ?? []) }, () => { if (!stale) setLive(null) })
    }, delay)
    return () => { stale = true; clearTimeout(t) }
  }, [value, check, delay])

  /** Suggests names while the caret is inside an open {{. */
  function suggest(text: string, at: number) {
    const open = text.lastIndexOf('{{', at)
    const close = text.lastIndexOf('}}', at - 1)
    if (open < 0 || close > open) { setSugg(null); return }
    setSugg(completionsAt(text, at, names))
    setActive(0)
  }

  function accept(item: string) {
    const c = ed.caretNow() ?? ed.lastCaret.current
    if (!sugg || !c) return
    // A whole name closes the braces, so it becomes a chip at once.
    const closes = !item.endsWith('.') && !/^\s*\}\}/.test(ed.text().slice(c.end))
    const next = ed.replace(sugg.from, c.end, item + (closes ? ' }}' : ''))
    if (item.endsWith('.')) suggest(next, sugg.from + item.length)
    else setSugg(null)
  }

  function onKey(e: React.KeyboardEvent) {
    if ((e.altKey && e.key === 'Enter') || e.key === 'F2') {
      e.preventDefault()
      const c = ed.caretNow()
      if (c) editChipAt(c.start)
      return
    }
    if (!sugg) return
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => (a + 1) % sugg.items.length) }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => (a - 1 + sugg.items.length) % sugg.items.length) }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); ed.swallowNextInput(); accept(sugg.items[active]) }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setSugg(null) }
  }

  function insertField(path: string, fallback?: string) {
    setPicking(false)
    const len = ed.text().length
    const c = ed.lastCaret.current ?? { start: len, end: len }
    ed.swallowNextInput()
    ed.ref.current?.focus()
    ed.replace(Math.min(c.start, len), Math.min(c.end, len), fieldTag(path, fallback))
  }

  /** The chips of the text with where each starts. */
  function placedFields(): Placed[] {
    const out: Placed[] = []
    let start = 0
    for (const seg of parseTemplate(ed.text())) {
      if (seg.kind === 'field') out.push({ start, seg })
      start += seg.kind === 'text' ? seg.text.length : seg.raw.length
    }
    return out
  }

  function onClick(e: React.MouseEvent) {
    const chipEl = (e.target as HTMLElement).closest?.('.chip')
    if (!chipEl || !ed.ref.current) return
    const hit = placedFields()[Array.from(ed.ref.current.querySelectorAll('.chip')).indexOf(chipEl)]
    if (hit) { setPicking(false); setEditing(hit) }
  }

  /** Opens the chip just before the caret, else the one just after it. */
  function editChipAt(at: number) {
    const fs = placedFields()
    const hit = fs.find((f) => f.start + f.seg.raw.length === at) ?? fs.find((f) => f.start === at)
    if (hit) { setPicking(false); setEditing(hit) }
  }

  function editChip(next: string) {
    if (!editing) return
    const { start, seg } = editing
    setEditing(null)
    ed.swallowNextInput()
    ed.ref.current?.focus()
    if (next !== seg.raw) ed.replace(start, start + seg.raw.length, next)
  }

  const shown = live !== null ? live : problems
  const invalid = shown.length > 0
  return (
    <div className="field template-field">
      {/* htmlFor names the field for scripts that look fields up by label; the
          text box itself is named by aria-labelledby (a div is not labelable). */}
      <label id={labelId} htmlFor={id} onClick={() => ed.ref.current?.focus()}>{label}{required && <span aria-hidden="true"> *</span>}</label>
      <div className="template-row">
        <div
          id={id}
          ref={ed.ref}
          role="textbox"
          aria-multiline={multiline}
          contentEditable
          suppressContentEditableWarning
          spellCheck
          tabIndex={0}
          className={'template-input' + (multiline ? ' multiline' : '') + (invalid ? ' invalid' : '')}
          aria-labelledby={labelId}
          aria-describedby={helpId}
          aria-invalid={invalid}
          aria-required={required}
          aria-autocomplete="list"
          aria-controls={sugg ? listId : undefined}
          {...ed.handlers}
          onClick={onClick}
          onBlur={() => { ed.remember(); clearTimeout(closing.current); closing.current = setTimeout(() => setSugg(null), 150) }}
        />
        <button type="button" ref={button} className="insert-field" aria-label={`Insert a field into ${label}`}
          aria-expanded={picking} aria-haspopup="dialog" onMouseDown={ed.remember}
          onClick={() => { setEditing(null); setPicking((p) => !p) }}>
          Insert a field
        </button>
      </div>
      {picking && (
        <FieldPicker catalog={insertable} label={label} onPick={insertField}
          onClose={() => { setPicking(false); button.current?.focus() }} />
      )}
      {editing && (
        <ChipEditor name={chipLabel(fieldByPath(catalog, editing.seg.path))} fallback={editing.seg.fallback}
          onSave={(fb) => editChip(fb === (editing.seg.fallback ?? '') ? editing.seg.raw : fieldTag(editing.seg.path, fb || undefined))}
          onRemove={() => editChip('')}
          onClose={() => { setEditing(null); ed.ref.current?.focus() }} />
      )}
      {sugg && <SuggestionList id={listId} items={sugg.items} active={active} onPick={accept} />}
      <div id={helpId} className="help">
        {invalid
          ? shown.map((p, i) => <ProblemView key={i} problem={p} source={value} onFix={onChange} />)
          : description ? <p>{description}</p> : null}
        {!invalid && parseTemplate(value).some((x) => x.kind === 'field') && (
          <p className="hint">Click a field (or press Alt+Enter next to it) to choose what is written when it is empty.</p>
        )}
      </div>
    </div>
  )
}
