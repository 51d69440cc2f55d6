import { useEffect, useState } from 'react'
import { api, isMissingRoute, type User } from './api'
import { when } from './format'
import UsersSection, { RolePicker } from './UsersSection'
import { roleTitle } from './roles'
import { replaceAddress } from './router'

export default function SettingsPage({ user }: { user: User }) {
  return (
    <section className="page">
      <h1>Settings</h1>
      <Credentials />
      <Tokens />
      <UsersSection me={user} />
    </section>
  )
}

interface Kind { kind: string; title: string; oauth?: boolean; fields: { name: string; label: string; secret: boolean; required: boolean; type: string }[] }
interface Connection { status: 'connected' | 'needs_renewal' | 'not_connected'; account?: string; message: string }
interface Credential { id: string; name: string; kind: string; fields: Record<string, unknown>; secrets_set: string[]; updated_at: string; connection?: Connection }

/** The outcome of Connect, which /oauth/callback puts in the address. */
function connectOutcome(): { ok: boolean; message: string } | null {
  const q = new URLSearchParams(location.search)
  const ok = q.get('connected')
  const failed = q.get('connect_error')
  if (ok) return { ok: true, message: ok }
  if (failed) return { ok: false, message: failed }
  return null
}

function Credentials() {
  const [kinds, setKinds] = useState<Kind[] | null>(null)
  const [creds, setCreds] = useState<Credential[] | null>(null)
  const [missing, setMissing] = useState(false)
  const [edit, setEdit] = useState<{ id?: string; name: string; kind: string; fields: Record<string, string> } | null>(null)
  const [error, setError] = useState('')
  const [result, setResult] = useState<Record<string, string>>({})
  const [callbackURL, setCallbackURL] = useState('')
  const [outcome] = useState(connectOutcome)

  const load = () => {
    Promise.all([api<{ kinds: Kind[]; oauth_callback_url?: string }>('/credential-kinds'), api<{ credentials: Credential[] }>('/credentials')]).then(
      ([k, c]) => { setKinds(k.kinds); setCallbackURL(k.oauth_callback_url ?? ''); setCreds(c.credentials) },
      (e) => (isMissingRoute(e) ? setMissing(true) : setError(e.message)))
  }
  useEffect(load, [])
  // The outcome is shown once; a reload does not repeat it.
  useEffect(() => { if (outcome) replaceAddress('/settings') }, [outcome])

  async function connect(c: Credential) {
    try {
      const r = await api<{ url: string }>(`/credentials/${c.id}/connect`, { method: 'POST' })
      location.assign(r.url)
    } catch (err) { setResult((x) => ({ ...x, [c.id]: (err as Error).message })) }
  }

  async function save(e: React.FormEvent) {
    e.preventDefault()
    if (!edit) return
    const kind = kinds?.find((k) => k.kind === edit.kind)
    const fields: Record<string, unknown> = {}
    for (const f of kind?.fields ?? []) {
      const v = edit.fields[f.name] ?? ''
      if (f.secret && v === '') continue // left empty: keep the stored secret
      fields[f.name] = f.type === 'number' ? Number(v) : f.type === 'bool' ? v === 'true' : v
    }
    try {
      await api(edit.id ? `/credentials/${edit.id}` : '/credentials', { method: edit.id ? 'PUT' : 'POST', json: { name: edit.name, kind: edit.kind, fields } })
      setEdit(null)
      load()
    } catch (err) { setError((err as Error).message) }
  }

  async function test(c: Credential) {
    try {
      const r = await api<{ ok: boolean; message: string }>(`/credentials/${c.id}/test`, { method: 'POST' })
      setResult((x) => ({ ...x, [c.id]: (r.ok ? '✓ ' : '✗ ') + r.message }))
    } catch (err) { setResult((x) => ({ ...x, [c.id]: (err as Error).message })) }
  }

  async function remove(c: Credential) {
    if (!confirm(`Delete the connection "${c.name}"? Steps that use it will fail until you choose another.`)) return
    try { await api(`/credentials/${c.id}`, { method: 'DELETE' }); load() } catch (err) { setError((err as Error).message) }
  }

  const kind = kinds?.find((k) => k.kind === edit?.kind)
  return (
    <section className="card" aria-labelledby="h-creds">
      <h2 id="h-creds">Connections (credentials)</h2>
      {missing ? <p className="empty">Saved connections are not available on this server yet.</p> : <>
        {error && <p className="error" role="alert">{error}</p>}
        {outcome && (outcome.ok ? <p className="notice" role="status">{outcome.message}</p> : <p className="error" role="alert">{outcome.message}</p>)}
        {creds && creds.length === 0 && <p>No connection yet.</p>}
        <ul className="plain">{(creds ?? []).map((c) => (
          <li key={c.id}><b>{c.name}</b> ({kinds?.find((k) => k.kind === c.kind)?.title ?? c.kind}) · changed {when(c.updated_at)}
            {' '}<button type="button" className="link" onClick={() => setEdit({ id: c.id, name: c.name, kind: c.kind, fields: Object.fromEntries(Object.entries(c.fields).map(([k, v]) => [k, String(v)])) })}>Edit</button>
            {c.connection && <button type="button" className="link" onClick={() => connect(c)}>{c.connection.status === 'not_connected' ? 'Connect' : 'Connect again'}</button>}
            <button type="button" className="link" onClick={() => test(c)}>Test</button>
            <button type="button" className="link danger" onClick={() => remove(c)}>Delete</button>
            {c.connection && <span className={c.connection.status === 'needs_renewal' ? 'sub error' : 'sub'} data-connection={c.connection.status}> {c.connection.message}</span>}
            {result[c.id] && <span className="sub" role="status"> {result[c.id]}</span>}</li>
        ))}</ul>
        {!edit && kinds && <button type="button" onClick={() => setEdit({ name: '', kind: kinds[0]?.kind ?? '', fields: {} })}>Add a connection</button>}
        {edit && (
          <form onSubmit={save} className="cred-form">
            <div className="field"><label htmlFor="cred-name">Name</label><input id="cred-name" required value={edit.name} onChange={(e) => setEdit({ ...edit, name: e.target.value })} /></div>
            <div className="field"><label htmlFor="cred-kind">Kind</label>
              <select id="cred-kind" value={edit.kind} disabled={!!edit.id} onChange={(e) => setEdit({ ...edit, kind: e.target.value, fields: {} })}>
                {(kinds ?? []).map((k) => <option key={k.kind} value={k.kind}>{k.title}</option>)}
              </select></div>
            {kind?.fields.map((f) => {
              const isSet = !!edit.id && creds?.find((c) => c.id === edit.id)?.secrets_set.includes(f.name)
              return (
                <div className="field" key={f.name}>
                  <label htmlFor={`cred-${f.name}`}>{f.label}{f.required && !isSet && <span aria-hidden="true"> *</span>}</label>
                  <input id={`cred-${f.name}`} type={f.secret ? 'password' : f.type === 'number' ? 'number' : 'text'} autoComplete="off"
                    required={f.required && !isSet} value={edit.fields[f.name] ?? ''} placeholder={isSet ? 'Saved (leave empty to keep it)' : ''}
                    onChange={(e) => setEdit({ ...edit, fields: { ...edit.fields, [f.name]: e.target.value } })} />
                  {f.secret && <p className="hint">Kept secret: it is never shown again once saved.</p>}
                </div>
              )
            })}
            {kind?.oauth && <p className="hint">After saving, press Connect to sign in to {kind.title} and allow access.
              {callbackURL && <> Register this callback URL in the {kind.title} app: <code>{callbackURL}</code></>}</p>}
            <button type="submit" className="primary">Save connection</button>
            <button type="button" onClick={() => setEdit(null)}>Cancel</button>
          </form>
        )}
      </>}
    </section>
  )
}

