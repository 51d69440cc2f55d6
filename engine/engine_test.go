package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// fakeClock is advanced explicitly by tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	ctx   context.Context
	store *storage.Store
	eng   *engine.Engine
	clock *fakeClock
	reg   *nodes.Registry
	// ch is the message outbox (with setupOpts.channels).
	ch *channels.Service
}

type setupOpts struct {
	reg *nodes.Registry
	// db is "sqlite" (default) or "postgres" (skipped without
	// TEST_POSTGRES_DSN); with "+inline", webhook runs start at once, as
	// the binary starts them (Config.InlineStart; without it, as a
	// --role web instance leaves them to the workers).
	db string
	// channels wires the message outbox (sandbox only).
	channels bool
	// scheduleBatch is engine.Config.ScheduleBatch (0: the default).
	scheduleBatch int
	// emailChecker is engine.Config.EmailChecker.
	emailChecker nodes.EmailChecker
	// vendorConcurrency is engine.Config.VendorConcurrency (0: the default).
	vendorConcurrency int
	// stepTimeout is engine.Config.StepTimeout (0: the default).
	stepTimeout time.Duration
	// maxBacklog is engine.Config.MaxBacklog (0: no limit).
	maxBacklog int
	// pollInterval is engine.Config.PollInterval (0: the default).
	pollInterval time.Duration
}

// databases lists the databases every engine test runs on.
var databases = []string{"sqlite", "postgres"}

// eachDB runs fn as a subtest per database, with and without webhook runs
// started inline.
func eachDB(t *testing.T, fn func(t *testing.T, db string)) {
	t.Helper()
	eachOf(t, append(databases, "sqlite+inline", "postgres+inline"), fn)
}

func eachOf(t *testing.T, dbs []string, fn func(t *testing.T, db string)) {
	t.Helper()
	for _, db := range dbs {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			fn(t, db)
		})
	}
}

func setup(t *testing.T, opts ...setupOpts) *testBundle {
	t.Helper()
	var o setupOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.reg == nil {
		o.reg = nodes.Builtin()
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	if strings.HasPrefix(o.db, "postgres") {
		dsn = storagetest.PostgresDSN(t)
	}
	store, err := storage.Open(ctx, dsn, logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} // a Monday
	var ch *channels.Service
	cfg := engine.Config{Store: store, Registry: o.reg, Clock: clock, Logger: logger,
		RetryBase: time.Second, MaxAttempts: 3, ScheduleBatch: o.scheduleBatch, InlineStart: strings.HasSuffix(o.db, "+inline"),
		EmailChecker: o.emailChecker, VendorConcurrency: o.vendorConcurrency, StepTimeout: o.stepTimeout,
		MaxBacklog: o.maxBacklog, PollInterval: o.pollInterval}
	if o.channels {
		ch, err = channels.New(channels.Config{Store: store, SecretKey: make([]byte, storage.SecretKeySize),
			PublicURL: "https://journeys.example.com", Now: clock.Now, Logger: logger})
		if err != nil {
			t.Fatalf("new channels: %v", err)
		}
		cfg.Channels = ch
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	return &testBundle{ctx: ctx, store: store, eng: eng, clock: clock, reg: o.reg, ch: ch}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// publish imports and publishes a flow document.
func (b *testBundle) publish(t *testing.T, doc string) {
	t.Helper()
	f, err := flows.Decode([]byte(doc))
	if err != nil {
		t.Fatalf("decode flow: %v", err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		var pe *flows.ProblemsError
		if errors.As(err, &pe) {
			t.Fatalf("flow is invalid: %+v", pe.Problems)
		}
		t.Fatalf("import: %v", err)
	}
}

func (b *testBundle) drain(t *testing.T) {
	t.Helper()
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

func (b *testBundle) run(t *testing.T, id string) *storage.Run {
	t.Helper()
	r, err := storage.GetRun(b.store.Reader(), id)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	return r
}

func (b *testBundle) count(t *testing.T, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := storagetest.Count(b.store.Reader(), &n, model, where, args...); err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func (b *testBundle) hook(t *testing.T, path string, body map[string]any) []string {
	t.Helper()
	data, _ := json.Marshal(body)
	res, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: path, Body: data})
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	return res.Runs
}

func (b *testBundle) event(t *testing.T, in engine.EventInput) engine.EventResult {
	t.Helper()
	res, err := b.eng.IngestEvent(b.ctx, in)
	if err != nil {
		t.Fatalf("event: %v", err)
	}
	return res
}

func readTemplate(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "flows", "templates", name))
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	return string(data)
}

const delayFlow = `{
  "id": "delay", "name": "Delay",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.delay", "params": {"mode": "duration", "duration": "2d"}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["followed_up"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "to": "tag"}]
}`

func TestDelayIsDurableAndFiresOnTime(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, delayFlow)
		res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "a@example.com"}})
		if len(res.Started) != 1 {
			t.Fatalf("started = %v, want one run", res.Started)
		}
		b.drain(t)
		r := b.run(t, res.Started[0])
		if r.Status != storage.RunWaiting {
			t.Fatalf("status = %s, want waiting", r.Status)
		}
		b.clock.Advance(47 * time.Hour)
		b.drain(t)
		if r := b.run(t, res.Started[0]); r.Status != storage.RunWaiting {
			t.Fatalf("after 47h status = %s, want still waiting", r.Status)
		}
		// A restart: a new engine on the same database picks the delay up.
		eng2, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock})
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Hour)
		if _, err := eng2.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		if r := b.run(t, res.Started[0]); r.Status != storage.RunCompleted {
			t.Fatalf("after 48h status = %s (%s), want completed", r.Status, r.Error)
		}
		if n := b.count(t, &storage.ContactTag{}, "tag = ?", "followed_up"); n != 1 {
			t.Fatalf("tags = %d, want 1", n)
		}
	})
}

