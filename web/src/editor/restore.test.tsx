import { afterEach, expect, it } from 'vitest'
import { act, cleanup, render } from '@testing-library/react'
import { useState } from 'react'
import type { FlowDoc } from '../api'
import { useRestore } from './restore'

afterEach(cleanup)

const doc = (name: string): FlowDoc => ({ id: 'j', name, settings: {}, nodes: [], edges: [] })

it('saves the restored document, not the one shown before', async () => {
  const seen: string[] = []
  let restore: (d: FlowDoc) => Promise<boolean> = async () => false
  function Editor() {
    const [d, setD] = useState(doc('draft'))
    // Like the editor's save: it reads the document of its render.
    const save = async () => { seen.push(d.name); return d.name === 'version 1' }
    restore = useRestore((fn) => setD(fn), save)
    return <p>{d.name}</p>
  }
  const { container } = render(<Editor />)
  let done: Promise<boolean> = Promise.resolve(false)
  // act flushes the render and effects that run the save.
  await act(async () => { done = restore(doc('version 1')) })
  const ok = await done
  expect(container.textContent).toBe('version 1')
  expect(seen).toEqual(['version 1'])
  expect(ok).toBe(true)
})
