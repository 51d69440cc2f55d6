import { useEffect, useRef, useState } from 'react'
import { api, type FlowDetail } from '../api'

/**
 * Whether the stored draft differs from the live version ("Changes not
 * published"). It starts from the loaded journey and is read again from the
 * server after each save (saved changes) and publish (version changes), so
 * the editor's save stays as it is.
 */
export function useUnpublished(flowId: string, initial: boolean, saved: unknown, version: number): boolean {
  const [value, setValue] = useState(initial)
  // The draft as loaded: `initial` already describes it.
  const loaded = useRef<unknown>(null)
  useEffect(() => { setValue(initial) }, [initial])
  useEffect(() => {
    if (saved == null) return
    if (loaded.current === null) { loaded.current = saved; return }
    let stale = false
    api<FlowDetail>(`/flows/${encodeURIComponent(flowId)}`).then((f) => { if (!stale) setValue(!!f.unpublished_changes) }, () => {})
    return () => { stale = true }
  }, [flowId, saved, version])
  return value
}
