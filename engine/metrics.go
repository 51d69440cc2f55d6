package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/journeyhq/journey/storage"
)

// Metrics are the engine's Prometheus metrics: runs started and ended
// per flow, step latency per node type, messages per channel and outcome,
// webhook requests per status, and the job queue read at scrape time.
// Counters are per process: with several instances, sum them.
// All methods are safe on a nil *Metrics (they do nothing).
type Metrics struct {
	reg *prometheus.Registry

	runsStarted  *prometheus.CounterVec
	runsEnded    *prometheus.CounterVec
	stepDuration *prometheus.HistogramVec
	messages     *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	ignored      *prometheus.CounterVec

	queueOnce sync.Once
}

// stepBuckets spans in-transaction steps (well under a millisecond) to
// vendor calls (seconds).
var stepBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// NewMetrics returns a fresh registry with the engine's metrics and the Go
// runtime and process collectors (memory, goroutines, open files).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journey_runs_started_total",
			Help: "Runs started, by flow (test runs included).",
		}, []string{"flow"}),
		runsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journey_runs_ended_total",
			Help: "Runs that ended, by flow and status (completed, failed, cancelled).",
		}, []string{"flow", "status"}),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "journey_step_duration_seconds",
			Help:    "Time a step took, from its handler's start until its result was recorded, by node type.",
			Buckets: stepBuckets,
		}, []string{"node_type"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journey_messages_total",
			Help: "Messages recorded or updated, by channel and outcome (sent, sandboxed, failed, skipped, delayed, ...).",
		}, []string{"channel", "outcome"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journey_webhook_requests_total",
			Help: "Requests to /hooks/ (webhook triggers and provider callbacks), by HTTP status code.",
		}, []string{"code"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journey_provider_events_ignored_total",
			Help: "Vendor webhook events acknowledged but not recorded, by provider and reason (not recorded: known events we skip, such as processed or deferred; unknown event: types we do not map).",
		}, []string{"provider", "reason"}),
	}
	m.reg.MustRegister(m.runsStarted, m.runsEnded, m.stepDuration, m.messages, m.webhooks, m.ignored,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer is what /metrics serves.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// RunStarted counts a new run of flow.
func (m *Metrics) RunStarted(flow string) {
	if m != nil {
		m.runsStarted.WithLabelValues(flow).Inc()
	}
}

// RunEnded counts a run of flow that reached a final status.
func (m *Metrics) RunEnded(flow, status string) {
	if m != nil {
		m.runsEnded.WithLabelValues(flow, status).Inc()
	}
}

// StepDone observes how long a step of nodeType took.
func (m *Metrics) StepDone(nodeType string, d time.Duration) {
	if m != nil {
		m.stepDuration.WithLabelValues(nodeType).Observe(max(d, 0).Seconds())
	}
}

// MessageOutcome counts a message on channel reaching outcome (a message
// status).
func (m *Metrics) MessageOutcome(channel, outcome string) {
	if m != nil {
		m.messages.WithLabelValues(channel, outcome).Inc()
	}
}

// ProviderEventIgnored counts a vendor event acknowledged but not recorded.
func (m *Metrics) ProviderEventIgnored(provider, reason string) {
	if m != nil {
		m.ignored.WithLabelValues(provider, reason).Inc()
	}
}

// WebhookRequest counts a request under /hooks/ answered with code.
func (m *Metrics) WebhookRequest(code string) {
	if m != nil {
		m.webhooks.WithLabelValues(code).Inc()
	}
}

// watchQueue registers the scrape-time job gauges once (the first engine
// built with these metrics owns them).
func (m *Metrics) watchQueue(store *storage.Store, clock Clock, log *slog.Logger) {
	if m == nil {
		return
	}
	m.queueOnce.Do(func() {
		m.reg.MustRegister(&queueCollector{store: store, clock: clock, log: log})
	})
}

// OverdueAfter is how late a due job must be to count as overdue: later
// than a busy worker's normal lag.
const OverdueAfter = time.Minute

// queueScrapeTimeout bounds the job queries of one scrape.
const queueScrapeTimeout = 2 * time.Second

var (
	jobsDueDesc = prometheus.NewDesc("journey_jobs_due",
		"Jobs due now and not being worked on (a growing number means the workers fall behind).", nil, nil)
	jobsOverdueDesc = prometheus.NewDesc("journey_jobs_overdue",
		"Jobs due for more than a minute and not being worked on.", nil, nil)
	jobsPendingDesc = prometheus.NewDesc("journey_jobs_pending",
		"Jobs due later (delays and timeouts).", nil, nil)
	oldestDueDesc = prometheus.NewDesc("journey_oldest_due_job_age_seconds",
		"How long the oldest due job has been waiting (0 when none is due).", nil, nil)
)

// queueCollector reads the job queue when scraped, with indexed queries
// on jobs.due_at.
type queueCollector struct {
	store *storage.Store
	clock Clock
	log   *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDueDesc
	ch <- jobsOverdueDesc
	ch <- jobsPendingDesc
	ch <- oldestDueDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueScrapeTimeout)
	defer cancel()
	now := c.clock.Now()
	q, err := storage.ReadQueueStats(c.store.Reader().WithContext(ctx), now, now.Add(-OverdueAfter))
	if err != nil {
		c.log.Error("metrics: read the job queue", "error", err)
		ch <- prometheus.NewInvalidMetric(jobsDueDesc, err)
		return
	}
	age := 0.0
	if !q.OldestDue.IsZero() {
		age = max(now.Sub(q.OldestDue), 0).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(jobsDueDesc, prometheus.GaugeValue, float64(q.Due))
	ch <- prometheus.MustNewConstMetric(jobsOverdueDesc, prometheus.GaugeValue, float64(q.Overdue))
	ch <- prometheus.MustNewConstMetric(jobsPendingDesc, prometheus.GaugeValue, float64(q.Pending))
	ch <- prometheus.MustNewConstMetric(oldestDueDesc, prometheus.GaugeValue, age)
}
