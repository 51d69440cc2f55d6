// One row of the condition builder: field, operator, value, remove.
import { chipLabel, type FieldDef, type FieldGroup, type FieldType } from '../catalog'
import { DurationInput } from '../DurationInput'
import { joinDuration, splitDuration } from '../duration'
import { consentPath, type Row, type RowValue } from './expr'
import { customPath, customRoot, customRoots, fieldOf, isPath, lastName } from './fields'
import { consentChannels, opsByType, typesOfOp, type OpDef } from './ops'

/** The select values of "Another trigger field…" and "Another event field…". */
const other = (root: string) => `\u0000${root}`

const groupOrder: FieldGroup[] = ['Trigger', 'Contact', 'Owner', 'Event', 'Remembered']

/** The type a row is edited as: its field's, unless its operator says otherwise (a number compared on a text-looking field). */
export function rowType(r: Row, catalog: FieldDef[]): FieldType {
  if (r.field === consentPath) return 'consent'
  const t = fieldOf(catalog, r.field).type
  const fits = opsByType[t].some((o) => o.id === r.op)
  if (fits && (r.op === 'eq' || r.op === 'ne') && r.value !== undefined) {
    if (typeof r.value === 'number') return 'number'
    if (typeof r.value === 'string') return 'text'
  }
  return fits ? t : typesOfOp(r.op)[0] ?? t
}

/** Whether a value fits what an operator takes. */
function fits(op: OpDef, v: RowValue | undefined): boolean {
  switch (op.value) {
    case 'text': case 'tag': case 'list': case 'channel': case 'duration': return typeof v === 'string'
    case 'number': return typeof v === 'number'
    case 'range': return Array.isArray(v)
    default: return false
  }
}

/** What a row still needs, in words, or null when it is complete. */
export function missingOf(r: Row, op: OpDef | undefined): string | null {
  if (!r.field) return 'Choose a field.'
  if (!isPath(r.field)) return 'Write the field’s name.'
  if (!op) return 'Choose what to check.'
  const v = r.value
  switch (op.value) {
    case 'none': return null
    case 'range': return Array.isArray(v) && Number.isFinite(v[0]) && Number.isFinite(v[1]) ? null : 'Enter both numbers.'
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? null : 'Enter a number.'
    case 'duration': return typeof v === 'string' && /^\d+[mhdw]$/.test(v) ? null : 'Enter how long, like 2 days.'
    case 'channel': return v ? null : 'Choose a channel.'
    case 'tag': return v ? null : 'Choose or type a tag.'
    case 'list': return v ? null : 'Choose or type a list.'
    default: return v ? null : 'Enter a value.'
  }
}

interface Props {
  /** The row's number as people read it: "1", "2.1". */
  n: string
  id: string
  row: Row
  catalog: FieldDef[]
  onChange: (r: Row) => void
  onRemove: () => void
  /** Tags and lists to choose from. */
  choices: { tags: string[]; lists: string[] }
}

