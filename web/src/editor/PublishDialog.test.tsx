import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import axe from 'axe-core'
import { PublishDialog } from './PublishDialog'
import type { GoLiveChecks } from './historyApi'
import type { TypeSpec } from '../api'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

const doc = {
  id: 'welcome', name: 'Welcome', settings: {}, edges: [],
  nodes: [
    { id: 'start', type: 'trigger.webhook', name: 'Chat finished', position: { x: 0, y: 0 } },
    { id: 'wait', type: 'wait.delay', position: { x: 0, y: 100 } },
    { id: 'mail', type: 'message.email', name: 'Welcome email', position: { x: 0, y: 200 } },
  ],
}
const specs = new Map([['wait.delay', { type: 'wait.delay', title: 'Wait for a while' } as TypeSpec]])
const clear: GoLiveChecks = { sandboxed: [], missing_accounts: [], hook_clashes: [], unpublished_changes: true }

function serve(checks: GoLiveChecks | null, waiting = 3) {
  vi.stubGlobal('fetch', vi.fn(async (url: string) => {
    if (url.startsWith('/api/v1/runs?')) return Response.json({ runs: [], total: waiting })
    if (url.startsWith('/api/v1/flows/welcome/stats?')) return Response.json({ nodes: { wait: { entered: 5, waiting: 2, failed: 0, converted: 0, ports: {} }, gone: { entered: 1, waiting: 1, failed: 0, converted: 0, ports: {} } } })
    if (url === '/api/v1/flows/welcome/checks' && checks) return Response.json(checks)
    return Response.json({ error: { code: 'not_found', message: 'There is nothing at this address.' } }, { status: 404 })
  }))
}

function dialog(status = 'active', version = 2) {
  const props = { onPublish: vi.fn(), onCancel: vi.fn() }
  const r = render(<PublishDialog flowId="welcome" info={{ status, version }} doc={doc} specs={specs} {...props} />)
  return { ...props, ...r }
}

describe('PublishDialog', () => {
  it('lists the steps that only write to the sandbox outbox, and who is waiting', async () => {
    serve({ ...clear, sandboxed: [{ node_id: 'mail', step: 'Welcome email', message: 'x' }] })
    const { onPublish, container } = dialog()
    const list = await screen.findByTestId('pub-sandboxed')
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['“Welcome email”'])
    expect(screen.getByText(/These steps send nothing/).textContent).toContain('sandbox outbox')
    expect(await screen.findByText(/3 contacts are waiting in the journey now/)).toBeTruthy()
    expect(screen.getByText(/2 wait at “Wait for a while”; they go on/)).toBeTruthy()
    expect(screen.getByText(/1 wait at “gone”, a step the new version no longer has/)).toBeTruthy()
    expect(screen.queryByText(/Nothing changed since/)).toBeNull()
    const publish = screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement
    expect(publish.disabled).toBe(false)
    fireEvent.click(publish)
    expect(onPublish).toHaveBeenCalled()
    const r = await axe.run(container, { rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
    expect(r.violations.map((v) => v.id)).toEqual([])
  })

  it('holds publishing back while a step misses its account or a webhook address is taken', async () => {
    serve({ ...clear,
      missing_accounts: [{ node_id: 'mail', step: 'Welcome email', message: 'The node "Welcome email" uses the account "smtp-1", which does not exist on this server.' }],
      hook_clashes: [{ node_id: 'start', step: 'Chat finished', message: 'The webhook path "chat" is already used by the active journey "other".' }] })
    dialog()
    expect((await screen.findByTestId('pub-missing')).textContent).toContain('"smtp-1", which does not exist')
    expect(screen.getByTestId('pub-clashes').textContent).toContain('already used by the active journey "other"')
    expect((screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement).disabled).toBe(true)
    expect(screen.getByText(/publishing is refused until then/)).toBeTruthy()
  })

  it('says the checks passed when nothing stands out', async () => {
    serve({ ...clear, unpublished_changes: false }, 0)
    dialog('paused', 1)
    expect(await screen.findByText(/every step that sends has an account/)).toBeTruthy()
    expect(screen.getByText('Nothing changed since version 1: the new version will be the same.')).toBeTruthy()
    expect(await screen.findByText('No contact is waiting in the journey now.')).toBeTruthy()
    expect(screen.getByText('Publishing starts the paused journey again.')).toBeTruthy()
  })

  it('still publishes when the server cannot check', async () => {
    serve(null)
    dialog()
    await screen.findByText(/3 contacts are waiting/)
    expect(screen.queryByText(/Checking the journey/)).toBeNull()
    expect((screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement).disabled).toBe(false)
  })
})

describe('PublishDialog warnings', () => {
  it('lists the warnings as worth checking and still lets the journey publish', async () => {
    serve(clear)
    const onPublish = vi.fn()
    const warning = { code: 'contact_field_missing', node_id: 'mail', severity: 'warning' as const,
      message: '"Welcome email" sends to the contact\'s email address, but no step before it saves an email address and the trigger does not provide one: people without an email address will be skipped.' }
    render(<PublishDialog flowId="welcome" info={{ status: 'draft', version: 0 }} doc={doc} specs={specs} warnings={[warning]} onPublish={onPublish} onCancel={vi.fn()} />)
    const box = await screen.findByTestId('pub-warnings')
    expect(box.textContent).toContain('you can still publish')
    expect(box.textContent).toContain('people without an email address will be skipped')
    await screen.findByText(/every step that sends has an account|send nothing/)
    const publish = screen.getByRole('button', { name: 'Publish' }) as HTMLButtonElement
    expect(publish.disabled).toBe(false)
    fireEvent.click(publish)
    expect(onPublish).toHaveBeenCalled()
  })
})
