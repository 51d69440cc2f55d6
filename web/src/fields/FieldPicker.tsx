// "Insert a field": a searchable list of the fields a step can read,
// grouped as the catalog groups them, with an optional text to write when
// the field is empty. Keyboard: type to filter, arrows to move, Enter to
// choose, Escape to close.
import { useEffect, useId, useMemo, useRef, useState } from 'react'
import { chipLabel, type FieldDef } from '../catalog'

interface Props {
  catalog: FieldDef[]
  /** The field being filled in, for the dialog's name. */
  label: string
  onPick: (path: string, fallback?: string) => void
  onClose: () => void
}

export function FieldPicker({ catalog, label, onPick, onClose }: Props) {
  const [q, setQ] = useState('')
  const [fallback, setFallback] = useState('')
  const [active, setActive] = useState(0)
  const search = useRef<HTMLInputElement>(null)
  const base = useId()
  useEffect(() => { search.current?.focus() }, [])

  const shown = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean)
    return catalog.filter((f) => {
      const hay = `${chipLabel(f)} ${f.path}`.toLowerCase()
      return words.every((w) => hay.includes(w))
    })
  }, [catalog, q])
  const groups = useMemo(() => {
    const out: [string, FieldDef[]][] = []
    for (const f of shown) {
      const g = out.find(([name]) => name === f.group)
      if (g) g[1].push(f)
      else out.push([f.group, [f]])
    }
    return out
  }, [shown])
  const idx = Math.min(active, Math.max(shown.length - 1, 0))
  const optId = (i: number) => `${base}-o${i}`

  const choose = (f: FieldDef | undefined) => { if (f) onPick(f.path, fallback.trim() ? fallback : undefined) }
  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((idx + 1) % Math.max(shown.length, 1)) }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((idx - 1 + shown.length) % Math.max(shown.length, 1)) }
    else if (e.key === 'Enter') { e.preventDefault(); choose(shown[idx]) }
  }

  let n = -1
  return (
    <div className="field-picker" role="dialog" aria-label={`Insert a field into ${label}`}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onClose() } }}>
      <label htmlFor={base + '-q'}>Search fields</label>
      <input id={base + '-q'} ref={search} type="search" value={q} role="combobox" aria-expanded="true"
        aria-controls={base + '-list'} aria-activedescendant={shown.length ? optId(idx) : undefined} aria-autocomplete="list"
        onChange={(e) => { setQ(e.target.value); setActive(0) }} onKeyDown={onKeyDown} />
      <div id={base + '-list'} role="listbox" aria-label="Fields" className="field-picker-list">
        {groups.map(([g, fs]) => (
          <div key={g} role="group" aria-labelledby={`${base}-g-${g}`}>
            <div id={`${base}-g-${g}`} className="field-picker-group" role="presentation">{g}</div>
            {fs.map((f) => {
              n++
              const i = n
              return (
                <div key={f.path} id={optId(i)} role="option" aria-selected={i === idx} className={i === idx ? 'active' : undefined}
                  onMouseDown={(e) => e.preventDefault()} onClick={() => choose(f)} onMouseEnter={() => setActive(i)}>
                  {chipLabel(f)}
                </div>
              )
            })}
          </div>
        ))}
      </div>
      {!shown.length && <p className="hint" role="status">{q.trim() ? `No field matches “${q.trim()}”.` : 'There is no field to insert here.'}</p>}
      <label htmlFor={base + '-fb'}>When it is empty, write (optional)</label>
      <input id={base + '-fb'} type="text" value={fallback} placeholder="e.g. there" onChange={(e) => setFallback(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); choose(shown[idx]) } }} />
      <div className="field-picker-actions">
        <button type="button" onClick={onClose}>Cancel</button>
      </div>
    </div>
  )
}
