import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import type { FlowDoc, TypeSpec } from '../api'
import { TestPanel } from './TestPanel'
import { buildChoices, decisionSteps, testRequest } from './testChoices'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const spec = (type: string, category: string, outputs: [string, string][], extra: Partial<TypeSpec> = {}): TypeSpec => ({
  type, version: 1, category, title: type, description: '', params: [],
  outputs: outputs.map(([name, label]) => ({ name, label })), ...extra,
})
const specs = new Map<string, TypeSpec>([
  ['trigger.webhook', spec('trigger.webhook', 'trigger', [['out', '']], { trigger: true })],
  ['trigger.manual', spec('trigger.manual', 'trigger', [['out', '']], { trigger: true })],
  ['logic.if', spec('logic.if', 'logic', [['yes', 'Yes'], ['no', 'No']])],
  ['logic.split', spec('logic.split', 'logic', [], { dynamic_ports: 'branches' })],
  ['data.set', spec('data.set', 'logic', [['out', '']])],
  ['wait.event', spec('wait.event', 'timing', [['event', 'Happened'], ['timeout', 'Timed out']], { waits: true })],
  ['wait.delay', spec('wait.delay', 'timing', [['out', '']], { waits: true })],
  ['message.sms', spec('message.sms', 'message', [['sent', 'Sent'], ['failed', 'Not sent']])],
  ['crm.upsert_contact', spec('crm.upsert_contact', 'crm', [['out', '']])],
])
const at = { x: 0, y: 0 }
const chat: FlowDoc = {
  id: 'chat', name: 'Chat lead', settings: {},
  nodes: [
    { id: 'hook', type: 'trigger.webhook', name: 'Chat finished', params: { path: 'chat', preset: 'intercom' }, position: at },
    { id: 'save', type: 'crm.upsert_contact', name: 'Save the lead', params: {}, position: at },
    { id: 'check', type: 'logic.if', name: 'Lead score is at least 50', params: { condition: 'trigger.score >= 50' }, position: at },
    { id: 'ab', type: 'logic.split', name: 'Try two texts', params: { branches: [{ name: 'a', weight: 50 }, { name: 'b', weight: 50 }] }, position: at },
    { id: 'remember', type: 'data.set', params: {}, position: at },
    { id: 'sms', type: 'message.sms', name: 'Text the lead', params: {}, position: at },
    { id: 'wait_sms', type: 'wait.event', name: 'SMS delivered', params: {}, position: at },
    { id: 'pause', type: 'wait.delay', name: 'Wait a day', params: {}, position: at },
  ],
  edges: [],
}
const closed = { topic: 'conversation.admin.closed', data: { item: { id: '1', custom_attributes: { lead_score: 72 } } } }
const older = { topic: 'conversation.admin.closed', data: { item: { id: '2' } } }
const run = {
  id: 'r1', flow_id: 'chat', version: -1, contact_id: null, status: 'completed', test: true,
  started_at: '2026-12-06T10:00:00Z', updated_at: '2026-12-06T10:00:01Z', ended_at: '2026-12-06T10:00:01Z',
  trigger: {}, event: null, vars: {},
  steps: [
    { node_id: 'check', node_type: 'logic.if', visit: 1, attempt: 1, status: 'completed', port: 'no', input: {},
      output: { chosen_by_tester: 'The tester chose the "no" path.' }, started_at: '2026-12-06T10:00:00Z', finished_at: '2026-12-06T10:00:00Z' },
    { node_id: 'pause', node_type: 'wait.delay', visit: 1, attempt: 1, status: 'waiting', port: 'out', input: {},
      output: { simulated_until: '2026-12-07T10:00:00Z', chosen_by_tester: 'The tester skipped the wait.' }, started_at: '2026-12-06T10:00:00Z', finished_at: '2026-12-06T10:00:00Z' },
  ],
}

function serve() {
  const calls: { url: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : undefined })
    if (url.startsWith('/api/v1/node-types/trigger.webhook/samples')) {
      return new Response(JSON.stringify({ samples: [
        { preset: 'intercom', title: 'Intercom: conversation closed (lead score in the conversation attribute lead_score)', body: closed },
        { preset: 'intercom', title: 'Intercom: older API shape (no lead score)', body: older },
      ] }), { status: 200 })
    }
    if (url === '/api/v1/flows/chat/test') return new Response(JSON.stringify(run), { status: 200 })
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'There is nothing at this address.' } }), { status: 404 })
  }))
  return calls
}

