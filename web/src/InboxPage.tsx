import { useEffect, useState } from 'react'
import { api, isMissingRoute, type ConversationMessage, type Message } from './api'
import Conversation from './Conversation'
import { MessageResultsTable } from './MessageResults'
import { when } from './format'
import { Link } from './router'

const simulations = ['delivered', 'opened', 'clicked', 'read', 'failed', 'undelivered']

/** Sent and sandboxed messages, with their status and the reason for any skip. */
export default function InboxPage() {
  const [messages, setMessages] = useState<Message[] | null>(null)
  const [missing, setMissing] = useState(false)
  const [channel, setChannel] = useState('')
  const [status, setStatus] = useState('')
  const [open, setOpen] = useState<string | null>(null)
  const [error, setError] = useState('')
  // Pretending an outcome changes the results: reload them.
  const [resultsKey, setResultsKey] = useState(0)
  const [replies, setReplies] = useState<ConversationMessage[]>([])
  // thread is the key ("reply:<event>" or "message:<id>") whose conversation is open.
  const [thread, setThread] = useState<string | null>(null)

  const load = () => {
    const q = new URLSearchParams({ limit: '100' })
    if (channel) q.set('channel', channel)
    if (status) q.set('status', status)
    api<{ messages: Message[] }>('/messages?' + q).then((r) => { setMessages(r.messages); setError('') }, (e) => {
      if (isMissingRoute(e)) setMissing(true)
      else setError(e.message)
    })
  }
  useEffect(load, [channel, status])
  // A server without conversations simply shows no replies.
  useEffect(() => { api<{ messages: ConversationMessage[] }>('/conversations?limit=20').then((r) => setReplies(r.messages), () => setReplies([])) }, [])

  const toggleThread = (key: string) => setThread(thread === key ? null : key)

  async function simulate(m: Message, event: string) {
    try {
      const r = await api<{ message: Message }>(`/messages/${encodeURIComponent(m.id)}/simulate`, { method: 'POST', json: { event } })
      setMessages((ms) => (ms ?? []).map((x) => (x.id === m.id ? r.message : x)))
      setResultsKey((k) => k + 1)
    } catch (e) { setError((e as Error).message) }
  }

  if (missing) {
    return <section className="page"><h1>Inbox</h1><p className="empty">Messages are not available on this server yet.</p></section>
  }
  return (
    <section className="page">
      <h1>Inbox</h1>
      <p className="hint">Every message your journeys sent or would have sent. Messages in the sandbox were not delivered to anyone; you can pretend what happened to them to test your journeys.</p>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter messages">
        <div className="field"><label htmlFor="m-channel">Channel</label>
          <select id="m-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">All</option><option value="email">Email</option><option value="sms">SMS</option><option value="whatsapp">WhatsApp</option><option value="slack">Slack</option>
          </select></div>
        <div className="field"><label htmlFor="m-status">Status</label>
          <select id="m-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            {['sandboxed', 'queued', 'sent', 'delivered', 'opened', 'clicked', 'read', 'failed', 'undelivered', 'bounced', 'skipped', 'delayed'].map((s) => <option key={s}>{s}</option>)}
          </select></div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      <MessageResultsTable refresh={resultsKey} />
      {replies.length > 0 && (
        <section aria-labelledby="replies-title">
          <h2 id="replies-title">Replies</h2>
          <p className="hint">The latest SMS and WhatsApp messages contacts sent you. A journey can wait for them (“SMS reply received”, “WhatsApp reply received”).</p>
          <ul className="messages" aria-label="Replies">
            {replies.map((r) => {
              const key = 'reply:' + r.event_id
              const who = r.name || r.from || 'A contact'
              return (
                <li key={key} className="card">
                  <div className="msg-head">
                    <span className="badge">{r.channel}</span> <b>{r.text || '(no text)'}</b> from {who}
                    {' '}<span className="sub">{when(r.at)}</span>
                  </div>
                  <div className="actions">
                    <button type="button" className="link" aria-expanded={thread === key} onClick={() => toggleThread(key)}>
                      {thread === key ? 'Hide conversation' : `Conversation with ${who}`}</button>
                    <Link to={`/contacts/${r.contact_id}`}>Contact</Link>
                  </div>
                  {thread === key && <Conversation contactId={r.contact_id} label={`Conversation with ${who}`} />}
                </li>
              )
            })}
          </ul>
        </section>
      )}
      {replies.length > 0 && <h2>Sent messages</h2>}
      {messages === null ? <p role="status">Loading…</p> : messages.length === 0 ? <p className="empty">No message yet.</p> : (
        <ul className="messages">
          {messages.map((m) => (
            <li key={m.id} className="card">
              <div className="msg-head">
                <span className="badge">{m.channel}</span> <b>{m.subject || m.body_text?.slice(0, 60)}</b> to {m.to}
                {' '}<span className={`badge ${m.status}`}>{m.status}</span> <span className="sub">{when(m.created_at)}</span>
              </div>
              {m.reason && <p className="reason">{m.reason}</p>}
              <div className="actions">
                <button type="button" className="link" aria-expanded={open === m.id} onClick={() => setOpen(open === m.id ? null : m.id)}>
                  {open === m.id ? 'Hide message' : 'Show message'}</button>
                {m.contact_id && (m.channel === 'sms' || m.channel === 'whatsapp') && (
                  <button type="button" className="link" aria-expanded={thread === 'message:' + m.id} onClick={() => toggleThread('message:' + m.id)}>
                    {thread === 'message:' + m.id ? 'Hide conversation' : `Conversation with ${m.to}`}</button>
                )}
                {m.contact_id && <Link to={`/contacts/${m.contact_id}`}>Contact</Link>}
                {m.run_id && <Link to={`/runs/${m.run_id}`}>Run</Link>}
                {/* Slack posts get no delivery events: nothing to pretend. */}
                {m.provider === 'sandbox' && m.channel !== 'slack' && (
                  <span className="simulate" role="group" aria-label="Pretend that the message was">
                    Pretend it was: {simulations.filter((s) => m.channel === 'whatsapp' || s !== 'read').map((s) => (
                      <button key={s} type="button" onClick={() => simulate(m, s)}>{s}</button>
                    ))}
                  </span>
                )}
              </div>
              {open === m.id && <pre className="pre">{m.body_text}</pre>}
              {m.contact_id && thread === 'message:' + m.id && <Conversation contactId={m.contact_id} label={`Conversation with ${m.to}`} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
