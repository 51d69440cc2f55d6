package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// opsSetup is setup with the metrics wired as main wires them (one
// registry shared by the engine and the outbox) and an optional metrics
// token.
func opsSetup(t *testing.T, metricsToken string) *testBundle {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbPath := t.TempDir() + "/t.db"
	store, err := storage.Open(ctx, "sqlite://"+dbPath, logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	metrics := engine.NewMetrics()
	ch, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{5}, storage.SecretKeySize),
		PublicURL: "https://journeys.example.com", Logger: logger, Metrics: metrics})
	if err != nil {
		t.Fatalf("new channels: %v", err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Logger: logger, Channels: ch, Metrics: metrics})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	srv := server.New(server.Config{Engine: eng, Store: store, Logger: logger, Version: "test",
		Templates: flows.TemplatesFS(), Channels: ch, MetricsToken: metricsToken})
	b := &testBundle{store: store, eng: eng, srv: srv, logs: logs, ch: ch, dbPath: dbPath}
	err = store.Write(ctx, func(tx storage.Tx) error {
		b.token, _, err = storage.CreateAPIToken(tx, "tests", time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return b
}

// metricValue reads one sample of the text exposition ("" when absent).
func metricValue(t *testing.T, body, sample string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestMetricsCountRunsStepsWebhooksAndMessages(t *testing.T) {
	t.Parallel()
	b := opsSetup(t, "")
	publishFlow(helloFlow, "hello")(t, b)
	b.request(t, "POST", "/hooks/hello", `{"a":1}`).must(t, http.StatusAccepted)
	b.request(t, "POST", "/hooks/hello", `{"a":2}`).must(t, http.StatusAccepted)
	b.request(t, "POST", "/hooks/nobody-listens", `{"a":1}`).must(t, http.StatusNotFound)
	b.request(t, "POST", "/hooks/hello", `{"a":`).must(t, http.StatusBadRequest)
	b.drain(t)
	sandboxMessage(t, b)

	res := b.request(t, "GET", "/metrics", "").must(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	want := map[string]string{
		`journey_runs_started_total{flow="hello"}`:                     "2",
		`journey_runs_ended_total{flow="hello",status="failed"}`:       "2", // list.add needs a contact
		`journey_runs_ended_total{flow="remind",status="completed"}`:   "1",
		`journey_runs_started_total{flow="remind"}`:                    "1",
		`journey_step_duration_seconds_count{node_type="list.add"}`:    "2",
		`journey_step_duration_seconds_count{node_type="message.sms"}`: "1",
		`journey_webhook_requests_total{code="202"}`:                   "2",
		`journey_webhook_requests_total{code="404"}`:                   "1",
		`journey_webhook_requests_total{code="400"}`:                   "1",
		`journey_messages_total{channel="sms",outcome="sandboxed"}`:    "1",
		`journey_jobs_due`:                   "0",
		`journey_oldest_due_job_age_seconds`: "0",
		`journey_build_info{version="test"}`: "1",
		`journey_flows{status="active"}`:     "2",
	}
	for sample, v := range want {
		if got := metricValue(t, res.body, sample); got != v {
			t.Errorf("%s = %q, want %s", sample, got, v)
		}
	}
	if !strings.Contains(res.body, "# TYPE journey_step_duration_seconds histogram") ||
		!strings.Contains(res.body, `journey_step_duration_seconds_bucket{node_type="list.add",le="+Inf"} 2`) {
		t.Errorf("no step latency histogram:\n%s", res.body)
	}
	if metricValue(t, res.body, "go_goroutines") == "" || metricValue(t, res.body, "process_resident_memory_bytes") == "" {
		t.Error("the Go runtime and process metrics are missing")
	}
}

func TestMetricsShowLateJobs(t *testing.T) {
	t.Parallel()
	b := opsSetup(t, "")
	now := time.Now().UTC()
	err := b.store.Write(context.Background(), func(tx storage.Tx) error {
		for _, due := range []time.Time{now.Add(-10 * time.Minute), now.Add(-5 * time.Second), now.Add(time.Hour)} {
			if _, err := storage.InsertJob(tx, &storage.Job{NodeID: "n", Kind: storage.JobAbsence, DueAt: due, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := b.request(t, "GET", "/metrics", "").must(t, http.StatusOK)
	for sample, v := range map[string]string{"journey_jobs_due": "2", "journey_jobs_overdue": "1", "journey_jobs_pending": "1"} {
		if got := metricValue(t, res.body, sample); got != v {
			t.Errorf("%s = %q, want %s", sample, got, v)
		}
	}
	age, err := strconv.ParseFloat(metricValue(t, res.body, "journey_oldest_due_job_age_seconds"), 64)
	if err != nil || age < 600 || age > 3600 {
		t.Fatalf("oldest due job age = %v (%v), want about 600 s", age, err)
	}
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	b := opsSetup(t, "metrics-s3cret")
	b.request(t, "GET", "/metrics", "").must(t, http.StatusUnauthorized)
	b.request(t, "GET", "/metrics", "", "Authorization", "Bearer wrong").must(t, http.StatusUnauthorized)
	// An API token is not the metrics token.
	b.api(t, "GET", "/metrics", "").must(t, http.StatusUnauthorized)
	res := b.request(t, "GET", "/metrics", "", "Authorization", "Bearer metrics-s3cret").must(t, http.StatusOK)
	if metricValue(t, res.body, "journey_jobs_due") != "0" {
		t.Fatalf("metrics body: %s", res.body)
	}
	// Health checks stay public.
	b.request(t, "GET", "/healthz", "").must(t, http.StatusOK)
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	t.Run("ready only while the engine runs", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res := b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, `"code":"unavailable"`) || !strings.Contains(res.body, `"name":"engine","ok":false`) {
			t.Fatalf("before start: %s", res.body)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		b.eng.Start(ctx)
		res = b.request(t, "GET", "/readyz", "").must(t, http.StatusOK)
		if !strings.Contains(res.body, `"status":"ready"`) {
			t.Fatalf("started: %s", res.body)
		}
		cancel() // SIGTERM: the loops stop claiming work
		b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if err := b.eng.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
	})
	t.Run("a missing migration is not ready", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.eng.Start(context.Background())
		t.Cleanup(func() { _ = b.eng.Stop(context.Background()) })
		err := b.store.Write(context.Background(), func(tx storage.Tx) error {
			return storagetest.Exec(tx, "DELETE FROM schema_migrations WHERE id = ?", "0002_settings")
		})
		if err != nil {
			t.Fatal(err)
		}
		res := b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, "0002_settings not applied") {
			t.Fatalf("readyz: %s", res.body)
		}
	})
	t.Run("a write open too long is not ready", func(t *testing.T) {
		t.Parallel()
		// The smallest limit: any write still open when /readyz asks is
		// over it, so the test needs no clock.
		b := setup(t, func(o *setupOptions) { o.writerBusyLimit = time.Nanosecond })
		res := b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, `"name":"writer","ok":true`) {
			t.Fatalf("no write open: %s", res.body)
		}
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- b.store.Write(context.Background(), func(tx storage.Tx) error {
				close(inside)
				<-release
				return nil
			})
		}()
		<-inside
		res = b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, `"name":"writer","ok":false,"message":"A database write has been going on for`) ||
			!strings.Contains(res.body, "other writes wait for it") {
			t.Fatalf("write open: %s", res.body)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		res = b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, `"name":"writer","ok":true`) {
			t.Fatalf("write done: %s", res.body)
		}
	})
	t.Run("an unreachable database is not ready", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.eng.Start(context.Background())
		t.Cleanup(func() { _ = b.eng.Stop(context.Background()) })
		_ = b.store.Close()
		res := b.request(t, "GET", "/readyz", "").must(t, http.StatusServiceUnavailable)
		if !strings.Contains(res.body, `"name":"database","ok":false`) {
			t.Fatalf("readyz: %s", res.body)
		}
	})
}