const waitEventFlow = `{
  "id": "no-open", "name": "No open",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "email.sent"}, "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.event", "params": {"event_type": "email.opened", "timeout": "48h", "match": "event.data.campaign == trigger.campaign"}, "position": {"x":0,"y":0}},
    {"id": "opened", "type": "contact.tag", "params": {"add": ["opened"]}, "position": {"x":0,"y":0}},
    {"id": "reminder", "type": "contact.tag", "params": {"add": ["needs_reminder"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "start", "to": "wait"},
    {"from": "wait", "port": "event", "to": "opened"},
    {"from": "wait", "port": "timeout", "to": "reminder"}
  ]
}`

func TestWaitForEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		act     func(t *testing.T, b *testBundle)
		wantTag string
		// wantWait is the wait step's history: status/port of each row.
		wantWait string
	}{
		{
			name: "a matching event resumes through the event port",
			act: func(t *testing.T, b *testBundle) {
				b.clock.Advance(time.Hour)
				other := b.event(t, engine.EventInput{Type: "email.opened", Contact: storage.ContactRef{Email: "w@example.com"},
					Data: map[string]any{"campaign": "other"}})
				if len(other.Resumed) != 0 {
					t.Fatalf("an event that does not match resumed %v", other.Resumed)
				}
				res := b.event(t, engine.EventInput{Type: "email.opened", Contact: storage.ContactRef{Email: "w@example.com"},
					Data: map[string]any{"campaign": "welcome"}})
				if len(res.Resumed) != 1 {
					t.Fatalf("resumed = %v, want one run", res.Resumed)
				}
			},
			wantTag:  "opened",
			wantWait: "waiting/,completed/event",
		},
		{
			name: "no event within the timeout follows the timeout port",
			act: func(t *testing.T, b *testBundle) {
				b.clock.Advance(49 * time.Hour)
			},
			wantTag:  "needs_reminder",
			wantWait: "waiting/,timed_out/timeout",
		},
		{
			name: "an event after the timeout changes nothing",
			act: func(t *testing.T, b *testBundle) {
				b.clock.Advance(49 * time.Hour)
				b.drain(t)
				res := b.event(t, engine.EventInput{Type: "email.opened", Contact: storage.ContactRef{Email: "w@example.com"},
					Data: map[string]any{"campaign": "welcome"}})
				if len(res.Resumed) != 0 {
					t.Fatalf("a late event resumed %v", res.Resumed)
				}
			},
			wantTag:  "needs_reminder",
			wantWait: "waiting/,timed_out/timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.publish(t, waitEventFlow)
			res := b.event(t, engine.EventInput{Type: "email.sent", Contact: storage.ContactRef{Email: "w@example.com"},
				Data: map[string]any{"campaign": "welcome"}})
			b.drain(t)
			tt.act(t, b)
			b.drain(t)
			r := b.run(t, res.Started[0])
			if r.Status != storage.RunCompleted {
				t.Fatalf("status = %s (%s), want completed", r.Status, r.Error)
			}
			var tags []string
			_ = storagetest.Pluck(b.store.Reader(), &storage.ContactTag{}, "tag", &tags, storagetest.Query{})
			if len(tags) != 1 || tags[0] != tt.wantTag {
				t.Fatalf("tags = %v, want [%s]", tags, tt.wantTag)
			}
			steps, err := storage.RunSteps(b.store.Reader(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var history []string
			for _, s := range steps {
				if s.NodeID == "wait" {
					history = append(history, s.Status+"/"+s.Port)
					if s.Port == "event" && (!strings.Contains(s.Output, `"type":"email.opened"`) || !strings.Contains(s.Output, `"at":`)) {
						t.Errorf("the arrival step shows %s; want the event's type and time", s.Output)
					}
				}
			}
			if got := strings.Join(history, ","); got != tt.wantWait {
				t.Fatalf("wait step history = %s, want %s", got, tt.wantWait)
			}
			if n := b.count(t, &storage.Wait{}, ""); n != 0 {
				t.Fatalf("%d waits left behind", n)
			}
			if n := b.count(t, &storage.Job{}, ""); n != 0 {
				t.Fatalf("%d jobs left behind", n)
			}
		})
	}
}

func TestEventWithSameIDIsStoredOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, delayFlow)
		in := engine.EventInput{ID: "evt-1", Type: "signup", Contact: storage.ContactRef{Email: "d@example.com"}}
		first := b.event(t, in)
		second := b.event(t, in)
		if first.Duplicate || !second.Duplicate || second.EventID != first.EventID {
			t.Fatalf("first %+v second %+v: want the second to be the same, duplicate event", first, second)
		}
		if len(second.Started) != 0 {
			t.Fatalf("a duplicate event started runs %v", second.Started)
		}
		if n := b.count(t, &storage.Event{}, "type = ?", "signup"); n != 1 {
			t.Fatalf("events stored = %d, want 1", n)
		}
		if n := b.count(t, &storage.Run{}, ""); n != 1 {
			t.Fatalf("runs = %d, want 1", n)
		}
	})
}

func TestReentryPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy   string
		gap      time.Duration
		wantRuns int64
	}{
		{policy: `{"policy": "always"}`, gap: time.Hour, wantRuns: 2},
		{policy: `{"policy": "once"}`, gap: 400 * 24 * time.Hour, wantRuns: 1},
		{policy: `{"policy": "once_per_period", "period": "7d"}`, gap: 6 * 24 * time.Hour, wantRuns: 1},
		{policy: `{"policy": "once_per_period", "period": "7d"}`, gap: 8 * 24 * time.Hour, wantRuns: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s after %s", tt.policy, tt.gap), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			doc := strings.Replace(delayFlow, `"name": "Delay",`, `"name": "Delay", "settings": {"reentry": `+tt.policy+`},`, 1)
			b.publish(t, doc)
			b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "r@example.com"}})
			b.clock.Advance(tt.gap)
			b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "r@example.com"}})
			if n := b.count(t, &storage.Run{}, ""); n != tt.wantRuns {
				t.Fatalf("runs = %d, want %d", n, tt.wantRuns)
			}
		})
	}
}

func TestGoalReachedExitsAsConverted(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		doc := strings.Replace(delayFlow, `"name": "Delay",`, `"name": "Delay", "settings": {"goal": "hasTag(\"customer\")"},`, 1)
		b.publish(t, doc)
		res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "g@example.com"}})
		b.drain(t)
		// The contact becomes a customer while the run waits.
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			return storage.TagContact(tx, "", res.ContactID, []string{"customer"}, nil, b.clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(3 * 24 * time.Hour)
		b.drain(t)
		r := b.run(t, res.Started[0])
		if r.Status != storage.RunCompleted || r.Outcome != nodes.OutcomeConverted {
			t.Fatalf("status %s outcome %q, want completed/converted", r.Status, r.Outcome)
		}
		if n := b.count(t, &storage.ContactTag{}, "tag = ?", "followed_up"); n != 0 {
			t.Fatal("the step after the goal ran anyway")
		}
	})
}

