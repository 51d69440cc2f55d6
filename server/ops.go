package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/journeyhq/journey/storage"
)

// readyCheck is one line of the /readyz answer.
type readyCheck struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
}

// readyz answers 200 when this instance can serve traffic: the database
// answers, every migration is applied, the engine's workers run and no
// write transaction has been open longer than Config.WriterBusyLimit; 503
// with the failing checks otherwise (also while shutting down).
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), healthTimeout)
	defer cancel()
	checks := []readyCheck{{Name: "database", OK: true}, {Name: "migrations", OK: true}, {Name: "engine", OK: true}, s.writerCheck()}
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readyz: database", "error", err, "request_id", requestIDOf(c))
		checks[0] = readyCheck{Name: "database", Message: "The database does not answer."}
		checks[1] = readyCheck{Name: "migrations", Message: "Unknown while the database does not answer."}
	} else if pending, err := s.store.PendingMigrations(ctx); err != nil || len(pending) > 0 {
		msg := "The schema is not up to date: " + strings.Join(pending, ", ") + " not applied."
		if err != nil {
			s.log.WarnContext(ctx, "readyz: migrations", "error", err, "request_id", requestIDOf(c))
			msg = "The schema version cannot be read."
		}
		checks[1] = readyCheck{Name: "migrations", Message: msg}
	}
	if !s.eng.Running() {
		checks[2] = readyCheck{Name: "engine", Message: "The engine's workers are not running (starting or shutting down)."}
	}
	for _, ch := range checks {
		if !ch.OK {
			return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable,
				Message: "This instance is not ready.", Details: checks}
		}
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}

// writerCheck fails when a write transaction has been open too long: on
// SQLite every webhook and event waits for it.
func (s *Server) writerCheck() readyCheck {
	busy := s.store.WriterBusyFor()
	if busy <= s.cfg.WriterBusyLimit {
		return readyCheck{Name: "writer", OK: true}
	}
	return readyCheck{Name: "writer", Message: fmt.Sprintf(
		"A database write has been going on for %s, longer than the limit of %s; other writes wait for it.",
		busy.Round(time.Millisecond), s.cfg.WriterBusyLimit)}
}

// metrics serves the engine's metrics and the server's gauges in the
// Prometheus text format. With Config.MetricsToken set it needs
// "Authorization: Bearer TOKEN".
func (s *Server) metrics(c *fiber.Ctx) error {
	if tok := s.cfg.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			return unauthorized("Send the metrics token: Authorization: Bearer TOKEN.")
		}
	}
	mfs, err := prometheus.Gatherers{s.eng.Metrics().Gatherer(), s.gauges}.Gather()
	if err != nil && len(mfs) == 0 {
		return err
	}
	if err != nil {
		// Serve what was gathered; the failing part is logged.
		s.log.WarnContext(c.UserContext(), "metrics: gather", "error", err, "request_id", requestIDOf(c))
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderContentType, string(format))
	return c.Send(buf.Bytes())
}

// countWebhooks counts the requests under /hooks/ by answer status. It
// renders a handler's error itself, so the status is known here.
func (s *Server) countWebhooks(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			_ = c.SendStatus(http.StatusInternalServerError)
		}
	}
	s.eng.Metrics().WebhookRequest(strconv.Itoa(c.Response().StatusCode()))
	return nil
}

// serverGauges are the gauges read from the database when scraped: the
// build, flows by status and today's runs by status.
type serverGauges struct{ s *Server }

var (
	buildInfoDesc = prometheus.NewDesc("journey_build_info", "The running version.", []string{"version"}, nil)
	flowsDesc     = prometheus.NewDesc("journey_flows", "Journeys by status.", []string{"status"}, nil)
	runsTodayDesc = prometheus.NewDesc("journey_runs_today", "Runs started today (UTC) by current status.", []string{"status"}, nil)
)

// gaugeTimeout bounds the queries of one scrape.
const gaugeTimeout = 2 * time.Second

func (g serverGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- buildInfoDesc
	ch <- flowsDesc
	ch <- runsTodayDesc
}

func (g serverGauges) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(buildInfoDesc, prometheus.GaugeValue, 1, g.s.cfg.Version)
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	db := g.s.store.Reader().WithContext(ctx)
	fs, err := storage.ListFlows(db)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(flowsDesc, err)
		return
	}
	flowsBy := map[string]int64{storage.FlowDraft: 0, storage.FlowActive: 0, storage.FlowPaused: 0}
	for _, f := range fs {
		flowsBy[f.Status]++
	}
	for st, n := range flowsBy {
		ch <- prometheus.MustNewConstMetric(flowsDesc, prometheus.GaugeValue, float64(n), st)
	}
	now := g.s.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	counts, err := storage.FlowRunCounts(db, today)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(runsTodayDesc, err)
		return
	}
	runsBy := map[string]int64{}
	for _, st := range runStatuses {
		runsBy[st] = 0
	}
	for _, byStatus := range counts {
		for st, n := range byStatus {
			runsBy[st] += n
		}
	}
	for st, n := range runsBy {
		ch <- prometheus.MustNewConstMetric(runsTodayDesc, prometheus.GaugeValue, float64(n), st)
	}
}