describe('TestPanel', () => {
  it('offers the preset’s samples, sends the body as a real request’s with the choices, and shows the path', async () => {
    const calls = serve()
    render(<TestPanel flowId="chat" doc={chat} specs={specs} beforeRun={async () => true} onRun={() => {}} onClose={() => {}} />)
    const sample = await screen.findByRole('combobox', { name: 'Sample' }) as HTMLSelectElement
    expect(calls[0].url).toBe('/api/v1/node-types/trigger.webhook/samples?preset=intercom')
    const body = screen.getByLabelText('Sample data the trigger receives (JSON)') as HTMLTextAreaElement
    await waitFor(() => expect(JSON.parse(body.value)).toEqual(closed))
    fireEvent.change(sample, { target: { value: '1' } })
    expect(JSON.parse(body.value)).toEqual(older)
    fireEvent.change(sample, { target: { value: '0' } })

    fireEvent.change(screen.getByRole('combobox', { name: 'At “Lead score is at least 50”' }), { target: { value: 'port:no' } })
    fireEvent.change(screen.getByRole('combobox', { name: 'At “Try two texts”' }), { target: { value: 'port:b' } })
    fireEvent.change(screen.getByRole('combobox', { name: 'At “Text the lead”' }), { target: { value: 'not_delivered' } })
    fireEvent.change(screen.getByRole('combobox', { name: 'At “SMS delivered”' }), { target: { value: 'after' } })
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Hours until the event at “SMS delivered”' }), { target: { value: '3' } })
    fireEvent.change(screen.getByRole('combobox', { name: 'At “Wait a day”' }), { target: { value: 'skip' } })
    expect(screen.queryByRole('combobox', { name: 'At “Save the lead”' })).toBeNull()
    fireEvent.click(screen.getByRole('button', { name: 'Run test' }))

    await waitFor(() => expect(screen.getByTestId('test-status').textContent).toContain('finished'))
    const sent = calls.find((c) => c.url === '/api/v1/flows/chat/test')!
    expect(sent.body).toEqual({
      raw_body: body.value,
      choices: { check: { port: 'no' }, ab: { port: 'b' }, sms: { delivery: 'not_delivered' }, wait_sms: { event_after: '3h' }, pause: { skip: true } },
    })
    expect(screen.getAllByText('your choice')).toHaveLength(2)
    expect(screen.getByTestId('sim-clock').textContent).toContain('24 hours ahead')
  })
})

describe('test choices', () => {
  it('lists every decision step with plain options', () => {
    const steps = decisionSteps(chat, specs)
    expect(steps.map((s) => s.name)).toEqual(['Lead score is at least 50', 'Try two texts', 'Text the lead', 'SMS delivered', 'Wait a day'])
    expect(steps[0].options.map((o) => o.label)).toEqual(['Let the journey decide', 'Take ‘Yes’', 'Take ‘No’'])
    expect(steps[1].options.map((o) => o.label)).toEqual(['Let the journey decide', 'Take ‘a’', 'Take ‘b’'])
    expect(steps[3].options.map((o) => o.label)).toEqual(['Let the journey decide', 'The event happens after… (hours)', 'It never happens'])
  })

  it('builds the choices the server reads, leaving the journey to decide elsewhere', () => {
    expect(buildChoices({
      a: { value: '' }, b: { value: 'port:default' }, c: { value: 'never' }, d: { value: 'after', hours: '1,5' },
      e: { value: 'after', hours: 'soon' }, f: { value: 'skip' }, g: { value: 'not_delivered' },
    })).toEqual({ b: { port: 'default' }, c: { event: 'never' }, d: { event_after: '1.5h' }, e: { event_after: '0h' }, f: { skip: true }, g: { delivery: 'not_delivered' } })
  })

  it('sends a webhook body as text and another trigger’s sample as an object', () => {
    expect(testRequest('{"a": 1', {}, true)).toEqual({ raw_body: '{"a": 1', choices: {} })
    expect(testRequest('{"email": "ada@example.com"}', { x: { skip: true } }, false)).toEqual({ body: { email: 'ada@example.com' }, choices: { x: { skip: true } } })
    expect(() => testRequest('{"a": 1', {}, false)).toThrow()
  })
})