// flakyRegistry adds a node type that fails a set number of times.
func flakyRegistry(failures int, permanent bool) (*nodes.Registry, *int) {
	reg := nodes.Builtin()
	calls := new(int)
	var mu sync.Mutex
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.flaky", Category: flows.CategoryIntegration, Title: "Flaky",
			Description: "Fails first.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}, {Name: "failed", Label: "Failed"}}},
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			mu.Lock()
			defer mu.Unlock()
			*calls++
			if *calls <= failures {
				if permanent {
					return nodes.Result{}, nodes.Permanentf("the vendor said no (call %d)", *calls)
				}
				return nodes.Result{}, fmt.Errorf("the vendor timed out (call %d)", *calls)
			}
			return nodes.Result{Output: map[string]any{"calls": *calls}}, nil
		}),
	})
	return reg, calls
}

const flakyFlow = `{
  "id": "flaky", "name": "Flaky",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "go"}, "position": {"x":0,"y":0}},
    {"id": "call", "type": "test.flaky", "name": "Call the vendor", "position": {"x":0,"y":0}},
    {"id": "done", "type": "contact.tag", "params": {"add": ["done"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "done"}FAILED_EDGE]
}`

func TestStepErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failures   int
		permanent  bool
		failedPort bool
		wantStatus string
		wantCalls  int
		wantTag    bool
	}{
		{name: "a passing hiccup is retried with backoff", failures: 2, wantStatus: storage.RunCompleted, wantCalls: 3, wantTag: true},
		{name: "retries run out and the run fails visibly", failures: 10, wantStatus: storage.RunFailed, wantCalls: 3},
		{name: "a permanent error is not retried", failures: 10, permanent: true, wantStatus: storage.RunFailed, wantCalls: 1},
		{name: "a failed port catches the failure", failures: 10, permanent: true, failedPort: true, wantStatus: storage.RunCompleted, wantCalls: 1, wantTag: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, calls := flakyRegistry(tt.failures, tt.permanent)
			b := setup(t, setupOpts{reg: reg})
			doc := strings.Replace(flakyFlow, "FAILED_EDGE", "", 1)
			if tt.failedPort {
				doc = strings.Replace(flakyFlow, "FAILED_EDGE", `, {"from": "call", "port": "failed", "to": "done"}`, 1)
			}
			b.publish(t, doc)
			res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: "f@example.com"}})
			for i := 0; i < 6; i++ {
				b.drain(t)
				b.clock.Advance(time.Hour)
			}
			r := b.run(t, res.Started[0])
			if r.Status != tt.wantStatus {
				t.Fatalf("status = %s (%s), want %s", r.Status, r.Error, tt.wantStatus)
			}
			if *calls != tt.wantCalls {
				t.Fatalf("handler calls = %d, want %d", *calls, tt.wantCalls)
			}
			if tt.wantStatus == storage.RunFailed && !strings.Contains(r.Error, "Call the vendor") {
				t.Fatalf("run error %q does not name the step", r.Error)
			}
			steps, _ := storage.RunSteps(b.store.Reader(), r.ID)
			var errs int
			for _, s := range steps {
				if s.Error != "" {
					errs++
				}
			}
			if errs != min(tt.failures, tt.wantCalls) {
				t.Fatalf("steps with an error = %d, want %d", errs, min(tt.failures, tt.wantCalls))
			}
			if got := b.count(t, &storage.ContactTag{}, "tag = ?", "done") == 1; got != tt.wantTag {
				t.Fatalf("tagged = %v, want %v", got, tt.wantTag)
			}
		})
	}
}

