import { useMemo, useState } from 'react'
import type { TypeSpec } from '../api'
import { groupOf, paletteGroups } from '../describe'

export const dragType = 'application/x-journey-node'

/** The list of steps to add, grouped When / Check / Wait / Do / Send, with search. */
export function Palette({ types, onAdd }: { types: TypeSpec[]; onAdd: (type: string) => void }) {
  const [q, setQ] = useState('')
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase()
    const match = (t: TypeSpec) => !needle || `${t.title} ${t.description} ${t.type}`.toLowerCase().includes(needle)
    return paletteGroups.map((g) => ({ ...g, types: types.filter((t) => groupOf(t) === g.id && match(t)) })).filter((g) => g.types.length)
  }, [types, q])
  return (
    <aside className="palette" aria-label="Steps to add">
      <div className="field">
        <label htmlFor="palette-search">Find a step</label>
        <input id="palette-search" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. wait, deal, email" />
      </div>
      {groups.length === 0 && <p className="hint">No step matches “{q}”.</p>}
      {groups.map((g) => (
        <section key={g.id} aria-labelledby={`pg-${g.id}`}>
          <h2 id={`pg-${g.id}`} title={g.hint}>{g.title}</h2>
          <ul>
            {g.types.map((t) => (
              <li key={t.type}>
                <button type="button" className="palette-item" draggable data-type={t.type} title={t.description}
                  aria-label={`Add step: ${t.title}`}
                  onDragStart={(e) => { e.dataTransfer.setData(dragType, t.type); e.dataTransfer.effectAllowed = 'move' }}
                  onClick={() => onAdd(t.type)}>
                  {t.title}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
      <p className="hint">Press a step to add it after the selected one (or in the middle), or drag it onto the canvas. The “+” under each step adds the next one.</p>
    </aside>
  )
}
