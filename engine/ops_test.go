package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// slowRegistry adds a remote node type whose handler signals when it
// starts and then waits: for release (ignoring ctx, like a vendor call
// that completes) or, with honourCtx, for ctx to end.
func slowRegistry(started chan<- struct{}, release <-chan struct{}, honourCtx bool) *nodes.Registry {
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.slow", Category: flows.CategoryIntegration, Title: "Slow vendor",
			Description: "Takes its time.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}}},
		Remote: true,
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			started <- struct{}{}
			if honourCtx {
				<-ctx.Done()
				return nodes.Result{}, ctx.Err()
			}
			<-release
			return nodes.Result{Output: map[string]any{"answer": 42}}, nil
		}),
	})
	return reg
}

const slowFlow = `{
  "id": "slow", "name": "Slow",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "go"}, "position": {"x":0,"y":0}},
    {"id": "call", "type": "test.slow", "position": {"x":0,"y":0}},
    {"id": "done", "type": "contact.tag", "params": {"add": ["done"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "done"}]
}`

func TestStopFinishesTheStepInFlight(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		b := setup(t, setupOpts{db: db, reg: slowRegistry(started, release, false)})
		b.publish(t, slowFlow)
		res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: "s@example.com"}})

		// The signal context of main: cancelled on SIGTERM.
		sigCtx, sigterm := context.WithCancel(context.Background())
		b.eng.Start(sigCtx)
		b.eng.Wake()
		<-started // the vendor call is in flight
		sigterm()
		stopped := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), testwait.Scaled(time.Minute))
			defer cancel()
			stopped <- b.eng.Stop(ctx)
		}()
		close(release) // the vendor answers after the SIGTERM
		if err := <-stopped; err != nil {
			t.Fatalf("stop: %v", err)
		}

		r := b.run(t, res.Started[0])
		if r.Status != storage.RunCompleted {
			t.Fatalf("run status %s (%s), want completed: the step in flight must finish", r.Status, r.Error)
		}
		steps, _ := storage.RunSteps(b.store.Reader(), r.ID)
		var call *storage.Step
		for i := range steps {
			if steps[i].NodeID == "call" {
				call = &steps[i]
			}
		}
		if call == nil || call.Status != "completed" || !strings.Contains(call.Output, "42") {
			t.Fatalf("the slow step was not recorded as completed: %+v", steps)
		}
		if n := b.count(t, &storage.Job{}, "lease_until IS NOT NULL"); n != 0 {
			t.Fatalf("%d jobs are still leased after stop", n)
		}
	})
}

func TestStopDeadlineGivesBackLeases(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		started := make(chan struct{}, 1)
		b := setup(t, setupOpts{db: db, reg: slowRegistry(started, nil, true)})
		b.publish(t, slowFlow)
		res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: "s@example.com"}})
		b.eng.Start(context.Background())
		b.eng.Wake()
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := b.eng.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stop = %v, want the deadline error", err)
		}
		if n := b.count(t, &storage.Job{}, "lease_until IS NOT NULL"); n != 0 {
			t.Fatalf("%d jobs are still leased after stop: another instance would wait for the lease to expire", n)
		}
		if n := b.count(t, &storage.Job{}, "run_id = ? AND node_id = ?", res.Started[0], "call"); n != 1 {
			t.Fatalf("the unfinished step's job is gone (%d): it must run again", n)
		}
		if r := b.run(t, res.Started[0]); r.Status != storage.RunRunning {
			t.Fatalf("run status %s, want still running", r.Status)
		}
	})
}