func TestExpiredLeaseIsReclaimedWithoutDoubleEffects(t *testing.T) {
	t.Parallel()
	// Not inline: a run started inline leaves no job to lease.
	eachOf(t, databases, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		b.publish(t, readTemplate(t, "chat-lead-qualification.json"))
		runs := b.hook(t, "chat-finished", map[string]any{"email": "l@example.com", "name": "Lee", "score": 90, "transcript": "hi"})

		// Worker A claims the job and dies before committing anything.
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			js, err := storage.ClaimJobs(tx, "dead-worker", b.clock.Now(), b.clock.Now().Add(time.Minute), 10)
			if len(js) != 1 {
				return fmt.Errorf("claimed %d jobs, want 1 (%v)", len(js), err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		b.drain(t)
		if r := b.run(t, runs[0]); r.Status != storage.RunRunning {
			t.Fatalf("a leased job was taken before its lease expired: run %s", r.Status)
		}
		b.clock.Advance(2 * time.Minute)
		b.drain(t)
		if r := b.run(t, runs[0]); r.Status != storage.RunCompleted {
			t.Fatalf("status %s (%s), want completed after the lease expired", r.Status, r.Error)
		}
		if n := b.count(t, &storage.Deal{}, ""); n != 1 {
			t.Fatalf("deals = %d, want 1", n)
		}
	})
}

func TestRetryRunKeepsIdempotencyKey(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		reg, calls := flakyRegistry(10, true)
		b := setup(t, setupOpts{reg: reg, db: db})
		b.publish(t, strings.Replace(flakyFlow, "FAILED_EDGE", "", 1))
		res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: "f@example.com"}})
		b.drain(t)
		if r := b.run(t, res.Started[0]); r.Status != storage.RunFailed {
			t.Fatalf("status %s, want failed", r.Status)
		}
		*calls = 100 // the vendor works again
		if err := b.eng.RetryRun(b.ctx, res.Started[0]); err != nil {
			t.Fatal(err)
		}
		b.drain(t)
		if r := b.run(t, res.Started[0]); r.Status != storage.RunCompleted {
			t.Fatalf("status %s (%s), want completed after retry", r.Status, r.Error)
		}
		if err := b.eng.RetryRun(b.ctx, res.Started[0]); !errors.Is(err, engine.ErrConflict) {
			t.Fatalf("retrying a completed run: err %v, want ErrConflict", err)
		}
	})
}

func TestCancelRemovesPendingWork(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, delayFlow)
		res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "c@example.com"}})
		b.drain(t)
		if err := b.eng.CancelRun(b.ctx, res.Started[0]); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(3 * 24 * time.Hour)
		b.drain(t)
		if r := b.run(t, res.Started[0]); r.Status != storage.RunCancelled {
			t.Fatalf("status %s, want cancelled", r.Status)
		}
		if n := b.count(t, &storage.ContactTag{}, ""); n != 0 {
			t.Fatal("a cancelled run went on")
		}
	})
}

const absenceFlow = `{
  "id": "absence", "name": "No open in 48h",
  "nodes": [
    {"id": "start", "type": "trigger.absence", "params": {"event": "email.sent", "missing_event": "email.opened", "within": "48h"}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["no_open"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "tag"}]
}`

func TestAbsenceTrigger(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, absenceFlow)
		b.event(t, engine.EventInput{Type: "email.sent", Contact: storage.ContactRef{Email: "opens@example.com"}})
		b.event(t, engine.EventInput{Type: "email.sent", Contact: storage.ContactRef{Email: "silent@example.com"}})
		b.clock.Advance(3 * time.Hour)
		b.event(t, engine.EventInput{Type: "email.opened", Contact: storage.ContactRef{Email: "opens@example.com"}})
		b.clock.Advance(44 * time.Hour)
		b.drain(t)
		if n := b.count(t, &storage.Run{}, ""); n != 0 {
			t.Fatalf("runs before 48h = %d, want 0", n)
		}
		b.clock.Advance(2 * time.Hour)
		b.drain(t)
		var runs []storage.Run
		_ = storagetest.Find(b.store.Reader(), &runs, storagetest.Query{})
		if len(runs) != 1 || runs[0].Status != storage.RunCompleted {
			t.Fatalf("runs = %+v, want one completed run for the silent contact", runs)
		}
		silent, _ := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: "silent@example.com"})
		if runs[0].ContactID == nil || *runs[0].ContactID != silent.ID {
			t.Fatal("the run is not the silent contact's")
		}
	})
}

