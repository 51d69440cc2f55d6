import { useEffect, useMemo, useRef, useState } from 'react'
import type { TypeSpec } from '../api'
import { groupOf, paletteGroups } from '../describe'

interface Props {
  types: TypeSpec[]
  /** Heading, e.g. "Choose the next step" or "Choose how the journey starts". */
  title: string
  /** Which steps to offer: only triggers (an empty journey) or none of them. */
  only: 'triggers' | 'steps'
  /** Where to show it, in pixels from the canvas's top left. */
  at: { x: number; y: number }
  onPick: (type: string) => void
  onClose: () => void
}

/** The step picker that "+" buttons open: the palette's groups, search and descriptions. */
export function StepPicker({ types, title, only, at, onPick, onClose }: Props) {
  const [q, setQ] = useState('')
  const box = useRef<HTMLDivElement>(null)
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase()
    const offered = types.filter((t) => (only === 'triggers') === !!t.trigger)
    const match = (t: TypeSpec) => !needle || `${t.title} ${t.description}`.toLowerCase().includes(needle)
    return paletteGroups.map((g) => ({ ...g, types: offered.filter((t) => groupOf(t) === g.id && match(t)) })).filter((g) => g.types.length)
  }, [types, only, q])

  // A click outside closes it, as a menu would.
  useEffect(() => {
    const down = (e: PointerEvent) => { if (box.current && !box.current.contains(e.target as Node)) onClose() }
    addEventListener('pointerdown', down, true)
    return () => removeEventListener('pointerdown', down, true)
  }, [onClose])

  const first = groups[0]?.types[0]
  return (
    <div ref={box} className="step-picker" role="dialog" aria-label={title} style={{ left: at.x, top: at.y }}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onClose() } }}>
      <div className="step-picker-head">
        <h2>{title}</h2>
        <button type="button" className="link" onClick={onClose} aria-label="Close the step list">×</button>
      </div>
      <input type="search" aria-label="Find a step" placeholder="Find a step, e.g. email, deal, wait" autoFocus value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter' && first) { e.preventDefault(); onPick(first.type) } }} />
      <div className="step-picker-list">
        {groups.length === 0 && <p className="hint">No step matches “{q}”.</p>}
        {groups.map((g) => (
          <section key={g.id} aria-label={g.title}>
            <h3>{g.title} <span className="hint">{g.hint}</span></h3>
            <ul>
              {g.types.map((t) => (
                <li key={t.type}>
                  <button type="button" className="step-choice" data-type={t.type} onClick={() => onPick(t.type)}>
                    <b>{t.title}</b>
                    <span>{t.description}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </div>
  )
}
