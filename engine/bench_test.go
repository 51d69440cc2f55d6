package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// BenchmarkTemplateRuns measures completed runs per second of the
// chat-lead-qualification template through the real engine on SQLite:
// webhook ingestion plus every durable step (5 steps a cold lead's run, 7 a
// hot one's, each recorded, with contact, note, deal, task, list or sandboxed
// Slack post effects).
//
//	go test ./engine -run '^$' -bench TemplateRuns -benchtime 20000x -count 5
func BenchmarkTemplateRuns(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "flows", "templates", "chat-lead-qualification.json"))
	if err != nil {
		b.Fatal(err)
	}
	eng, store, _ := benchEngine(b, data, true)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		// The template's whole payload, as .ci/bench/load sends it: a
		// phone of its own per lead (a Spanish mobile) to tidy and check.
		bodies[i], _ = json.Marshal(map[string]any{"email": fmt.Sprintf("lead%d@example.com", i),
			"name": "ana silva", "phone": fmt.Sprintf("+34 %d", 600000000+i), "company": "Acme",
			"score": (i * 37) % 100, "transcript": "Hello, I would like a demo."})
	}
	b.ResetTimer()
	ingested, elapsed := ingestAndDrain(b, eng, "chat-finished", bodies)
	b.StopTimer()
	var done int64
	_ = storagetest.Count(store.Reader(), &done, &storage.Run{}, "status = ?", storage.RunCompleted)
	if int(done) != b.N {
		b.Fatalf("completed %d of %d runs", done, b.N)
	}
	reportRunRates(b, ingested, elapsed)
}

// ingestAndDrain posts every body to the webhook trigger at path from 16
// goroutines, then
// runs the engine until no job is due. It returns how long ingestion took
// and how long everything took.
func ingestAndDrain(b *testing.B, eng *engine.Engine, path string, bodies [][]byte) (ingested, elapsed time.Duration) {
	b.Helper()
	cpuStart = processCPU()
	start := time.Now()
	ingest(b, eng, path, bodies)
	ingested = time.Since(start)
	if _, err := eng.Drain(context.Background()); err != nil {
		b.Fatal(err)
	}
	return ingested, time.Since(start)
}

