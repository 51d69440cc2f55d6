// The Results dashboard: what the journeys achieved in a period, compared
// with the period just before it, with charts and downloadable tables.
import { lazy, Suspense, useEffect, useState } from 'react'
import { api, type FlowSummary } from './api'
import { replaceAddress } from './router'
import {
  channelHas, channelNames, type ChannelReport, count, countChange, countedAt, dayRange, duration, money, pct, rateChange, timeChange,
  type MessageStep, type Point, type Report, type Summary,
} from './results'

// uPlot loads only on this page.
const ResultsChart = lazy(() => import('./ResultsChart'))

const periods: [string, string][] = [['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']]
const stages = ['qualified', 'proposal', 'won']

type ChannelCounts = Omit<ChannelReport, 'rates'>

interface Tile { label: string; value: string; change: string; hint: string }

function tiles(c: Report, p: Report, stage: string): Tile[] {
  const email = c.channels.email, pe = p.channels.email
  return [
    { label: 'Leads captured', value: count(c.leads), change: countChange(c.leads, p.leads), hint: 'People saved or updated by a journey' },
    { label: 'Capture rate', value: pct(c.capture_rate), change: rateChange(c.capture_rate, p.capture_rate), hint: 'Leads captured per chat started' },
    { label: 'Qualified leads', value: count(c.qualified_leads), change: countChange(c.qualified_leads, p.qualified_leads), hint: `Leads with a deal at “${stage}” or won (${pct(c.qualified_rate)} of leads)` },
    { label: 'Deals created', value: count(c.deals_created), change: countChange(c.deals_created, p.deals_created), hint: `Worth ${money(c.deal_value)} in total` },
    { label: 'Won value', value: money(c.won_value), change: countChange(c.won_value, p.won_value), hint: `${count(c.won_deals)} deals won` },
    { label: 'Goal conversion rate', value: pct(c.conversion_rate), change: rateChange(c.conversion_rate, p.conversion_rate), hint: `${count(c.conversions)} of ${count(c.entries)} entries reached the goal` },
    { label: 'Email open rate', value: pct(email?.rates.opened ?? null), change: rateChange(email?.rates.opened ?? null, pe?.rates.opened ?? null), hint: 'Opened of delivered emails' },
    { label: 'Email click rate', value: pct(email?.rates.clicked ?? null), change: rateChange(email?.rates.clicked ?? null, pe?.rates.clicked ?? null), hint: 'Clicked of delivered emails' },
    { label: 'Time to first contact', value: duration(c.first_contact.median_seconds), change: timeChange(c.first_contact.median_seconds, p.first_contact.median_seconds), hint: `Median, to the first message sent or task checked off; 9 in 10 ${(c.first_contact.p90_seconds ?? 1) < 1 ? 'in' : 'within'} ${duration(c.first_contact.p90_seconds)}` },
  ]
}

const outcomes: [string, string][] = [['sent', 'Sent'], ['delivered', 'Delivered'], ['opened', 'Opened'], ['clicked', 'Clicked'], ['read', 'Read'],
  ['failed', 'Failed'], ['bounced', 'Bounced'], ['complained', 'Marked as spam'], ['unsubscribed', 'Unsubscribed']]

