// The publish dialog: what publishing changes for contacts, and the
// go-live checks (steps that send nothing, missing accounts, webhook
// addresses another journey uses) in plain words before anything goes live.
import { useEffect, useState } from 'react'
import { api, type FlowDoc, type FlowSummary, type Problem } from '../api'
import type { NodeStats } from './NodeCard'
import type { Specs } from './model'
import type { GoLiveCheck, GoLiveChecks } from './historyApi'

interface Props {
  flowId: string
  info: Pick<FlowSummary, 'status' | 'version'>
  doc: FlowDoc
  specs: Specs
  /** The draft's warnings: listed as worth checking; they never hold publishing back. */
  warnings?: Problem[]
  onPublish: () => void
  onCancel: () => void
}

export function PublishDialog({ flowId, info, doc, specs, warnings = [], onPublish, onCancel }: Props) {
  const base = `/flows/${encodeURIComponent(flowId)}`
  // undefined while loading, null when the server could not tell.
  const [waitingNow, setWaitingNow] = useState<number | null | undefined>(undefined)
  const [waitingAt, setWaitingAt] = useState<{ id: string; n: number }[]>([])
  const [checks, setChecks] = useState<GoLiveChecks | null | undefined>(undefined)

  useEffect(() => {
    api<{ total: number }>(`/runs?flow=${encodeURIComponent(flowId)}&status=waiting&limit=1`).then((r) => setWaitingNow(r.total), () => setWaitingNow(null))
    // Where they wait, to name the steps (and say which ones the new version drops).
    const all = new Date(0).toISOString()
    api<{ nodes: Record<string, NodeStats> }>(`${base}/stats?since=${encodeURIComponent(all)}`).then(
      (st) => setWaitingAt(Object.entries(st.nodes).filter(([, n]) => n.waiting > 0).map(([id, n]) => ({ id, n: n.waiting }))), () => {})
    api<GoLiveChecks>(`${base}/checks`).then(setChecks, () => setChecks(null))
  }, [flowId, base])

  const stepName = (id: string) => {
    const n = doc.nodes.find((x) => x.id === id)
    return n ? n.name || specs.get(n.type)?.title || id : id
  }
  const blocking = !!checks && (checks.missing_accounts.length > 0 || checks.hook_clashes.length > 0)

  return (
    <div className="dialog" role="dialog" aria-modal="false" aria-labelledby="pub-title">
      <h2 id="pub-title">Publish this journey?</h2>
      <ul>
        <li>New contacts who trigger it from now on follow this version (version {info.version + 1}).</li>
        {info.version > 0 && (!waitingNow && waitingNow !== 0
          ? <li>Contacts already in the journey finish it on the version they started (version {info.version} or older).</li>
          : <li>{waitingNow === 0 ? 'No contact is waiting in the journey now.' : `${waitingNow} contact${waitingNow > 1 ? 's are' : ' is'} waiting in the journey now; they finish it on the version they started (version ${info.version} or older) and do not see these changes.`}</li>)}
        {waitingAt.map((w) => {
          const here = doc.nodes.some((x) => x.id === w.id)
          return <li key={w.id}>{w.n} wait at “{stepName(w.id)}”{here ? '' : ', a step the new version no longer has'}; they go on as the old version says.</li>
        })}
        {checks && !checks.unpublished_changes && info.version > 0 && <li>Nothing changed since version {info.version}: the new version will be the same.</li>}
        {info.status === 'paused' && <li>Publishing starts the paused journey again.</li>}
      </ul>
      <GoLive checks={checks} />
      {warnings.length > 0 && (
        <div className="warn-box" data-testid="pub-warnings">
          <strong>Worth checking</strong> (you can still publish):
          <ul>{warnings.map((w, i) => <li key={i}>{w.message}</li>)}</ul>
        </div>
      )}
      {/* Enabled once the checks are in, so the button does not move under the pointer. */}
      <button type="button" className="primary" onClick={onPublish} autoFocus disabled={blocking || checks === undefined}>
        {checks === undefined ? 'Checking…' : 'Publish'}
      </button>
      <button type="button" onClick={onCancel}>Cancel</button>
      {blocking && <p className="hint">Fix the steps listed above first: publishing is refused until then.</p>}
    </div>
  )
}

/** The go-live checks in plain words. */
function GoLive({ checks }: { checks: GoLiveChecks | null | undefined }) {
  if (checks === undefined) return <p role="status">Checking the journey before it goes live…</p>
  if (checks === null) return null // an older server without the checks
  const { sandboxed, missing_accounts: missing, hook_clashes: clashes } = checks
  if (!sandboxed.length && !missing.length && !clashes.length) {
    return <p className="publish-checks">Checked before going live: every step that sends has an account, and the journey’s web address is its own.</p>
  }
  return (
    <div className="publish-checks" aria-labelledby="pub-checks-title">
      <h3 id="pub-checks-title">Before it goes live</h3>
      <CheckList title="These steps need an account before the journey can go live:" items={missing} testId="pub-missing" />
      <CheckList title="Another active journey already uses this web address:" items={clashes} testId="pub-clashes" />
      <CheckList title="These steps send nothing: with no account chosen, their messages only go to the sandbox outbox, where you can read them under Inbox."
        items={sandboxed} testId="pub-sandboxed" names />
    </div>
  )
}

function CheckList({ title, items, testId, names }: { title: string; items: GoLiveCheck[]; testId: string; names?: boolean }) {
  if (!items.length) return null
  return (
    <>
      <p>{title}</p>
      <ul data-testid={testId}>
        {items.map((c, i) => <li key={c.node_id + i}>{names ? `“${c.step}”` : c.message}</li>)}
      </ul>
    </>
  )
}