interface Token { id: string; name: string; role: string; created_at: string; last_used_at: string | null }

function Tokens() {
  const [tokens, setTokens] = useState<Token[]>([])
  const [name, setName] = useState('')
  // Most tools send events or change journeys; administrator is a deliberate choice.
  const [role, setRole] = useState('editor')
  const [fresh, setFresh] = useState('')
  const [error, setError] = useState('')
  const load = () => api<{ tokens: Token[] }>('/tokens').then((r) => setTokens(r.tokens), (e) => setError(e.message))
  useEffect(() => { load() }, [])
  async function create(e: React.FormEvent) {
    e.preventDefault()
    try {
      const r = await api<{ token: string }>('/tokens', { method: 'POST', json: { name, role } })
      setFresh(r.token); setName(''); load()
    } catch (err) { setError((err as Error).message) }
  }
  async function revoke(t: Token) {
    if (!confirm(`Revoke the token "${t.name}"? Tools using it stop working.`)) return
    await api(`/tokens/${t.id}`, { method: 'DELETE' }).then(load, (e) => setError(e.message))
  }
  return (
    <section className="card" aria-labelledby="h-tokens">
      <h2 id="h-tokens">API tokens</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {fresh && <p className="notice" role="status">Copy this token now; it is not shown again: <code>{fresh}</code></p>}
      {tokens.length === 0 && <p>No token yet. A token lets another tool use the API.</p>}
      <ul className="plain">{tokens.map((t) => (
        <li key={t.id}><b>{t.name}</b> · {roleTitle(t.role)} · created {when(t.created_at)} · {t.last_used_at ? `last used ${when(t.last_used_at)}` : 'never used'}
          {' '}<button type="button" className="link danger" onClick={() => revoke(t)}>Revoke</button></li>
      ))}</ul>
      <form onSubmit={create} aria-labelledby="h-new-token">
        <h3 id="h-new-token">Create a token</h3>
        <div className="field"><label htmlFor="token-name">New token name</label><input id="token-name" required value={name} onChange={(e) => setName(e.target.value)} /></div>
        <RolePicker name="token-role" value={role} onChange={setRole} />
        <button type="submit">Create token</button>
      </form>
    </section>
  )
}