export default function ResultsPage({ path }: { path: string }) {
  const params = new URLSearchParams(path.split('?')[1] ?? '')
  const [period, setPeriod] = useState(params.get('period') ?? '30d')
  const [flow, setFlow] = useState(params.get('flow') ?? '')
  const [stage, setStage] = useState(params.get('stage') ?? 'qualified')
  const [interval, setBucket] = useState(params.get('interval') ?? 'day')
  const [flows, setFlows] = useState<FlowSummary[]>([])
  const [summary, setSummary] = useState<Summary | null>(null)
  const [points, setPoints] = useState<Point[]>([])
  const [steps, setSteps] = useState<MessageStep[]>([])
  const [error, setError] = useState('')

  const q = new URLSearchParams({ period })
  if (flow) q.set('flow', flow)
  if (stage !== 'qualified') q.set('stage', stage)
  const query = q.toString()

  useEffect(() => { api<{ flows: FlowSummary[] }>('/flows').then((r) => setFlows(r.flows), () => {}) }, [])
  useEffect(() => {
    replaceAddress('/results?' + query + (interval !== 'day' ? '&interval=' + interval : ''))
    api<Summary>('/analytics/summary?' + query).then((s) => { setSummary(s); setError('') }, (e) => setError(e.message))
    api<{ points: Point[] }>(`/analytics/series?${query}&interval=${interval}`).then((s) => setPoints(s.points), (e) => setError(e.message))
  }, [query, interval])
  useEffect(() => {
    api<{ steps: MessageStep[] }>('/analytics/messages?' + query).then((s) => setSteps(s.steps), () => setSteps([]))
  }, [query])

  const c = summary?.current, p = summary?.previous
  return (
    <section className="page results">
      <h1>Results</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Choose the results">
        <div className="field"><label htmlFor="r-period">Period</label>
          <select id="r-period" value={period} onChange={(e) => setPeriod(e.target.value)}>
            {periods.map(([v, t]) => <option key={v} value={v}>{t}</option>)}
          </select></div>
        <div className="field"><label htmlFor="r-flow">Journey</label>
          <select id="r-flow" value={flow} onChange={(e) => setFlow(e.target.value)}>
            <option value="">All journeys</option>
            {flows.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </select></div>
        <div className="field"><label htmlFor="r-stage">A lead is qualified at deal stage</label>
          <select id="r-stage" value={stage} onChange={(e) => setStage(e.target.value)}>
            {stages.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {!c || !p ? !error && <p role="status">Loading…</p> : (
        <>
          <p className="muted">{dayRange(summary.since, summary.until)}, compared with {dayRange(summary.previous_since, summary.since)}. Deals count for a journey when the person went
            through it at most {summary.attribution_days} days before the deal was created. Test runs and test contacts are never counted.
            {summary.counted_at ? ' ' + countedAt(summary.counted_at) : ''}</p>
          <ul className="kpis" aria-label="Key results">
            {tiles(c, p, summary.stage).map((t) => (
              <li key={t.label} className="kpi">
                <span className="kpi-label">{t.label}</span>
                <strong className="kpi-value">{t.value}</strong>
                <span className="kpi-change">{t.change} vs previous period</span>
                <span className="kpi-hint muted">{t.hint}</span>
              </li>
            ))}
          </ul>

          <h2>Over time</h2>
          <div className="field"><label htmlFor="r-interval">Show per</label>
            <select id="r-interval" value={interval} onChange={(e) => setBucket(e.target.value)}>
              <option value="day">Day</option><option value="week">Week</option>
            </select></div>
          <Suspense fallback={null}>
            <ResultsChart points={points} label={`Chart of journey entries, leads captured, goal conversions and emails opened per ${interval}; the numbers are in the table below.`} />
          </Suspense>
          <table className="table" aria-label={`Results per ${interval}`}>
            <thead><tr><th>{interval === 'week' ? 'Week of' : 'Day'}</th><th>Journey entries</th><th>Leads captured</th><th>Goal conversions</th><th>Emails sent</th><th>Emails opened</th></tr></thead>
            <tbody>{points.map((pt) => (
              <tr key={pt.start}><td>{pt.start}</td><td>{count(pt.entries)}</td><td>{count(pt.leads)}</td><td>{count(pt.conversions)}</td><td>{count(pt.emails_sent)}</td><td>{count(pt.emails_opened)}</td></tr>
            ))}</tbody>
          </table>
          <p><a href={`/api/v1/analytics/series?${query}&interval=${interval}&format=csv`} download>Download results per {interval} (CSV)</a></p>

          <h2>Messages</h2>
          <table className="table" aria-label="Message results">
            <thead><tr><th>Channel</th>{outcomes.map(([, t]) => <th key={t}>{t}</th>)}</tr></thead>
            <tbody>{Object.keys(channelNames).map((ch) => {
              const r = c.channels[ch]
              if (!r) return null
              return (
                <tr key={ch}><th scope="row">{channelNames[ch]}</th>
                  {outcomes.map(([k]) => (
                    <td key={k}>{channelHas(ch, k)
                      ? <>{count(r[k as keyof typeof r] as number)}{k !== 'sent' && <span className="muted"> ({pct(r.rates[k] ?? null)})</span>}</>
                      : <span aria-label="does not apply">—</span>}</td>
                  ))}
                </tr>
              )
            })}</tbody>
          </table>
          <p className="muted">Delivered and bounced are shares of the messages sent; opened, clicked, read, marked as spam and unsubscribed
            are shares of the messages delivered; failed is a share of the messages tried. A dash means there was nothing to count yet.</p>
          <p><a href={`/api/v1/analytics/summary?${query}&format=csv`} download>Download all results (CSV)</a></p>

          <h2>Each message step</h2>
          {steps.length === 0 ? <p className="muted">No messages in this period.</p> : (
            <table className="table" aria-label="Results of each message step">
              <thead><tr><th>Journey</th><th>Step</th><th>Channel</th><th>Sent</th><th>Delivered</th><th>Opened or read</th><th>Clicked</th><th>Failed or bounced</th><th>Unsubscribed</th></tr></thead>
              <tbody>{steps.map((m) => {
                const seen = m.channel === 'whatsapp' ? 'read' : 'opened'
                const lost = m.channel === 'email' ? 'bounced' : 'failed'
                const cell = (k: string) => channelHas(m.channel, k) ? `${count(m[k as keyof ChannelCounts])} (${pct(m.rates[k] ?? null)})` : '—'
                return (
                  <tr key={`${m.flow_id}/${m.node_id}/${m.channel}`}>
                    <td>{m.flow_name}</td><th scope="row">{m.node_name}</th><td>{channelNames[m.channel] ?? m.channel}</td>
                    <td>{count(m.sent)}</td><td>{cell('delivered')}</td><td>{cell(seen)}</td><td>{cell('clicked')}</td><td>{cell(lost)}</td><td>{cell('unsubscribed')}</td>
                  </tr>
                )
              })}</tbody>
            </table>
          )}
          <p><a href={`/api/v1/analytics/messages?${query}&format=csv`} download>Download the results of each message step (CSV)</a></p>
        </>
      )}
    </section>
  )
}
