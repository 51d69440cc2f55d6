// Whatever the text, drawing it as chips and reading it back gives it back
// exactly: a seeded run over texts made of the pieces that confuse parsers.
import { describe, expect, it } from 'vitest'
import { caret, draw, placeCaret, read } from './editable'
import { joinSegments, parseTemplate } from './template'

const pieces = ['{{', '}}', '{', '}', ' ', '  ', '\n', 'contact.first_name', 'trigger.email', '.', 'coalesce(', ')', ',',
  '"there"', '"a \\"b\\""', '\\', '"', 'Hi', 'é', '👋', '{{ contact.company }}', '{{coalesce(contact.first_name,"x")}}', '*2', '\t']

/** A small deterministic generator (mulberry32), so a failure repeats. */
function rng(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('template round trips', () => {
  it('text → segments → text, and text → chips → text, for 2000 texts', () => {
    const next = rng(13)
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(next() * 12)
      let t = ''
      for (let j = 0; j < n; j++) t += pieces[Math.floor(next() * pieces.length)]
      expect(joinSegments(parseTemplate(t))).toBe(t)
      const el = document.createElement('div')
      draw(el, parseTemplate(t), (s) => ({ text: s.path, title: s.raw }))
      expect(read(el)).toBe(t)
    }
  })

  it('puts the caret where asked and reads it back, anywhere outside a chip', () => {
    const next = rng(7)
    const el = document.createElement('div')
    document.body.append(el)
    for (let i = 0; i < 300; i++) {
      let t = ''
      for (let j = 0, n = 1 + Math.floor(next() * 8); j < n; j++) t += pieces[Math.floor(next() * pieces.length)]
      const segs = parseTemplate(t)
      draw(el, segs, (s) => ({ text: s.path, title: s.raw }))
      // Offsets a caret can take: inside text, or at either side of a chip.
      const ok = new Set<number>([0])
      let at = 0
      for (const s of segs) {
        const len = s.kind === 'text' ? s.text.length : s.raw.length
        if (s.kind === 'text') for (let k = 1; k <= len; k++) ok.add(at + k)
        at += len
        ok.add(at)
      }
      for (const k of ok) {
        placeCaret(el, k)
        expect(caret(el)).toEqual({ start: k, end: k })
      }
    }
    el.remove()
  })
})
