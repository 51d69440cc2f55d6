// "Use this template" fills the accounts a template names by kind: a
// template cannot know this server's credential ids, so its vendor steps
// hold a placeholder (the kind, e.g. "target": "salesforce"). When exactly
// one saved connection of that kind exists, its id goes into the steps the
// template's about file lists; otherwise the placeholder stays and the
// draft shows the step's problem ("needs your Salesforce account").
import { api, type FlowDoc, type TypeSpec } from './api'
import { loadNodeTypes } from './editor/nodeTypes'

/** An account a template's steps use (flows/templates/about/<id>.json). */
export interface TemplateCredential { kind: string; nodes: string[]; purpose: string }
export interface TemplateAbout { starts?: string; credentials?: TemplateCredential[] }

/** A saved connection as GET /api/v1/credentials lists it. */
export interface SavedCredential { id: string; name: string; kind: string }

/**
 * Returns a copy of doc where, for each account of about, the credential
 * parameters accepting its kind on the listed steps hold the id of the one
 * saved connection of that kind. Kinds with none or several saved
 * connections are left as the template has them.
 */
export function fillAccounts(doc: FlowDoc, about: TemplateAbout | undefined, types: TypeSpec[], creds: SavedCredential[]): FlowDoc {
  const needs = about?.credentials ?? []
  if (needs.length === 0) return doc
  const nodes = doc.nodes.map((n) => ({ ...n, params: { ...(n.params ?? {}) } }))
  for (const need of needs) {
    const mine = creds.filter((c) => c.kind === need.kind)
    if (mine.length !== 1) continue
    for (const n of nodes) {
      if (!need.nodes.includes(n.id)) continue
      const spec = types.find((t) => t.type === n.type && t.version === (n.type_version ?? 1)) ?? types.find((t) => t.type === n.type)
      for (const p of spec?.params ?? []) {
        if (p.kind === 'credential' && (p.credential_kind ?? '').split(',').includes(need.kind)) n.params[p.name] = mine[0].id
      }
    }
  }
  return { ...doc, nodes }
}

/**
 * Returns a copy of doc whose "Assign owner" steps, when none of their team
 * are people of this app (a template's sample team), give leads to the
 * app's users instead: a template's names would send every lead down
 * "nobody available".
 */
export function fillTeams(doc: FlowDoc, userEmails: string[]): FlowDoc {
  if (userEmails.length === 0) return doc
  const known = new Set(userEmails.map((e) => e.toLowerCase()))
  const nodes = doc.nodes.map((n) => {
    if (n.type !== 'crm.assign_owner') return n
    const team = Array.isArray(n.params?.team) ? (n.params.team as { user?: unknown }[]) : []
    if (team.some((m) => typeof m?.user === 'string' && known.has(m.user.toLowerCase()))) return n
    return { ...n, params: { ...n.params, team: userEmails.map((user) => ({ user })) } }
  })
  return { ...doc, nodes }
}

/**
 * The template ready to use on this server: its accounts filled (see
 * fillAccounts) and its sales team made of the app's users (fillTeams).
 * What cannot be read (e.g. a role that may not list connections or
 * users) leaves that part as the template has it.
 */
export async function withAccounts(doc: FlowDoc, about: TemplateAbout | undefined): Promise<FlowDoc> {
  if (doc.nodes.some((n) => n.type === 'crm.assign_owner')) {
    try {
      const r = await api<{ users: { email: string }[] }>('/users')
      doc = fillTeams(doc, (r.users ?? []).map((u) => u.email))
    } catch {
      // keep the template's team
    }
  }
  if (!about?.credentials?.length) return doc
  try {
    const [types, r] = await Promise.all([loadNodeTypes(), api<{ credentials: SavedCredential[] }>('/credentials')])
    return fillAccounts(doc, about, types, r.credentials ?? [])
  } catch {
    return doc
  }
}
