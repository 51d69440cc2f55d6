// Types and wording of the Results dashboard (GET /api/v1/analytics/...).

export type Rate = number | null

export interface ChannelReport {
  tried: number; sent: number; delivered: number; opened: number; clicked: number; read: number
  failed: number; bounced: number; complained: number; unsubscribed: number
  rates: Record<string, Rate>
}

export interface Report {
  entries: number; conversions: number; conversion_rate: Rate
  leads: number; chats_started: number; capture_rate: Rate
  qualified_leads: number; qualified_rate: Rate
  deals_created: number; deal_value: number; won_deals: number; won_value: number
  channels: Record<string, ChannelReport>
  first_contact: { measured: number; median_seconds: number | null; p90_seconds: number | null }
}

export interface Summary {
  flow: string; since: string; until: string; previous_since: string
  stage: string; attribution_days: number
  /** When the count behind the numbers began; null before the first. */
  counted_at?: string | null
  current: Report; previous: Report
}

export interface Point {
  start: string; entries: number; conversions: number; leads: number; emails_sent: number; emails_opened: number
}

/** A rate as a percentage, or a dash when there was nothing to divide by. */
export function pct(r: Rate): string {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`
}

export function count(n: number): string {
  return n.toLocaleString('en')
}

export function money(n: number): string {
  return n.toLocaleString('en', { maximumFractionDigits: 0 })
}

/** A duration in words: 45 s, 12 min, 3.5 h, 2.1 days. */
export function duration(sec: number | null): string {
  if (sec === null || sec === undefined) return '—'
  // Times are counted in whole seconds.
  if (sec < 1) return 'under 1 s'
  if (sec < 60) return `${Math.round(sec)} s`
  if (sec < 3600) return `${Math.round(sec / 60)} min`
  if (sec < 86400) return `${(sec / 3600).toFixed(1)} h`
  return `${(sec / 86400).toFixed(1)} days`
}

/**
 * The change of a count against the previous period, in words. A count
 * from nothing is "new"; no previous value gives no percentage.
 */
export function countChange(cur: number, prev: number): string {
  if (cur === prev) return 'no change'
  if (prev === 0) return 'up from 0'
  const p = Math.round(((cur - prev) / prev) * 100)
  return p >= 0 ? `up ${p}%` : `down ${-p}%`
}

/** The change of a rate in percentage points ("pts"). */
export function rateChange(cur: Rate, prev: Rate): string {
  if (cur === null || prev === null) return 'nothing to compare'
  const d = (cur - prev) * 100
  if (Math.abs(d) < 0.05) return 'no change'
  return d > 0 ? `up ${d.toFixed(1)} pts` : `down ${(-d).toFixed(1)} pts`
}

/** The change of a time (shorter is better, but we only say what moved). */
export function timeChange(cur: number | null, prev: number | null): string {
  if (cur === null || prev === null) return 'nothing to compare'
  if (cur === prev) return 'no change'
  return cur < prev ? `${duration(prev - cur)} faster` : `${duration(cur - prev)} slower`
}

export const channelNames: Record<string, string> = { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp' }

/** Which outcomes a channel reports: emails are not read, texts are not opened. */
export function channelHas(ch: string, outcome: string): boolean {
  if (['opened', 'clicked', 'bounced', 'complained', 'unsubscribed'].includes(outcome)) return ch === 'email'
  if (outcome === 'read') return ch === 'whatsapp'
  return true
}

export interface MessageStep extends ChannelReport {
  flow_id: string; flow_name: string; node_id: string; node_name: string; channel: string
  /** The A/B split path the step's contacts took before it (by_variant; "" for none). */
  variant?: string
}

/**
 * A period of whole UTC days in words, from its first midnight to the
 * midnight after its last day: "7 Nov – 6 Dec 2026".
 */
export function dayRange(since: string, until: string): string {
  const first = new Date(since)
  const last = new Date(new Date(until).getTime() - 24 * 3600 * 1000)
  const day = (d: Date, year: boolean) =>
    d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC', ...(year ? { year: 'numeric' } : {}) })
  if (first.getTime() >= last.getTime()) return day(first, true)
  return `${day(first, first.getUTCFullYear() !== last.getUTCFullYear())} – ${day(last, true)}`
}

/** Says how fresh the numbers are: the server counts again every 15 s
 * and a page never shows a count more than 30 s old. */
export function countedAt(at: string | null | undefined, timeZone?: string): string {
  if (!at) return ''
  const time = new Date(at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone })
  return `Numbers as of ${time}; they are counted again every 15 seconds.`
}
