import { useEffect, useState } from 'react'
import { ApiError, api, isMissingRoute, type User } from './api'
import { when } from './format'
import { minPassword } from './password'
import { aRole, roles, roleTitle } from './roles'
import UserRouting from './UserRouting'

// Matches the server's rules (server/users.go) so most mistakes are
// caught before sending; the server's answer is still shown when it differs.
const emailShape = /^[^\s@]+@[^\s@.]([^\s@]*[^\s@.])?$/

type FieldErrors = { email?: string; password?: string; form?: string }

/** Settings → Users: who can sign in; add and remove people. */
export default function UsersSection({ me }: { me: User }) {
  const [users, setUsers] = useState<User[] | null>(null)
  const [missing, setMissing] = useState(false)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  // Most colleagues build journeys; making someone an administrator is a choice.
  const [role, setRole] = useState('editor')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [busy, setBusy] = useState(false)

  const load = () => api<{ users: User[] }>('/users').then(
    (r) => { setUsers(r.users); setError('') },
    (e) => (isMissingRoute(e) ? setMissing(true) : setError(e.message)))
  useEffect(() => { load() }, [])

  function check(): FieldErrors {
    const out: FieldErrors = {}
    if (!emailShape.test(email.trim())) out.email = 'Enter an email address, such as ann@example.com.'
    if (password.length < minPassword) out.password = `The password needs at least ${minPassword} characters.`
    return out
  }

  async function add(e: React.FormEvent) {
    e.preventDefault()
    setNotice('')
    const found = check()
    setErrors(found)
    if (found.email) { document.getElementById('user-email')?.focus(); return }
    if (found.password) { document.getElementById('user-password')?.focus(); return }
    setBusy(true)
    try {
      const r = await api<{ user: User }>('/users', { method: 'POST', json: { email: email.trim(), password, role } })
      setEmail(''); setPassword(''); setErrors({})
      setNotice(`${r.user.email} can now sign in with the password you chose, as ${aRole(r.user.role)}.`)
      load()
    } catch (err) {
      const msg = (err as Error).message
      if (err instanceof ApiError && err.status === 409) setErrors({ email: msg })
      else if (err instanceof ApiError && err.status === 400 && /password/i.test(msg)) setErrors({ password: msg })
      else if (err instanceof ApiError && err.status === 400 && /email/i.test(msg)) setErrors({ email: msg })
      else setErrors({ form: msg })
    } finally { setBusy(false) }
  }

  async function changeRole(u: User, to: string) {
    setNotice('')
    setError('')
    let refused = ''
    try {
      const r = await api<{ user: User }>(`/users/${u.id}`, { method: 'PATCH', json: { role: to } })
      setNotice(`${r.user.email} is now ${aRole(r.user.role)}.`)
    } catch (err) { refused = (err as Error).message }
    // Reloading shows the role as stored (unchanged when refused); it clears errors, so the refusal comes after.
    await load()
    if (refused) setError(refused)
  }

  async function remove(u: User) {
    if (!confirm(`Remove ${u.email}? They are signed out and can no longer sign in.`)) return
    setNotice('')
    try {
      await api(`/users/${u.id}`, { method: 'DELETE' })
      setNotice(`${u.email} was removed.`)
      load()
    } catch (err) { setError((err as Error).message) }
  }

  return (
    <section className="card" aria-labelledby="h-users">
      <h2 id="h-users">Users</h2>
      <p>You are signed in as <b>{me.email}</b> ({aRole(me.role)}).</p>
      {missing ? <p className="hint">Add more users with <code>journey user create --email … --password …</code> on the server.</p> : <>
        {error && <p className="error" role="alert">{error}</p>}
        {notice && <p className="notice" role="status">{notice}</p>}
        <ul className="plain" aria-label="People who can sign in">{(users ?? []).map((u) => (
          <li key={u.id}><b>{u.email}</b> · {u.id === me.id
              ? <>{roleTitle(u.role)} · added {when(u.created_at)} <span className="sub">(you)</span></>
              : <>
                <select aria-label={`Role of ${u.email}`} value={u.role} onChange={(e) => changeRole(u, e.target.value)} className="inline-select">
                  {roles.map((r) => <option key={r.role} value={r.role}>{r.title}</option>)}
                </select>
                {' '}· added {when(u.created_at)}{' '}
                <button type="button" className="link danger" onClick={() => remove(u)} aria-label={`Remove ${u.email}`}>Remove</button></>}
            {u.name && <span className="sub"> · {u.name}</span>}
            {routingSummary(u) && <span className="sub"> · {routingSummary(u)}</span>}
            <RoutingPanel user={u} onSaved={(saved) => setUsers((us) => (us ?? []).map((x) => (x.id === saved.id ? saved : x)))} />
          </li>
        ))}</ul>
        <form onSubmit={add} noValidate aria-labelledby="h-add-user">
          <h3 id="h-add-user">Add a user</h3>
          {errors.form && <p className="error" role="alert">{errors.form}</p>}
          <div className="field">
            <label htmlFor="user-email">Email</label>
            <input id="user-email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)}
              aria-invalid={!!errors.email} aria-describedby={errors.email ? 'user-email-error' : undefined} />
            {errors.email && <p className="error" id="user-email-error">{errors.email}</p>}
          </div>
          <div className="field">
            <label htmlFor="user-password">Password</label>
            <input id="user-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)}
              aria-invalid={!!errors.password} aria-describedby={errors.password ? 'user-password-error' : 'user-password-hint'} />
            {errors.password
              ? <p className="error" id="user-password-error">{errors.password}</p>
              : <p className="hint" id="user-password-hint">At least {minPassword} characters. Tell it to the new user yourself; it is not sent anywhere.</p>}
          </div>
          <RolePicker name="user-role" value={role} onChange={setRole} />
          <button type="submit" disabled={busy}>Add user</button>
        </form>
      </>}
    </section>
  )
}

