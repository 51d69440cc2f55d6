import type { ReactNode } from 'react'
import type { FlowDoc, FlowSettings, Problem } from '../api'
import { MessagingSettings } from './MessagingSettings'
import { DurationPicker, TimeZonePicker } from './settingsPickers'

interface Props {
  doc: FlowDoc
  problems: Problem[]
  /** key: edits under the same key in a row make one undo step. */
  change: (fn: (d: FlowDoc) => FlowDoc, key?: string) => void
  /** The goal field, rendered by the side panel. */
  goal: ReactNode
}

/** The journey's own settings, shown in the side panel when no step is selected. */
export function JourneySettings({ doc, problems, change, goal }: Props) {
  const settings = doc.settings ?? {}
  const setSettings = (patch: Partial<FlowSettings>, key: string) =>
    change((d) => ({ ...d, settings: { ...d.settings, ...patch } }), `settings:${key}`)
  const reentry = settings.reentry
  // Messaging problems show next to their rule; the rest in the list below.
  const isMessaging = (p: Problem) => !p.node_id && !!p.param?.startsWith('settings.messaging')
  const listed = problems.filter((p) => !isMessaging(p))

  return (
    <aside className="side" aria-label="Journey settings">
      <h2>Journey settings</h2>
      <div className="field">
        <label htmlFor="flow-name">Name</label>
        <input id="flow-name" value={doc.name} onChange={(e) => change((d) => ({ ...d, name: e.target.value }), 'flow-name')} />
      </div>
      <div className="field">
        <label htmlFor="flow-desc">Description</label>
        <textarea id="flow-desc" rows={3} value={doc.description ?? ''} onChange={(e) => change((d) => ({ ...d, description: e.target.value || undefined }), 'flow-description')} />
      </div>
      <div className="field">
        <label htmlFor="flow-reentry">May a contact go through it again?</label>
        <select id="flow-reentry" value={reentry?.policy || 'always'}
          onChange={(e) => {
            const policy = e.target.value
            // A period only means something for "once per period"; 30 days is a common start.
            const period = policy === 'once_per_period' ? reentry?.period ?? '30d' : undefined
            setSettings({ reentry: policy === 'always' ? undefined : { policy, period } }, 'reentry')
          }}>
          <option value="always">Yes, every time</option>
          <option value="once">No, only once</option>
          <option value="once_per_period">Once per period</option>
        </select>
      </div>
      {reentry?.policy === 'once_per_period' && (
        <DurationPicker id="flow-period" label="At most once every" value={reentry.period} defaultUnit="days"
          invalid={problems.some((p) => p.param === 'settings.reentry.period')}
          hint="Counted from when the contact last started this journey."
          onChange={(period) => setSettings({ reentry: { ...reentry, period } }, 'reentry')} />
      )}
      <TimeZonePicker id="flow-tz" label="Time zone for contacts without one" value={settings.time_zone}
        hint="Quiet hours and “wait until” steps use the contact's own time zone; this one when the contact has none."
        onChange={(tz) => setSettings({ time_zone: tz }, 'time-zone')} />
      {goal}
      {(settings.goal || settings.goal_window) && (
        <DurationPicker id="flow-goal-window" label="Count the goal only within" value={settings.goal_window} defaultUnit="days"
          invalid={problems.some((p) => p.param === 'settings.goal_window')}
          hint="After the contact entered the journey. Leave it empty to count the goal for as long as the contact is in the journey."
          onChange={(w) => setSettings({ goal_window: w }, 'goal-window')} />
      )}
      <MessagingSettings value={settings.messaging} problems={problems.filter(isMessaging)}
        onChange={(messaging) => setSettings({ messaging }, 'messaging')} />
      {doc.nodes.length === 0 ? (
        <p className="notice">Start here: choose how the journey starts on the canvas, then add the next steps with the “+” under each step.</p>
      ) : listed.length > 0 && (
        <div className="error-box" role="alert"><ul>{listed.map((p, i) => <li key={i}>{p.message}</li>)}</ul></div>
      )}
      {doc.nodes.length > 0 && <p className="hint">Select a step to change what it does.</p>}
    </aside>
  )
}
