// The form of a node's parameters, generated from its type's declaration
// (GET /api/v1/node-types): one field per parameter, by kind.
import { useEffect, useState } from 'react'
import { api, isMissingRoute, type ParamSpec, type Problem } from './api'
import { ExpressionField, type Checker } from './ExpressionField'
import { humanDuration } from './describe'
import { DurationInput } from './DurationInput'
import { durationHelp, isEngineDuration } from './duration'
import { ConditionField } from './conditions/ConditionField'
import { conditionCatalog } from './conditions/fields'
import type { FieldDef } from './catalog'
import { TemplateField } from './fields/TemplateField'
import { EventPicker } from './fields/EventPicker'

type Values = Record<string, unknown>

export interface FormContext {
  nodeType: string
  /** Names for autocomplete (trigger fields of the sample payload...). */
  names?: Record<string, string[]>
  check?: Checker
  /** Fields the step can read, for pickers (see catalog.ts). */
  catalog?: FieldDef[]
  /** The journey's id, for previews and test sends. */
  flowId?: string
  /** Loads dynamic choices; defaults to the server. Plain strings are values. */
  loadOptions?: (nodeType: string, param: string) => Promise<(string | Option)[]>
  /** Loads credentials of a kind; null when the server has no credentials yet. */
  loadCredentials?: (kind: string) => Promise<{ id: string; name: string }[] | null>
}

/** Template parameters that hold a body of text (the rest are one line: subject, address, title). */
const multilineParams = ['body', 'html', 'text', 'notes', 'message']

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']

/** A dynamic choice; label, description and group are optional (events carry them). */
export interface Option { value: string; label?: string; description?: string; group?: string }

/** The values of a loader that may give labelled choices, for those that want values only. */
const valuesOf = (load: NonNullable<FormContext['loadOptions']>) => (nodeType: string, param: string) =>
  load(nodeType, param).then((os) => os.map((o) => (typeof o === 'string' ? o : o.value)))

export async function serverOptions(nodeType: string, param: string): Promise<Option[]> {
  const r = await api<{ options: Option[] }>(`/node-types/${encodeURIComponent(nodeType)}/options/${encodeURIComponent(param)}`)
  return r.options
}

export async function serverCredentials(kind: string): Promise<{ id: string; name: string }[] | null> {
  try {
    const r = await api<{ credentials: { id: string; name: string; kind: string }[] }>('/credentials')
    // A step may accept several kinds, comma-separated (e.g. "hubspot,pipedrive").
    const kinds = kind.split(',').filter(Boolean)
    return r.credentials.filter((c) => kinds.length === 0 || kinds.includes(c.kind))
  } catch (e) {
    if (isMissingRoute(e)) return null
    throw e
  }
}

/** Whether a parameter is shown, given its show_if and the other values. */
export function visible(spec: ParamSpec, values: Values, all: ParamSpec[]): boolean {
  if (!spec.show_if) return true
  return Object.entries(spec.show_if).every(([other, allowed]) => {
    const os = all.find((p) => p.name === other)
    const v = values[other] ?? os?.default
    return allowed.includes(String(v ?? ''))
  })
}

function problemsFor(problems: Problem[], path: string): Problem[] {
  return problems.filter((p) => p.param === path || (p.param ?? '').startsWith(path + '[') || (p.param ?? '').startsWith(path + '.'))
}

interface FormProps {
  specs: ParamSpec[]
  values: Values
  onChange: (v: Values) => void
  idPrefix: string
  problems?: Problem[]
  ctx: FormContext
  pathPrefix?: string
}

export function ParamForm({ specs, values, onChange, idPrefix, problems = [], ctx, pathPrefix = '' }: FormProps) {
  return (
    <div className="param-form">
      {specs.filter((s) => visible(s, values, specs)).map((s) => (
        <ParamField key={s.name} spec={s} value={values[s.name]} idPrefix={idPrefix} ctx={ctx}
          path={pathPrefix + s.name} problems={problemsFor(problems, pathPrefix + s.name)}
          onChange={(v) => {
            const next = { ...values }
            if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[s.name]
            else next[s.name] = v
            onChange(next)
          }} />
      ))}
    </div>
  )
}

