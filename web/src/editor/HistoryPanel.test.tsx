import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import axe from 'axe-core'
import { HistoryPanel } from './HistoryPanel'
import type { DiffAnswer, Versions } from './historyApi'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const versions: Versions = {
  draft: { saved_at: '2026-12-01T10:00:00Z', saved_by: { type: 'user', name: 'ann@example.com' }, unpublished_changes: true, summary: 'Changed “Wait 2 days”.' },
  versions: [
    { version: 2, published_at: '2026-11-30T10:00:00Z', published_by: { type: 'user', name: 'bob@example.com' }, summary: 'Added “Send SMS”, changed “Wait 2 days”.', live: true },
    { version: 1, published_at: '2026-11-29T10:00:00Z', published_by: null, summary: 'First published version.', live: false },
  ],
}

const diff: DiffAnswer = {
  from: '1', to: '2', summary: 'Added “Send SMS”, changed “Wait 2 days”.',
  diff: {
    added: [{ id: 'sms', type: 'message.sms', label: 'Send SMS' }],
    removed: [{ id: 'old', type: 'list.add', label: 'Add to list' }],
    changed: [{ id: 'wait', type: 'wait.delay', label: 'Wait 2 days', changes: [
      { kind: 'param', key: 'duration', label: 'For', before: '2d', after: '3d' },
      { kind: 'next', key: 'out', label: 'Next', after: ['Send SMS'] },
    ] }],
    moved: [],
    settings: [{ kind: 'setting', key: 'time_zone', label: 'time_zone', before: 'UTC', after: 'Europe/Paris' }],
  },
}

const v1 = { ...versions.versions[1], definition: { id: 'welcome', name: 'Welcome', version: 1, settings: {}, nodes: [{ id: 'wait', type: 'wait.delay', position: { x: 0, y: 0 } }], edges: [] } }

function serve() {
  const calls: string[] = []
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    calls.push(url)
    if (url === '/api/v1/flows/welcome/versions') return Response.json(versions)
    if (url === '/api/v1/flows/welcome/versions/1') return Response.json(v1)
    if (url.startsWith('/api/v1/flows/welcome/diff?')) return Response.json(diff)
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
  return calls
}

function panel(over: Partial<Parameters<typeof HistoryPanel>[0]> = {}) {
  const props = { flowId: 'welcome', refreshKey: 1, onHighlight: vi.fn(), onRestore: vi.fn(async () => true), onClose: vi.fn(), ...over }
  return { props, ...render(<HistoryPanel {...props} />) }
}

