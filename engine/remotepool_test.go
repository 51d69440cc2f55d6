package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// vendorGauge counts the calls of a stub vendor: how many are in flight,
// the most that ever were at once, and how many started and returned.
type vendorGauge struct {
	mu                                sync.Mutex
	inFlight, most, started, returned int
	// group is a reusable barrier: a call waits until `size` calls have
	// arrived in its group (or ctx ends), then the group is released.
	size  int
	count int
	open  chan struct{}
}

func newVendorGauge(size int) *vendorGauge {
	return &vendorGauge{size: size, open: make(chan struct{})}
}

func (g *vendorGauge) enter() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight++
	g.started++
	g.most = max(g.most, g.inFlight)
	open := g.open
	g.count++
	if g.size > 0 && g.count == g.size {
		close(g.open) // the group is complete: release it, start the next
		g.count, g.open = 0, make(chan struct{})
	}
	return open
}

func (g *vendorGauge) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	g.returned++
}

func (g *vendorGauge) snapshot() (most, started, returned int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.most, g.started, g.returned
}

// gaugedRegistry adds the remote node type test.slow, whose handler waits
// for its barrier group to fill (size 0: forever) or for ctx to end.
func gaugedRegistry(g *vendorGauge, begun chan<- struct{}) *nodes.Registry {
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.slow", Category: flows.CategoryIntegration, Title: "Slow vendor",
			Description: "Answers once enough calls are waiting.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}}},
		Remote: true,
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			open := g.enter()
			defer g.leave()
			if begun != nil {
				begun <- struct{}{}
			}
			select {
			case <-open:
				return nodes.Result{Output: map[string]any{"key": in.Key}}, nil
			case <-ctx.Done():
				return nodes.Result{}, ctx.Err()
			}
		}),
	})
	return reg
}

// startSlowRuns starts n runs of slowFlow and takes each to its vendor
// call, so that the calls are all due jobs that one batch claims.
func startSlowRuns(t *testing.T, b *testBundle, n int) []string {
	t.Helper()
	b.publish(t, slowFlow)
	var ids []string
	for i := range n {
		res := b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: fmt.Sprintf("s%d@example.com", i)}})
		ids = append(ids, res.Started...)
	}
	// Trigger jobs, if any, run up to the calls (which they leave as jobs).
	for range 10 {
		if b.count(t, &storage.Job{}, "node_id = ?", "call") == int64(n) {
			break
		}
		if _, err := b.eng.RunOnce(b.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.count(t, &storage.Job{}, "node_id = ?", "call"); got != int64(n) || len(ids) != n {
		t.Fatalf("%d runs and %d vendor-call jobs, want %d of each", len(ids), got, n)
	}
	return ids
}

// TestVendorCallsOfABatchRunSideBySide: the stub vendor answers only once
// 8 calls wait at the same time, so a batch whose calls ran one after
// another would never get an answer (each call would end at the step
// timeout, 10 s, which only bounds how long such a failure takes). With 8 slots, 24 calls go through in groups of 8, and
// never more than 8 are in flight.
func TestVendorCallsOfABatchRunSideBySide(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		const slots, runs = 8, 24
		g := newVendorGauge(slots)
		b := setup(t, setupOpts{db: db, reg: gaugedRegistry(g, nil), vendorConcurrency: slots,
			stepTimeout: 10 * time.Second})
		ids := startSlowRuns(t, b, runs)

		n, err := b.eng.RunOnce(b.ctx) // one batch: all 24 calls
		if err != nil || n != runs {
			t.Fatalf("RunOnce = %d, %v; want the %d vendor calls in one batch", n, err, runs)
		}
		most, started, returned := g.snapshot()
		if started != runs || returned != runs {
			t.Fatalf("%d calls started and %d returned, want %d", started, returned, runs)
		}
		if most != slots {
			t.Fatalf("at most %d calls were in flight at once, want exactly %d (the limit)", most, slots)
		}
		keys := map[string]bool{}
		for _, id := range ids {
			r := b.run(t, id)
			if r.Status != storage.RunCompleted {
				t.Fatalf("run %s is %s (%s), want completed", id, r.Status, r.Error)
			}
			steps, _ := storage.RunSteps(b.store.Reader(), id)
			var call *storage.Step
			for i := range steps {
				if steps[i].NodeID == "call" {
					call = &steps[i]
				}
			}
			want := id + ":call:1" // the idempotency key run:node:visit
			if call == nil || call.Status != "completed" || call.Attempt != 1 || !strings.Contains(call.Output, want) {
				t.Fatalf("run %s: vendor step %+v, want completed on the first attempt with key %s", id, call, want)
			}
			keys[want] = true
		}
		if len(keys) != runs {
			t.Fatalf("%d distinct idempotency keys, want %d", len(keys), runs)
		}
	})
}

// TestStopCancelsBlockedVendorCalls: with every vendor call blocked and 4
// slots, only 4 calls start; a stop whose deadline passes cancels them,
// and when Stop returns every call has returned (no goroutine is left
// behind), the 6 calls never made were not counted as attempts, and every
// job is back in the queue, unleased.
func TestStopCancelsBlockedVendorCalls(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		const slots, runs = 4, 10
		g := newVendorGauge(0) // never answers
		begun := make(chan struct{}, runs)
		b := setup(t, setupOpts{db: db, reg: gaugedRegistry(g, begun), vendorConcurrency: slots})
		ids := startSlowRuns(t, b, runs)

		b.eng.Start(context.Background())
		b.eng.Wake()
		for range slots {
			<-begun
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := b.eng.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stop = %v, want the deadline error", err)
		}
		most, started, returned := g.snapshot()
		if started != slots || most != slots {
			t.Fatalf("%d calls started, at most %d at once; want %d (the limit)", started, most, slots)
		}
		if returned != started {
			t.Fatalf("%d of %d blocked calls returned when Stop returned", returned, started)
		}
		if n := b.count(t, &storage.Job{}, "lease_until IS NOT NULL"); n != 0 {
			t.Fatalf("%d jobs are still leased after stop", n)
		}
		if n := b.count(t, &storage.Job{}, "node_id = ?", "call"); n != runs {
			t.Fatalf("%d vendor-call jobs left, want %d: every unfinished call must run again", n, runs)
		}
		if n := b.count(t, &storage.Job{}, "node_id = ? AND attempts = 0", "call"); n < runs-slots {
			t.Fatalf("%d calls kept attempt 0, want at least the %d never made", n, runs-slots)
		}
		for _, id := range ids {
			if r := b.run(t, id); r.Status != storage.RunRunning {
				t.Fatalf("run %s is %s, want still running", id, r.Status)
			}
		}
	})
}
