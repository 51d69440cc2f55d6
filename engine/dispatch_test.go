package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// start starts b's engine and stops it when the test ends, after the
// test's deferred calls.
func (b *testBundle) start(t *testing.T) {
	t.Helper()
	b.eng.Start(b.ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Scaled(time.Minute))
		defer cancel()
		if err := b.eng.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

// vendorRegistry adds test.vendor, a vendor step that calls call (which
// may block, like a slow vendor) and then succeeds.
func vendorRegistry(call func(in *nodes.Input)) *nodes.Registry {
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.vendor", Category: flows.CategoryIntegration, Title: "Vendor",
			Description: "Calls a vendor.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}}},
		Remote: true,
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			call(in)
			return nodes.Result{}, nil
		}),
	})
	return reg
}

// A webhook whose run reaches a vendor call hands the call over when its
// transaction commits: it is made while the only worker is busy with a
// slow call of its own batch, which it would otherwise have to finish
// before claiming the new job.
func TestVendorCallsDoNotWaitForAWorker(t *testing.T) {
	t.Parallel()
	eachOf(t, []string{"sqlite+inline"}, func(t *testing.T, db string) {
		slowStarted, releaseSlow := make(chan struct{}, 1), make(chan struct{})
		fastCalled := make(chan struct{}, 1)
		reg := vendorRegistry(func(in *nodes.Input) {
			if in.Env.Trigger["who"] == "slow" {
				slowStarted <- struct{}{}
				<-releaseSlow
			} else {
				fastCalled <- struct{}{}
			}
		})
		b := setup(t, setupOpts{db: db, reg: reg, pollInterval: time.Hour})
		b.publish(t, callFlow)
		// Before Start the job is left to the workers.
		slow := b.hook(t, "chat", map[string]any{"who": "slow"})
		b.start(t)
		release := sync.OnceFunc(func() { close(releaseSlow) })
		defer release() // before Stop, which waits for the call
		b.eng.Wake()
		<-slowStarted // the only worker waits for this call

		fast := b.hook(t, "chat", map[string]any{"who": "fast"})
		select {
		case <-fastCalled:
		case <-time.After(testwait.Scaled(time.Minute)):
			t.Fatal("the second webhook's vendor call waited for the busy worker")
		}
		release()
		for _, id := range []string{slow[0], fast[0]} {
			var status string
			done := testwait.Until(10*time.Millisecond, time.Minute, func() (int64, bool) {
				status = b.run(t, id).Status
				return 0, status == storage.RunCompleted
			})
			if !done {
				t.Fatalf("run %s is %s, want completed", id, status)
			}
		}
		if n := b.count(t, &storage.Job{}, "1 = 1"); n != 0 {
			t.Fatalf("%d jobs left after both runs completed", n)
		}
	})
}

// A call waiting for a vendor slot is not made once its run was cancelled
// (the same holds for an erased contact's runs): the job is no longer the
// instance's when its turn comes.
func TestACancelledRunsQueuedCallIsNotMade(t *testing.T) {
	t.Parallel()
	eachOf(t, []string{"sqlite+inline"}, func(t *testing.T, db string) {
		firstStarted, releaseFirst := make(chan struct{}, 1), make(chan struct{})
		var calls sync.Map
		reg := vendorRegistry(func(in *nodes.Input) {
			calls.Store(in.Env.Trigger["who"], true)
			if in.Env.Trigger["who"] == "first" {
				firstStarted <- struct{}{}
				<-releaseFirst
			}
		})
		b := setup(t, setupOpts{db: db, reg: reg, pollInterval: time.Hour, vendorConcurrency: 1})
		b.publish(t, callFlow)
		b.start(t)
		release := sync.OnceFunc(func() { close(releaseFirst) })
		defer release() // before Stop, which waits for the call
		first := b.hook(t, "chat", map[string]any{"who": "first"})
		<-firstStarted // the only vendor slot is taken
		second := b.hook(t, "chat", map[string]any{"who": "second"})
		if err := b.eng.CancelRun(b.ctx, second[0]); err != nil {
			t.Fatal(err)
		}
		release()
		var status string
		done := testwait.Until(10*time.Millisecond, time.Minute, func() (int64, bool) {
			status = b.run(t, first[0]).Status
			return 0, status == storage.RunCompleted
		})
		if !done {
			t.Fatalf("the first run is %s, want completed", status)
		}
		// The second call was queued behind the first: its turn has come
		// once the first's result is committed, or it is still queued.
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Scaled(time.Minute))
		defer cancel()
		if err := b.eng.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if _, called := calls.Load("second"); called {
			t.Error("the cancelled run's vendor call was made")
		}
		if r := b.run(t, second[0]); r.Status != storage.RunCancelled {
			t.Errorf("the second run is %s, want cancelled", r.Status)
		}
	})
}

