// The Numbers overlay as a funnel: per step, the share of the journey's
// entries, the share of each path and the drop-off. Computed once per
// stats response so the memoised cards of a 200-step canvas keep their
// identity between renders.
import type { NodeStats } from './NodeCard'

export interface StatsResponse {
  since: string
  nodes: Record<string, NodeStats>
  converted: number
  waiting: number
  /** Runs started in the period; older servers leave it out. */
  entries?: number
  conversion_rate?: number
  median_seconds_to_convert?: number | null
}

/** A step's numbers with the funnel's percentages as ready-made labels. */
export interface FunnelStep extends NodeStats {
  /** "40%" of the journey's entries reached this step ('' without entries). */
  ofEntries: string
  /** Each path's share of those who entered the step, e.g. { yes: "25%" }. */
  pathShare: Record<string, string>
  /** Entered but went down no path and do not wait here: they left the journey. */
  dropOff: number
  dropOffShare: string
}

/** percent shows part of whole as a whole percentage ("" when whole is 0). */
export function percent(part: number, whole: number): string {
  if (!whole) return ''
  // One decimal, so that 0.4% does not read as 0% nor 11.5% as 12%.
  return `${((part / whole) * 100).toFixed(1).replace(/\.0$/, '')}%`
}

/** funnelOf turns a stats response into each step's funnel numbers. */
export function funnelOf(stats: StatsResponse): Record<string, FunnelStep> {
  const entries = stats.entries ?? 0
  const out: Record<string, FunnelStep> = {}
  for (const [id, n] of Object.entries(stats.nodes)) {
    const pathShare: Record<string, string> = {}
    let onward = 0
    for (const [port, c] of Object.entries(n.ports)) {
      pathShare[port] = percent(c, n.entered)
      onward += c
    }
    const dropOff = Math.max(0, n.entered - onward - n.waiting)
    out[id] = { ...n, ofEntries: percent(n.entered, entries), pathShare, dropOff, dropOffShare: percent(dropOff, n.entered) }
  }
  return out
}

/** duration reads seconds as a short plain-language time ("3 h 20 min"). */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`
  const m = Math.round(seconds / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`
  const d = Math.floor(h / 24)
  return h % 24 ? `${d} days ${h % 24} h` : `${d} days`
}

/** headline is the journey's numbers above the canvas. */
export function headline(stats: StatsResponse): string {
  const since = `Since ${new Date(stats.since).toLocaleString()}`
  if (stats.entries === undefined) return `${since}: ${stats.converted} converted, ${stats.waiting} waiting now.`
  const parts = [`${stats.entries} entered`]
  parts.push(stats.entries ? `${percent(stats.converted, stats.entries)} reached the goal (${stats.converted})` : 'none reached the goal')
  if (stats.median_seconds_to_convert != null) parts.push(`median time to convert ${duration(stats.median_seconds_to_convert)}`)
  parts.push(`${stats.waiting} waiting now`)
  return `${since}: ${parts.join(' · ')}.`
}
