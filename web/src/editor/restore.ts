import { useCallback, useEffect, useRef, useState } from 'react'
import type { FlowDoc } from '../api'

/**
 * "Restore this version": puts the version's document on the canvas (an
 * undoable change), then saves it with the editor's own save once the
 * canvas shows it, since save reads the document of the render it belongs
 * to. The promise says whether the save went through.
 */
export function useRestore(change: (fn: (d: FlowDoc) => FlowDoc) => void, save: () => Promise<boolean>) {
  const pending = useRef<((ok: boolean) => void) | null>(null)
  const [due, setDue] = useState(false)
  const latestSave = useRef(save)
  // Runs before the effect below: the save of the render that shows the version.
  useEffect(() => { latestSave.current = save })
  useEffect(() => {
    if (!due) return
    setDue(false)
    const done = pending.current
    pending.current = null
    latestSave.current().then((ok) => done?.(ok))
  }, [due])
  return useCallback((d: FlowDoc) => new Promise<boolean>((resolve) => {
    pending.current = resolve
    change(() => d)
    setDue(true)
  }), [change])
}
