import { describe, expect, it } from 'vitest'
import { duration, funnelOf, headline, percent, type StatsResponse } from './funnel'

const stats: StatsResponse = {
  since: '2026-12-01T00:00:00Z', converted: 23, waiting: 5, entries: 200, conversion_rate: 0.115, median_seconds_to_convert: 5400,
  nodes: {
    start: { entered: 200, waiting: 0, failed: 0, converted: 23, ports: { out: 200 } },
    is_hot: { entered: 200, waiting: 0, failed: 0, converted: 23, ports: { yes: 50, no: 140 } },
    wait: { entered: 140, waiting: 5, failed: 0, converted: 0, ports: { out: 135 } },
    rare: { entered: 1, waiting: 0, failed: 0, converted: 0, ports: {} },
  },
}

describe('funnel', () => {
  it('gives each step its share of entries, of each path and its drop-off', () => {
    const f = funnelOf(stats)
    expect(f.is_hot.ofEntries).toBe('100%')
    expect(f.is_hot.pathShare).toEqual({ yes: '25%', no: '70%' })
    expect([f.is_hot.dropOff, f.is_hot.dropOffShare]).toEqual([10, '5%'])
    // Those still waiting have not dropped off.
    expect([f.wait.ofEntries, f.wait.dropOff]).toEqual(['70%', 0])
    expect(f.rare.ofEntries).toBe('0.5%')
  })

  it('shows no percentage without a whole', () => {
    expect(percent(3, 0)).toBe('')
    expect(funnelOf({ ...stats, entries: undefined }).is_hot.ofEntries).toBe('')
  })

  it('reads the journey header in plain words', () => {
    expect(headline(stats)).toMatch(/: 200 entered · 11.5% reached the goal \(23\) · median time to convert 1 h 30 min · 5 waiting now\.$/)
    expect(headline({ ...stats, entries: 0, converted: 0, waiting: 0, median_seconds_to_convert: null })).toMatch(/: 0 entered · none reached the goal · 0 waiting now\.$/)
    expect([duration(45), duration(600), duration(3 * 86400)]).toEqual(['45 s', '10 min', '3 days'])
  })
})
