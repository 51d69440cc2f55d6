// The DOM side of the template editor: a contenteditable element holding
// text nodes and chip spans (contenteditable=false, data-raw = the field's
// exact source). These helpers draw segments into it, read the text back,
// and convert the caret to and from offsets in that text.
import { parseTemplate, type Segment } from './template'

/** Draws the segments; chip(seg) gives each field's visible text. */
export function draw(root: HTMLElement, segs: Segment[], chip: (s: Extract<Segment, { kind: 'field' }>) => { text: string; title: string }) {
  const doc = root.ownerDocument
  root.replaceChildren()
  for (const s of segs) {
    if (s.kind === 'text') {
      root.append(doc.createTextNode(s.text))
      continue
    }
    const c = chip(s)
    const span = doc.createElement('span')
    span.className = 'chip'
    span.contentEditable = 'false'
    span.dataset.raw = s.raw
    span.title = c.title
    span.textContent = c.text
    root.append(span)
  }
  // Browsers need a text node after a trailing chip to put the caret there,
  // and a <br> to show a last empty line (read() skips that last <br>).
  if (root.lastChild?.nodeType !== Node.TEXT_NODE) root.append(doc.createTextNode(''))
  if ((root.lastChild as Text).data.endsWith('\n')) root.append(doc.createElement('br'))
}

/** The template text of a node's content (an editor or a cloned range). */
export function read(node: Node, top = true): string {
  let out = ''
  node.childNodes.forEach((n, i) => {
    if (n.nodeType === Node.TEXT_NODE) out += (n as Text).data
    else if (n instanceof HTMLElement || n.nodeType === Node.ELEMENT_NODE) {
      const el = n as HTMLElement
      if (el.dataset?.raw !== undefined) out += el.dataset.raw
      // A last <br> in the editor is the browser's placeholder for an empty line.
      else if (el.tagName === 'BR') out += top && node.nodeType === Node.ELEMENT_NODE && i === node.childNodes.length - 1 ? '' : '\n'
      // Browsers wrap new lines in <div>s when they add them themselves.
      else if (el.tagName === 'DIV' || el.tagName === 'P') out += (i > 0 ? '\n' : '') + read(el, false)
      else out += read(el, false)
    }
  })
  return out
}

/** Whether some typed text now holds a whole field, to be drawn as a chip. */
export function hasLooseField(root: HTMLElement): boolean {
  for (const n of Array.from(root.childNodes)) {
    if (n.nodeType === Node.TEXT_NODE && parseTemplate((n as Text).data).some((s) => s.kind === 'field')) return true
    const placeholder = n.nodeName === 'BR' && n === root.lastChild
    if (n.nodeType === Node.ELEMENT_NODE && (n as HTMLElement).dataset.raw === undefined && !placeholder) return true
  }
  return false
}

/** The selection as offsets in read(root), or null when it is elsewhere. */
export function caret(root: HTMLElement): { start: number; end: number } | null {
  const sel = root.ownerDocument.getSelection()
  if (!sel || sel.rangeCount === 0) return null
  const r = sel.getRangeAt(0)
  if (!root.contains(r.startContainer) || !root.contains(r.endContainer)) return null
  const at = (node: Node, offset: number) => {
    const pre = root.ownerDocument.createRange()
    pre.setStart(root, 0)
    pre.setEnd(node, offset)
    return read(pre.cloneContents())
  }
  return { start: at(r.startContainer, r.startOffset).length, end: at(r.endContainer, r.endOffset).length }
}

/** Puts the caret at an offset of read(root) (after a chip when it ends there). */
export function placeCaret(root: HTMLElement, offset: number) {
  const doc = root.ownerDocument
  const range = doc.createRange()
  let left = offset
  let placed = false
  for (const n of Array.from(root.childNodes)) {
    if (n.nodeName === 'BR' && n === root.lastChild) break
    const len = n.nodeType === Node.TEXT_NODE ? (n as Text).data.length : ((n as HTMLElement).dataset?.raw ?? '').length
    if (n.nodeType === Node.TEXT_NODE && left <= len) {
      range.setStart(n, left)
      placed = true
      break
    }
    if (n.nodeType !== Node.TEXT_NODE && left < len) {
      range.setStartBefore(n)
      placed = true
      break
    }
    left -= len
  }
  if (!placed) range.setStart(root, root.childNodes.length)
  range.collapse(true)
  const sel = doc.getSelection()
  sel?.removeAllRanges()
  sel?.addRange(range)
}
