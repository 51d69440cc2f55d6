// The event a trigger or wait listens for, chosen from known events with a
// sentence each ("The contact opened an email"), grouped by channel, or
// typed under "Another event…" for events of one's own.
import { useId, useState } from 'react'
import { groupEvents, type EventOption } from './events'

interface Props {
  id: string
  label: string
  value: string
  onChange: (v: string | undefined) => void
  /** Events the server offers (it may add descriptions, groups and events it has seen). */
  options: EventOption[]
  required?: boolean
  describedBy?: string
  invalid?: boolean
}

const other = '\u0000other'
const nameRe = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/ // as engine/ingest.go accepts

export function EventPicker({ id, label, value, onChange, options, required, describedBy, invalid }: Props) {
  const groups = groupEvents(options)
  const all = groups.flatMap(([, es]) => es)
  const current = all.find((e) => e.value === value)
  const [typing, setTyping] = useState(value !== '' && !current)
  const customId = useId()
  const custom = typing || (value !== '' && !current)
  const bad = custom && value !== '' && !nameRe.test(value)
  return (
    <>
      <label htmlFor={id}>{label}{required && <span aria-hidden="true"> *</span>}</label>
      <select id={id} value={custom ? other : value} aria-describedby={describedBy} aria-invalid={invalid}
        className={invalid ? 'invalid' : undefined} required={required}
        onChange={(e) => {
          const v = e.target.value
          if (v === other) { setTyping(true); return }
          setTyping(false)
          onChange(v || undefined)
        }}>
        <option value="">Choose an event…</option>
        {groups.map(([g, es]) => (
          <optgroup key={g} label={g}>
            {es.map((e) => <option key={e.value} value={e.value}>{e.description ?? e.label ?? e.value}</option>)}
          </optgroup>
        ))}
        <option value={other}>Another event…</option>
      </select>
      {current && <p className="hint event-sentence">Event name: <code>{current.value}</code></p>}
      {custom && (
        <div className="field">
          <label htmlFor={customId}>Name of the event</label>
          <input id={customId} type="text" value={value} placeholder="e.g. order.paid" aria-invalid={bad}
            onChange={(e) => onChange(e.target.value.trim() || undefined)} />
          <p className={bad ? 'error' : 'hint'}>
            {bad ? 'Use lowercase words separated by dots, like order.paid.' : 'The name your own system sends, like order.paid.'}
          </p>
        </div>
      )}
    </>
  )
}
