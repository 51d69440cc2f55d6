import { describe, expect, it } from 'vitest'
import { fieldTag, isSingleField, joinSegments, parseTemplate, readableTemplate } from './template'

describe('parseTemplate', () => {
  const texts = [
    '',
    'Hello there',
    'Hi {{ contact.first_name }}!',
    'Hi {{contact.first_name}}, from {{   trigger.company   }} and {{ vars.plan }}.',
    '{{ trigger.email }}',
    'Hi {{ coalesce(contact.first_name, "there") }}',
    'Hi {{coalesce( contact.first_name ,"a \\"quoted\\" one")}}',
    'Total: {{ contact.score * 2 }} and {{ upper(contact.first_name) }}',
    'Broken {{ contact.first_name and {{ trigger.x }}',
    'Line one\n{{ contact.email }}\nLine three',
    'Odd {{ coalesce(contact.first_name, "\\x41") }}',
  ]
  it.each(texts)('gives back the exact text: %j', (t) => {
    expect(joinSegments(parseTemplate(t))).toBe(t)
  })

  it('finds fields and their fallbacks, leaving code as text', () => {
    expect(parseTemplate('Hi {{contact.first_name}}, {{ coalesce(trigger.name, "friend") }} {{ contact.score * 2 }}')).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'field', raw: '{{contact.first_name}}', path: 'contact.first_name' },
      { kind: 'text', text: ', ' },
      { kind: 'field', raw: '{{ coalesce(trigger.name, "friend") }}', path: 'trigger.name', fallback: 'friend' },
      { kind: 'text', text: ' {{ contact.score * 2 }}' },
    ])
  })

  it('writes fields the way it reads them', () => {
    expect(fieldTag('contact.first_name')).toBe('{{ contact.first_name }}')
    expect(fieldTag('contact.first_name', 'there')).toBe('{{ coalesce(contact.first_name, "there") }}')
    const odd = fieldTag('contact.first_name', 'say "hi"')
    expect(parseTemplate(odd)).toEqual([{ kind: 'field', raw: odd, path: 'contact.first_name', fallback: 'say "hi"' }])
  })

  it('knows a value that is one field', () => {
    expect(isSingleField('{{ trigger.email }}')).toBe(true)
    expect(isSingleField(' {{ trigger.email }}')).toBe(false)
    expect(isSingleField('{{ trigger.email + "x" }}')).toBe(false)
  })

  it('reads as words for summaries', () => {
    expect(readableTemplate('Welcome, {{ coalesce(contact.first_name, "friend") }} of {{ trigger.company }}',
      [{ path: 'trigger.company', label: 'Company name', group: 'Trigger', type: 'text' }]))
      .toBe('Welcome, [Contact · First name, or “friend”] of [Trigger · Company name]')
  })
})
