// A line chart of the results over time, drawn with uPlot (small, canvas).
// The same numbers are in the table under it, so the chart is decoration
// for screen readers (role="img" with a summary label).
import { useEffect, useRef } from 'react'
import type { Point } from './results'
import 'uplot/dist/uPlot.min.css'

const lines: [keyof Point, string, string][] = [
  ['entries', 'Journey entries', '#3b6fd8'],
  ['leads', 'Leads captured', '#1f8a4c'],
  ['conversions', 'Goal conversions', '#b35c00'],
  ['emails_opened', 'Emails opened', '#8a3fb0'],
]

export default function ResultsChart({ points, label }: { points: Point[]; label: string }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el || points.length === 0) return
    let chart: { destroy(): void } | null = null
    let gone = false
    import('uplot').then(({ default: UPlot }) => {
      if (gone) return
      const xs = points.map((p) => Date.parse(p.start + 'T00:00:00Z') / 1000)
      const data = [xs, ...lines.map(([k]) => points.map((p) => Number(p[k])))]
      chart = new UPlot({
        width: Math.max(el.clientWidth, 320), height: 240,
        scales: { x: { time: true } },
        series: [{}, ...lines.map(([, name, stroke]) => ({ label: name, stroke, width: 2 }))],
        axes: [{}, { size: 50 }],
      }, data as unknown as [number[], ...number[][]], el)
    }, () => { /* the table still shows the numbers */ })
    return () => { gone = true; chart?.destroy() }
  }, [points])
  return <div className="results-chart" ref={box} role="img" aria-label={label} />
}
