import { useEffect, useRef, useState } from 'react'
import { api, ApiError, type FlowDetail, type FlowDoc, type FlowSummary, type Problem } from './api'
import { Link, navigate } from './router'
import { ago, download } from './format'
import { FailedToday, JourneyFilterBar, filterJourneys, useJourneyFilter } from './JourneyFilters'
import { withAccounts, type TemplateAbout } from './templateAccounts'

interface Template { id: string; name: string; description: string; definition: FlowDoc; about?: TemplateAbout }

/** "Welcome series!" -> "welcome-series". */
export function slug(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'journey'
}

/** Creates a draft under a free id (id, id-2, id-3...) and returns that id. */
export async function createUnique(doc: FlowDoc, taken: string[]): Promise<{ id: string; problems: Problem[] }> {
  let id = doc.id
  for (let n = 2; taken.includes(id); n++) id = `${doc.id}-${n}`
  const r = await api<{ flow: FlowSummary; problems: Problem[] }>('/flows', { method: 'POST', json: { ...doc, id } })
  return { id: r.flow.id, problems: r.problems }
}

const statusText: Record<string, string> = { draft: 'Draft', active: 'Active', paused: 'Paused' }

export function FlowsPage() {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null)
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [importProblems, setImportProblems] = useState<Problem[]>([])
  const [templates, setTemplates] = useState<Template[] | null>(null)
  const [newName, setNewName] = useState<string | null>(null)
  const fileRef = useRef<HTMLInputElement>(null)
  const [filter, setFilter] = useJourneyFilter()

  const load = () => api<{ flows: FlowSummary[] }>('/flows').then((r) => setFlows(r.flows), (e) => setError(e.message))
  useEffect(() => { load() }, [])

  const ids = (flows ?? []).map((f) => f.id)
  const shown = filterJourneys(flows ?? [], filter)
  const fail = (e: unknown) => setError((e as Error).message)

  async function createNew(e: React.FormEvent) {
    e.preventDefault()
    const name = (newName ?? '').trim()
    if (!name) return
    try {
      const { id } = await createUnique({ id: slug(name), name, settings: {}, nodes: [], edges: [] }, ids)
      navigate(`/flows/${id}`)
    } catch (err) { fail(err) }
  }

  async function useTemplate(t: Template) {
    try {
      // The template's vendor steps get your saved connection of their
      // kind when you have exactly one.
      const { id } = await createUnique(await withAccounts(t.definition, t.about), ids)
      navigate(`/flows/${id}`)
    } catch (err) { fail(err) }
  }

  async function importFile(file: File) {
    setError('')
    setImportProblems([])
    let doc: FlowDoc
    try {
      doc = JSON.parse(await file.text())
    } catch (e) {
      setError(`The file ${file.name} is not a journey: it is not valid JSON (${(e as Error).message}).`)
      return
    }
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.nodes)) {
      setError(`The file ${file.name} is not a journey: it has no "nodes" list.`)
      return
    }
    // Imported journeys arrive as drafts under a free id, so nothing in place
    // is overwritten; each problem is then shown on its step.
    try {
      const { id } = await createUnique({ ...doc, id: slug(doc.id || doc.name || file.name.replace(/\.json$/, '')), version: undefined }, ids)
      navigate(`/flows/${id}?imported=1`)
    } catch (err) {
      setError((err as Error).message)
      if (err instanceof ApiError) setImportProblems(err.problems)
    }
  }

  async function exportFlow(f: FlowSummary) {
    const r = await fetch(`/api/v1/flows/${encodeURIComponent(f.id)}/export`, { credentials: 'same-origin' })
    if (!r.ok) return fail(new Error('The journey could not be exported.'))
    download(`${f.id}.json`, await r.text())
  }

  async function duplicate(f: FlowSummary) {
    try {
      const d = await api<FlowDetail>(`/flows/${encodeURIComponent(f.id)}`)
      const { id } = await createUnique({ ...d.definition, id: `${f.id}-copy`, name: `Copy of ${f.name}`, version: undefined }, ids)
      setNotice(`Made a copy: "${id}".`)
      load()
    } catch (err) { fail(err) }
  }

  async function remove(f: FlowSummary) {
    if (!confirm(`Delete the journey "${f.name}"? Contacts in it leave it now. This cannot be undone.`)) return
    try {
      await api(`/flows/${encodeURIComponent(f.id)}`, { method: 'DELETE' })
      setNotice(`Deleted "${f.name}".`)
      load()
    } catch (err) { fail(err) }
  }

  async function showTemplates() {
    try {
      setTemplates((await api<{ templates: Template[] }>('/templates')).templates)
    } catch (err) { fail(err) }
  }

  return (
    <section className="page">
      <div className="page-head">
        <h1>Journeys</h1>
        <div className="actions">
          <button type="button" className="primary" onClick={() => setNewName('')}>New journey</button>
          <button type="button" onClick={showTemplates}>Start from a template</button>
          <button type="button" onClick={() => fileRef.current?.click()}>Import a file</button>
          <input ref={fileRef} type="file" accept="application/json,.json" hidden aria-label="Journey file to import"
            data-testid="import-file" onChange={(e) => { const f = e.target.files?.[0]; e.target.value = ''; if (f) importFile(f) }} />
        </div>
      </div>
      {notice && <p className="notice" role="status">{notice}</p>}
      {error && <div className="error-box" role="alert"><p>{error}</p>
        {importProblems.length > 0 && <ul>{importProblems.map((p, i) => <li key={i}>{p.node_id && <b>{p.node_id}: </b>}{p.message}{p.line ? ` (line ${p.line})` : ''}</li>)}</ul>}
      </div>}
      {newName !== null && (
        <form className="card inline-form" onSubmit={createNew}>
          <div className="field">
            <label htmlFor="new-name">Name of the new journey</label>
            <input id="new-name" autoFocus value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="e.g. Welcome series" />
          </div>
          <button type="submit" className="primary">Create</button>
          <button type="button" onClick={() => setNewName(null)}>Cancel</button>
        </form>
      )}
      {templates && (
        <section className="card" aria-labelledby="tpl-title">
          <h2 id="tpl-title">Templates</h2>
          {templates.length === 0 && <p>No templates ship with this server.</p>}
          <ul className="templates">
            {templates.map((t) => (
              <li key={t.id}>
                <h3>{t.name}</h3>
                <p>{t.description}</p>
                <button type="button" onClick={() => useTemplate(t)} aria-label={`Use this template: ${t.name}`}>Use this template</button>
              </li>
            ))}
          </ul>
          <button type="button" className="link" onClick={() => setTemplates(null)}>Close templates</button>
        </section>
      )}
      {flows === null ? <p role="status">Loading…</p> : flows.length === 0 ? (
        <p className="empty">No journey yet. Create one, or start from a template.</p>
      ) : <>
        <JourneyFilterBar filter={filter} onChange={setFilter} />
        {shown.length === 0 ? <p className="empty" role="status">No journey matches. Change the search or the status.</p> : (
        <table className="table">
          <thead><tr><th>Name</th><th>Status</th><th>Last edit</th><th>Runs today</th><th>Failed today</th><th><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.id}>
                <td><Link to={`/flows/${f.id}`}>{f.name || f.id}</Link>{f.description && <div className="sub">{f.description}</div>}</td>
                <td><span className={`badge ${f.status}`}>{statusText[f.status] ?? f.status}</span>{f.unpublished_changes && <> <span className="badge changes">Changes not published</span></>}</td>
                <td>{ago(f.updated_at)}</td>
                <td>{f.runs_today_total ?? 0}</td>
                <td><FailedToday flow={f} /></td>
                <td className="row-actions">
                  <button type="button" className="link" onClick={() => exportFlow(f)} aria-label={`Export ${f.name}`}>Export</button>
                  <button type="button" className="link" onClick={() => duplicate(f)} aria-label={`Duplicate ${f.name}`}>Duplicate</button>
                  <button type="button" className="link danger" onClick={() => remove(f)} aria-label={`Delete ${f.name}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        )}
      </>}
    </section>
  )
}
