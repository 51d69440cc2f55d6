// A thin client of the journey REST API (/api/v1). Every call sends the
// session cookie; errors become ApiError with the server's plain message.

export interface Problem {
  code: string
  node_id?: string
  param?: string
  message: string
  line?: number
  column?: number
  /** "warning": the step works, probably not as meant; never blocks saving or publishing. */
  severity?: 'warning'
}

export class ApiError extends Error {
  status: number
  code: string
  details: unknown
  constructor(status: number, code: string, message: string, details: unknown) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
  /** Problems of an invalid flow, when the server listed them. */
  get problems(): Problem[] {
    const d = this.details as { problems?: Problem[] } | Problem[] | undefined
    if (Array.isArray(d)) return d
    return d?.problems ?? []
  }
}

/**
 * Asked when a request finds the session gone (401): it resolves once the
 * user signed in again, and the request is then sent once more. The app
 * sets it while someone is signed in; nothing on the page is lost.
 */
let reauthenticate: (() => Promise<void>) | null = null

export function onSessionExpired(fn: (() => Promise<void>) | null) {
  reauthenticate = fn
}

export async function api<T>(path: string, init: Omit<RequestInit, 'headers'> & { json?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers }
  let body = init.body
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(init.json)
  }
  let res = await fetch('/api/v1' + path, { ...init, body, headers, credentials: 'same-origin' })
  if (res.status === 401 && reauthenticate && !path.startsWith('/auth/')) {
    await reauthenticate()
    res = await fetch('/api/v1' + path, { ...init, body, headers, credentials: 'same-origin' })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let data: unknown = undefined
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error
    throw new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? `The server answered ${res.status}.`, e?.details)
  }
  return data as T
}

/** True when the error says the route does not exist on this server. */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && e.message === 'There is nothing at this address.'
}

export interface User {
  id: string; email: string; role: string; created_at: string
  /** How the "Assign owner" step routes leads to them (server/users.go). */
  name?: string; away_until?: string | null; time_zone?: string; work_days?: string[]
  work_start?: string; work_end?: string; owner_ids?: Record<string, string>; slack_id?: string
}

export interface FlowDoc {
  id: string
  name: string
  description?: string
  version?: number
  settings: FlowSettings
  nodes: FlowNode[]
  edges: FlowEdge[]
}
/** Journey-wide policies (flows/flow.go Settings, flows/messaging.go). Durations are texts like "30d". */
export interface FlowSettings {
  reentry?: { policy?: string; period?: string }
  time_zone?: string
  goal?: string
  /** How long after entering the goal counts, e.g. "7d"; absent: as long as the run lasts. */
  goal_window?: string
  messaging?: Messaging
}
export interface Messaging {
  require_consent?: boolean
  quiet_hours?: { from: string; to: string; channels?: string[] }
  frequency_cap?: { max: number; period: string; action?: string; channels?: string[] }
}
export interface FlowNode {
  id: string
  type: string
  type_version?: number
  name?: string
  params?: Record<string, unknown>
  position: { x: number; y: number }
}
export interface FlowEdge { from: string; port?: string; to: string }

export interface FlowSummary {
  id: string; name: string; description: string; status: string; version: number
  /** How many times the draft was saved; sent back as If-Match. */
  revision?: number; updated_by?: string
  created_at: string; updated_at: string
  runs_today?: Record<string, number>; runs_today_total?: number
  /** A published journey whose draft differs from its live version. */
  unpublished_changes?: boolean
}
export interface FlowDetail extends FlowSummary { definition: FlowDoc; problems: Problem[]; warnings?: Problem[] }

export type ParamKind = 'string' | 'template' | 'expression' | 'number' | 'integer' | 'boolean' | 'enum' |
  'duration' | 'datetime' | 'time_of_day' | 'weekdays' | 'cron' | 'time_zone' | 'string_list' | 'list' | 'map' | 'credential'

export interface ParamSpec {
  name: string
  label: string
  description?: string
  kind: ParamKind
  returns?: string
  required?: boolean
  enum?: string[]
  /** Plain names of some enum values ("bot_framework" → "Microsoft Bot Framework"). */
  enum_labels?: Record<string, string>
  default?: unknown
  example?: unknown
  min?: number
  max?: number
  fields?: ParamSpec[]
  show_if?: Record<string, string[]>
  secret?: boolean
  /** The credential kind a credential parameter accepts (e.g. smtp). */
  credential_kind?: string
  options?: string
  /** What a credential parameter left empty does: sandbox, builtin or none. */
  without_account?: 'sandbox' | 'builtin' | 'none'
}
export interface PortSpec { name: string; label: string }
export interface TypeSpec {
  type: string
  version: number
  category: string
  title: string
  description: string
  outputs: PortSpec[]
  dynamic_ports?: string
  params: ParamSpec[]
  examples?: { title: string; params: Record<string, unknown> }[]
  credential?: string
  trigger?: boolean
  waits?: boolean
}

export interface Step {
  node_id: string; node_type: string; visit: number; attempt: number; status: string; port?: string
  input: unknown; output: unknown; error?: string; started_at: string; finished_at: string
}
export interface RunSummary {
  id: string; flow_id: string; version: number; contact_id: string | null; status: string
  /** The person, when known (absent once the contact is erased). */
  contact_name?: string; contact_email?: string; contact_phone?: string
  outcome?: string; error?: string; test: boolean; started_at: string; updated_at: string; ended_at: string | null
}
export interface RunDetail extends RunSummary { trigger: unknown; event: unknown; vars: unknown; steps: Step[] }

export interface Contact {
  id: string; email: string | null; phone: string | null; external_id: string | null
  first_name: string; last_name: string; company: string; score: number; time_zone: string
  fields: Record<string, unknown> | null; consent: Record<string, unknown> | null
  tags?: string[]; lists?: string[]; created_at: string; updated_at: string
  /** The salesperson who owns the contact (set by the "Assign owner" step). */
  owner?: { id: string; name: string; email: string }
}

export interface Message {
  id: string; channel: string; provider: string; status: string; reason?: string; to: string
  subject?: string; body_text?: string; body_html?: string; contact_id?: string; run_id?: string
  node_id?: string; flow_id?: string; created_at: string; updated_at: string
  events?: { type: string; at: string; data?: unknown }[]
}

/** One message of a contact's SMS/WhatsApp thread: "in" the contact sent it, "out" a journey did. */
export interface ConversationMessage {
  direction: 'in' | 'out'; channel: string; text: string; at: string; contact_id: string
  message_id?: string; event_id?: string; status?: string; reason?: string
  from?: string; name?: string; reply_id?: string; reply_to_message_id?: string
}