const scheduleFlow = `{
  "id": "sched", "name": "Every morning",
  "settings": {"time_zone": "Europe/Madrid"},
  "nodes": [
    {"id": "tick", "type": "trigger.schedule", "params": {"cron": "0 9 * * *"}, "position": {"x":0,"y":0}},
    {"id": "set", "type": "data.set", "params": {"values": {"hour": "now.Hour()"}}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "tick", "to": "set"}]
}`

func TestScheduleFiresOncePerTick(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, scheduleFlow)
		// Two engines share the database, as two instances would.
		other, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock, WorkerID: "other"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3*24; i++ { // three days, hour by hour
			b.clock.Advance(time.Hour)
			b.drain(t)
			if _, err := other.Drain(b.ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); n != 3 {
			t.Fatalf("runs = %d, want 3 (one per morning)", n)
		}
	})
}

func TestConcurrentWorkersDoEachStepOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		b.publish(t, readTemplate(t, "chat-lead-qualification.json"))
		const n = 150
		for i := 0; i < n; i++ {
			b.hook(t, "chat-finished", map[string]any{"email": fmt.Sprintf("c%d@example.com", i), "name": "C", "score": 90, "transcript": "t"})
		}
		// Three instances claim from the same table at once.
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		for w := 0; w < 3; w++ {
			eng, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock, Channels: b.ch,
				WorkerID: fmt.Sprintf("w%d", w), BatchSize: 7})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := eng.Drain(b.ctx)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		b.drain(t)
		if got := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); got != n {
			t.Fatalf("completed runs = %d, want %d", got, n)
		}
		// Deals, tasks, notes and the Slack posts kept in the sandbox outbox.
		for _, m := range []any{&storage.Deal{}, &storage.Task{}, &storage.Note{}, &storage.Message{}} {
			if got := b.count(t, m, ""); got != n {
				t.Fatalf("%T rows = %d, want %d", m, got, n)
			}
		}
		if got := b.count(t, &storage.Step{}, ""); got != 7*n {
			t.Fatalf("steps = %d, want %d (each step recorded once)", got, 7*n)
		}
	})
}

func TestConcurrentEventsShareCommitsWithoutMixingResults(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, delayFlow)
		const n, refused = 60, 6
		var wg sync.WaitGroup
		results := make([]engine.EventResult, n+refused)
		errs := make([]error, n+refused)
		for i := 0; i < n+refused; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := engine.EventInput{ID: fmt.Sprintf("e%d", i%(n/2)), Type: "signup",
					Contact: storage.ContactRef{Email: fmt.Sprintf("g%d@example.com", i%(n/2))}}
				if i >= n {
					in.Type = "Not A Type" // refused, and must not disturb the others
				}
				results[i], errs[i] = b.eng.IngestEvent(b.ctx, in)
			}()
		}
		wg.Wait()
		for i := 0; i < n+refused; i++ {
			var ie *engine.InputError
			if i >= n {
				if !errors.As(errs[i], &ie) {
					t.Fatalf("event %d: err %v, want an InputError", i, errs[i])
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("event %d: %v", i, errs[i])
			}
		}
		// Each id is stored once and started exactly one run.
		if got := b.count(t, &storage.Event{}, "type = ?", "signup"); got != n/2 {
			t.Fatalf("events = %d, want %d", got, n/2)
		}
		if got := b.count(t, &storage.Run{}, ""); got != n/2 {
			t.Fatalf("runs = %d, want %d", got, n/2)
		}
		started := 0
		for i := 0; i < n; i++ {
			started += len(results[i].Started)
			if errs[i] == nil && results[i].Duplicate && len(results[i].Started) > 0 {
				t.Fatalf("event %d is a duplicate yet started runs", i)
			}
		}
		if started != n/2 {
			t.Fatalf("runs reported started = %d, want %d", started, n/2)
		}
	})
}

