// Cards quote template titles and subjects in words, not braces, and
// name events by their sentence.
import { describe, expect, it } from 'vitest'
import { describeNode } from '../describe'

describe('card sentences of template parameters', () => {
  it('name fields instead of showing braces', () => {
    expect(describeNode({ type: 'crm.create_deal', params: { title: 'Chat lead: {{ trigger.name }}', stage: 'qualified' } }))
      .toBe('Create the deal "Chat lead: [Trigger · Name]" in stage qualified')
    expect(describeNode({ type: 'message.email', params: { subject: 'Welcome, {{ coalesce(contact.first_name, "friend") }}' } }, { title: 'Send email' } as never))
      .toBe('Send email: "Welcome, [Contact · First name, or “friend”]"')
    expect(describeNode({ type: 'crm.create_task', params: { title: 'Call {{ contact.phone }}' } })).toBe('Create the task "Call [Contact · Phone]"')
  })

  it('name events by their sentence, or by their name when unknown', () => {
    expect(describeNode({ type: 'trigger.event', params: { event_type: 'chat.finished' } })).toBe('When a chat conversation with the contact finished')
    expect(describeNode({ type: 'trigger.event', params: { event_type: 'order.paid' } })).toBe('When order.paid')
    expect(describeNode({ type: 'wait.event', params: { event_type: 'email.opened', timeout: '48h' } }))
      .toBe('Wait until the contact opened an email, for up to 48 hours')
    expect(describeNode({ type: 'trigger.absence', params: { event: 'email.sent', missing_event: 'email.opened', within: '2d' } }))
      .toBe('When “an email was sent to the contact” is not followed by “the contact opened an email” within 2 days')
  })
})
