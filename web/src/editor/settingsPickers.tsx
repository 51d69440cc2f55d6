// Pickers of the journey settings: a length of time as a number and a unit,
// a time zone from a list, and a choice of channels. They read and write
// the texts the flow document holds ("30d", "Europe/Paris", ["sms"]), so
// nobody types a duration code.

const second = 1, minute = 60, hour = 3600, day = 86400, week = 604800
const unitSeconds: Record<string, number> = { ms: 0.001, s: second, m: minute, h: hour, d: day, w: week }

/** The units offered, largest first; seconds only appear for a stored value that needs them. */
const units = [
  { code: 'w', seconds: week, one: 'week', many: 'weeks' },
  { code: 'd', seconds: day, one: 'day', many: 'days' },
  { code: 'h', seconds: hour, one: 'hour', many: 'hours' },
  { code: 'm', seconds: minute, one: 'minute', many: 'minutes' },
  { code: 's', seconds: second, one: 'second', many: 'seconds' },
]

/** Seconds in a duration text such as "1d12h"; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g
  const compact = text.replace(/\s+/g, '')
  if (!compact || !/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(compact)) return undefined
  let total = 0
  for (const m of compact.matchAll(re)) total += Number(m[1]) * unitSeconds[m[2]]
  return total
}

/** Splits a duration into the largest unit that divides it: "48h" -> 2 days. */
export function splitDuration(text: string | undefined): { amount: number; unit: string } | undefined {
  const secs = text ? durationSeconds(text) : undefined
  if (secs === undefined || secs <= 0) return undefined
  const u = units.find((x) => secs % x.seconds === 0) ?? units[units.length - 1]
  return { amount: secs / u.seconds, unit: u.code }
}

interface DurationProps {
  id: string
  label: string
  value: string | undefined
  onChange: (v: string | undefined) => void
  /** The unit a new value starts in. */
  defaultUnit?: string
  hint?: string
  invalid?: boolean
}

/** A length of time as a number and a unit (minutes to weeks). */
export function DurationPicker({ id, label, value, onChange, defaultUnit = 'd', hint, invalid }: DurationProps) {
  const parts = splitDuration(value)
  const unit = parts?.unit ?? defaultUnit
  const offered = units.filter((u) => u.code !== 's' || unit === 's')
  const amount = parts?.amount
  const set = (n: number | undefined, u: string) => onChange(n && n > 0 ? `${n}${u}` : undefined)
  return (
    <fieldset className="field duration-picker" aria-describedby={hint ? id + '-hint' : undefined}>
      <legend>{label}</legend>
      <input id={id} type="number" min={1} step={1} value={amount ?? ''} aria-label={`${label}: number`} aria-invalid={invalid || undefined}
        onChange={(e) => set(e.target.value === '' ? undefined : Math.round(Number(e.target.value)), unit)} />
      <select id={id + '-unit'} value={unit} aria-label={`${label}: unit`} onChange={(e) => set(amount, e.target.value)}>
        {offered.map((u) => <option key={u.code} value={u.code}>{amount === 1 ? u.one : u.many}</option>)}
      </select>
      {hint && <p className="hint" id={id + '-hint'}>{hint}</p>}
    </fieldset>
  )
}

/** Every IANA time zone the browser knows, UTC first. */
export function timeZones(): string[] {
  let all: string[] = []
  try { all = Intl.supportedValuesOf('timeZone') } catch { /* an old browser: UTC and the stored value only */ }
  return ['UTC', ...all.filter((z) => z !== 'UTC')]
}

/** The time zone choice: the browser's zones grouped by region, the stored value kept even when unknown. */
export function TimeZonePicker({ id, label, value, onChange, hint }: { id: string; label: string; value: string | undefined; onChange: (v: string | undefined) => void; hint?: string }) {
  const zones = timeZones()
  if (value && !zones.includes(value)) zones.push(value)
  const groups = new Map<string, string[]>()
  for (const z of zones.slice(1)) {
    const region = z.includes('/') ? z.slice(0, z.indexOf('/')) : 'Other'
    groups.set(region, [...(groups.get(region) ?? []), z])
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} aria-describedby={hint ? id + '-hint' : undefined} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">UTC (the default)</option>
        {[...groups].map(([region, zs]) => (
          <optgroup key={region} label={region}>
            {zs.map((z) => <option key={z} value={z}>{z.replace(/_/g, ' ')}</option>)}
          </optgroup>
        ))}
      </select>
      {hint && <p className="hint" id={id + '-hint'}>{hint}</p>}
    </div>
  )
}

export const channels = [
  { code: 'email', label: 'Email' },
  { code: 'sms', label: 'SMS' },
  { code: 'whatsapp', label: 'WhatsApp' },
]

/**
 * Which channels a rule covers. An empty list means every channel (as the
 * server reads it), so all boxes show ticked and the last one cannot be
 * unticked: a rule for no channel would be a rule for all of them.
 */
export function ChannelsPicker({ legend, value, onChange }: { legend: string; value: string[] | undefined; onChange: (v: string[] | undefined) => void }) {
  const on = value && value.length ? value : channels.map((c) => c.code)
  const toggle = (code: string, checked: boolean) => {
    const next = channels.map((c) => c.code).filter((c) => (c === code ? checked : on.includes(c)))
    onChange(next.length === channels.length ? undefined : next)
  }
  return (
    <fieldset className="field channels">
      <legend>{legend}</legend>
      {channels.map((c) => (
        <label key={c.code} className="inline">
          <input type="checkbox" checked={on.includes(c.code)} disabled={on.length === 1 && on.includes(c.code)}
            onChange={(e) => toggle(c.code, e.target.checked)} />
          {c.label}
        </label>
      ))}
    </fieldset>
  )
}