export function RowEditor({ n, id, row, catalog, onChange, onRemove, choices }: Props) {
  const type = rowType(row, catalog)
  const ops = opsByType[type]
  const op = ops.find((o) => o.id === row.op)
  const known = catalog.some((f) => f.path === row.field)
  const custom = known ? null : customRoot(row.field)
  const hasEvents = catalog.some((f) => f.group === 'Event')
  const listed = known ? catalog : row.field && !custom ? [...catalog, fieldOf(catalog, row.field)] : catalog
  const hint = missingOf(row, op)
  const hintId = `${id}-hint`

  const setField = (field: string) => {
    const t: FieldType = field === consentPath ? 'consent' : fieldOf(catalog, field).type
    const keep = opsByType[t].find((o) => o.id === row.op)
    if (keep && (keep.value === 'none' || fits(keep, row.value))) return onChange({ field, op: row.op, ...(row.value !== undefined && keep.value !== 'none' ? { value: row.value } : {}) })
    onChange({ field, op: opsByType[t][0].id })
  }
  const setOp = (id: string) => {
    const next = ops.find((o) => o.id === id)!
    const base: Row = { field: row.field, op: next.id, ...(row.fallback !== undefined ? { fallback: row.fallback } : {}) }
    onChange(fits(next, row.value) ? { ...base, value: row.value } : base)
  }
  const setValue = (value: RowValue | undefined) => {
    const next: Row = { ...row }
    if (value === undefined) delete next.value
    else next.value = value
    onChange(next)
  }
  const describedBy = hint ? hintId : undefined

  return (
    <div className="cond-row" role="group" aria-label={`Condition ${n}`}>
      <select id={`${id}-field`} className="cond-field" aria-label={`Field of condition ${n}`} value={custom ? other(custom) : row.field} aria-describedby={describedBy}
        onChange={(e) => {
          const c = customRoots.find((x) => other(x.root) === e.target.value)
          setField(c ? customPath(c.root, '') : e.target.value)
        }}>
        <option value="">Choose a field…</option>
        {groupOrder.map((g) => {
          const fs = listed.filter((f) => f.group === g)
          return fs.length ? (
            <optgroup key={g} label={g}>
              {fs.map((f) => <option key={f.path} value={f.path}>{chipLabel(f)}</option>)}
            </optgroup>
          ) : null
        })}
        {customRoots.filter((c) => c.root === 'trigger' || hasEvents).map((c) => <option key={c.root} value={other(c.root)}>{c.label}</option>)}
      </select>
      {custom && (
        <input type="text" id={`${id}-name`} className="cond-field" aria-label={`Field name of condition ${n}`}
          placeholder={custom === 'trigger' ? 'Name in the trigger’s data, e.g. plan' : 'Name in the event’s data, e.g. campaign'}
          value={lastName(row.field)} aria-describedby={describedBy}
          onChange={(e) => onChange({ ...row, field: customPath(custom, e.target.value) })} />
      )}
      {row.field !== '' && (
        <select id={`${id}-op`} className="cond-op" aria-label={`Operator of condition ${n}`} value={op?.id ?? ''} onChange={(e) => setOp(e.target.value)}>
          {!op && <option value="">Choose…</option>}
          {ops.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
        </select>
      )}
      {row.field !== '' && op && <ValueInput n={n} id={id} op={op} row={row} setValue={setValue} choices={choices} describedBy={describedBy}
        values={known ? catalog.find((f) => f.path === row.field)?.values : undefined} />}
      {op?.id === 'before' && <span className="cond-word">ago</span>}
      <button type="button" className="link danger" aria-label={`Remove condition ${n}`} onClick={onRemove}>Remove</button>
      {hint && <p className="hint cond-hint" id={hintId}>{hint}</p>}
    </div>
  )
}

function numberOf(text: string): number | undefined {
  return text.trim() === '' || !Number.isFinite(Number(text)) ? undefined : Number(text)
}

interface ValueProps {
  n: string
  id: string
  op: OpDef
  row: Row
  setValue: (v: RowValue | undefined) => void
  choices: { tags: string[]; lists: string[] }
  describedBy?: string
  /** The values the field takes, offered as suggestions. */
  values?: string[]
}

function ValueInput({ n, id, op, row, setValue, choices, describedBy, values }: ValueProps) {
  const v = row.value
  const label = `Value of condition ${n}`
  switch (op.value) {
    case 'none':
      return null
    case 'text':
      return (
        <>
          <input type="text" id={`${id}-value`} aria-label={label} aria-describedby={describedBy} value={typeof v === 'string' ? v : ''}
            list={values?.length ? `${id}-values` : undefined} placeholder={values?.length ? values.join(', ') : undefined}
            onChange={(e) => setValue(e.target.value === '' ? undefined : e.target.value)} />
          {values?.length ? <datalist id={`${id}-values`}>{values.map((o) => <option key={o} value={o} />)}</datalist> : null}
        </>
      )
    case 'number':
      return <input type="number" step="any" id={`${id}-value`} aria-label={label} aria-describedby={describedBy} value={typeof v === 'number' ? v : ''}
        onChange={(e) => setValue(numberOf(e.target.value))} />
    case 'range': {
      const [a, b] = Array.isArray(v) ? v : [Number.NaN, Number.NaN]
      const set = (i: 0 | 1, text: string) => {
        const pair: [number, number] = [a, b]
        pair[i] = numberOf(text) ?? Number.NaN
        setValue(Number.isNaN(pair[0]) && Number.isNaN(pair[1]) ? undefined : pair)
      }
      return (
        <>
          <input type="number" step="any" id={`${id}-value`} aria-label={`Lowest value of condition ${n}`} aria-describedby={describedBy}
            value={Number.isFinite(a) ? a : ''} onChange={(e) => set(0, e.target.value)} />
          <span className="cond-word">and</span>
          <input type="number" step="any" id={`${id}-value2`} aria-label={`Highest value of condition ${n}`} aria-describedby={describedBy}
            value={Number.isFinite(b) ? b : ''} onChange={(e) => set(1, e.target.value)} />
        </>
      )
    }
    case 'duration':
      return (
        <DurationInput id={`${id}-value`} aria-label={label} unitLabel={`Unit of condition ${n}`} aria-describedby={describedBy}
          value={typeof v === 'string' ? v : ''} defaultUnit="days" showError
          // A row compares in one unit: "1d12h" becomes 36 hours.
          onChange={(d) => {
            const s = d === undefined ? null : splitDuration(d)
            setValue(s ? (joinDuration(s.amount, s.unit) ?? d) : d)
          }} />
      )
    case 'channel':
      return (
        <select id={`${id}-value`} aria-label={label} aria-describedby={describedBy} value={typeof v === 'string' ? v : ''}
          onChange={(e) => setValue(e.target.value || undefined)}>
          <option value="">Choose a channel…</option>
          {consentChannels.map((c) => <option key={c.id} value={c.id}>{c.label}</option>)}
          {typeof v === 'string' && v && !consentChannels.some((c) => c.id === v) && <option value={v}>{v}</option>}
        </select>
      )
    case 'tag':
    case 'list': {
      const opts = op.value === 'tag' ? choices.tags : choices.lists
      return (
        <>
          <input type="text" id={`${id}-value`} aria-label={label} aria-describedby={describedBy} list={`${id}-choices`}
            placeholder={op.value === 'tag' ? 'Tag, e.g. vip' : 'List, e.g. nurture'}
            value={typeof v === 'string' ? v : ''} onChange={(e) => setValue(e.target.value.trim() === '' ? undefined : e.target.value)} />
          <datalist id={`${id}-choices`}>{opts.map((o) => <option key={o} value={o} />)}</datalist>
        </>
      )
    }
  }
}
