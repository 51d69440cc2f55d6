// The mechanics of a contenteditable that shows template text with chips:
// drawing values, reading what is typed back into text, new lines, paste,
// copy and cut of the template text, undo and redo, and the caret. The
// field around it (TemplateField) adds the pickers and suggestions.
import { useEffect, useLayoutEffect, useRef } from 'react'
import { caret, draw, hasLooseField, placeCaret, read } from './editable'
import { changedEnd, newHistory, record, redo, undo } from './history'
import { parseTemplate, type Segment } from './template'

export type FieldSegment = Extract<Segment, { kind: 'field' }>
type Caret = { start: number; end: number }

interface Options {
  value: string
  onChange: (v: string) => void
  /** A chip's text and tooltip; a new function draws the chips again. */
  chip: (s: FieldSegment) => { text: string; title: string }
  multiline: boolean
  /** After the user typed: the text and where the caret is (for suggestions). */
  onTyped?: (text: string, at: number) => void
  /** After undo or redo. */
  onJump?: () => void
  /** The field's own keys (suggestions, opening a chip). */
  onKey?: (e: React.KeyboardEvent) => void
}

export function useChipText({ value, onChange, chip, multiline, onTyped, onJump, onKey }: Options) {
  const ref = useRef<HTMLDivElement>(null)
  // The text the DOM shows, to tell our own edits from new values.
  const shown = useRef<string | null>(null)
  const lastCaret = useRef<Caret | null>(null)
  const hist = useRef(newHistory())
  // The key that chose a suggestion or a field must not also type into the text.
  const swallow = useRef(false)

  const text = () => shown.current ?? value
  const caretNow = () => (ref.current ? caret(ref.current) : null)

  function redraw(t: string, at?: number) {
    const el = ref.current
    if (!el) return
    // Keep the caret where it was when the text changes under it.
    if (at === undefined && el.ownerDocument.activeElement === el) at = Math.min(caret(el)?.end ?? t.length, t.length)
    draw(el, parseTemplate(t), chip)
    shown.current = t
    if (at !== undefined) placeCaret(el, at)
  }

  // Values from outside (first render, the editor's undo, another step):
  // draw them; this field's own history no longer applies to them.
  useLayoutEffect(() => {
    if (shown.current !== value) {
      if (shown.current !== null) hist.current = newHistory()
      redraw(value)
    }
  })
  // New labels: draw the chips again.
  useLayoutEffect(() => { redraw(value) }, [chip]) // eslint-disable-line react-hooks/exhaustive-deps

  /** Replaces the text between start and end, then puts the caret after it. */
  function replace(start: number, end: number, insert: string): string {
    const prev = text()
    const next = prev.slice(0, start) + insert + prev.slice(end)
    if (next !== prev) record(hist.current, prev, false)
    redraw(next, start + insert.length)
    lastCaret.current = { start: start + insert.length, end: start + insert.length }
    onChange(next)
    return next
  }

  function swallowNextInput() {
    swallow.current = true
    setTimeout(() => { swallow.current = false }, 0)
  }

  function jump(dir: 'undo' | 'redo') {
    const from = text()
    const to = dir === 'undo' ? undo(hist.current, from) : redo(hist.current, from)
    if (to === null) return
    redraw(to, changedEnd(from, to))
    onJump?.()
    onChange(to)
  }

  function onInput(e: React.FormEvent) {
    const el = ref.current!
    const t = read(el)
    const c = caret(el)
    const ie = e.nativeEvent as InputEvent
    if (ie.isComposing) {
      // Mid-composition (accents, Asian scripts): redrawing would break it.
      shown.current = t
      onChange(t)
      return
    }
    const prev = text()
    if (t !== prev) record(hist.current, prev, ie.inputType === 'insertText' && !/\s/.test(ie.data ?? ''))
    // A finished {{ name }} becomes a chip.
    if (hasLooseField(el)) redraw(t, c?.end)
    else shown.current = t
    lastCaret.current = c
    onChange(t)
    if (c) onTyped?.(t, c.end)
  }

  function onKeyDown(e: React.KeyboardEvent) {
    const k = e.key.toLowerCase()
    if ((e.ctrlKey || e.metaKey) && (k === 'z' || k === 'y')) {
      e.preventDefault()
      jump(k === 'z' && !e.shiftKey ? 'undo' : 'redo')
      return
    }
    onKey?.(e)
  }

  // Copy and cut give the template text, so a pasted chip stays a field.
  function onCopy(e: React.ClipboardEvent, cut: boolean) {
    const c = caretNow()
    if (!c || c.start === c.end) return
    e.preventDefault()
    e.clipboardData.setData('text/plain', text().slice(c.start, c.end))
    if (cut) replace(c.start, c.end, '')
  }

  function onPaste(e: React.ClipboardEvent) {
    e.preventDefault()
    const c = caretNow()
    const pasted = e.clipboardData.getData('text/plain')
    if (c) replace(c.start, c.end, multiline ? pasted : pasted.replace(/\s*\r?\n\s*/g, ' '))
  }

  const remember = () => { lastCaret.current = caretNow() ?? lastCaret.current }

  // New lines, drops and the Undo menu are ours: browsers would add <div>s
  // and <br>s, and their undo cannot follow the chips.
  const latest = useRef({ replace, jump, multiline })
  latest.current = { replace, jump, multiline }
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const onBeforeInput = (e: InputEvent) => {
      if (swallow.current) { e.preventDefault(); return }
      const { replace: rep, jump: go, multiline: ml } = latest.current
      if (e.inputType === 'historyUndo' || e.inputType === 'historyRedo') {
        e.preventDefault()
        go(e.inputType === 'historyUndo' ? 'undo' : 'redo')
      } else if (e.inputType === 'insertParagraph' || e.inputType === 'insertLineBreak') {
        e.preventDefault()
        const c = caret(el)
        if (c && ml) rep(c.start, c.end, '\n')
      } else if (e.inputType === 'insertFromDrop') {
        e.preventDefault()
      }
    }
    el.addEventListener('beforeinput', onBeforeInput)
    return () => el.removeEventListener('beforeinput', onBeforeInput)
  }, [])

  return {
    ref,
    text,
    caretNow,
    lastCaret,
    replace,
    swallowNextInput,
    /** Handlers for the contenteditable element. */
    handlers: {
      onInput,
      onKeyDown,
      onPaste,
      onCopy: (e: React.ClipboardEvent) => onCopy(e, false),
      onCut: (e: React.ClipboardEvent) => onCopy(e, true),
      onKeyUp: remember,
      onMouseUp: remember,
    },
    remember,
  }
}