// A step that writes and then fails leaves no trace of its writes, and the
// other runs of the same batch complete: a step's writes are performed
// only when it is recorded as succeeded.
// halfDoneRegistry has test.half_done: it tags the contact and records a
// sandbox message, then fails for contacts whose email starts with "fail".
func halfDoneRegistry() *nodes.Registry {
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.half_done", Category: flows.CategoryIntegration, Title: "Half done",
			Description: "Tags, then fails for some contacts.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}, {Name: "failed", Label: "Failed"}}},
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			if err := in.Contacts.Tag(ctx, in.Key, in.Env.Contact.ID, []string{"half_done"}, nil); err != nil {
				return nodes.Result{}, err
			}
			// A sandbox message is recorded in the step's transaction
			// too, and must go with a failed step's other writes.
			if _, err := in.Channels.Record(ctx, nodes.Draft{Key: in.Key, Channel: nodes.ChannelEmail,
				Provider: nodes.ProviderSandbox, Status: nodes.StatusSandboxed, To: in.Env.Contact.Email, Text: "half",
				ContactID: in.Env.Contact.ID, RunID: in.RunID, NodeID: in.Node.Node.ID, FlowID: in.Env.Run.FlowID}); err != nil {
				return nodes.Result{}, err
			}
			if strings.HasPrefix(in.Env.Contact.Email, "fail") {
				return nodes.Result{}, nodes.Permanentf("the second half failed")
			}
			return nodes.Result{}, nil
		}),
	})
	return reg
}

func TestStepWritesUndoneWhenItFails(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		reg := halfDoneRegistry()
		b := setup(t, setupOpts{reg: reg, db: db, channels: true})
		b.publish(t, `{
  "id": "half", "name": "Half done",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "go"}, "position": {"x":0,"y":0}},
    {"id": "half", "type": "test.half_done", "position": {"x":0,"y":0}},
    {"id": "done", "type": "contact.tag", "params": {"add": ["done"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "half"}, {"from": "half", "to": "done"}, {"from": "half", "port": "failed", "to": "done"}]
}`)
		var runs []string
		for _, email := range []string{"ok1@example.com", "fail1@example.com", "ok2@example.com", "fail2@example.com"} {
			res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: email}})
			runs = append(runs, res.Started...)
		}
		b.drain(t)
		for _, id := range runs {
			if r := b.run(t, id); r.Status != storage.RunCompleted {
				t.Fatalf("run %s: %s (%s), want completed", id, r.Status, r.Error)
			}
		}
		if n := b.count(t, &storage.ContactTag{}, "tag = ?", "done"); n != 4 {
			t.Fatalf("done tags = %d, want 4", n)
		}
		if n := b.count(t, &storage.ContactTag{}, "tag = ?", "half_done"); n != 2 {
			t.Fatalf("half_done tags = %d, want 2 (the failed steps' tags must be undone)", n)
		}
		if n := b.count(t, &storage.Message{}, ""); n != 2 {
			t.Fatalf("messages = %d, want 2 (the failed steps' messages must be undone)", n)
		}
		// Each step is reported once.
		if got := stepsObserved(t, b.eng.Metrics(), "test.half_done"); got != 4 {
			t.Fatalf("half steps observed %d times, want 4", got)
		}
	})
}

