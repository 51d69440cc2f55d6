// A problem of an expression or template, shown where it is: the line of
// the text with the spot marked, the position in words, and, when the
// message allows, what would fix it.
import type { Problem } from '../api'

const posRe = /\s*\(line \d+, column \d+\)/

/** The message without a "(line 1, column 17)" the position line repeats. */
export function plainMessage(p: Problem): string {
  return p.line ? p.message.replace(posRe, '') : p.message
}

/** The line a problem points at, split around the column (1-based). */
export function spotOf(p: Problem, source: string): { before: string; at: string; after: string } | null {
  if (!p.line || !p.column) return null
  const line = source.split('\n')[p.line - 1]
  if (line === undefined) return null
  const chars = Array.from(line)
  const i = Math.min(p.column - 1, chars.length)
  return { before: chars.slice(0, i).join(''), at: chars[i] ?? '', after: chars.slice(i + 1).join('') }
}

/** A "did you mean" in the message: the word to replace and its fix. */
export function suggestionOf(p: Problem): { wrong: string; right: string } | null {
  const m = /(?:nothing called|no field) "([^"]+)" \(did you mean "([^"]+)"\?\)/.exec(p.message)
  return m ? { wrong: m[1], right: m[2] } : null
}

/** A sentence that says what would fix the problem, when we know one. */
export function fixHint(p: Problem): string | undefined {
  const m = p.message
  if (/ends too early/.test(m)) return 'Add what is missing at the end, for example a number after >= (contact.score >= 50).'
  if (/must give true or false/.test(m)) return 'Compare the value with something, for example contact.score >= 50 or trigger.plan == "pro".'
  if (/cannot combine/.test(m)) return 'Both sides must be the same kind of value: put text between quotes ("gold") and write numbers without quotes (50).'
  if (/never closed/.test(m)) return 'Close the field with }} after its name, or use "Insert a field" instead.'
  if (/is empty; put a value/.test(m)) return 'Remove the empty {{ }}, or choose a field with "Insert a field".'
  if (/too complex/.test(m)) return 'Split it into smaller conditions, or remember a part with a "Remember values" step.'
  if (/nothing called/.test(m) && !suggestionOf(p)) return 'Names start with contact., trigger., event. or vars.; text must be between quotes.'
  return undefined
}

/** Replaces the first wrong word at or after the problem's spot. */
export function applySuggestion(source: string, p: Problem, s: { wrong: string; right: string }): string {
  const lines = source.split('\n')
  let from = 0
  if (p.line && p.column) {
    for (let i = 0; i < p.line - 1 && i < lines.length; i++) from += lines[i].length + 1
    from += p.column - 1
  }
  let at = source.indexOf(s.wrong, Math.max(0, from - s.wrong.length))
  if (at < 0) at = source.indexOf(s.wrong)
  return at < 0 ? source : source.slice(0, at) + s.right + source.slice(at + s.wrong.length)
}

export function ProblemView({ problem, source, onFix }: { problem: Problem; source: string; onFix?: (next: string) => void }) {
  const spot = spotOf(problem, source)
  const sugg = suggestionOf(problem)
  const hint = fixHint(problem)
  return (
    <div className="problem">
      <p className="error" role="alert">
        {spot ? `At line ${problem.line}, column ${problem.column}: ` : ''}{plainMessage(problem)}
      </p>
      {spot && (
        <pre className="problem-spot" aria-hidden="true">
          {spot.before}<mark>{spot.at || ' '}</mark>{spot.after}
        </pre>
      )}
      {sugg && onFix && (
        <button type="button" className="link" onClick={() => onFix(applySuggestion(source, problem, sugg))}>
          Change “{sugg.wrong}” to “{sugg.right}”
        </button>
      )}
      {hint && <p className="hint">{hint}</p>}
    </div>
  )
}
