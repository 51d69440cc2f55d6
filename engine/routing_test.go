package engine_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// routingFlow saves the lead, gives it to the next salesperson of four
// (one of them away), then opens a deal, which goes to the owner.
const routingFlow = `{
  "id": "routing", "name": "Lead routing",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "leads"}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}},
    {"id": "assign", "type": "crm.assign_owner", "params": {"team": [
      {"user": "ana@example.com"}, {"user": "ben@example.com"}, {"user": "away@example.com"}, {"user": "cy@example.com"}
    ]}},
    {"id": "deal", "type": "crm.create_deal", "params": {"title": "Deal for {{ owner.name }}"}},
    {"id": "unassigned", "type": "contact.tag", "params": {"add": ["unassigned"]}}
  ],
  "edges": [
    {"from": "hook", "to": "save"}, {"from": "save", "to": "assign"},
    {"from": "assign", "to": "deal"}, {"from": "assign", "port": "nobody", "to": "unassigned"}
  ]
}`

// addSalespeople creates the team of routingFlow: Ana, Ben (Berlin office
// hours, which the test clock's Monday 09:00 UTC is inside), Cy, and one
// who is away for a week.
func addSalespeople(t *testing.T, b *testBundle) map[string]string {
	t.Helper()
	ids := map[string]string{}
	now := b.clock.Now()
	away := now.Add(7 * 24 * time.Hour)
	err := b.store.Write(b.ctx, func(tx storage.Tx) error {
		for _, p := range []struct {
			email   string
			profile storage.RoutingProfile
		}{
			{"ana@example.com", storage.RoutingProfile{Name: "Ana"}},
			{"ben@example.com", storage.RoutingProfile{Name: "Ben", TimeZone: "Europe/Berlin",
				WorkDays: []string{"mon", "tue", "wed", "thu", "fri"}, WorkStart: "09:00", WorkEnd: "17:00"}},
			{"away@example.com", storage.RoutingProfile{Name: "Away", AwayUntil: &away}},
			{"cy@example.com", storage.RoutingProfile{}},
		} {
			u, err := storage.CreateUserWithRole(tx, p.email, "a long enough password 1", storage.RoleEditor, now)
			if err != nil {
				return err
			}
			if _, err := storage.SetUserRouting(tx, u.ID, p.profile); err != nil {
				return err
			}
			ids[p.email] = u.ID
		}
		return nil
	})
	if err != nil {
		t.Fatalf("add salespeople: %v", err)
	}
	return ids
}

// TestThreeInstancesAssignEachLeadOnce: three engines on one database take
// webhooks and run the routing step at once; each lead gets exactly one
// owner, the round robin stays even (within one lead), nobody away gets a
// lead, and the deal after the step goes to the lead's owner.
func TestThreeInstancesAssignEachLeadOnce(t *testing.T) {
	t.Parallel()
	eachOf(t, databases, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		ids := addSalespeople(t, b)
		b.publish(t, routingFlow)
		n := 3000
		if db == "sqlite" || testing.Short() {
			n = 300 // SQLite has one writer: the race is PostgreSQL's
		}
		engines := make([]*engine.Engine, 3)
		for w := range engines {
			eng, err := engine.New(engine.Config{Store: b.store, Registry: b.reg, Clock: b.clock,
				WorkerID: fmt.Sprintf("instance%d", w), BatchSize: 16})
			if err != nil {
				t.Fatal(err)
			}
			engines[w] = eng
		}
		// Each instance takes a third of the webhooks, then all three
		// work the queue at once.
		run := func(fn func(w int, eng *engine.Engine) error) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, len(engines))
			for w, eng := range engines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- fn(w, eng)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		run(func(w int, eng *engine.Engine) error {
			for i := w; i < n; i += len(engines) {
				body := fmt.Appendf(nil, `{"email": "lead%d@example.com"}`, i)
				if _, err := eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "leads", Body: body}); err != nil {
					return fmt.Errorf("webhook %d: %w", i, err)
				}
			}
			return nil
		})
		run(func(_ int, eng *engine.Engine) error {
			_, err := eng.Drain(b.ctx)
			return err
		})
		b.drain(t)

		if got := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); got != int64(n) {
			t.Fatalf("completed runs = %d, want %d", got, n)
		}
		if got := b.count(t, &storage.Step{}, "node_id = ? AND port = ?", "assign", "out"); got != int64(n) {
			t.Fatalf("assign steps through 'out' = %d, want %d (each lead assigned once)", got, n)
		}
		var byOwner []struct {
			OwnerID string
			N       int
		}
		err := storagetest.Scan(b.store.Reader(), &byOwner,
			"SELECT owner_id, COUNT(*) AS n FROM contacts WHERE owner_id IS NOT NULL GROUP BY owner_id")
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		total, lo, hi := 0, n, 0
		for _, r := range byOwner {
			counts[r.OwnerID] = r.N
			total += r.N
			lo, hi = min(lo, r.N), max(hi, r.N)
		}
		t.Logf("%s: %d leads by owner: ana %d, ben %d, cy %d, away %d", db, n,
			counts[ids["ana@example.com"]], counts[ids["ben@example.com"]], counts[ids["cy@example.com"]], counts[ids["away@example.com"]])
		if total != n {
			t.Fatalf("contacts with an owner = %d, want %d", total, n)
		}
		if counts[ids["away@example.com"]] != 0 {
			t.Fatalf("the salesperson who is away got %d leads", counts[ids["away@example.com"]])
		}
		if len(counts) != 3 || hi-lo > 1 {
			t.Fatalf("leads by owner = %v: want three owners within one lead of each other", counts)
		}
		// The deal step saw the owner: the deal is theirs and named after them.
		var mismatched int64
		err = storagetest.Scan(b.store.Reader(), &mismatched, `SELECT COUNT(*) FROM deals d JOIN contacts c ON c.id = d.contact_id
JOIN users u ON u.id = c.owner_id WHERE d.owner <> u.email OR d.title <> 'Deal for ' || COALESCE(NULLIF(u.name, ''), u.email)`)
		if err != nil {
			t.Fatal(err)
		}
		if deals := b.count(t, &storage.Deal{}, ""); deals != int64(n) || mismatched != 0 {
			t.Fatalf("deals = %d (want %d), %d not owned by or named after the contact's owner", deals, n, mismatched)
		}
	})
}
