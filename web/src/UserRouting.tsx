import { useEffect, useState } from 'react'
import { api, type User } from './api'

// The days of a working week as the server stores them (server/users.go).
const days: [string, string][] = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']]

interface Account { id: string; name: string; kind: string }
interface Kind { kind: string; title: string; provides?: string[] }

// Common time zones offered first (any IANA name may be typed; the server checks it).
const commonZones = ['Europe/London', 'Europe/Dublin', 'Europe/Lisbon', 'Europe/Madrid', 'Europe/Paris', 'Europe/Berlin',
  'Europe/Amsterdam', 'Europe/Rome', 'Europe/Warsaw', 'Europe/Stockholm', 'Europe/Athens', 'Europe/Istanbul', 'Africa/Lagos',
  'Africa/Johannesburg', 'Asia/Dubai', 'Asia/Kolkata', 'Asia/Singapore', 'Asia/Shanghai', 'Asia/Tokyo', 'Australia/Sydney',
  'Pacific/Auckland', 'America/Sao_Paulo', 'America/Mexico_City', 'America/New_York', 'America/Chicago', 'America/Denver',
  'America/Los_Angeles', 'America/Toronto', 'UTC']

function zones(): string[] {
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone
  return mine && !commonZones.includes(mine) ? [mine, ...commonZones] : commonZones
}

/**
 * How the "Assign owner" step treats one user: their name, when they are
 * away, their working hours and their ids in the connected CRMs. Opened from
 * Settings → Users; saved with PATCH /users/:id.
 */
export default function UserRouting({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const id = `routing-${user.id}`
  const [name, setName] = useState(user.name ?? '')
  const [away, setAway] = useState(user.away_until ? user.away_until.slice(0, 10) : '')
  const [zone, setZone] = useState(user.time_zone ?? '')
  const [workDays, setWorkDays] = useState<string[]>(user.work_days ?? [])
  const [start, setStart] = useState(user.work_start ?? '')
  const [end, setEnd] = useState(user.work_end ?? '')
  const [slack, setSlack] = useState(user.slack_id ?? '')
  const [owners, setOwners] = useState<Record<string, string>>(user.owner_ids ?? {})
  const [accounts, setAccounts] = useState<Account[]>([])
  const [crmTitles, setCrmTitles] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    // Accounts whose owner ids a salesperson has: every CRM vendor's.
    Promise.all([api<{ kinds: Kind[] }>('/credential-kinds'), api<{ credentials: Account[] }>('/credentials')]).then(
      ([k, r]) => {
        const crm = new Map(k.kinds.filter((x) => x.provides?.includes('crm')).map((x) => [x.kind, x.title]))
        setCrmTitles(Object.fromEntries(crm))
        setAccounts(r.credentials.filter((c) => crm.has(c.kind)))
      }, () => setAccounts([]))
  }, [])

  async function save(e: React.FormEvent) {
    e.preventDefault()
    setError(''); setNotice('')
    if ((start === '') !== (end === '')) { setError('Give both the start and the end of the working hours, or neither for all day.'); return }
    setBusy(true)
    try {
      const r = await api<{ user: User }>(`/users/${user.id}`, { method: 'PATCH', json: {
        name, away_until: away, time_zone: zone, work_days: workDays, work_start: start, work_end: end,
        slack_id: slack, owner_ids: owners,
      } })
      setNotice('Saved.')
      onSaved(r.user)
    } catch (err) { setError((err as Error).message) } finally { setBusy(false) }
  }

  const toggle = (d: string, on: boolean) => setWorkDays(on ? days.map(([v]) => v).filter((v) => v === d || workDays.includes(v)) : workDays.filter((v) => v !== d))
  return (
    <form className="user-routing" onSubmit={save} noValidate aria-label={`Lead routing for ${user.email}`}>
      <p className="hint">The “Assign owner” step gives leads to people who are not away and within their working hours.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      <div className="field">
        <label htmlFor={`${id}-name`}>Name shown to colleagues and in messages</label>
        <input id={`${id}-name`} type="text" value={name} placeholder={user.email} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-away`}>Away until (the day they are back)</label>
        <input id={`${id}-away`} type="date" value={away} onChange={(e) => setAway(e.target.value)} aria-describedby={`${id}-away-hint`} />
        <p className="hint" id={`${id}-away-hint`}>Leave empty when they are not away.</p>
      </div>
      <fieldset className="field weekdays">
        <legend>Working days</legend>
        {days.map(([v, label]) => (
          <label key={v} className="inline">
            <input type="checkbox" checked={workDays.includes(v)} onChange={(e) => toggle(v, e.target.checked)} />{label}
          </label>
        ))}
        <p className="hint">None ticked means every day.</p>
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-start`}>Working hours from</label>
        <input id={`${id}-start`} type="time" value={start} onChange={(e) => setStart(e.target.value)} />
        <label htmlFor={`${id}-end`}>to</label>
        <input id={`${id}-end`} type="time" value={end} onChange={(e) => setEnd(e.target.value)} aria-describedby={`${id}-hours-hint`} />
        <p className="hint" id={`${id}-hours-hint`}>Leave both empty for all day.</p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-zone`}>Time zone of the working hours</label>
        <input id={`${id}-zone`} type="text" list={`${id}-zones`} value={zone} placeholder="e.g. Europe/Berlin" onChange={(e) => setZone(e.target.value)}
          aria-describedby={`${id}-zone-hint`} />
        <datalist id={`${id}-zones`}>{zones().map((z) => <option key={z} value={z} />)}</datalist>
        <p className="hint" id={`${id}-zone-hint`}>Empty: the journey's time zone.</p>
      </div>
      {accounts.map((a) => (
        <div className="field" key={a.id}>
          <label htmlFor={`${id}-owner-${a.id}`}>{crmTitles[a.kind]} owner id in {a.name}</label>
          <input id={`${id}-owner-${a.id}`} type="text" value={owners[a.id] ?? ''} onChange={(e) => setOwners({ ...owners, [a.id]: e.target.value })} />
        </div>
      ))}
      <div className="field">
        <label htmlFor={`${id}-slack`}>Slack member id (to mention them)</label>
        <input id={`${id}-slack`} type="text" value={slack} placeholder="e.g. U0123ABCD" onChange={(e) => setSlack(e.target.value)} aria-describedby={`${id}-slack-hint`} />
        <p className="hint" id={`${id}-slack-hint`}>In Slack: their profile, ⋮, Copy member ID.</p>
      </div>
      <button type="submit" disabled={busy}>Save lead routing</button>
    </form>
  )
}
