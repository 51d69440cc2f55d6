// Undo and redo over whole flow documents (they are small and immutable).
export interface History<T> {
  past: T[]
  present: T
  future: T[]
  /** The key and time of the last commit, so that typing makes one undo step. */
  last?: { key: string; at: number }
}

/** Commits within this time under the same key merge into one undo step. */
export const coalesceMs = 1000

const limit = 200

export function start<T>(present: T): History<T> {
  return { past: [], present, future: [] }
}

export function commit<T>(h: History<T>, next: T, key?: string, now = Date.now()): History<T> {
  if (next === h.present) return h
  const last = key ? { key, at: now } : undefined
  if (key && h.last?.key === key && now - h.last.at < coalesceMs && h.past.length) {
    return { past: h.past, present: next, future: [], last }
  }
  return { past: [...h.past.slice(-limit + 1), h.present], present: next, future: [], last }
}

export function undo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] }
}

export function redo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) }
}
