import { useEffect, useState } from 'react'
import { api, isMissingRoute, type Contact, type Message, type RunSummary } from './api'
import Conversation from './Conversation'
import { download, json, when } from './format'
import { Link, navigate } from './router'

export default function ContactsPage({ path }: { path: string }) {
  const m = /^\/contacts\/([^/?]+)/.exec(path)
  if (m) return <Profile id={decodeURIComponent(m[1])} />
  return <ContactList />
}

const fullName = (c: Contact) => [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || c.phone || c.id

function ContactList() {
  const [q, setQ] = useState('')
  const [contacts, setContacts] = useState<Contact[] | null>(null)
  const [total, setTotal] = useState(0)
  const [error, setError] = useState('')
  useEffect(() => {
    const t = setTimeout(() => {
      api<{ contacts: Contact[]; total: number }>(`/contacts?limit=100&search=${encodeURIComponent(q.trim())}`)
        .then((r) => { setContacts(r.contacts); setTotal(r.total) }, (e) => setError(e.message))
    }, 200)
    return () => clearTimeout(t)
  }, [q])
  return (
    <section className="page">
      <h1>Contacts</h1>
      <div className="field search"><label htmlFor="c-search">Search by name, email or phone</label>
        <input id="c-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} /></div>
      {error && <p className="error" role="alert">{error}</p>}
      {contacts === null ? <p role="status">Loading…</p> : contacts.length === 0 ? <p className="empty">No contact found.</p> : (
        <table className="table">
          <thead><tr><th>Name</th><th>Email</th><th>Phone</th><th>Company</th><th>Score</th><th>Owner</th></tr></thead>
          <tbody>{contacts.map((c) => (
            <tr key={c.id}><td><Link to={`/contacts/${c.id}`}>{fullName(c)}</Link></td><td>{c.email}</td><td>{c.phone}</td><td>{c.company}</td><td>{c.score}</td><td>{c.owner?.name ?? ''}</td></tr>
          ))}</tbody>
        </table>
      )}
      <p className="hint">{total} contact{total === 1 ? '' : 's'}.</p>
    </section>
  )
}

/** The custom fields a "Check the email address" step keeps (shown as one line, not as raw fields). */
const emailCheckKeys = ['email_status', 'email_check_reason']

const emailStatusWords: Record<string, string> = { valid: 'valid', risky: 'risky', invalid: 'invalid' }

/** "risky — looks like a typo of gmail.com", or '' when the address was never checked. */
function emailCheck(c: Pick<Contact, 'fields'>): string {
  const status = c.fields?.email_status
  if (typeof status !== 'string' || !status) return ''
  const reason = c.fields?.email_check_reason
  const word = emailStatusWords[status] ?? status
  return typeof reason === 'string' && reason ? `${word} — ${reason}` : word
}

interface Task { id: string; title: string; notes: string; owner: string; due_at: string | null; done: boolean; completed_at?: string | null }

/** A task with a checkbox that checks it off (or opens it again) on the server; the first task a journey run created
 * that is checked off counts as that run's first contact on the Results screen. */
function TaskItem({ task }: { task: Task }) {
  const [t, setT] = useState(task)
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState('')
  async function toggle(done: boolean) {
    setSaving(true); setError('')
    try {
      const r = await api<{ task: Task }>(`/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', json: { done } })
      setT(r.task)
    } catch (e) { setError((e as Error).message) } finally { setSaving(false) }
  }
  return (
    <li data-testid="task">
      <label className="inline"><input type="checkbox" checked={t.done} disabled={saving} onChange={(e) => toggle(e.target.checked)} />
        {' '}<b>{t.title}</b></label>
      {t.due_at ? `, due ${when(t.due_at)}` : ''}
      {t.done ? (t.completed_at ? <span className="sub"> · done {when(t.completed_at)}</span> : ' (done)') : ''}
      {t.notes && <div className="sub">{t.notes}</div>}
      {error && <p className="error" role="alert">{error}</p>}
    </li>
  )
}

interface ProfileData {
  contact: Contact
  deals: { id: string; title: string; stage: string; value: number; currency: string; owner: string; created_at: string }[]
  tasks: Task[]
  notes: { id: string; body: string; source: string; created_at: string }[]
  timeline: { kind: string; at: string; event?: { type: string; data: unknown; source: string }; run?: RunSummary }[]
}

function Profile({ id }: { id: string }) {
  const [p, setP] = useState<ProfileData | null>(null)
  const [messages, setMessages] = useState<Message[] | null>(null)
  const [error, setError] = useState('')
  useEffect(() => {
    api<ProfileData>(`/contacts/${encodeURIComponent(id)}`).then(setP, (e) => setError(e.message))
    api<{ messages: Message[] }>(`/messages?contact=${encodeURIComponent(id)}&limit=50`).then((r) => setMessages(r.messages), (e) => { if (!isMissingRoute(e)) setError(e.message) })
  }, [id])
  if (!p) return <section className="page">{error ? <p className="error" role="alert">{error}</p> : <p role="status">Loading…</p>}</section>
  const c = p.contact
  async function erase() {
    if (!confirm(`Erase ${fullName(c)}? Their details, events and notes are deleted for good.`)) return
    try { await api(`/contacts/${encodeURIComponent(id)}`, { method: 'DELETE' }); navigate('/contacts') } catch (e) { setError((e as Error).message) }
  }
  async function exportData() {
    const r = await fetch(`/api/v1/contacts/${encodeURIComponent(id)}/export`, { credentials: 'same-origin' })
    download(`contact-${id}.json`, await r.text())
  }
  const consent = c.consent ?? {}
  const timeline = [
    ...p.timeline.map((t) => ({ at: t.at, text: t.event ? `Event ${t.event.type}` : t.run ? `Journey ${t.run.flow_id}: ${t.run.status}${t.run.outcome ? ` (${t.run.outcome})` : ''}` : t.kind, link: t.run ? `/runs/${t.run.id}` : undefined, detail: t.event?.data })),
    ...(messages ?? []).map((m) => ({ at: m.created_at, text: `${m.channel} message “${m.subject || m.body_text?.slice(0, 40) || ''}”: ${m.status}`, link: undefined, detail: m.reason })),
  ].sort((a, b) => b.at.localeCompare(a.at))
  return (
    <section className="page profile">
      <button type="button" className="link" onClick={() => navigate('/contacts')}>← All contacts</button>
      <h1>{fullName(c)}</h1>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="actions">
        <button type="button" onClick={exportData}>Export their data</button>
        <button type="button" className="danger" onClick={erase}>Erase this contact</button>
      </div>
      <div className="grid2">
        <section className="card" aria-labelledby="h-details"><h2 id="h-details">Details</h2>
          <dl>
            <dt>Email</dt><dd>{c.email ?? '—'}</dd>
            {emailCheck(c) && <div className="dlrow"><dt>Email check</dt><dd data-testid="email-check">{emailCheck(c)}</dd></div>}
            <dt>Phone</dt><dd>{c.phone ?? '—'}</dd>
            <dt>Company</dt><dd>{c.company || '—'}</dd><dt>Lead score</dt><dd>{c.score}</dd>
            <dt>Time zone</dt><dd>{c.time_zone || '—'}</dd>
            <dt>Owner</dt><dd>{c.owner ? `${c.owner.name}${c.owner.name !== c.owner.email ? ` (${c.owner.email})` : ''}` : 'Nobody yet'}</dd>
            {Object.entries(c.fields ?? {}).filter(([k]) => !emailCheckKeys.includes(k)).map(([k, v]) => <div key={k} className="dlrow"><dt>{k}</dt><dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>)}
          </dl>
        </section>
        <section className="card" aria-labelledby="h-consent"><h2 id="h-consent">Consent</h2>
          <dl>{['email', 'sms', 'whatsapp'].map((ch) => {
            const v = (consent as Record<string, unknown>)[ch]
            const s = v === true ? 'Given' : v === false ? 'Withdrawn' : v && typeof v === 'object'
              ? String((v as { status?: string }).status ?? JSON.stringify(v)) : 'Not recorded'
            return <div key={ch} className="dlrow"><dt>{ch}</dt><dd>{s}</dd></div>
          })}</dl>
          <h3>Lists</h3><p>{c.lists?.length ? c.lists.join(', ') : 'None'}</p>
          <h3>Tags</h3><p>{c.tags?.length ? c.tags.join(', ') : 'None'}</p>
        </section>
        <section className="card" aria-labelledby="h-deals"><h2 id="h-deals">Deals</h2>
          {p.deals.length === 0 ? <p>No deal.</p> : <ul>{p.deals.map((d) => <li key={d.id} data-testid="deal"><b>{d.title}</b> — {d.stage}{d.value ? `, ${d.value} ${d.currency}` : ''}{d.owner ? `, ${d.owner}` : ''}</li>)}</ul>}
        </section>
        <section className="card" aria-labelledby="h-tasks"><h2 id="h-tasks">Tasks</h2>
          {p.tasks.length === 0 ? <p>No task.</p> : <ul>{p.tasks.map((t) => <TaskItem key={t.id} task={t} />)}</ul>}
        </section>
      </div>
      <section className="card" aria-labelledby="h-notes"><h2 id="h-notes">Notes</h2>
        {p.notes.length === 0 ? <p>No note.</p> : <ul>{p.notes.map((n) => <li key={n.id}><span className="sub">{when(n.created_at)} · {n.source}</span><p className="pre">{n.body}</p></li>)}</ul>}
      </section>
      {c.phone && (
        <section className="card" aria-labelledby="h-conversation"><h2 id="h-conversation">SMS and WhatsApp conversation</h2>
          <Conversation contactId={id} label={`Conversation with ${fullName(c)}`} />
        </section>
      )}
      <section className="card" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
        <ol className="timeline">{timeline.map((t, i) => (
          <li key={i}><span className="sub">{when(t.at)}</span> {t.link ? <Link to={t.link}>{t.text}</Link> : t.text}
            {t.detail !== undefined && t.detail !== null && t.detail !== '' && <details><summary>Details</summary><pre>{json(t.detail)}</pre></details>}</li>
        ))}</ol>
      </section>
    </section>
  )
}