// jsonLogs is a JSON slog handler target safe for concurrent writes.
type jsonLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *jsonLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *jsonLogs) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func TestEngineLogLinesCarryRunAndStepIDs(t *testing.T) {
	t.Parallel()
	logs := &jsonLogs{}
	reg, _ := flakyRegistry(10, true)
	b := setup(t, setupOpts{reg: reg})
	eng, err := engine.New(engine.Config{Store: b.store, Registry: reg, Clock: b.clock,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	b.eng = eng
	b.publish(t, strings.Replace(flakyFlow, "FAILED_EDGE", "", 1))
	res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: "f@example.com"}})
	b.drain(t)
	runID := res.Started[0]
	steps, _ := storage.RunSteps(b.store.Reader(), runID)
	var failedStep int64
	for _, s := range steps {
		if s.NodeID == "call" {
			failedStep = s.ID
		}
	}
	var stepLine, runLine map[string]any
	for _, l := range logs.lines(t) {
		switch l["msg"] {
		case "step failed":
			stepLine = l
		case "run failed":
			runLine = l
		}
	}
	want := map[string]any{"level": "WARN", "run_id": runID, "flow_id": "flaky", "node_id": "call",
		"node_type": "test.flaky", "step_id": float64(failedStep)}
	if stepLine == nil {
		t.Fatalf("no 'step failed' line in %v", logs.lines(t))
	}
	for k, v := range want {
		if stepLine[k] != v {
			t.Errorf("step line %s = %v, want %v (line %v)", k, stepLine[k], v, stepLine)
		}
	}
	if e, _ := stepLine["error"].(string); !strings.Contains(e, "the vendor said no") {
		t.Errorf("step line error = %q", e)
	}
	if runLine == nil || runLine["run_id"] != runID || runLine["flow_id"] != "flaky" {
		t.Fatalf("run failed line = %v", runLine)
	}
}

func TestSweeperDeletesOldRunsAndKeepsTheFileBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sw, err := engine.NewSweeper(engine.SweeperConfig{Store: b.store, Retention: 30 * 24 * time.Hour, Clock: b.clock, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := b.clock.Now()
	live := fmt.Sprintf("live-%d", now.Unix())
	err = b.store.Write(ctx, func(tx storage.Tx) error {
		return storagetest.Insert(tx, &storage.Run{ID: live, FlowID: "f", Version: 1, Status: storage.RunWaiting, Tokens: 1,
			StartedAt: now.Add(-400 * 24 * time.Hour), UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.Repeat("x", 2000)
	var pages []int64
	for round := range 8 {
		// A month of finished runs, each with bulky steps...
		ended := now.Add(-40 * 24 * time.Hour)
		err := b.store.Write(ctx, func(tx storage.Tx) error {
			for i := range 250 {
				id := fmt.Sprintf("r%d-%d", round, i)
				if err := storagetest.Insert(tx, &storage.Run{ID: id, FlowID: "f", Version: 1, Status: storage.RunCompleted,
					Vars: payload, StartedAt: ended, UpdatedAt: ended, EndedAt: &ended}); err != nil {
					return err
				}
				steps := []storage.Step{{RunID: id, NodeID: "a", NodeType: "t", Visit: 1, Attempt: 1, Status: "completed",
					Output: payload, StartedAt: ended, FinishedAt: ended}}
				if err := storage.InsertSteps(tx, steps); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// ...and one finished yesterday, within the retention period.
		recent := now.Add(-24 * time.Hour)
		err = b.store.Write(ctx, func(tx storage.Tx) error {
			return storagetest.Insert(tx, &storage.Run{ID: fmt.Sprintf("recent-%d", round), FlowID: "f", Version: 1,
				Status: storage.RunCompleted, StartedAt: recent, UpdatedAt: recent, EndedAt: &recent})
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := sw.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Runs != 250 {
			t.Fatalf("round %d: swept %d runs, want 250", round, res.Runs)
		}
		st, err := b.store.SQLiteFileStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.FreePages != 0 {
			t.Fatalf("round %d: %d free pages left after the sweep: the vacuum did not run", round, st.FreePages)
		}
		pages = append(pages, st.PageCount)
	}
	// The file reaches a steady size instead of growing by a month of
	// runs each round (a round adds about 250 * 2 * 2 KB = 250 pages).
	if last, second := pages[len(pages)-1], pages[1]; last > second+16 {
		t.Fatalf("page counts per round %v: the file keeps growing", pages)
	}
	if n := b.count(t, &storage.Run{}, "id = ? OR id LIKE ?", live, "recent-%"); n != 9 {
		t.Fatalf("live and recent runs left = %d, want 9", n)
	}
	if n := b.count(t, &storage.Step{}, ""); n != 0 {
		t.Fatalf("%d steps of swept runs are left", n)
	}
}
