package engine_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
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
		err = b.store.Reader().Table("runs").Select("contacts.email AS email, COUNT(*) AS n").
			Joins("JOIN contacts ON contacts.id = runs.contact_id").Where("runs.status = ?", storage.RunCompleted).
			Group("contacts.email").Order("contacts.email").Scan(&perContact).Error
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
