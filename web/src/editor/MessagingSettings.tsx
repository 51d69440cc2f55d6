import type { Messaging, Problem } from '../api'
import { ChannelsPicker, DurationPicker } from './settingsPickers'

// What a rule starts as when it is switched on: common, safe choices.
const newQuietHours = { from: '21:00', to: '08:00' }
const newCap = { max: 3, period: '7d', action: 'skip' }

/** Drops a messaging policy with nothing in it, so the document stays as it was. */
function tidy(m: Messaging): Messaging | undefined {
  const out: Messaging = {}
  if (m.require_consent) out.require_consent = true
  if (m.quiet_hours) out.quiet_hours = m.quiet_hours
  if (m.frequency_cap) out.frequency_cap = m.frequency_cap
  return Object.keys(out).length ? out : undefined
}

/** Errors the server found in one part of the messaging settings. */
function Errors({ problems, param }: { problems: Problem[]; param: string }) {
  const mine = problems.filter((p) => p.param === param || p.param?.startsWith(param + '.'))
  if (!mine.length) return null
  return <div className="error" role="alert"><ul>{mine.map((p, i) => <li key={i}>{p.message}</li>)}</ul></div>
}

/** The rules every email, SMS and WhatsApp step of the journey follows. */
export function MessagingSettings({ value, onChange, problems }: { value: Messaging | undefined; onChange: (m: Messaging | undefined) => void; problems: Problem[] }) {
  const m = value ?? {}
  const set = (patch: Partial<Messaging>) => onChange(tidy({ ...m, ...patch }))
  const q = m.quiet_hours
  const cap = m.frequency_cap
  const base = 'settings.messaging'
  return (
    <fieldset className="field messaging">
      <legend>Messages sent by this journey</legend>

      <div className="field checkbox">
        <input id="msg-consent" type="checkbox" checked={!!m.require_consent} aria-describedby="msg-consent-hint"
          onChange={(e) => set({ require_consent: e.target.checked || undefined })} />
        <label htmlFor="msg-consent">Only send to contacts who agreed to the channel</label>
        <p className="hint" id="msg-consent-hint">
          {m.require_consent
            ? 'A message goes only to contacts whose consent for email, SMS or WhatsApp is recorded as yes.'
            : 'Now a message goes out unless the contact refused the channel (for example, unsubscribed).'}
        </p>
      </div>

      <div className="field checkbox">
        <input id="msg-quiet" type="checkbox" checked={!!q} onChange={(e) => set({ quiet_hours: e.target.checked ? newQuietHours : undefined })} />
        <label htmlFor="msg-quiet">Quiet hours: send nothing at night</label>
      </div>
      {q && (
        <div className="sub-settings">
          <div className="inline-fields">
            <div className="field">
              <label htmlFor="msg-quiet-from">From</label>
              <input id="msg-quiet-from" type="time" required value={q.from} onChange={(e) => set({ quiet_hours: { ...q, from: e.target.value } })} />
            </div>
            <div className="field">
              <label htmlFor="msg-quiet-to">Until</label>
              <input id="msg-quiet-to" type="time" required value={q.to} onChange={(e) => set({ quiet_hours: { ...q, to: e.target.value } })} />
            </div>
          </div>
          <p className="hint">In the contact's time zone. A message due then waits until the quiet hours end.</p>
          <ChannelsPicker legend="Quiet hours apply to" value={q.channels} onChange={(channels) => set({ quiet_hours: { ...q, channels } })} />
          <Errors problems={problems} param={`${base}.quiet_hours`} />
        </div>
      )}

      <div className="field checkbox">
        <input id="msg-cap" type="checkbox" checked={!!cap} onChange={(e) => set({ frequency_cap: e.target.checked ? newCap : undefined })} />
        <label htmlFor="msg-cap">Limit how many messages a contact gets</label>
      </div>
      {cap && (
        <div className="sub-settings">
          <div className="field">
            <label htmlFor="msg-cap-max">At most this many messages</label>
            <input id="msg-cap-max" type="number" min={1} step={1} value={cap.max || ''}
              onChange={(e) => set({ frequency_cap: { ...cap, max: Math.round(Number(e.target.value)) || 0 } })} />
          </div>
          <DurationPicker id="msg-cap-period" label="In any period of" value={cap.period} defaultUnit="days"
            onChange={(period) => set({ frequency_cap: { ...cap, period: period ?? '' } })} />
          <div className="field">
            <label htmlFor="msg-cap-action">When a message would go over the limit</label>
            <select id="msg-cap-action" value={cap.action || 'skip'} onChange={(e) => set({ frequency_cap: { ...cap, action: e.target.value } })}>
              <option value="skip">Skip it (the step follows its “failed” path)</option>
              <option value="delay">Send it later, once the limit allows</option>
            </select>
          </div>
          <ChannelsPicker legend="Count messages on (each channel on its own)" value={cap.channels} onChange={(channels) => set({ frequency_cap: { ...cap, channels } })} />
          <Errors problems={problems} param={`${base}.frequency_cap`} />
        </div>
      )}
    </fieldset>
  )
}