// A call's result is recorded on the run as it is when the result comes:
// a run that another transaction wrote while the call was made (here the
// test itself; another instance, say) is read again rather than
// overwritten by the state the call set out from.
func TestAVendorResultKeepsWhatWasWrittenDuringTheCall(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b, ids, release := callUnderWay(t, db)
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			run, err := storage.GetRun(tx, ids[0])
			if err != nil {
				return err
			}
			run.Vars = `{"noted":"during the call"}`
			return storage.SaveRun(tx, run)
		})
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		var run *storage.Run
		done := testwait.Until(10*time.Millisecond, time.Minute, func() (int64, bool) {
			run = b.run(t, ids[0])
			return 0, run.Status == storage.RunCompleted
		})
		if !done {
			t.Fatalf("run is %s, want completed", run.Status)
		}
		if !strings.Contains(run.Vars, "during the call") {
			t.Errorf("run vars %s: the write made during the call was lost", run.Vars)
		}
		if n := b.count(t, &storage.Step{}, "run_id = ? AND node_id = ? AND status = ?", ids[0], "crm", "completed"); n != 1 {
			t.Errorf("%d completed call steps, want 1", n)
		}
	})
}

// A run cancelled while its vendor call is made records no result: the
// call's job went with the run, so the result's batched delete fails its
// batch, and the result, run again alone, finds the job gone.
func TestAVendorResultOfARunCancelledDuringTheCallIsNotRecorded(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b, ids, release := callUnderWay(t, db)
		err := b.eng.CancelRun(b.ctx, ids[0])
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		// The result is committed or given up once the call's step ends:
		// stopping waits for it.
		ctx, cancel := context.WithTimeout(context.Background(), testwait.Scaled(time.Minute))
		defer cancel()
		if err := b.eng.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		if r := b.run(t, ids[0]); r.Status != storage.RunCancelled {
			t.Errorf("the run is %s, want cancelled", r.Status)
		}
		if n := b.count(t, &storage.Step{}, "run_id = ? AND node_id = ?", ids[0], "crm"); n != 0 {
			t.Errorf("%d steps of the call recorded on the cancelled run, want none", n)
		}
		if n := b.count(t, &storage.Job{}, "run_id = ?", ids[0]); n != 0 {
			t.Errorf("%d jobs left for the cancelled run, want none", n)
		}
	})
}

// callUnderWay starts an engine on db whose run (ids[0], of callFlow) is in
// the middle of its vendor call, which returns once release is closed.
func callUnderWay(t *testing.T, db string) (b *testBundle, ids []string, release chan struct{}) {
	t.Helper()
	started, release := make(chan struct{}, 1), make(chan struct{})
	reg := vendorRegistry(func(in *nodes.Input) {
		started <- struct{}{}
		<-release
	})
	b = setup(t, setupOpts{db: db, reg: reg, pollInterval: 10 * time.Millisecond})
	b.publish(t, callFlow)
	b.start(t)
	ids = b.hook(t, "chat", map[string]any{"who": "ana"})
	b.eng.Wake()
	select {
	case <-started:
	case <-time.After(testwait.Scaled(time.Minute)):
		close(release)
		t.Fatal("the vendor call was not made")
	}
	return b, ids, release
}
