import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import type { FlowDoc, TypeSpec } from './api'
import { fillAccounts, fillTeams } from './templateAccounts'
import { FlowsPage } from './FlowsPage'

afterEach(() => { cleanup(); vi.unstubAllGlobals(); history.replaceState(null, '', '/') })

const types: TypeSpec[] = [
  { type: 'crm.upsert_contact', version: 1, category: 'crm', title: 'Create or update contact', description: '', outputs: [],
    params: [{ name: 'email', label: 'Email', kind: 'template' }, { name: 'target', label: 'Save to', kind: 'credential', credential_kind: 'hubspot,salesforce,zoho', default: 'builtin' }] },
  { type: 'notify.slack', version: 1, category: 'integration', title: 'Slack', description: '', outputs: [],
    params: [{ name: 'text', label: 'Text', kind: 'template' }, { name: 'credential', label: 'Slack account', kind: 'credential', credential_kind: 'slack', without_account: 'sandbox' }] },
]

const doc: FlowDoc = {
  id: 'chat-lead-salesforce', name: 'Chat lead qualification with Salesforce', settings: {}, edges: [],
  nodes: [
    { id: 'save_lead', type: 'crm.upsert_contact', params: { email: '{{ trigger.email }}', target: 'salesforce' }, position: { x: 0, y: 0 } },
    { id: 'other', type: 'crm.upsert_contact', params: { target: 'salesforce' }, position: { x: 0, y: 100 } },
    { id: 'tell', type: 'notify.slack', params: { text: 'hi' }, position: { x: 0, y: 200 } },
  ],
}
const about = { credentials: [
  { kind: 'salesforce', nodes: ['save_lead'], purpose: 'CRM' },
  { kind: 'slack', nodes: ['tell'], purpose: 'alerts' },
] }

describe('fillAccounts', () => {
  it('puts the one saved connection of a kind into the listed steps only', () => {
    const out = fillAccounts(doc, about, types, [{ id: 'cred_sf', name: 'Acme org', kind: 'salesforce' }, { id: 'cred_hs', name: 'HubSpot', kind: 'hubspot' }])
    expect(out.nodes[0].params).toEqual({ email: '{{ trigger.email }}', target: 'cred_sf' })
    expect(out.nodes[1].params).toEqual({ target: 'salesforce' }) // not listed in about
    expect(out.nodes[2].params).toEqual({ text: 'hi' }) // no Slack connection saved
    expect(doc.nodes[0].params!.target).toBe('salesforce') // the template itself is unchanged
  })

  it('leaves the placeholder when there are none or several of the kind', () => {
    const two = [{ id: 'a', name: 'A', kind: 'salesforce' }, { id: 'b', name: 'B', kind: 'salesforce' }]
    expect(fillAccounts(doc, about, types, two).nodes[0].params!.target).toBe('salesforce')
    expect(fillAccounts(doc, about, types, []).nodes[0].params!.target).toBe('salesforce')
    const withSlack = fillAccounts(doc, about, types, [...two, { id: 'sl', name: 'Sales Slack', kind: 'slack' }])
    expect(withSlack.nodes[2].params).toEqual({ text: 'hi', credential: 'sl' })
  })
})

describe('fillTeams', () => {
  const routed: FlowDoc = {
    id: 'r', name: 'R', settings: {}, edges: [],
    nodes: [{ id: 'assign', type: 'crm.assign_owner', params: { team: [{ user: 'maria@example.com' }, { user: 'li@example.com' }], strategy: 'round_robin' }, position: { x: 0, y: 0 } }],
  }

  it("gives a template's sample team to the app's users", () => {
    const out = fillTeams(routed, ['ana@acme.com', 'ben@acme.com'])
    expect(out.nodes[0].params).toEqual({ team: [{ user: 'ana@acme.com' }, { user: 'ben@acme.com' }], strategy: 'round_robin' })
    expect((routed.nodes[0].params!.team as unknown[]).length).toBe(2) // the template itself is unchanged
  })

  it('keeps a team that names people of this app, and a team when no user can be read', () => {
    expect(fillTeams(routed, ['Maria@example.com', 'ana@acme.com']).nodes[0].params!.team).toEqual([{ user: 'maria@example.com' }, { user: 'li@example.com' }])
    expect(fillTeams(routed, [])).toBe(routed)
  })
})

describe('Use this template', () => {
  it('creates the draft with the saved Salesforce connection chosen', async () => {
    const calls: { url: string; method: string; body?: unknown }[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      const body = init?.body ? JSON.parse(String(init.body)) : undefined
      calls.push({ url, method, body })
      if (url === '/api/v1/flows' && method === 'GET') return Response.json({ flows: [] })
      if (url === '/api/v1/templates') return Response.json({ templates: [{ id: doc.id, name: doc.name, description: 'With Salesforce', definition: doc, about }] })
      if (url === '/api/v1/node-types') return Response.json({ node_types: types })
      if (url === '/api/v1/credentials') return Response.json({ credentials: [{ id: 'cred_sf', name: 'Acme org', kind: 'salesforce' }] })
      if (url === '/api/v1/flows' && method === 'POST') return Response.json({ flow: { id: body.id }, problems: [] }, { status: 201 })
      return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
    }))
    render(<FlowsPage />)
    fireEvent.click(await screen.findByRole('button', { name: 'Start from a template' }))
    fireEvent.click(await screen.findByRole('button', { name: `Use this template: ${doc.name}` }))
    await waitFor(() => expect(location.pathname).toBe('/flows/chat-lead-salesforce'))
    const post = calls.find((c) => c.method === 'POST')!.body as FlowDoc
    expect(post.nodes.find((n) => n.id === 'save_lead')!.params!.target).toBe('cred_sf')
  })
})