interface FieldProps {
  spec: ParamSpec
  value: unknown
  onChange: (v: unknown) => void
  idPrefix: string
  path: string
  problems: Problem[]
  ctx: FormContext
}

function Errors({ problems }: { problems: Problem[] }) {
  if (!problems.length) return null
  return <>{problems.map((p, i) => <p key={i} className="error" role="alert">{p.message}</p>)}</>
}

function useOptions(ctx: FormContext, spec: ParamSpec, path: string): Option[] {
  const [opts, setOpts] = useState<Option[]>([])
  // Not ctx itself: the side panel makes a new one on every edit of the journey.
  const load = ctx.loadOptions ?? serverOptions
  const { nodeType } = ctx
  useEffect(() => {
    if (!spec.options || spec.kind === 'credential') return
    let stale = false
    load(nodeType, path.replace(/\[\d+\]/g, '')).then(
      (o) => { if (!stale) setOpts(o.map((x) => (typeof x === 'string' ? { value: x } : x))) }, () => {})
    return () => { stale = true }
  }, [load, nodeType, spec.options, spec.kind, path])
  return opts
}

export function ParamField({ spec, value, onChange, idPrefix, path, problems, ctx }: FieldProps) {
  const id = `${idPrefix}-${path.replace(/[^\w-]/g, '_')}`
  const options = useOptions(ctx, spec, path)
  const label = <label htmlFor={id}>{spec.label}{spec.required && <span aria-hidden="true"> *</span>}</label>
  const help = (extra?: string) => (
    <div className="help" id={id + '-help'}>
      <Errors problems={problems} />
      {extra && <p className="hint">{extra}</p>}
      {spec.description && <p>{spec.description}</p>}
    </div>
  )
  const common = {
    id,
    'aria-describedby': id + '-help',
    'aria-invalid': problems.length > 0,
    required: spec.required,
    className: problems.length ? 'invalid' : undefined,
  }
  const placeholder = spec.example !== undefined && typeof spec.example !== 'object' ? `e.g. ${String(spec.example)}` : undefined

  // Yes/no conditions are built from rows of field, operator and value.
  if (spec.kind === 'expression' && spec.returns === 'bool' && ctx.catalog) {
    return (
      <ConditionField id={id} label={spec.label} value={typeof value === 'string' ? value : ''} onChange={onChange}
        catalog={conditionCatalog(ctx.nodeType, ctx.catalog)} required={spec.required} description={spec.description}
        names={ctx.names} check={ctx.check} problems={problems} loadOptions={ctx.loadOptions && valuesOf(ctx.loadOptions)} />
    )
  }

  switch (spec.kind) {
    case 'template':
      return (
        <TemplateField id={id} label={spec.label} value={typeof value === 'string' ? value : value == null ? '' : String(value)}
          onChange={onChange} required={spec.required} description={spec.description} catalog={ctx.catalog}
          names={ctx.names} check={ctx.check} problems={problems} multiline={multilineParams.includes(spec.name)} />
      )
    case 'expression':
      return (
        <ExpressionField id={id} label={spec.label} value={typeof value === 'string' ? value : value == null ? '' : String(value)}
          onChange={onChange} returns={spec.returns ?? 'any'} required={spec.required}
          description={spec.description} names={ctx.names} check={ctx.check} problems={problems} />
      )
    case 'number':
    case 'integer':
      return (
        <div className="field">
          {label}
          <input {...common} type="number" step={spec.kind === 'integer' ? 1 : 'any'} min={spec.min} max={spec.max}
            value={typeof value === 'number' ? value : ''} placeholder={placeholder}
            onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))} />
          {help()}
        </div>
      )
    case 'boolean':
      return (
        <div className="field checkbox">
          <input {...common} type="checkbox" checked={value === true || (value === undefined && spec.default === true)}
            onChange={(e) => onChange(e.target.checked)} />
          {label}
          {help()}
        </div>
      )
    case 'enum':
      return (
        <div className="field">
          {label}
          <select {...common} value={String(value ?? spec.default ?? '')} onChange={(e) => onChange(e.target.value || undefined)}>
            {!spec.required || value === undefined ? <option value="">Choose…</option> : null}
            {(spec.enum ?? []).map((o) => <option key={o} value={o}>{spec.enum_labels?.[o] ?? o.replace(/_/g, ' ')}</option>)}
          </select>
          {help()}
        </div>
      )
    case 'duration': {
      const v = typeof value === 'string' ? value : ''
      const bad = v !== '' && !isEngineDuration(v)
      return (
        <div className="field">
          {label}
          <DurationInput {...common} value={v} onChange={onChange} unitLabel={`${spec.label}: unit`} />
          {help(bad ? durationHelp : v ? `= ${humanDuration(v)}` : undefined)}
        </div>
      )
    }
    case 'time_of_day':
      return (
        <div className="field">
          {label}
          <input {...common} type="time" value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)} />
          {help()}
        </div>
      )
    case 'weekdays': {
      const sel = Array.isArray(value) ? (value as string[]) : []
      return (
        <fieldset className="field weekdays" aria-describedby={id + '-help'}>
          <legend>{spec.label}</legend>
          {weekdays.map((d) => (
            <label key={d} className="inline">
              <input type="checkbox" checked={sel.includes(d)}
                onChange={(e) => onChange(e.target.checked ? weekdays.filter((w) => w === d || sel.includes(w)) : sel.filter((w) => w !== d))} />
              {d}
            </label>
          ))}
          {help()}
        </fieldset>
      )
    }
    case 'string_list': {
      const arr = Array.isArray(value) ? (value as string[]) : []
      return (
        <div className="field">
          {label}
          <input {...common} type="text" list={options.length ? id + '-options' : undefined} defaultValue={arr.join(', ')}
            key={arr.join(',')} placeholder="Separate with commas"
            onBlur={(e) => onChange(e.target.value.split(',').map((s) => s.trim()).filter(Boolean))} />
          {options.length > 0 && <datalist id={id + '-options'}>{options.map((o) => <option key={o.value} value={o.value} label={o.label && o.label !== o.value ? o.label : undefined} />)}</datalist>}
          {help()}
        </div>
      )
    }
    case 'list':
      return <ListField spec={spec} value={value} onChange={onChange} idPrefix={idPrefix} path={path} problems={problems} ctx={ctx} />
    case 'map':
      return <MapField spec={spec} value={value} onChange={onChange} id={id} path={path} problems={problems} ctx={ctx} />
    case 'credential':
      return <CredentialField spec={spec} value={value} onChange={onChange} id={id} problems={problems} ctx={ctx} />
    default:
      if (spec.options === 'event_types') {
        return (
          <div className="field">
            <EventPicker id={id} label={spec.label} required={spec.required} options={options} describedBy={id + '-help'}
              invalid={problems.length > 0} value={typeof value === 'string' ? value : ''} onChange={onChange} />
            {help()}
          </div>
        )
      }
      // string, datetime, cron, time_zone: text, with choices when the declaration names a source.
      return (
        <div className="field">
          {label}
          <input {...common} type="text" list={options.length ? id + '-options' : undefined}
            value={typeof value === 'string' ? value : value == null ? '' : String(value)} placeholder={placeholder}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />
          {options.length > 0 && <datalist id={id + '-options'}>{options.map((o) => <option key={o.value} value={o.value} label={o.label && o.label !== o.value ? o.label : undefined} />)}</datalist>}
          {help(spec.kind === 'cron' ? 'Five fields: minute hour day month weekday (e.g. 0 9 * * mon).' : undefined)}
        </div>
      )
  }
}

