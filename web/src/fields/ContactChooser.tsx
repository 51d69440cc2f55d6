// "Preview as": a small search over the contacts to render a message for
// a real person; empty means the sample contact.
import { useEffect, useId, useState } from 'react'
import { api, type Contact } from '../api'

export interface ChosenContact { id: string; name: string }

export const contactName = (c: Contact) =>
  [c.first_name, c.last_name].filter(Boolean).join(' ') || c.email || c.phone || c.id

const contactLine = (c: Contact) => {
  const name = contactName(c)
  const reach = c.email || c.phone
  return reach && reach !== name ? `${name} (${reach})` : name
}

export function ContactChooser({ value, onChange, delay = 250 }: { value: ChosenContact | null; onChange: (c: ChosenContact | null) => void; delay?: number }) {
  const [q, setQ] = useState('')
  const [found, setFound] = useState<Contact[] | null>(null)
  const [failed, setFailed] = useState(false)
  const id = useId()

  useEffect(() => {
    if (!q.trim()) { setFound(null); return }
    let stale = false
    const t = setTimeout(() => {
      api<{ contacts: Contact[] }>(`/contacts?limit=8&search=${encodeURIComponent(q.trim())}`).then(
        (r) => { if (!stale) { setFound(r.contacts); setFailed(false) } },
        () => { if (!stale) setFailed(true) })
    }, delay)
    return () => { stale = true; clearTimeout(t) }
  }, [q, delay])

  if (value) {
    return (
      <p className="preview-as">
        Previewing as <strong>{value.name}</strong>.{' '}
        <button type="button" className="link" onClick={() => onChange(null)}>Use a sample contact</button>
      </p>
    )
  }
  return (
    <div className="field preview-as">
      <label htmlFor={id}>Preview as</label>
      <input id={id} type="search" value={q} placeholder="A sample contact (type to search)"
        onChange={(e) => setQ(e.target.value)} aria-describedby={id + '-found'} />
      <div id={id + '-found'} aria-live="polite">
        {failed && <p className="error">Contacts could not be searched.</p>}
        {found && !found.length && <p className="hint">No contact matches “{q.trim()}”.</p>}
        {found && found.length > 0 && (
          <ul className="plain" aria-label="Contacts found">
            {found.map((c) => (
              <li key={c.id}>
                <button type="button" className="link" onClick={() => { onChange({ id: c.id, name: contactName(c) }); setQ(''); setFound(null) }}>
                  {contactLine(c)}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  )
}
