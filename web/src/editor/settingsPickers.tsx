// Pickers of the journey settings: a length of time as a number and a unit,
// a time zone from a list, and a choice of channels. They read and write
// the texts the flow document holds ("30d", "Europe/Paris", ["sms"]), so
// nobody types a duration code.

import { DurationInput } from '../DurationInput'
import type { DurationUnit } from '../duration'

interface DurationProps {
  id: string
  label: string
  value: string | undefined
  onChange: (v: string | undefined) => void
  /** The unit a new value starts in. */
  defaultUnit?: DurationUnit
  hint?: string
  invalid?: boolean
}

/** A length of time as a number and a unit, labelled, with a hint: the shared DurationInput. */
export function DurationPicker({ id, label, value, onChange, defaultUnit = 'days', hint, invalid }: DurationProps) {
  return (
    <fieldset className="field duration-picker">
      <legend>{label}</legend>
      <DurationInput id={id} value={value ?? ''} onChange={onChange} defaultUnit={defaultUnit} showError
        aria-label={`${label}: number`} unitLabel={`${label}: unit`} aria-invalid={invalid || undefined}
        aria-describedby={hint ? id + '-hint' : undefined} />
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
