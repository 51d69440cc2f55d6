// Durations as marketers type them ("2 days", "48 hours", "1h30m") and as
// the engine stores them ("2d", "48h", "1h30m"; see flows/duration.go:
// whole numbers, units w d h m s, largest first, each once).

export type DurationUnit = 'minutes' | 'hours' | 'days' | 'weeks'

/** The units of the number + unit input, smallest first. */
export const durationUnits: { id: DurationUnit; short: string; label: string; seconds: number }[] = [
  { id: 'minutes', short: 'm', label: 'minutes', seconds: 60 },
  { id: 'hours', short: 'h', label: 'hours', seconds: 3600 },
  { id: 'days', short: 'd', label: 'days', seconds: 86400 },
  { id: 'weeks', short: 'w', label: 'weeks', seconds: 604800 },
]

const engineUnits: [string, number][] = [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]

/** Every way of writing a unit we understand, to its engine letter. */
const unitWords: Record<string, string> = {}
for (const [letter, words] of [
  ['s', 's sec secs second seconds'], ['m', 'm min mins minute minutes'], ['h', 'h hr hrs hour hours'],
  ['d', 'd day days'], ['w', 'w wk wks week weeks'],
] as const) for (const w of words.split(' ')) unitWords[w] = letter

const engineRe = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/

/** Whether the engine accepts v as it is ("48h", "1d12h", "0"). */
export function isEngineDuration(v: string): boolean {
  const s = v.trim()
  return s === '0' || (s !== '' && engineRe.test(s))
}

/** The length of an engine duration in seconds, or null when it is not one. */
export function durationSeconds(v: string): number | null {
  const s = v.trim()
  if (s === '0') return 0
  const m = engineRe.exec(s)
  if (!s || !m) return null
  return engineUnits.reduce((sum, [, size], i) => sum + Number(m[i + 1] ?? 0) * size, 0)
}

/** Seconds as an engine duration, largest units first ("1d12h"). */
export function formatSeconds(total: number): string {
  if (total === 0) return '0'
  let rest = total
  let out = ''
  for (const [letter, size] of engineUnits) {
    const n = Math.floor(rest / size)
    if (n > 0) { out += `${n}${letter}`; rest -= n * size }
  }
  return out
}

export type ParsedDuration = { ok: true; value: string } | { ok: false; message: string }

export const durationHelp = 'Write a number and a unit, like 2 days, 48 hours or 30 minutes.'

/**
 * Reads what a person typed ("2 days", "48 hours", "30 min", "1 week",
 * "2d", "1h30m", "1.5 hours") as an engine duration. A single unit keeps
 * its unit ("48 hours" is "48h", not "2d"); several are added up.
 */
export function parseDuration(text: string): ParsedDuration {
  const s = text.trim().toLowerCase()
  if (s === '') return { ok: false, message: 'Enter how long, like 2 days or 48 hours.' }
  if (s.length > 64) return { ok: false, message: 'That is too long for a duration. ' + durationHelp }
  if (s === '0') return { ok: true, value: '0' }
  if (s.startsWith('-')) return { ok: false, message: 'A duration cannot be negative.' }
  const parts: [number, string][] = []
  // Numbers followed by unit words, separated by spaces, commas or "and".
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,|\band\b)?\s*/y
  let at = 0
  while (at < s.length) {
    re.lastIndex = at
    const m = re.exec(s)
    if (!m) return { ok: false, message: durationHelp }
    const unit = unitWords[m[2]]
    if (!unit) return { ok: false, message: `“${m[2]}” is not a unit we know. ${durationHelp}` }
    parts.push([Number(m[1]), unit])
    at = re.lastIndex
  }
  if (!parts.length) return { ok: false, message: durationHelp }
  const size = (u: string) => engineUnits.find(([l]) => l === u)![1]
  const seconds = parts.reduce((sum, [n, u]) => sum + n * size(u), 0)
  if (!Number.isFinite(seconds) || seconds > 100 * 365 * 86400) return { ok: false, message: 'That is too long a time.' }
  if (!Number.isInteger(seconds)) return { ok: false, message: 'Use whole seconds at most.' }
  const [n, u] = parts[0]
  if (parts.length === 1 && Number.isInteger(n)) return { ok: true, value: `${n}${u}` }
  return { ok: true, value: formatSeconds(seconds) }
}

/**
 * An engine duration as a number and one of the input's units: "48h" is 48
 * hours, "2d" 2 days, "1d12h" 36 hours (the largest unit that is exact).
 * Null when it is not a duration or not whole minutes.
 */
export function splitDuration(v: string): { amount: number; unit: DurationUnit } | null {
  const s = v.trim()
  const single = /^(\d+)([mhdw])$/.exec(s)
  if (single) return { amount: Number(single[1]), unit: durationUnits.find((u) => u.short === single[2])!.id }
  const total = durationSeconds(s)
  if (total === null || total === 0) return total === 0 ? { amount: 0, unit: 'minutes' } : null
  for (const u of [...durationUnits].reverse()) if (total % u.seconds === 0) return { amount: total / u.seconds, unit: u.id }
  return null
}

/** A number of a unit as an engine duration: (2, 'days') is "2d"; (1.5, 'hours') is "90m". */
export function joinDuration(amount: number, unit: DurationUnit): string | null {
  if (!Number.isFinite(amount) || amount < 0) return null
  const u = durationUnits.find((x) => x.id === unit)!
  if (Number.isInteger(amount)) return `${amount}${u.short}`
  const r = parseDuration(`${amount} ${u.label}`)
  return r.ok ? r.value : null
}
