// Rows of field / operator / value, matched all or any, with one level of
// groups: the condition builder itself, controlled by a Condition.
import type { FieldDef } from '../catalog'
import { isGroup, type Condition, type Row } from './expr'
import { RowEditor } from './RowEditor'

interface Props {
  id: string
  value: Condition
  onChange: (c: Condition) => void
  catalog: FieldDef[]
  choices: { tags: string[]; lists: string[] }
}

const newRow = (): Row => ({ field: '', op: 'eq' })

function JoinSelect({ id, label, value, onChange }: { id: string; label: string; value: Condition['join']; onChange: (j: Condition['join']) => void }) {
  return (
    <div className="cond-join">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as Condition['join'])}>
        <option value="all">all of these</option>
        <option value="any">any of these</option>
      </select>
    </div>
  )
}

/** The rows of a condition or a group; prefix numbers them ("2." in group 2). */
function Rows({ id, c, onChange, catalog, choices, prefix }: { id: string; c: Condition; onChange: (c: Condition) => void; catalog: FieldDef[]; choices: Props['choices']; prefix: string }) {
  const set = (i: number, r: Row | Condition) => onChange({ ...c, rows: c.rows.map((x, j) => (j === i ? r : x)) })
  const remove = (i: number) => onChange({ ...c, rows: c.rows.filter((_, j) => j !== i) })
  return (
    <>
      {c.rows.map((r, i) => {
        const n = `${prefix}${i + 1}`
        if (!isGroup(r)) {
          return <RowEditor key={i} n={n} id={`${id}-r${n.replace('.', '-')}`} row={r} catalog={catalog} choices={choices}
            onChange={(nr) => set(i, nr)} onRemove={() => remove(i)} />
        }
        return (
          <fieldset key={i} className="cond-group">
            <legend>Group {n}</legend>
            {r.rows.length > 1 && (
              <JoinSelect id={`${id}-g${n}-join`} label={`In group ${n}, match`} value={r.join} onChange={(join) => set(i, { ...r, join })} />
            )}
            <Rows id={id} c={r} onChange={(g) => (g.rows.length ? set(i, g) : remove(i))} catalog={catalog} choices={choices} prefix={`${n}.`} />
            <div className="cond-actions">
              <button type="button" onClick={() => set(i, { ...r, rows: [...r.rows, newRow()] })}>Add a condition to group {n}</button>
              <button type="button" className="link danger" onClick={() => remove(i)}>Remove group {n}</button>
            </div>
          </fieldset>
        )
      })}
    </>
  )
}

export function ConditionBuilder({ id, value, onChange, catalog, choices }: Props) {
  return (
    <div className="cond-builder">
      {value.rows.length > 1 && (
        <JoinSelect id={`${id}-join`} label="Match" value={value.join} onChange={(join) => onChange({ ...value, join })} />
      )}
      <Rows id={id} c={value} onChange={onChange} catalog={catalog} choices={choices} prefix="" />
      <div className="cond-actions">
        <button type="button" onClick={() => onChange({ ...value, rows: [...value.rows, newRow()] })}>Add a condition</button>
        <button type="button" onClick={() => onChange({ ...value, rows: [...value.rows, { join: 'any', rows: [newRow()] }] })}>Add a group</button>
      </div>
    </div>
  )
}
