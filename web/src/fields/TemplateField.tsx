// A template field (email subject, SMS text, deal title...) that shows each
// {{ field }} as a readable chip ("Contact · First name") and offers
// "Insert a field" so nobody has to type braces. Typing {{ still works and
// suggests names; a finished {{ name }} turns into a chip. The value given
// to onChange is always the exact template text.
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { Problem } from '../api'
import { chipLabel, fieldByPath, type FieldDef } from '../catalog'
import { checkWithServer, completionsAt, type Checker } from '../ExpressionField'
import { caret, draw, hasLooseField, placeCaret, read } from './editable'
import { FieldPicker } from './FieldPicker'
import { ChipEditor } from './ChipEditor'
import { ProblemView } from './problems'
import { chipText, fieldTag, parseTemplate, type Segment } from './template'
import { changedEnd, newHistory, record, redo, undo } from './history'
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

export function TemplateField({ id, label, value, onChange, required, description, catalog = [], names,
  check = checkWithServer, problems = [], delay = 300, multiline = true }: Props) {
  const ref = useRef<HTMLDivElement>(null)
  // The text the editor's DOM shows, to tell our own edits from new values.
  const shownText = useRef<string | null>(null)
  const lastCaret = useRef<{ start: number; end: number } | null>(null)
  const [picking, setPicking] = useState(false)
  // The chip being edited: its place in the text and what it holds.
  const [editing, setEditing] = useState<{ start: number; seg: Extract<Segment, { kind: 'field' }> } | null>(null)
  const [sugg, setSugg] = useState<{ from: number; items: string[] } | null>(null)
  const [active, setActive] = useState(0)
  const [live, setLive] = useState<Problem[] | null>(null)
  const labelId = useId()
  const helpId = useId()
  const listId = useId()
  const button = useRef<HTMLButtonElement>(null)

  // Tags, lists and consent are sets of values: they read badly inside a text.
  const insertable = useMemo(() => catalog.filter((f) => !['tags', 'lists', 'consent'].includes(f.type)), [catalog])
  // The side panel makes a new catalog on every edit of the journey; chips
  // are drawn again only when a label really changed (not while typing).
  const labelsKey = catalog.map((f) => `${f.path}\u0001${f.group}\u0001${f.label}`).join('\u0002')
  const chip = useMemo(() => (s: Extract<Segment, { kind: 'field' }>) => ({ text: chipText(catalog, s), title: `${s.raw}: click to change` }),
    [labelsKey]) // eslint-disable-line react-hooks/exhaustive-deps

  function redraw(text: string, at?: number) {
    const el = ref.current
    if (!el) return
    // Keep the caret where it was when the text changes under it.
    if (at === undefined && el.ownerDocument.activeElement === el) at = Math.min(caret(el)?.end ?? text.length, text.length)
    draw(el, parseTemplate(text), chip)
    shownText.current = text
    if (at !== undefined) placeCaret(el, at)
  }

  const hist = useRef(newHistory())
  // Draw values that come from outside (first render, the editor's undo,
  // another step); this field's own history no longer applies to them.
  useLayoutEffect(() => {
    if (shownText.current !== value) {
      if (shownText.current !== null) hist.current = newHistory()
      redraw(value)
    }
  })
  // Labels may arrive after the value (the catalog follows the journey).
  useLayoutEffect(() => { redraw(value) }, [chip]) // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (!value.trim()) { setLive(null); return }
    let stale = false
    const t = setTimeout(() => {
      check(value, 'any', true).then((r) => { if (!stale) setLive(r.problems ?? []) }, () => { if (!stale) setLive(null) })
    }, delay)
    return () => { stale = true; clearTimeout(t) }
  }, [value, check, delay])

  /** Replaces the text between start and end, then puts the caret after it. */
  function replace(start: number, end: number, insert: string) {
    const prev = shownText.current ?? value
    const text = prev.slice(0, start) + insert + prev.slice(end)
    if (text !== prev) record(hist.current, prev, false)
    redraw(text, start + insert.length)
    lastCaret.current = { start: start + insert.length, end: start + insert.length }
    onChange(text)
    return text
  }

  function suggest(text: string, at: number) {
    const open = text.lastIndexOf('{{', at)
    const close = text.lastIndexOf('}}', at - 1)
    if (open < 0 || close > open) { setSugg(null); return }
    setSugg(completionsAt(text, at, names))
    setActive(0)
  }

  function onInput(e: React.FormEvent) {
    const el = ref.current!
    const text = read(el)
    const c = caret(el)
    const ie = e.nativeEvent as InputEvent
    if (ie.isComposing) {
      // Mid-composition (accents, Asian scripts): redrawing would break it.
      shownText.current = text
      onChange(text)
      return
    }
    const prev = shownText.current ?? value
    if (text !== prev) record(hist.current, prev, ie.inputType === 'insertText' && !/\s/.test(ie.data ?? ''))
    if (hasLooseField(el)) redraw(text, c?.end)
    else shownText.current = text
    lastCaret.current = c
    onChange(text)
    if (c) suggest(text, c.end)
  }

  function accept(item: string) {
    const c = caret(ref.current!) ?? lastCaret.current
    if (!sugg || !c) return
    const text = shownText.current ?? value
    // A whole name closes the braces, so it becomes a chip at once.
    const closes = !item.endsWith('.') && !/^\s*\}\}/.test(text.slice(c.end))
    const next = replace(sugg.from, c.end, item + (closes ? ' }}' : ''))
    if (item.endsWith('.')) suggest(next, sugg.from + item.length)
    else setSugg(null)
  }

  function travel(to: string | null) {
    if (to === null) return
    const from = shownText.current ?? value
    redraw(to, changedEnd(from, to))
    setSugg(null)
    onChange(to)
  }

  function onKeyDown(e: React.KeyboardEvent) {
    const k = e.key.toLowerCase()
    if ((e.altKey && e.key === 'Enter') || e.key === 'F2') {
      e.preventDefault()
      const c = caret(ref.current!)
      if (c) editChipAt(c.start)
      return
    }
    if ((e.ctrlKey || e.metaKey) && (k === 'z' || k === 'y')) {
      e.preventDefault()
      const current = shownText.current ?? value
      travel(k === 'z' && !e.shiftKey ? undo(hist.current, current) : redo(hist.current, current))
      return
    }
    if (!sugg) return
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => (a + 1) % sugg.items.length) }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => (a - 1 + sugg.items.length) % sugg.items.length) }
    else if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); swallowNextInput(); accept(sugg.items[active]) }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setSugg(null) }
  }

  // The key that chose a suggestion or a field must not also type into the text.
  const swallow = useRef(false)
  function swallowNextInput() {
    swallow.current = true
    setTimeout(() => { swallow.current = false }, 0)
  }

  // New lines and drops are ours to write: browsers would add <div>s and <br>s.
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const onBeforeInput = (e: InputEvent) => {
      if (swallow.current) { e.preventDefault(); return }
      if (e.inputType === 'historyUndo' || e.inputType === 'historyRedo') {
        e.preventDefault()
        travelRef.current(e.inputType === 'historyUndo' ? 'undo' : 'redo')
        return
      }
      if (e.inputType === 'insertParagraph' || e.inputType === 'insertLineBreak') {
        e.preventDefault()
        const c = caret(el)
        if (c && multilineRef.current) replaceRef.current(c.start, c.end, '\n')
      } else if (e.inputType === 'insertFromDrop') {
        e.preventDefault()
      }
    }
    el.addEventListener('beforeinput', onBeforeInput)
    return () => el.removeEventListener('beforeinput', onBeforeInput)
  }, [])
  const replaceRef = useRef(replace)
  replaceRef.current = replace
  const multilineRef = useRef(multiline)
  multilineRef.current = multiline
  const travelRef = useRef<(dir: 'undo' | 'redo') => void>(() => {})
  travelRef.current = (dir) => {
    const current = shownText.current ?? value
    travel(dir === 'undo' ? undo(hist.current, current) : redo(hist.current, current))
  }

  // Copy and cut give the template text, so a pasted chip stays a field.
  function onCopy(e: React.ClipboardEvent, cut: boolean) {
    const el = ref.current!
    const c = caret(el)
    if (!c || c.start === c.end) return
    e.preventDefault()
    const text = shownText.current ?? value
    e.clipboardData.setData('text/plain', text.slice(c.start, c.end))
    if (cut) replace(c.start, c.end, '')
  }

  function onPaste(e: React.ClipboardEvent) {
    e.preventDefault()
    const c = caret(ref.current!)
    const text = e.clipboardData.getData('text/plain')
    if (c) replace(c.start, c.end, multiline ? text : text.replace(/\s*\r?\n\s*/g, ' '))
  }

  function insertField(path: string, fallback?: string) {
    setPicking(false)
    const len = (shownText.current ?? value).length
    const c = lastCaret.current ?? { start: len, end: len }
    swallowNextInput()
    ref.current?.focus()
    replace(Math.min(c.start, len), Math.min(c.end, len), fieldTag(path, fallback))
  }

  /** The chips of the text with where each starts. */
  function fieldsOf(): { start: number; seg: Extract<Segment, { kind: 'field' }> }[] {
    const out: { start: number; seg: Extract<Segment, { kind: 'field' }> }[] = []
    let start = 0
    for (const seg of parseTemplate(shownText.current ?? value)) {
      if (seg.kind === 'field') out.push({ start, seg })
      start += seg.kind === 'text' ? seg.text.length : seg.raw.length
    }
    return out
  }

  function onClick(e: React.MouseEvent) {
    const chipEl = (e.target as HTMLElement).closest?.('.chip')
    if (!chipEl || !ref.current) return
    const hit = fieldsOf()[Array.from(ref.current.querySelectorAll('.chip')).indexOf(chipEl)]
    if (hit) { setPicking(false); setEditing(hit) }
  }

  /** Opens the chip just before the caret, else the one just after it. */
  function editChipAt(at: number) {
    const fs = fieldsOf()
    const hit = fs.find((f) => f.start + f.seg.raw.length === at) ?? fs.find((f) => f.start === at)
    if (hit) { setPicking(false); setEditing(hit) }
  }

  function editChip(next: string) {
    if (!editing) return
    const { start, seg } = editing
    setEditing(null)
    swallowNextInput()
    ref.current?.focus()
    if (next !== seg.raw) replace(start, start + seg.raw.length, next)
  }

  const shown = live !== null ? live : problems
  const invalid = shown.length > 0
  return (
    <div className="field template-field">
      {/* htmlFor names the field for scripts that look fields up by label; the
          text box itself is named by aria-labelledby (a div is not labelable). */}
      <label id={labelId} htmlFor={id} onClick={() => ref.current?.focus()}>{label}{required && <span aria-hidden="true"> *</span>}</label>
      <div className="template-row">
        <div
          id={id}
          ref={ref}
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
          onInput={onInput}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onCopy={(e) => onCopy(e, false)}
          onCut={(e) => onCopy(e, true)}
          onKeyUp={() => { lastCaret.current = caret(ref.current!) ?? lastCaret.current }}
          onClick={onClick}
          onMouseUp={() => { lastCaret.current = caret(ref.current!) ?? lastCaret.current }}
          onBlur={() => { lastCaret.current = caret(ref.current!) ?? lastCaret.current; setTimeout(() => setSugg(null), 150) }}
        />
        <button type="button" ref={button} className="insert-field" aria-label={`Insert a field into ${label}`}
          aria-expanded={picking} aria-haspopup="dialog"
          onMouseDown={() => { lastCaret.current = caret(ref.current!) ?? lastCaret.current }}
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
          onSave={(fb) => editChip(fb === (editing.seg.fallback ?? '') ? editing.seg.raw : fieldTag(editing.seg.path, fb || undefined))} onRemove={() => editChip('')}
          onClose={() => { setEditing(null); ref.current?.focus() }} />
      )}
      {sugg && (
        <ul className="suggestions" role="listbox" id={listId} aria-label="Suggestions">
          {sugg.items.map((it, i) => (
            <li key={it} role="option" aria-selected={i === active} className={i === active ? 'active' : ''}
              onMouseDown={(e) => { e.preventDefault(); accept(it) }}>{it}</li>
          ))}
        </ul>
      )}
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
