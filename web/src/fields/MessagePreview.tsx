// The "Preview" section of a message step: the message as the contact
// would get it (subject, from, HTML and plain text for email; the text with
// its length and SMS parts for SMS and WhatsApp), rendered by the server
// for a chosen or sample contact, and "Send a test to me".
import { useEffect, useId, useState } from 'react'
import type { FlowNode } from '../api'
import { Link } from '../router'
import { ContactChooser, type ChosenContact } from './ContactChooser'
import { fetchPreview, noAccount, previewsMissing, sendTest, type Preview, type PreviewRequest, type TestSend } from './preview'
import './fields.css'

interface Props {
  flowId: string
  node: FlowNode
  /** Waits this long after the last change before asking again (ms). */
  delay?: number
}

type Sent = { ok: TestSend; channel: string } | { error: string }

export function MessagePreview({ flowId, node, delay = 500 }: Props) {
  const [contact, setContact] = useState<ChosenContact | null>(null)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [missing, setMissing] = useState(false)
  const [loading, setLoading] = useState(false)
  const [sending, setSending] = useState(false)
  const [sent, setSent] = useState<Sent | null>(null)
  const headId = useId()

  const req: PreviewRequest = { flow_id: flowId, node: { id: node.id, type: node.type, params: node.params ?? {} } }
  if (contact) req.contact_id = contact.id
  const key = JSON.stringify(req)

  useEffect(() => {
    let stale = false
    setLoading(true)
    const t = setTimeout(() => {
      fetchPreview(JSON.parse(key) as PreviewRequest).then(
        (p) => { if (!stale) { setPreview(p); setError(null); setLoading(false) } },
        (e) => {
          if (stale) return
          setLoading(false)
          setMissing(previewsMissing(e))
          setError(`The preview could not be made: ${(e as Error).message}`)
        })
    }, delay)
    return () => { stale = true; clearTimeout(t) }
  }, [key, delay])
  // A test sent from older settings no longer says anything true.
  useEffect(() => { setSent(null) }, [key])

  async function send() {
    setSending(true)
    setSent(null)
    try {
      const ok = await sendTest(JSON.parse(key) as PreviewRequest)
      setSent({ ok, channel: preview?.channel ?? channelOf(node.type) })
    } catch (e) {
      setSent({ error: `The test could not be sent: ${(e as Error).message}` })
    } finally {
      setSending(false)
    }
  }

  return (
    <section className="preview" aria-labelledby={headId}>
      <h3 id={headId}>Preview</h3>
      {missing ? <p className="hint">Previews are not available on this server yet.</p> : <>
        <ContactChooser value={contact} onChange={setContact} />
        <div aria-live="polite" aria-busy={loading}>
          {loading && !preview && !error && <p className="hint">Preparing the preview…</p>}
          {error && <p className="error">{error}</p>}
        </div>
        {preview && !error && <Rendered p={preview} />}
        <p>
          <button type="button" onClick={send} disabled={sending}>{sending ? 'Sending…' : 'Send a test to me'}</button>
        </p>
      </>}
      <div role="status">
        {sent && 'ok' in sent && (sent.ok.sandbox
          ? <p>Kept in the sandbox outbox: {noAccount(sent.channel)} is chosen on this step. <Link to="/inbox">Open the inbox</Link></p>
          : <p>Sent to {sent.ok.to}.</p>)}
        {sent && 'error' in sent && <p className="error">{sent.error}</p>}
      </div>
    </section>
  )
}

function channelOf(type: string): string {
  return type === 'message.sms' ? 'sms' : type === 'message.whatsapp' ? 'whatsapp' : 'email'
}

function Rendered({ p }: { p: Preview }) {
  return (
    <div className="preview-body">
      {p.problems && p.problems.length > 0 && (
        <ul className="error">{p.problems.map((x, i) => <li key={i}>{x.message}</li>)}</ul>
      )}
      {p.channel === 'email' ? <EmailPreview p={p} /> : <TextPreview p={p} />}
    </div>
  )
}

function EmailPreview({ p }: { p: Preview }) {
  const [tab, setTab] = useState<'html' | 'text'>(p.html ? 'html' : 'text')
  const base = useId()
  const tabs: ['html' | 'text', string][] = p.html ? [['html', 'HTML'], ['text', 'Plain text']] : [['text', 'Plain text']]
  const current = tabs.some(([t]) => t === tab) ? tab : 'text'
  return (
    <>
      <dl>
        {p.from && <><dt>From</dt><dd>{p.from}</dd></>}
        {p.to && <><dt>To</dt><dd>{p.to}</dd></>}
        <dt>Subject</dt><dd>{p.subject || <em>No subject</em>}</dd>
      </dl>
      <div className="tabs" role="tablist" aria-label="Email format">
        {tabs.map(([t, name], i) => (
          <button key={t} type="button" role="tab" id={`${base}-${t}`} aria-selected={current === t} aria-controls={`${base}-${t}-panel`}
            tabIndex={current === t ? 0 : -1} className="link" onClick={() => setTab(t)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return
              const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length][0]
              setTab(next)
              document.getElementById(`${base}-${next}`)?.focus()
            }}>{name}</button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-${current}-panel`} aria-labelledby={`${base}-${current}`}>
        {current === 'html'
          // sandbox="": the email's HTML runs no script and reaches nothing of the editor.
          ? <iframe sandbox="" title="Email preview (HTML)" srcDoc={p.html} />
          : <div className="message-text">{p.text || <em>This email has no plain-text version.</em>}</div>}
      </div>
    </>
  )
}

function TextPreview({ p }: { p: Preview }) {
  const text = p.text ?? ''
  // The server counts SMS parts as carriers do (nodes.SMSSegments).
  const characters = Array.from(text).length
  const parts = p.segments ?? 0
  return (
    <>
      {p.to && <dl><dt>To</dt><dd>{p.to}</dd></dl>}
      <figure className="message-text" aria-label="Message text">{text || <em>No text.</em>}</figure>
      <p className="hint">
        {characters} {characters === 1 ? 'character' : 'characters'}
        {p.channel === 'sms' && <>
          {' · '}{parts} SMS {parts === 1 ? 'part' : 'parts'}
          {p.unicode
            ? ` (it uses characters such as emoji or “ç” that plain SMS does not have, so each part holds ${p.per_segment})`
            : parts > 1 ? ` (each part holds ${p.per_segment})` : ''}
        </>}
      </p>
    </>
  )
}
