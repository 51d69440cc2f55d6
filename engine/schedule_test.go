package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

const segmentFlow = `{
  "id": "acme-daily", "name": "Every morning, each Acme contact",
  "settings": {"reentry": {"policy": "always"}},
  "nodes": [
    {"id": "tick", "type": "trigger.schedule", "params": {"cron": "0 9 * * *", "segment": "contact.email endsWith \"@acme.com\""}, "position": {"x":0,"y":0}},
    {"id": "set", "type": "data.set", "params": {"values": {"who": "contact.email"}}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "tick", "to": "set"}]
}`

func TestScheduleSegmentStartsOneRunPerContactPerTick(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, scheduleBatch: 2})
		for i := range 7 {
			domain := "acme.com"
			if i >= 5 {
				domain = "other.com"
			}
			b.event(t, engine.EventInput{Type: "signed.up", Contact: storage.ContactRef{Email: fmt.Sprintf("p%d@%s", i, domain)}})
		}
		b.publish(t, segmentFlow)
		// Two instances take turns, one batch each, as they would on
		// PostgreSQL: every batch of a tick is done once, by one of them.
		other, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock, WorkerID: "other", ScheduleBatch: 2})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 * 24 { // three days, hour by hour
			b.clock.Advance(time.Hour)
			for {
				n1, err := b.eng.RunOnce(b.ctx)
				if err != nil {
					t.Fatal(err)
				}
				n2, err := other.RunOnce(b.ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n1+n2 == 0 {
					break
				}
			}
		}
		var perContact []struct {
			Email string
			N     int
		}
		err = storagetest.Scan(b.store.Reader(), &perContact, `SELECT contacts.email AS email, COUNT(*) AS n FROM runs
JOIN contacts ON contacts.id = runs.contact_id WHERE runs.status = ? GROUP BY contacts.email ORDER BY contacts.email`,
			storage.RunCompleted)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(perContact)
		if want := "[{p0@acme.com 3} {p1@acme.com 3} {p2@acme.com 3} {p3@acme.com 3} {p4@acme.com 3}]"; got != want {
			t.Fatalf("completed runs per contact = %s, want %s (one per Acme contact per morning)", got, want)
		}
		if n := b.count(t, &storage.Run{}, ""); n != 15 {
			t.Fatalf("%d runs in all, want 15", n)
		}
	})
}

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
		if err := storagetest.Take(b.store.Reader(), &tick, storagetest.Where("kind = ?", storage.JobSchedule)); err != nil {
			t.Fatalf("no tick job queued: %v", err)
		}
		dup := "older-build:" + *tick.DedupKey
		if err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.InsertJob(tx, &storage.Job{NodeID: tick.NodeID, Kind: tick.Kind,
				DueAt: tick.DueAt, Payload: tick.Payload, DedupKey: &dup, CreatedAt: b.clock.Now()})
			return err
		}); err != nil {
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
