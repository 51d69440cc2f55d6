// What a click on a chip opens: the text written when the field is empty,
// and a way to take the field out.
import { useEffect, useId, useRef, useState } from 'react'

interface Props {
  /** The chip's field name, e.g. "Contact · First name". */
  name: string
  fallback?: string
  onSave: (fallback: string) => void
  onRemove: () => void
  onClose: () => void
}

export function ChipEditor({ name, fallback = '', onSave, onRemove, onClose }: Props) {
  const [v, setV] = useState(fallback)
  const input = useRef<HTMLInputElement>(null)
  const id = useId()
  useEffect(() => { input.current?.focus() }, [])
  return (
    <div className="field-picker chip-editor" role="dialog" aria-label={name}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onClose() } }}>
      <label htmlFor={id}>When {name} is empty, write</label>
      <input id={id} ref={input} type="text" value={v} placeholder="Nothing (leave it out)" onChange={(e) => setV(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); onSave(v) } }} />
      <div className="field-picker-actions">
        <button type="button" className="link danger" onClick={onRemove}>Remove this field</button>
        <button type="button" onClick={onClose}>Cancel</button>
        <button type="button" onClick={() => onSave(v)}>Save</button>
      </div>
    </div>
  )
}
