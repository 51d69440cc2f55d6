import { useEffect, useState } from 'react'
import { api, type ConversationMessage } from './api'
import { when } from './format'

const channelNames: Record<string, string> = { sms: 'SMS', whatsapp: 'WhatsApp' }

/** A contact's SMS and WhatsApp thread, oldest first: what journeys sent and what the contact answered. */
export default function Conversation({ contactId, label }: { contactId: string; label: string }) {
  const [messages, setMessages] = useState<ConversationMessage[] | null>(null)
  const [error, setError] = useState('')

  useEffect(() => {
    api<{ messages: ConversationMessage[] }>(`/contacts/${encodeURIComponent(contactId)}/conversation?limit=100`)
      .then((r) => setMessages(r.messages), (e) => setError((e as Error).message))
  }, [contactId])

  if (error) return <p className="error" role="alert">{error}</p>
  if (messages === null) return <p role="status">Loading the conversation…</p>
  if (messages.length === 0) return <p className="empty">No SMS or WhatsApp message with this contact yet.</p>
  return (
    <ol className="conversation" aria-label={label}>
      {messages.map((m) => (
        <li key={m.message_id ?? m.event_id} className={`bubble ${m.direction}`}>
          <div className="sub">
            {m.direction === 'in' ? (m.name || m.from || 'Contact') : 'Journey'} · {channelNames[m.channel] ?? m.channel} · {when(m.at)}
            {m.status && <> <span className={`badge ${m.status}`}>{m.status}</span></>}
          </div>
          <p className="text">{m.text || <i>(no text)</i>}</p>
          {m.reply_id && <p className="sub">Tapped: {m.reply_id}</p>}
          {m.reason && m.status === 'skipped' && <p className="reason">{m.reason}</p>}
        </li>
      ))}
    </ol>
  )
}
