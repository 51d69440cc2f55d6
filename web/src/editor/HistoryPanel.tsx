// The journey's history: the draft and every published version (who, when,
// what changed), a comparison of any two with the changed settings side by
// side (and marked on the canvas), and "Restore this version".
import { useEffect, useState } from 'react'
import { api, type FlowDoc } from '../api'
import { when } from '../format'
import {
  actorText, changeLabel, marksOf, valueText, versionName,
  type Change, type DiffAnswer, type Mark, type VersionDetail, type Versions,
} from './historyApi'
import './history.css'

interface Props {
  flowId: string
  /** Changes after each save or publish, so that the list is read again. */
  refreshKey: unknown
  /** Marks steps on the canvas; an empty object clears the marks. */
  onHighlight: (marks: Record<string, Mark>) => void
  /** Makes doc the draft (saved as the editor saves); true once it is saved. */
  onRestore: (doc: FlowDoc, version: number) => Promise<boolean>
  onClose: () => void
}

export function HistoryPanel({ flowId, refreshKey, onHighlight, onRestore, onClose }: Props) {
  const [list, setList] = useState<Versions | null>(null)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('draft')
  const [diff, setDiff] = useState<DiffAnswer | null>(null)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [busy, setBusy] = useState(false)
  const base = `/flows/${encodeURIComponent(flowId)}`

  useEffect(() => {
    api<Versions>(`${base}/versions`).then((v) => {
      setList(v)
      // By default: the live (latest) version against the draft.
      setFrom((f) => f || (v.versions[0] ? String(v.versions[0].version) : 'draft'))
    }, (e) => setError((e as Error).message))
  }, [base, refreshKey])

  async function compare(a: string, b: string) {
    setFrom(a)
    setTo(b)
    setError('')
    try {
      const d = await api<DiffAnswer>(`${base}/diff?from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}`)
      setDiff(d)
      onHighlight(marksOf(d.diff))
    } catch (e) {
      setDiff(null)
      onHighlight({})
      setError((e as Error).message)
    }
  }

  /** Makes a published version (a number) or a kept save ("save:3") the draft. */
  async function restore(which: number | string) {
    const save = typeof which === 'string' ? Number(which.slice('save:'.length)) : 0
    const name = save ? `the save ${save}` : `version ${which}`
    if (!confirm(`Make ${name} the draft? The draft you have now is replaced (Undo brings it back). Contacts see nothing of it until you publish.`)) return
    setBusy(true)
    setError('')
    setNotice('')
    try {
      const v = await api<VersionDetail>(save ? `${base}/saves/${save}` : `${base}/versions/${which}`)
      const { version: _published, ...doc } = v.definition
      void _published
      if (await onRestore({ ...doc, nodes: doc.nodes ?? [], edges: doc.edges ?? [] }, save || Number(which))) {
        setNotice(save ? `The save ${save} is now the draft again.` : `Version ${which} is now the draft. Publish it to make it live again.`)
      } else {
        setError(`${save ? `The save ${save}` : `Version ${which}`} could not be saved as the draft; the message above the canvas says why.`)
      }
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  function close() {
    onHighlight({})
    onClose()
  }

  const saves = list?.saves ?? []
  const choices = list ? [{ value: 'draft', text: 'The draft' }, ...list.versions.map((v) => ({ value: String(v.version), text: `Version ${v.version}` })),
    ...saves.map((sv) => ({ value: `save:${sv.revision}`, text: `Save ${sv.revision} (${when(sv.saved_at)})` }))] : []

  return (
    <section className="test-panel history-panel" aria-labelledby="history-title">
      <div className="test-head">
        <h2 id="history-title">History</h2>
        <button type="button" className="link" onClick={close}>Close history</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {!list ? (!error && <p role="status">Loading…</p>) : (
        <div className="history-body">
          <div>
            <ol className="history-list" aria-label="Versions">
              <li>
                <b>The draft</b>
                <span className="hint"> · saved {when(list.draft.saved_at)}{list.draft.saved_by ? ` by ${actorText(list.draft.saved_by)}` : ''}</span>
                <p>{list.draft.summary}</p>
              </li>
              {list.versions.map((v, i) => (
                <li key={v.version}>
                  <b>Version {v.version}</b>{v.live && <span className="badge active">Live</span>}
                  <span className="hint"> · published {when(v.published_at)}{v.published_by ? ` by ${actorText(v.published_by)}` : ''}</span>
                  <p>{v.summary}</p>
                  {i + 1 < list.versions.length && (
                    <button type="button" className="link" onClick={() => compare(String(list.versions[i + 1].version), String(v.version))}
                      aria-label={`What changed in version ${v.version}`}>What changed</button>
                  )}
                  <button type="button" onClick={() => restore(v.version)} disabled={busy} aria-label={`Restore this version (version ${v.version})`}>
                    Restore this version
                  </button>
                </li>
              ))}
            </ol>
            {list.versions.length === 0 && <p className="hint">Nothing is published yet: each time you publish, a version is kept here.</p>}
            {saves.length > 0 && (
              <>
                <h3 id="saves-title">Draft saves</h3>
                <ol className="history-list" aria-labelledby="saves-title">
                  {saves.map((sv, i) => (
                    <li key={sv.revision}>
                      <b>Save {sv.revision}</b>
                      <span className="hint"> · {when(sv.saved_at)}{sv.saved_by ? ` by ${actorText(sv.saved_by)}` : ''}</span>
                      <p>{sv.summary}</p>
                      {i + 1 < saves.length && (
                        <button type="button" className="link" onClick={() => compare(`save:${saves[i + 1].revision}`, `save:${sv.revision}`)}
                          aria-label={`What changed in save ${sv.revision}`}>What changed</button>
                      )}
                      {i > 0 && (
                        <button type="button" onClick={() => restore(`save:${sv.revision}`)} disabled={busy} aria-label={`Restore this save (save ${sv.revision})`}>
                          Restore this save
                        </button>
                      )}
                    </li>
                  ))}
                </ol>
                <p className="hint">The last 50 saves are kept.</p>
              </>
            )}
          </div>
          <div>
            <div className="history-compare">
              <label htmlFor="history-from">Compare</label>
              <select id="history-from" value={from} onChange={(e) => setFrom(e.target.value)}>
                {choices.map((c) => <option key={c.value} value={c.value}>{c.text}</option>)}
              </select>
              <label htmlFor="history-to">with</label>
              <select id="history-to" value={to} onChange={(e) => setTo(e.target.value)}>
                {choices.map((c) => <option key={c.value} value={c.value}>{c.text}</option>)}
              </select>
              <button type="button" className="primary" onClick={() => compare(from, to)} disabled={!from}>Compare</button>
            </div>
            {diff && <DiffView d={diff} />}
          </div>
        </div>
      )}
    </section>
  )
}

/** What changed between two versions: steps added, removed, changed (settings side by side). */
function DiffView({ d }: { d: DiffAnswer }) {
  const { added, removed, changed, moved, settings } = d.diff
  const before = `In ${versionName(d.from)}`
  const after = `In ${versionName(d.to)}`
  return (
    <section className="diff" aria-labelledby="diff-title">
      <h3 id="diff-title">From {versionName(d.from)} to {versionName(d.to)}</h3>
      <p>{d.summary}</p>
      {added.length > 0 && <>
        <h4>Steps added</h4>
        <ul>{added.map((s) => <li key={s.id} className="diff-added">“{s.label}”</li>)}</ul>
      </>}
      {removed.length > 0 && <>
        <h4>Steps removed</h4>
        <ul>{removed.map((s) => <li key={s.id} className="diff-removed">“{s.label}”</li>)}</ul>
      </>}
      {changed.length > 0 && <>
        <h4>Steps changed</h4>
        {changed.map((s) => (
          <ChangeTable key={s.id} caption={`“${s.label}”`} changes={s.changes} before={before} after={after} />
        ))}
      </>}
      {settings.length > 0 && <ChangeTable caption="Journey settings" changes={settings} before={before} after={after} />}
      {moved.length > 0 && <p className="hint">{moved.length} step{moved.length > 1 ? 's were' : ' was'} moved on the canvas.</p>}
      {(added.length > 0 || changed.length > 0 || removed.length > 0) && <p className="hint">On the canvas, added steps are marked green, changed steps amber, and removed steps (when the canvas still has them) red.</p>}
    </section>
  )
}

function ChangeTable({ caption, changes, before, after }: { caption: string; changes: Change[]; before: string; after: string }) {
  const text = (c: Change, v: unknown) => (c.kind === 'next' && (v === undefined || v === null) ? 'nothing (the path ends)' : valueText(v))
  return (
    <table className="diff-table">
      <caption>{caption}</caption>
      <thead><tr><th scope="col">Setting</th><th scope="col">{before}</th><th scope="col">{after}</th></tr></thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.kind + c.key}>
            <th scope="row">{changeLabel(c)}</th>
            <td className="diff-before">{text(c, c.before)}</td>
            <td className="diff-after">{text(c, c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
