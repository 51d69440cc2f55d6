// Undo and redo of one template field. The browser's own undo cannot
// follow the field once chips are drawn into it, so the field keeps its
// texts here. Letters typed in a row make one step; a space, a deletion,
// a new line, a paste or a field starts a new one.

export interface TextHistory { past: string[]; future: string[]; typing: boolean }

const limit = 100

export const newHistory = (): TextHistory => ({ past: [], future: [], typing: false })

/** Notes that the text was prev before a change; typing says it was a letter typed. */
export function record(h: TextHistory, prev: string, typing: boolean) {
  if (!(typing && h.typing)) {
    h.past.push(prev)
    if (h.past.length > limit) h.past.shift()
  }
  h.future = []
  h.typing = typing
}

/** The text before the last step, or null when there is none. */
export function undo(h: TextHistory, current: string): string | null {
  const prev = h.past.pop()
  if (prev === undefined) return null
  h.future.push(current)
  h.typing = false
  return prev
}

export function redo(h: TextHistory, current: string): string | null {
  const next = h.future.pop()
  if (next === undefined) return null
  h.past.push(current)
  h.typing = false
  return next
}

/** Where the caret goes after undo or redo: the end of what changed. */
export function changedEnd(before: string, after: string): number {
  let i = 0
  while (i < before.length && i < after.length && before[i] === after[i]) i++
  let j = 0
  while (j < before.length - i && j < after.length - i && before[before.length - 1 - j] === after[after.length - 1 - j]) j++
  return after.length - j
}