// ingest posts every body to the webhook trigger at path from 16
// goroutines.
func ingest(b *testing.B, eng *engine.Engine, path string, bodies [][]byte) {
	b.Helper()
	ctx := context.Background()
	// Webhooks arrive concurrently, as from 16 HTTP clients; the engine
	// commits concurrent arrivals together.
	const clients = 16
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < len(bodies); i += clients {
				if _, err := eng.IngestWebhook(ctx, engine.HookRequest{Path: path, Body: bodies[i]}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

var cpuStart time.Duration

// processCPU returns the CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRunRates reports completed runs/s from the first webhook to the
// last run's end, and the share of that time the workers needed after the
// last webhook was accepted (runs started inline leave them little).
// On this shared machine the wall-clock rates depend on what else runs;
// CPU time per run (user+system of the whole process) does much less.
func reportRunRates(b *testing.B, ingested, elapsed time.Duration) {
	b.ReportMetric(float64((processCPU()-cpuStart).Microseconds())/float64(b.N), "cpu-µs/run")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "runs/s")
	b.ReportMetric(100*(elapsed-ingested).Seconds()/elapsed.Seconds(), "%after-ingest")
}

// delayBenchFlow waits a day after a webhook, then sets a variable.
const delayBenchFlow = `{"id": "delays", "name": "One day later",
 "nodes": [
  {"id": "start", "type": "trigger.webhook", "params": {"path": "signup"}, "position": {"x": 0, "y": 0}},
  {"id": "wait", "type": "wait.delay", "params": {"mode": "duration", "duration": "1d"}, "position": {"x": 0, "y": 100}},
  {"id": "mark", "type": "data.set", "params": {"values": {"followed_up": "true"}}, "position": {"x": 0, "y": 200}}
 ],
 "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "to": "mark"}]}`

// BenchmarkDelayFiring measures how fast runs paused in a wait.delay
// complete once their delay is due: b.N runs wait, the clock moves a day,
// and the engine drains them (claim, resume, one step, run saved).
//
//	go test ./engine -run '^$' -bench DelayFiring -benchtime 20000x -count 3
func BenchmarkDelayFiring(b *testing.B) {
	ctx := context.Background()
	eng, store, clock := benchEngine(b, []byte(delayBenchFlow), false)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = []byte(`{"n":` + fmt.Sprint(i) + `}`)
	}
	ingestAndDrain(b, eng, "signup", bodies) // every run now waits
	clock.Advance(25 * time.Hour)
	b.ResetTimer()
	cpu := processCPU()
	start := time.Now()
	if _, err := eng.Drain(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var done int64
	_ = storagetest.Count(store.Reader(), &done, &storage.Run{}, "status = ?", storage.RunCompleted)
	if int(done) != b.N {
		b.Fatalf("completed %d of %d runs", done, b.N)
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/run")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "fired-runs/s")
}

// BenchmarkVendorCallRuns measures the vendor-call path of .ci/bench/vendor
// without HTTP in front: 16 goroutines ingest "chat finished" webhooks
// while the engine runs (inline start, the dispatcher, the workers), each
// run branching on the score to an http.request POST to a sink on
// 127.0.0.1, until every call reached the sink and every run completed.
//
//	go test ./engine -run '^$' -bench VendorCallRuns -benchtime 20000x -count 5
func BenchmarkVendorCallRuns(b *testing.B) {
	var reached atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		reached.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer sink.Close()
	data, err := os.ReadFile(filepath.Join("..", ".ci", "bench", "vendor-call.json"))
	if err != nil {
		b.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte("SINK_URL"), []byte(sink.URL))
	accounts, web := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
	eng, store, _ := benchEngineWith(b, data, &channels.Config{Accounts: accounts, HTTP: web})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]any{"email": fmt.Sprintf("lead%d@example.com", i),
			"name": "Ana Silva", "score": (i * 37) % 100})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng.Start(ctx)
	defer func() { _ = eng.Stop(context.Background()) }()
	b.ResetTimer()
	cpuStart = processCPU()
	start := time.Now()
	ingest(b, eng, "chat-finished", bodies)
	ingested := time.Since(start)
	for reached.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	for {
		var running int64
		_ = storagetest.Count(store.Reader(), &running, &storage.Run{}, "status <> ?", storage.RunCompleted)
		if running == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if n := reached.Load(); n != int64(b.N) {
		b.Fatalf("%d calls reached the sink, want %d", n, b.N)
	}
	reportRunRates(b, ingested, elapsed)
}

// benchEngine opens a fresh SQLite store and an engine with a fake clock
// (and, with sandbox, the message outbox), and publishes the flow doc.
func benchEngine(b *testing.B, doc []byte, sandbox bool) (*engine.Engine, *storage.Store, *fakeClock) {
	b.Helper()
	if !sandbox {
		return benchEngineWith(b, doc, nil)
	}
	return benchEngineWith(b, doc, &channels.Config{})
}

// benchEngineWith is benchEngine with channels configured by cc (nil:
// none); the store, clock and a secret key are filled in.
func benchEngineWith(b *testing.B, doc []byte, cc *channels.Config) (*engine.Engine, *storage.Store, *fakeClock) {
	b.Helper()
	// The collector runs as the binary runs it (main.go), unless GOGC is
	// set: GOGC=100 measures Go's default.
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(engine.GCPercent)
		b.Cleanup(func() { debug.SetGCPercent(old) })
	}
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	// As the binary runs it (serve with role all).
	cfg := engine.Config{Store: store, Registry: nodes.Builtin(), Clock: clock, BatchSize: 128, InlineStart: true}
	if cc != nil {
		cc.Store, cc.Now, cc.SecretKey = store, clock.Now, make([]byte, storage.SecretKeySize)
		ch, err := channels.New(*cc)
		if err != nil {
			b.Fatal(err)
		}
		cfg.Channels = ch
	}
	eng, err := engine.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	f, err := flows.Decode(doc)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Import(ctx, f, true); err != nil {
		b.Fatal(err)
	}
	return eng, store, clock
}
