// Unsaved canvas changes kept in the browser's local storage, per journey,
// so that a reload, a crash or a closed tab loses nothing.
import type { FlowDoc } from '../api'

export interface Unsaved {
  doc: FlowDoc
  /** The saved draft the changes were made on, and its revision. */
  base: FlowDoc
  revision?: number
  /** When the changes were last made (ms since the epoch). */
  at: number
}

const key = (flowId: string) => `journey.unsaved.${flowId}`

export function readUnsaved(flowId: string): Unsaved | null {
  try {
    const v = JSON.parse(localStorage.getItem(key(flowId)) ?? 'null') as Unsaved | null
    return v && v.doc && v.base && typeof v.at === 'number' ? v : null
  } catch {
    return null
  }
}

export function writeUnsaved(flowId: string, u: Unsaved) {
  try {
    localStorage.setItem(key(flowId), JSON.stringify(u))
  } catch {
    // Storage full or disabled: the leave-page warning still guards the work.
  }
}

export function clearUnsaved(flowId: string) {
  try {
    localStorage.removeItem(key(flowId))
  } catch {
    // As above.
  }
}
