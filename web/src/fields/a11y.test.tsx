// axe-core over the controls of this folder, in the states a user sees.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import axe from 'axe-core'
import { TemplateField } from './TemplateField'
import { EventPicker } from './EventPicker'
import { MessagePreview } from './MessagePreview'

afterEach(() => { cleanup(); vi.unstubAllGlobals() })

async function violations(container: HTMLElement): Promise<string[]> {
  // iframes: false: jsdom cannot host axe inside the preview's sandboxed frame.
  const r = await axe.run(container, { iframes: false, rules: { 'color-contrast': { enabled: false }, region: { enabled: false } } })
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

// axe is slow on a loaded machine: a generous limit, not a measurement.
describe('accessibility of fields', { timeout: 30_000 }, () => {
  it('a template field with chips, its picker open, and a problem', async () => {
    const { container } = render(<TemplateField id="s" label="Subject" value="Hi {{ contact.first_name }} {{ x" onChange={() => {}} delay={0}
      catalog={[{ path: 'contact.first_name', label: 'First name', group: 'Contact', type: 'text' }]}
      check={async () => ({ ok: false, problems: [{ code: 'bad_template', message: 'This text does not work: this "{{" is never closed with "}}".', line: 1, column: 29 }] })} />)
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    expect(await violations(container)).toEqual([])
  })

  it('the field picker with nothing found', async () => {
    const { container } = render(<TemplateField id="s" label="Subject" value="" onChange={() => {}} delay={0}
      catalog={[{ path: 'contact.first_name', label: 'First name', group: 'Contact', type: 'text' }]} check={async () => ({ ok: true, problems: [] })} />)
    fireEvent.click(screen.getByRole('button', { name: 'Insert a field into Subject' }))
    fireEvent.change(screen.getByRole('combobox', { name: 'Search fields' }), { target: { value: 'zzz' } })
    expect(screen.getByRole('status').textContent).toBe('No field matches “zzz”.')
    expect(await violations(container)).toEqual([])
  })

  it('a chip opened to set its fallback', async () => {
    const { container } = render(<TemplateField id="s" label="Subject" value="Hi {{ contact.first_name }}" onChange={() => {}} delay={0}
      check={async () => ({ ok: true, problems: [] })} />)
    fireEvent.click(container.querySelector('.chip')!)
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    expect(screen.getByRole('dialog', { name: 'Contact · First name' })).toBeTruthy()
    expect(await violations(container)).toEqual([])
  })

  it('the event picker, with another event typed', async () => {
    const { container } = render(<div className="field"><EventPicker id="e" label="Event" value="order.paid" options={[]} onChange={() => {}} /></div>)
    expect(await violations(container)).toEqual([])
  })

  it('an email preview', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Response.json({ channel: 'email', subject: 'Hi Ada', from: 'team@example.com', html: '<p>Hi</p>', text: 'Hi' })))
    const { container } = render(<MessagePreview flowId="f" node={{ id: 'm', type: 'message.email', position: { x: 0, y: 0 } }} delay={0} />)
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    expect(await violations(container)).toEqual([])
  })

  it('an SMS preview with a test sent', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => Response.json(url.endsWith('/send')
      ? { message_id: 'm', to: '+33600000000', sandbox: true } : { channel: 'sms', to: '+33600000000', text: 'Hi Ada' })))
    const { container } = render(<MessagePreview flowId="f" node={{ id: 'm', type: 'message.sms', position: { x: 0, y: 0 } }} delay={0} />)
    await act(async () => { await new Promise((r) => setTimeout(r, 5)) })
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Send a test to me' })) })
    expect(screen.getByRole('status').textContent).toContain('no SMS account')
    expect(await violations(container)).toEqual([])
  })
})
