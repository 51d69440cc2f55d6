import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { useState } from 'react'
import type { FlowDoc, Problem } from '../api'
import { JourneySettings } from './JourneySettings'

afterEach(cleanup)

const base: FlowDoc = { id: 'welcome', name: 'Welcome', settings: {}, nodes: [{ id: 't', type: 'trigger.manual', position: { x: 0, y: 0 } }], edges: [] }

// Harness holds the document as the editor does and exposes the latest one.
function mount(settings: FlowDoc['settings'] = {}, problems: Problem[] = []) {
  const seen: { doc: FlowDoc } = { doc: { ...base, settings } }
  function Harness() {
    const [doc, setDoc] = useState<FlowDoc>(seen.doc)
    seen.doc = doc
    return <JourneySettings doc={doc} problems={problems} goal={<p>the goal field</p>}
      change={(fn) => setDoc((d) => fn(d))} />
  }
  render(<Harness />)
  return seen
}

const select = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } })

describe('journey settings', () => {
  it('sets re-entry once per period with a number and a unit, never a code', () => {
    const seen = mount()
    expect((screen.getByLabelText('May a contact go through it again?') as HTMLSelectElement).value).toBe('always')
    select('May a contact go through it again?', 'once_per_period')
    expect(seen.doc.settings.reentry).toEqual({ policy: 'once_per_period', period: '30d' })
    expect((screen.getByLabelText('At most once every: number') as HTMLInputElement).value).toBe('30')
    select('At most once every: number', '2')
    select('At most once every: unit', 'weeks')
    expect(seen.doc.settings.reentry).toEqual({ policy: 'once_per_period', period: '2w' })
    expect(screen.getByRole('option', { name: 'weeks' })).toBeTruthy()
    select('May a contact go through it again?', 'once')
    expect(seen.doc.settings.reentry).toEqual({ policy: 'once', period: undefined })
    expect(screen.queryByLabelText('At most once every: number')).toBeNull()
    select('May a contact go through it again?', 'always')
    expect(seen.doc.settings.reentry).toBeUndefined()
  })

  it('reads a stored period as a number and its unit', () => {
    mount({ reentry: { policy: 'once_per_period', period: '48h' } })
    expect((screen.getByLabelText('At most once every: number') as HTMLInputElement).value).toBe('48')
    expect((screen.getByLabelText('At most once every: unit') as HTMLSelectElement).value).toBe('hours')
  })

  it('chooses the time zone from a list and keeps an unknown stored one', () => {
    const seen = mount({ time_zone: 'Mars/Olympus_Mons' })
    const tz = screen.getByLabelText('Time zone for contacts without one') as HTMLSelectElement
    expect(tz.value).toBe('Mars/Olympus_Mons')
    expect(within(tz).getByRole('option', { name: 'UTC (the default)' })).toBeTruthy()
    select('Time zone for contacts without one', 'Europe/Paris')
    expect(seen.doc.settings.time_zone).toBe('Europe/Paris')
    select('Time zone for contacts without one', '')
    expect(seen.doc.settings.time_zone).toBeUndefined()
  })

  it('shows the goal field it is given, and a goal window once there is a goal', () => {
    const seen = mount({ goal: 'contact.score >= 100' })
    expect(screen.getByText('the goal field')).toBeTruthy()
    expect((screen.getByLabelText('Count the goal only within: number') as HTMLInputElement).value).toBe('')
    select('Count the goal only within: number', '7')
    expect(seen.doc.settings.goal_window).toBe('7d')
    select('Count the goal only within: number', '')
    expect(seen.doc.settings.goal_window).toBeUndefined()
    cleanup()
    mount()
    expect(screen.queryByLabelText('Count the goal only within: number')).toBeNull()
  })

  it('edits consent, quiet hours with channels and a frequency cap with pickers', () => {
    const seen = mount()
    fireEvent.click(screen.getByLabelText('Only send to contacts who agreed to the channel'))
    expect(seen.doc.settings.messaging).toEqual({ require_consent: true })

    fireEvent.click(screen.getByLabelText('Quiet hours: send nothing at night'))
    expect(seen.doc.settings.messaging?.quiet_hours).toEqual({ from: '21:00', to: '08:00' })
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '22:30' } })
    const quietChannels = screen.getByRole('group', { name: 'Quiet hours apply to' })
    fireEvent.click(within(quietChannels).getByLabelText('SMS'))
    expect(seen.doc.settings.messaging?.quiet_hours).toEqual({ from: '22:30', to: '08:00', channels: ['email', 'whatsapp'] })
    fireEvent.click(within(quietChannels).getByLabelText('Email'))
    // The last channel cannot be unticked: no channel would mean every channel.
    expect((within(quietChannels).getByLabelText('WhatsApp') as HTMLInputElement).disabled).toBe(true)
    fireEvent.click(within(quietChannels).getByLabelText('SMS'))
    fireEvent.click(within(quietChannels).getByLabelText('Email'))
    expect(seen.doc.settings.messaging?.quiet_hours?.channels).toBeUndefined()

    fireEvent.click(screen.getByLabelText('Limit how many messages a contact gets'))
    expect(seen.doc.settings.messaging?.frequency_cap).toEqual({ max: 3, period: '7d', action: 'skip' })
    select('At most this many messages', '5')
    select('In any period of: number', '1')
    select('In any period of: unit', 'weeks')
    select('When a message would go over the limit', 'delay')
    expect(seen.doc.settings.messaging?.frequency_cap).toEqual({ max: 5, period: '1w', action: 'delay' })

    fireEvent.click(screen.getByLabelText('Only send to contacts who agreed to the channel'))
    fireEvent.click(screen.getByLabelText('Quiet hours: send nothing at night'))
    fireEvent.click(screen.getByLabelText('Limit how many messages a contact gets'))
    expect(seen.doc.settings.messaging).toBeUndefined()
    expect(JSON.stringify(seen.doc.settings)).toBe('{}')
  })

  it('shows a messaging problem next to its rule, others in the list', () => {
    mount({ messaging: { quiet_hours: { from: '21:00', to: '21:00' } } }, [
      { code: 'bad_messaging', param: 'settings.messaging.quiet_hours', message: 'The quiet hours start and end at the same time.' },
      { code: 'no_trigger', message: 'The journey has no trigger.' },
    ])
    const quiet = screen.getByText('The quiet hours start and end at the same time.')
    expect(quiet.closest('.sub-settings')).toBeTruthy()
    expect(screen.getByText('The journey has no trigger.').closest('.error-box')).toBeTruthy()
  })
})