describe('HistoryPanel', () => {
  it('lists the draft saves, compares two and restores an older one', async () => {
    const withSaves: Versions = { ...versions, saves: [
      { revision: 3, saved_at: '2026-12-01T10:00:00Z', saved_by: { type: 'user', name: 'ann@example.com' }, summary: 'Changed “Wait 2 days”.' },
      { revision: 2, saved_at: '2026-12-01T09:00:00Z', saved_by: { type: 'user', name: 'bob@example.com' }, summary: 'Added “Send SMS”.' },
    ] }
    const calls: string[] = []
    vi.stubGlobal('fetch', vi.fn(async (url: string) => {
      calls.push(url)
      if (url === '/api/v1/flows/welcome/versions') return Response.json(withSaves)
      if (url === '/api/v1/flows/welcome/saves/2') return Response.json({ ...withSaves.saves![1], definition: v1.definition })
      if (url.startsWith('/api/v1/flows/welcome/diff?')) return Response.json({ ...diff, from: 'save:2', to: 'save:3' })
      return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
    }))
    vi.stubGlobal('confirm', () => true)
    const { props, container } = panel()
    const list = await screen.findByRole('list', { name: 'Draft saves' })
    const items = within(list).getAllByRole('listitem')
    expect(items.map((i) => i.textContent)).toEqual([expect.stringContaining('by ann@example.com'), expect.stringContaining('Added “Send SMS”.')])
    expect(within(items[0]).queryByRole('button', { name: /Restore/ })).toBeNull() // the newest save is the draft
    fireEvent.click(screen.getByRole('button', { name: 'What changed in save 3' }))
    await waitFor(() => expect(calls).toContain('/api/v1/flows/welcome/diff?from=save%3A2&to=save%3A3'))
    expect(await screen.findByText(/From save 2 to save 3/)).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Restore this save (save 2)' }))
    await waitFor(() => expect(props.onRestore).toHaveBeenCalled())
    expect(await screen.findByText('The save 2 is now the draft again.')).toBeTruthy()
    const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => v.id)).toEqual([])
  })

  it('lists the draft and each version with who, when and what changed', async () => {
    serve()
    const { container } = panel()
    const list = await screen.findByRole('list', { name: 'Versions' })
    const items = within(list).getAllByRole('listitem')
    expect(items).toHaveLength(3)
    expect(items[0].textContent).toContain('The draft')
    expect(items[0].textContent).toContain('by ann@example.com')
    expect(items[0].textContent).toContain('Changed “Wait 2 days”.')
    expect(items[1].textContent).toContain('Version 2')
    expect(items[1].textContent).toContain('Live')
    expect(items[1].textContent).toContain('by bob@example.com')
    expect(items[1].textContent).toContain('Added “Send SMS”, changed “Wait 2 days”.')
    expect(items[2].textContent).not.toContain(' by ')
    const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => v.id)).toEqual([])
  })

  it('compares two versions, shows the settings side by side and marks the canvas', async () => {
    const calls = serve()
    const { props } = panel()
    await screen.findByRole('list', { name: 'Versions' })
    fireEvent.change(screen.getByLabelText('Compare'), { target: { value: '1' } })
    fireEvent.change(screen.getByLabelText('with'), { target: { value: '2' } })
    fireEvent.click(screen.getByRole('button', { name: 'Compare' }))
    await screen.findByRole('heading', { name: 'From version 1 to version 2' })
    expect(calls).toContain('/api/v1/flows/welcome/diff?from=1&to=2')
    expect(screen.getByText('“Send SMS”').className).toBe('diff-added')
    expect(screen.getByText('“Add to list”').className).toBe('diff-removed')
    const table = screen.getByRole('table', { name: '“Wait 2 days”' })
    const headers = within(table).getAllByRole('columnheader').map((h) => h.textContent)
    expect(headers).toEqual(['Setting', 'In version 1', 'In version 2'])
    const row = within(table).getByRole('row', { name: /For/ })
    expect(row.textContent).toBe('For2d3d')
    expect(within(table).getByRole('row', { name: /Next step/ }).textContent).toBe('Next stepnothing (the path ends)Send SMS')
    const settings = screen.getByRole('table', { name: 'Journey settings' })
    expect(within(settings).getByRole('row', { name: /Time zone/ }).textContent).toBe('Time zoneUTCEurope/Paris')
    expect(props.onHighlight).toHaveBeenLastCalledWith({ sms: 'added', wait: 'changed', old: 'removed' })
  })

  it('"What changed" compares a version with the one before', async () => {
    const calls = serve()
    panel()
    fireEvent.click(await screen.findByRole('button', { name: 'What changed in version 2' }))
    await screen.findByRole('heading', { name: 'From version 1 to version 2' })
    expect(calls).toContain('/api/v1/flows/welcome/diff?from=1&to=2')
    expect(screen.queryByRole('button', { name: 'What changed in version 1' })).toBeNull()
  })

  it('restores a version as the draft only after the marketer confirms', async () => {
    serve()
    const confirm = vi.fn(() => false)
    vi.stubGlobal('confirm', confirm)
    const { props } = panel()
    const restore = await screen.findByRole('button', { name: 'Restore this version (version 1)' })
    fireEvent.click(restore)
    expect(confirm).toHaveBeenCalled()
    expect(props.onRestore).not.toHaveBeenCalled()
    confirm.mockReturnValue(true)
    fireEvent.click(restore)
    await waitFor(() => expect(props.onRestore).toHaveBeenCalled())
    const [doc, n] = vi.mocked(props.onRestore).mock.calls[0] as unknown as [Record<string, unknown>, number]
    expect(n).toBe(1)
    expect(doc.version).toBeUndefined()
    expect(doc.nodes).toEqual(v1.definition.nodes)
    expect((await screen.findByRole('status')).textContent).toBe('Version 1 is now the draft. Publish it to make it live again.')
  })

  it('says so when the restored version could not be saved', async () => {
    serve()
    vi.stubGlobal('confirm', () => true)
    panel({ onRestore: vi.fn(async () => false) })
    fireEvent.click(await screen.findByRole('button', { name: 'Restore this version (version 1)' }))
    expect((await screen.findByRole('alert')).textContent).toContain('could not be saved as the draft')
  })

  it('clears the canvas marks when closed', async () => {
    serve()
    const { props } = panel()
    fireEvent.click(await screen.findByRole('button', { name: 'Close history' }))
    expect(props.onHighlight).toHaveBeenCalledWith({})
    expect(props.onClose).toHaveBeenCalled()
  })
})
