// What a tester can decide at each step of a test run, and the request
// that carries those decisions (POST /flows/:id/test).
import type { FlowDoc, FlowNode, RunDetail } from '../api'
import { portsOf, type Specs } from './model'

/** One choice as the server reads it (engine.TestChoice). */
export interface TestChoice {
  port?: string
  event_after?: string
  event?: 'never'
  skip?: boolean
  delivery?: 'not_delivered'
}

/** A select option: value as kept in the panel's state, label as shown. */
export interface ChoiceOption { value: string; label: string }

/** A step the tester can decide for, with its options ("" first: the journey decides). */
export interface DecisionStep { id: string; name: string; options: ChoiceOption[] }

/** What the panel holds per step: the option picked, and hours for "after…". */
export interface Picked { value: string; hours?: string }

export const DECIDE = ''
export const AFTER = 'after'
const NEVER = 'never'
const SKIP = 'skip'
const NOT_DELIVERED = 'not_delivered'
const PORT = 'port:'

/** The readable name of a step: its name, else its type's title, else its id. */
export function stepName(n: FlowNode, specs: Specs): string {
  return n.name || specs.get(n.type)?.title || n.id
}

/** Every step the tester can decide for, in the journey's order. */
export function decisionSteps(doc: FlowDoc, specs: Specs): DecisionStep[] {
  const out: DecisionStep[] = []
  for (const n of doc.nodes) {
    const options = optionsFor(n, specs)
    if (options.length) out.push({ id: n.id, name: stepName(n, specs), options: [{ value: DECIDE, label: 'Let the journey decide' }, ...options] })
  }
  return out
}

function optionsFor(n: FlowNode, specs: Specs): ChoiceOption[] {
  const spec = specs.get(n.type)
  if (!spec) return []
  if (n.type === 'wait.event') {
    return [{ value: AFTER, label: 'The event happens after… (hours)' }, { value: NEVER, label: 'It never happens' }]
  }
  if (n.type === 'wait.delay') return [{ value: SKIP, label: 'Skip the wait' }]
  if (spec.category === 'message') return [{ value: NOT_DELIVERED, label: 'Pretend it was not delivered' }]
  if (spec.category !== 'logic') return []
  // Paths in the order the tester reads them: cases or variants, then "Otherwise".
  const ports = [...portsOf(spec, n).filter((p) => !spec.outputs.includes(p)).reverse(), ...spec.outputs]
  if (ports.length < 2) return []
  return ports.map((p) => ({ value: PORT + p.name, label: `Take ‘${p.label || p.name}’` }))
}

/** The choices of the request, from what the panel holds (steps left to the journey are left out). */
export function buildChoices(picked: Record<string, Picked>): Record<string, TestChoice> {
  const out: Record<string, TestChoice> = {}
  for (const [id, p] of Object.entries(picked)) {
    if (p.value.startsWith(PORT)) out[id] = { port: p.value.slice(PORT.length) }
    else if (p.value === NEVER) out[id] = { event: 'never' }
    else if (p.value === SKIP) out[id] = { skip: true }
    else if (p.value === NOT_DELIVERED) out[id] = { delivery: 'not_delivered' }
    else if (p.value === AFTER) out[id] = { event_after: `${hoursOf(p.hours)}h` }
  }
  return out
}

/** Whole or decimal hours as typed; anything else counts as 0 (the event happens at once). */
function hoursOf(text: string | undefined): number {
  const h = Number((text ?? '').replace(',', '.'))
  return Number.isFinite(h) && h > 0 ? Math.round(h * 60) / 60 : 0
}

/** The journey's first trigger. */
export function triggerOf(doc: FlowDoc, specs: Specs): FlowNode | undefined {
  return doc.nodes.find((n) => specs.get(n.type)?.trigger)
}

/**
 * The body of POST /flows/:id/test. A webhook journey gets the text as
 * the raw request body, byte for byte what the platform would POST (bad
 * JSON included: the server refuses it as a real request). Other
 * triggers get the sample object; null when it is not JSON.
 */
export function testRequest(sample: string, choices: Record<string, TestChoice>, webhook: boolean): unknown {
  if (webhook) return { raw_body: sample, choices }
  if (!sample.trim()) return { choices }
  return { body: JSON.parse(sample), choices }
}

/**
 * Shifts of the simulated clock from waits the tester decided: each step
 * that records simulated_until moves the clock by the time the wait would
 * have taken, from when the step ended.
 */
export function choiceShifts(run: RunDetail | null): { at: number; shift: number }[] {
  const out: { at: number; shift: number }[] = []
  for (const s of run?.steps ?? []) {
    const until = (s.output as { simulated_until?: string } | null)?.simulated_until
    if (!until) continue
    const shift = new Date(until).getTime() - new Date(s.started_at).getTime()
    if (shift > 0) out.push({ at: new Date(s.finished_at).getTime(), shift })
  }
  return out
}
