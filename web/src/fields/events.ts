// The contact events a journey can start on or wait for, each with a
// sentence a marketer reads. The names are the ones the product produces
// (engine/channels receipts, the Twilio and WhatsApp callbacks, the email
// provider webhooks) plus the common events DESIGN lists for senders of
// their own events (chat.finished, form.submitted, cart.abandoned).

export interface EventOption {
  value: string
  label?: string
  description?: string
  group?: string
}

export const eventGroups = ['Email', 'SMS', 'WhatsApp', 'Chat', 'Forms and shop', 'Seen on this server'] as const

const known: [string, string, string][] = [
  ['email.sent', 'Email', 'An email was sent to the contact'],
  ['email.delivered', 'Email', 'An email reached the contact’s inbox'],
  ['email.opened', 'Email', 'The contact opened an email'],
  ['email.clicked', 'Email', 'The contact clicked a link in an email'],
  ['email.bounced', 'Email', 'An email bounced (the address does not accept it)'],
  ['email.complained', 'Email', 'The contact marked an email as spam'],
  ['email.unsubscribed', 'Email', 'The contact unsubscribed from emails'],
  ['email.undelivered', 'Email', 'An email was not delivered'],
  ['email.failed', 'Email', 'An email could not be sent'],
  ['sms.sent', 'SMS', 'An SMS was sent to the contact'],
  ['sms.delivered', 'SMS', 'An SMS reached the contact’s phone'],
  ['sms.undelivered', 'SMS', 'An SMS was not delivered to the contact’s phone'],
  ['sms.failed', 'SMS', 'An SMS could not be sent'],
  ['whatsapp.sent', 'WhatsApp', 'A WhatsApp message was sent to the contact'],
  ['whatsapp.delivered', 'WhatsApp', 'A WhatsApp message reached the contact’s phone'],
  ['whatsapp.read', 'WhatsApp', 'The contact read a WhatsApp message'],
  ['whatsapp.undelivered', 'WhatsApp', 'A WhatsApp message was not delivered'],
  ['whatsapp.failed', 'WhatsApp', 'A WhatsApp message could not be sent'],
  ['chat.finished', 'Chat', 'A chat conversation with the contact finished'],
  ['message.received', 'Chat', 'The contact sent a message or a reply'],
  ['form.submitted', 'Forms and shop', 'The contact filled in a form'],
  ['cart.abandoned', 'Forms and shop', 'The contact left items in their cart without buying'],
  ['webhook.received', 'Seen on this server', 'A webhook for the contact arrived'],
]

/** The built-in events, in the order the picker lists them. */
export const knownEvents: EventOption[] = known.map(([value, group, description]) => ({ value, group, description }))

/** The sentence of an event: the server's, else ours, else none. */
export function eventSentence(o: EventOption): string | undefined {
  return o.description ?? knownEvents.find((k) => k.value === o.value)?.description
}

/** The group of an event: the server's, else ours, else "Seen on this server". */
export function eventGroup(o: EventOption): string {
  return o.group ?? knownEvents.find((k) => k.value === o.value)?.group ?? 'Seen on this server'
}

/**
 * The picker's events by group: the built-in ones and those the server
 * lists (its descriptions and groups win), each once, groups in a fixed
 * order with any other group the server names after them.
 */
export function groupEvents(fromServer: EventOption[]): [string, EventOption[]][] {
  const all = new Map<string, EventOption>()
  for (const e of knownEvents) all.set(e.value, e)
  for (const e of fromServer) {
    if (!e.value) continue
    const base = all.get(e.value)
    all.set(e.value, { ...base, ...stripEmpty(e) })
  }
  const groups = new Map<string, EventOption[]>(eventGroups.map((g) => [g, []]))
  for (const e of all.values()) {
    const g = eventGroup(e)
    if (!groups.has(g)) groups.set(g, [])
    groups.get(g)!.push({ ...e, group: g, description: eventSentence(e) })
  }
  return [...groups.entries()].filter(([, es]) => es.length > 0)
}

function stripEmpty(e: EventOption): EventOption {
  const out: EventOption = { value: e.value }
  if (e.label && e.label !== e.value) out.label = e.label
  if (e.description) out.description = e.description
  if (e.group) out.group = e.group
  return out
}

/** An event in a card's sentence: "the contact opened an email", else its name. */
export function eventPhrase(name: string): string {
  const s = knownEvents.find((k) => k.value === name)?.description
  return s ? s.charAt(0).toLowerCase() + s.slice(1) : name
}