function ListField({ spec, value, onChange, idPrefix, path, problems, ctx }: Omit<FieldProps, 'spec'> & { spec: ParamSpec }) {
  const items = Array.isArray(value) ? (value as Values[]) : []
  const set = (i: number, v: Values) => onChange(items.map((it, j) => (j === i ? v : it)))
  return (
    <fieldset className="field list-field">
      <legend>{spec.label}{spec.required && <span aria-hidden="true"> *</span>}</legend>
      {spec.description && <p className="hint">{spec.description}</p>}
      {problems.filter((p) => p.param === path).map((p, i) => <p key={i} className="error" role="alert">{p.message}</p>)}
      {items.map((it, i) => (
        <div key={i} className="list-item">
          <ParamForm specs={spec.fields ?? []} values={it} onChange={(v) => set(i, v)} idPrefix={`${idPrefix}-${spec.name}${i}`}
            problems={problems} ctx={ctx} pathPrefix={`${path}[${i}].`} />
          <button type="button" className="link danger" onClick={() => onChange(items.filter((_, j) => j !== i))}>
            Remove {spec.label.toLowerCase()} {i + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...items, {}])}>Add</button>
    </fieldset>
  )
}

function MapField({ spec, value, onChange, id, path, problems, ctx }: { spec: ParamSpec; value: unknown; onChange: (v: unknown) => void; id: string; path: string; problems: Problem[]; ctx: FormContext }) {
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {}
  const [rows, setRows] = useState<[string, string][]>(() => Object.entries(obj).map(([k, v]) => [k, String(v)]))
  const push = (r: [string, string][]) => {
    setRows(r)
    const out: Record<string, string> = {}
    for (const [k, v] of r) if (k.trim()) out[k.trim()] = v
    onChange(Object.keys(out).length ? out : undefined)
  }
  return (
    <fieldset className="field map-field">
      <legend>{spec.label}</legend>
      {spec.description && <p className="hint">{spec.description}</p>}
      {problems.filter((p) => p.param === path).map((p, i) => <p key={i} className="error" role="alert">{p.message}</p>)}
      {rows.map(([k, v], i) => (
        <div key={i} className="map-row">
          <div className="field">
            <label htmlFor={`${id}-k${i}`}>Name</label>
            <input id={`${id}-k${i}`} type="text" value={k} onChange={(e) => push(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))} />
          </div>
          <ExpressionField id={`${id}-v${i}`} label="Value" value={v} names={ctx.names} check={ctx.check}
            returns={spec.returns ?? 'any'} problems={problems.filter((p) => p.param === `${path}.${k}`)}
            onChange={(nv) => push(rows.map((r, j) => (j === i ? [r[0], nv] : r)))} />
          <button type="button" className="link danger" aria-label={`Remove ${k || 'row ' + (i + 1)}`} onClick={() => push(rows.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" onClick={() => push([...rows, ['', '']])}>Add a value</button>
    </fieldset>
  )
}

/** The value of a target param that keeps records in the built-in store. */
const builtin = 'builtin'

/** The label of a credential select's empty choice: what the step does without an account. */
function noAccountLabel(spec: ParamSpec, creds: { id: string; name: string }[] | null | undefined): string {
  if (spec.without_account === 'builtin' || spec.default === builtin) return "This app's contacts (built in)"
  if (spec.without_account === 'sandbox') return 'None: keep it in the sandbox outbox (nothing is sent)'
  if (spec.without_account === 'none') return 'None: call without an account'
  return creds === undefined ? 'Loading…' : creds?.length ? 'Choose a saved connection…' : 'No saved connection yet (add one in Settings)'
}

function CredentialField({ spec, value, onChange, id, problems, ctx }: { spec: ParamSpec; value: unknown; onChange: (v: unknown) => void; id: string; problems: Problem[]; ctx: FormContext }) {
  const [creds, setCreds] = useState<{ id: string; name: string }[] | null | undefined>(undefined)
  const kind = spec.credential_kind ?? ''
  useEffect(() => {
    const load = ctx.loadCredentials ?? serverCredentials
    load(kind).then(setCreds, () => setCreds(null))
  }, [ctx, kind])
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}{spec.required && <span aria-hidden="true"> *</span>}</label>
      {creds === null ? (
        <p className="hint" id={id}>Saved connections are not available on this server yet.</p>
      ) : (
        <select id={id} value={String(value === builtin ? '' : value ?? '')} onChange={(e) => onChange(e.target.value || undefined)} aria-describedby={id + '-help'}>
          <option value="">{noAccountLabel(spec, creds)}</option>
          {(creds ?? []).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      )}
      <div className="help" id={id + '-help'}>
        {problems.map((p, i) => <p key={i} className="error" role="alert">{p.message}</p>)}
        {spec.description && <p>{spec.description}</p>}
      </div>
    </div>
  )
}