/** A user's lead routing form, loaded when opened. */
function RoutingPanel({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const [open, setOpen] = useState(false)
  return (
    <div className="user-routing-panel">
      <button type="button" className="link" aria-expanded={open} aria-label={`Lead routing for ${user.email}`} onClick={() => setOpen(!open)}>
        Lead routing
      </button>
      {open && <UserRouting user={user} onSaved={onSaved} />}
    </div>
  )
}

/** "away until 24 Dec" or "Mon–Fri 09:00–17:00 Europe/Berlin": what keeps leads from someone. */
export function routingSummary(u: User): string {
  if (u.away_until && new Date(u.away_until) > new Date()) return `away until ${new Date(u.away_until).toLocaleDateString()}`
  const parts: string[] = []
  if (u.work_days?.length) parts.push(u.work_days.join(', '))
  if (u.work_start && u.work_end) parts.push(`${u.work_start}–${u.work_end}`)
  if (parts.length && u.time_zone) parts.push(u.time_zone)
  return parts.length ? `takes leads ${parts.join(' ')}` : ''
}

/** The three roles as radio buttons, each with what it allows. */
export function RolePicker({ name, value, onChange }: { name: string; value: string; onChange: (role: string) => void }) {
  return (
    <fieldset className="field roles">
      <legend>Role</legend>
      {roles.map((r) => (
        <div key={r.role} className="role-choice">
          <input type="radio" id={`${name}-${r.role}`} name={name} value={r.role} checked={value === r.role}
            aria-describedby={`${name}-${r.role}-hint`} onChange={() => onChange(r.role)} />
          <label htmlFor={`${name}-${r.role}`}>{r.title}</label>
          <p className="hint" id={`${name}-${r.role}-hint`}>{r.sentence}</p>
        </div>
      ))}
    </fieldset>
  )
}
