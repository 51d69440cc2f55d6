import { createContext } from 'react'
import type { Anchor } from './model'

/** What cards and connections on the canvas can ask the editor to do. */
export interface CanvasActions {
  /** Opens the step picker for a new step at the anchor, shown next to the element. */
  openPicker: (anchor: Anchor, near: HTMLElement) => void
}

export const CanvasActionsContext = createContext<CanvasActions | null>(null)
