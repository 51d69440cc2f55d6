import { afterEach, describe, expect, it, vi } from 'vitest'
import { act, cleanup, render, screen } from '@testing-library/react'
import { navigate, setLeaveGuard, usePath } from './router'

afterEach(() => { cleanup(); setLeaveGuard(null) })

function Shown() {
  return <p data-testid="page">{usePath()}</p>
}

// back presses the browser's Back button and waits for its popstate.
async function back() {
  await act(async () => {
    const popped = new Promise((done) => addEventListener('popstate', done, { once: true }))
    history.back()
    await popped
  })
}

describe('leaving with unsaved changes', () => {
  it('asks before the Back button leaves, and stays when the answer is no', async () => {
    render(<Shown />)
    act(() => { navigate('/flows'); navigate('/flows/welcome') })
    expect(screen.getByTestId('page').textContent).toBe('/flows/welcome')

    const ask = vi.fn(() => false)
    setLeaveGuard(ask)
    await back()
    expect(ask).toHaveBeenCalledTimes(1)
    expect(screen.getByTestId('page').textContent).toBe('/flows/welcome')
    expect(location.pathname).toBe('/flows/welcome')

    ask.mockReturnValue(true)
    await back()
    expect(ask).toHaveBeenCalledTimes(2)
    expect(screen.getByTestId('page').textContent).toBe('/flows')
    expect(location.pathname).toBe('/flows')
  })

  it('does not ask without a guard', async () => {
    render(<Shown />)
    act(() => { navigate('/runs'); navigate('/contacts') })
    await back()
    expect(screen.getByTestId('page').textContent).toBe('/runs')
  })
})