// Webhooks arriving together share a transaction, and with InlineStart
// their runs' steps run in it. A step that fails after writing leaves
// nothing of its writes, and every run ends as the job path would have
// ended it.
func TestWebhookRunsWithAStepFailingAfterWriting(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{reg: halfDoneRegistry(), db: db, channels: true})
		b.publish(t, `{
  "id": "half", "name": "Half done",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "half"}, "position": {"x":0,"y":0}},
    {"id": "who", "type": "crm.upsert_contact", "params": {"email": "{{trigger.email}}"}, "position": {"x":0,"y":0}},
    {"id": "half", "type": "test.half_done", "position": {"x":0,"y":0}},
    {"id": "done", "type": "contact.tag", "params": {"add": ["done"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "who"}, {"from": "who", "to": "half"}, {"from": "half", "to": "done"}, {"from": "half", "port": "failed", "to": "done"}]
}`)
		const n = 40
		runs := make([][]string, n)
		// Alone, a request has its run ended before the webhook is
		// answered (inline), whether its step fails or not.
		runs[0] = b.hook(t, "half", map[string]any{"email": "fail0@example.com"})
		runs[1] = b.hook(t, "half", map[string]any{"email": "ok1@example.com"})
		if r := b.run(t, runs[1][0]); (r.Status == storage.RunCompleted) != strings.HasSuffix(db, "+inline") {
			t.Fatalf("run started by a webhook: status %s before the workers ran", r.Status)
		}
		var wg sync.WaitGroup
		for i := 2; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := fmt.Sprintf("ok%d@example.com", i)
				if i%5 == 0 {
					email = fmt.Sprintf("fail%d@example.com", i)
				}
				data, _ := json.Marshal(map[string]any{"email": email})
				res, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "half", Body: data})
				if err != nil {
					t.Errorf("webhook %d: %v", i, err)
				}
				runs[i] = res.Runs
			}()
		}
		wg.Wait()
		b.drain(t)
		for i, ids := range runs {
			if len(ids) != 1 {
				t.Fatalf("webhook %d started runs %v, want one", i, ids)
			}
			if r := b.run(t, ids[0]); r.Status != storage.RunCompleted {
				t.Fatalf("run %s: %s (%s), want completed", ids[0], r.Status, r.Error)
			}
		}
		if got := b.count(t, &storage.Run{}, ""); got != n {
			t.Fatalf("runs = %d, want %d", got, n)
		}
		if got := b.count(t, &storage.ContactTag{}, "tag = ?", "done"); got != n {
			t.Fatalf("done tags = %d, want %d", got, n)
		}
		if got := b.count(t, &storage.ContactTag{}, "tag = ?", "half_done"); got != n-n/5 {
			t.Fatalf("half_done tags = %d, want %d (the failed steps' tags must be undone)", got, n-n/5)
		}
		if got := b.count(t, &storage.Message{}, ""); got != n-n/5 {
			t.Fatalf("messages = %d, want %d", got, n-n/5)
		}
		if got := b.count(t, &storage.Step{}, "node_id = ? AND status = ?", "half", "failed"); got != n/5 {
			t.Fatalf("failed half steps = %d, want %d", got, n/5)
		}
		// A request that ran twice is counted once: its metrics are
		// reported after the commit.
		if got := counterValue(t, b.eng.Metrics(), "journey_runs_started_total"); got != n {
			t.Fatalf("runs started counted %v times, want %d", got, n)
		}
		if got := stepsObserved(t, b.eng.Metrics(), "test.half_done"); got != n {
			t.Fatalf("half steps observed %d times, want %d", got, n)
		}
	})
}

// stepsObserved is how many steps of nodeType the step histogram saw.
func stepsObserved(t *testing.T, m *engine.Metrics, nodeType string) int {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "journey_step_duration_seconds" {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "node_type" && l.GetValue() == nodeType {
					return int(metric.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}

// counterValue sums a counter's series.
func counterValue(t *testing.T, m *engine.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, metric := range f.GetMetric() {
				sum += metric.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// A mapped webhook value reaches the steps as it reads back from the
// run's stored trigger (JSON types), whether the run started inline or
// from a job: a count is a float on every path.
func TestMappedWebhookValuesReachStepsAsStored(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, `{
  "id": "mapped", "name": "Mapped",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "mapped",
      "mapping": {"email": "lower(trigger.body.Email)", "count": "len(trigger.body.items)"}}, "position": {"x":0,"y":0}},
    {"id": "keep", "type": "data.set", "params": {"values": {"kind": "type(trigger.count)", "email": "trigger.email"}}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "keep"}]
}`)
		runs := b.hook(t, "mapped", map[string]any{"Email": "Ana@Example.com", "items": []int{1, 2, 3}})
		b.drain(t)
		r := b.run(t, runs[0])
		if r.Status != storage.RunCompleted {
			t.Fatalf("status %s (%s)", r.Status, r.Error)
		}
		var vars map[string]any
		if err := json.Unmarshal([]byte(r.Vars), &vars); err != nil {
			t.Fatal(err)
		}
		if vars["kind"] != "float" || vars["email"] != "ana@example.com" {
			t.Fatalf("vars %v, want kind float and the lower-cased email", vars)
		}
		if !strings.Contains(r.Trigger, `"count":3`) {
			t.Fatalf("stored trigger %s", r.Trigger)
		}
	})
}
