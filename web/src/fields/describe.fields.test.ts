// Cards quote template titles and subjects in words, not braces.
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
})
