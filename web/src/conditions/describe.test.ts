import { describe, expect, it } from 'vitest'
import { describeCondition } from './describe'
import { humanCondition, describeNode } from '../describe'
import { fieldCatalog } from '../catalog'
import type { FlowDoc } from '../api'

const catalog = fieldCatalog({ nodes: [], edges: [] } as unknown as FlowDoc)

describe('describeCondition', () => {
  it('says builder conditions in plain words with the fields’ names', () => {
    const table: [string, string][] = [
      ['contact.score >= 50', 'Lead score is at least 50'],
      ['contact.score >= 50 and hasTag("vip")', 'Lead score is at least 50 and contact has tag “vip”'],
      ['not inList("nurture") or contact.consent.sms == true', 'Contact is not on list “nurture” or contact has consent for SMS'],
      ['(10 <= contact.score and contact.score <= 20)', 'Lead score is between 10 and 20'],
      ['daysSince(contact.last_activity_at) > 30', 'Last activity happened more than 30 days ago'],
      ['hoursSince(contact.created_at) <= 1', 'Created happened within the last 1 hour'],
      ['(contact.email ?? "") != ""', 'Email is set'],
      ['trigger.closed == true', 'Closed is true'],
      ['trigger.plan == "pro" and (hasTag("a") or hasTag("b"))', 'Plan is “pro” and (contact has tag “a” or contact has tag “b”)'],
      ['trigger.conversation_id == "x"', 'Conversation ID is “x”'],
    ]
    for (const [e, want] of table) expect(describeCondition(e, catalog), e).toBe(want)
    expect(describeCondition('lower(trigger.x) == "a"', catalog)).toBeNull()
    expect(describeCondition('', catalog)).toBeNull()
  })

  it('is what cards say for an if step, falling back to the old words', () => {
    expect(describeNode({ type: 'logic.if', params: { condition: 'contact.score >= 50' } })).toBe('If lead score is at least 50')
    expect(humanCondition('contact.consent.sms == true')).toBe('contact has consent for SMS')
    expect(humanCondition('lower(trigger.name) == "x"')).toBe('lower(name) is x')
  })
})
