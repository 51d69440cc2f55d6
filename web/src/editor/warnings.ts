import type { Problem } from '../api'

/**
 * What a save or publish message adds when the journey has warnings: how
 * many steps are worth checking; "" without warnings.
 */
export function worthChecking(warnings: Problem[] | undefined): string {
  const steps = new Set((warnings ?? []).map((w) => w.node_id ?? ''))
  const n = steps.size
  if (!n) return ''
  return ` ${n} step${n > 1 ? 's are' : ' is'} worth checking (marked in amber); this does not stop the journey.`
}
