// A duration as a number and a unit (minutes, hours, days, weeks). The
// number box also understands typed text such as "2 days" or "48 hours",
// and the value handed back is the engine's text ("2d", "48h").
import { useEffect, useRef, useState } from 'react'
import { durationHelp, durationUnits, joinDuration, parseDuration, splitDuration, type DurationUnit } from './duration'

interface Props {
  /** The id of the number box (its label's htmlFor). */
  id: string
  /** The engine's duration text, e.g. "48h"; "" when not set. */
  value: string
  /** The new engine text; undefined when emptied. Text we cannot read is passed on as typed, so the form can flag it. */
  onChange: (v: string | undefined) => void
  /** Names the unit select, e.g. "Give up after: unit". */
  unitLabel?: string
  'aria-describedby'?: string
  'aria-invalid'?: boolean
  'aria-label'?: string
  required?: boolean
  className?: string
  /** Shows "Write a number and a unit…" under the box when the text cannot be read. */
  showError?: boolean
  defaultUnit?: DurationUnit
}

function shown(value: string, fallbackUnit: DurationUnit): { text: string; unit: DurationUnit } {
  const s = splitDuration(value)
  return s ? { text: String(s.amount), unit: s.unit } : { text: value, unit: fallbackUnit }
}

export function DurationInput({ id, value, onChange, unitLabel, showError, defaultUnit = 'hours', ...rest }: Props) {
  const [state, setState] = useState(() => shown(value, defaultUnit))
  // What we last handed up: a value coming back equal to it must not
  // overwrite what is being typed ("2 da" on the way to "2 days").
  const sent = useRef(value)
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value
      setState(shown(value, state.unit))
    }
  }, [value, state.unit])

  const emit = (v: string | undefined) => {
    sent.current = v ?? ''
    onChange(v)
  }

  const typed = (text: string) => {
    setState({ ...state, text })
    const t = text.trim()
    if (t === '') return emit(undefined)
    if (/^\d+(\.\d+)?$/.test(t)) return emit(joinDuration(Number(t), state.unit) ?? t)
    const r = parseDuration(t)
    if (!r.ok) return emit(t)
    emit(r.value)
    const s = splitDuration(r.value)
    if (s) setState({ text, unit: s.unit })
  }

  // A new unit keeps the number: 2 weeks becomes 2 days.
  const unit = (u: DurationUnit) => {
    const t = state.text.trim()
    const amount = /^\d+(\.\d+)?$/.test(t) ? Number(t) : splitDuration(value)?.amount
    setState({ text: amount === undefined ? state.text : String(amount), unit: u })
    if (amount !== undefined) emit(joinDuration(amount, u) ?? t)
  }

  // Once typing is done, "2 days" becomes 2 in the box and days in the select.
  const tidy = () => {
    const s = splitDuration(value)
    if (s) setState({ text: String(s.amount), unit: s.unit })
  }

  const t = state.text.trim()
  const bad = t !== '' && !/^\d+(\.\d+)?$/.test(t) && !parseDuration(t).ok
  return (
    <span className="duration-input">
      <input {...rest} id={id} type="text" inputMode="decimal" value={state.text} placeholder="e.g. 2 or 2 days"
        autoComplete="off" onChange={(e) => typed(e.target.value)} onBlur={tidy} />
      <select id={id + '-unit'} aria-label={unitLabel ?? 'Unit'} value={state.unit} onChange={(e) => unit(e.target.value as DurationUnit)}>
        {durationUnits.map((u) => <option key={u.id} value={u.id}>{u.label}</option>)}
      </select>
      {showError && bad && <span className="error" role="alert">{durationHelp}</span>}
    </span>
  )
}
