package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
)

// A republished schedule must keep firing: its first tick can be the same
// instant as the previous version's pending tick.
func TestScheduleKeepsFiringAfterRepublish(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, scheduleFlow)
		b.clock.Advance(time.Minute)
		b.publish(t, strings.Replace(scheduleFlow, "Every morning", "Every morning, v2", 1))
		other, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock, WorkerID: "other"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3*24; i++ {
			b.clock.Advance(time.Hour)
			b.drain(t)
			if _, err := other.Drain(b.ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n := b.count(t, &storage.Run{}, "status = ? AND version = ?", storage.RunCompleted, 2); n != 3 {
			t.Fatalf("runs of version 2 = %d, want 3 (one per morning)", n)
		}
		if n := b.count(t, &storage.Run{}, ""); n != 3 {
			t.Fatalf("runs = %d, want 3: the old version's ticks start nothing", n)
		}
		if n := b.count(t, &storage.ScheduleTick{}, ""); n != 3 {
			t.Fatalf("fired ticks recorded = %d, want 3", n)
		}
	})
}

// Two jobs for the same tick (as instances racing, or an older build's
// key) still start one run: the schedule_ticks key decides.
func TestScheduleTickStartsOneRunEvenWhenQueuedTwice(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, scheduleFlow)
		var tick storage.Job
		if err := b.store.Reader().Where("kind = ?", storage.JobSchedule).Take(&tick).Error; err != nil {
			t.Fatalf("no tick job queued: %v", err)
		}
		dup := "older-build:" + *tick.DedupKey
		if _, err := storage.InsertJob(b.store.Writer(), &storage.Job{NodeID: tick.NodeID, Kind: tick.Kind,
			DueAt: tick.DueAt, Payload: tick.Payload, DedupKey: &dup, CreatedAt: b.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(24 * time.Hour)
		b.drain(t)
		if n := b.count(t, &storage.Run{}, ""); n != 1 {
			t.Fatalf("runs = %d, want 1 for one tick queued twice", n)
		}
		if n := b.count(t, &storage.Job{}, "kind = ?", storage.JobSchedule); n != 1 {
			t.Fatalf("tick jobs left = %d, want 1 (the next morning's)", n)
		}
	})
}
