// Types and small helpers for the version history, diff and go-live
// checks endpoints (GET /flows/:id/versions, /versions/:n, /diff, /checks).
import type { FlowDoc } from '../api'

export interface Actor { type: string; name: string }
export interface VersionItem { version: number; published_at: string; published_by: Actor | null; summary: string; live: boolean }
export interface DraftItem { saved_at: string; saved_by: Actor | null; unpublished_changes: boolean; summary: string }
export interface SaveItem { revision: number; saved_at: string; saved_by: Actor | null; summary: string }
export interface Versions { draft: DraftItem; versions: VersionItem[]; saves?: SaveItem[] }
export interface VersionDetail extends VersionItem { definition: FlowDoc }

export interface StepRef { id: string; type: string; label: string }
export interface Change { kind: 'name' | 'type' | 'param' | 'next' | 'setting'; key: string; label: string; before?: unknown; after?: unknown }
export interface StepChange extends StepRef { changes: Change[] }
export interface FlowDiff { added: StepRef[]; removed: StepRef[]; changed: StepChange[]; moved: StepRef[]; settings: Change[] }
export interface DiffAnswer { from: string; to: string; summary: string; diff: FlowDiff }

export interface GoLiveCheck { node_id: string; step: string; message: string }
export interface GoLiveChecks { sandboxed: GoLiveCheck[]; missing_accounts: GoLiveCheck[]; hook_clashes: GoLiveCheck[]; unpublished_changes: boolean }

/** How the canvas marks a step that a comparison found. */
export type Mark = 'added' | 'changed' | 'removed'

/** The canvas marks of a diff, by step id. */
export function marksOf(d: FlowDiff): Record<string, Mark> {
  const out: Record<string, Mark> = {}
  for (const s of d.removed) out[s.id] = 'removed'
  for (const s of d.changed) out[s.id] = 'changed'
  for (const s of d.added) out[s.id] = 'added'
  return out
}

/** "the draft", "version 3" or "save 7". */
export function versionName(v: string): string {
  if (v === 'draft') return 'the draft'
  return v.startsWith('save:') ? `save ${v.slice('save:'.length)}` : `version ${v}`
}

/** Who did it, in words: an email, "the API token “deploy”", or "someone". */
export function actorText(a: Actor | null): string {
  if (!a) return ''
  if (a.type === 'token') return `the API token “${a.name}”`
  if (a.type === 'cli') return 'the command line'
  return a.name
}

const settingNames: Record<string, string> = {
  name: 'Journey name', description: 'Description', 'reentry.policy': 'Who may enter again', 'reentry.period': 'Enter again after',
  time_zone: 'Time zone', goal: 'Goal',
  'messaging.require_consent': 'Only send with recorded consent',
  'messaging.quiet_hours.from': 'Quiet hours start', 'messaging.quiet_hours.to': 'Quiet hours end',
  'messaging.quiet_hours.channels': 'Quiet hours apply to', 'messaging.quiet_hours': 'Quiet hours',
  'messaging.frequency_cap.max': 'Most messages per contact', 'messaging.frequency_cap.period': 'Counted over',
  'messaging.frequency_cap.action': 'Over the limit', 'messaging.frequency_cap.channels': 'Limit applies to',
  'messaging.frequency_cap': 'Message limit',
}

/** A changed setting's name in words. */
export function changeLabel(c: Change): string {
  if (c.kind === 'setting') return settingNames[c.key] ?? c.key.replaceAll('_', ' ').replaceAll('.', ' › ')
  if (c.kind === 'next') return c.key === 'out' ? 'Next step' : `Next step on the “${c.label}” path`
  if (c.kind === 'type') return 'Kind of step'
  return c.label
}

/** A value as a marketer reads it: text as is, lists joined, "not set" when absent. */
export function valueText(v: unknown): string {
  if (v === undefined || v === null || v === '') return 'not set'
  if (typeof v === 'string') return v
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ')
  return JSON.stringify(v)
}
