// Package storagetest is the conformance suite of package storage: the same
// subtests run against every database the store supports (SQLite always,
// PostgreSQL when one is available), in the manner of River's
// riverdrivertest.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// t0 is the suite's clock: every test passes explicit times.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// OpenFunc opens a fresh, empty, migrated store for one test and arranges
// for it to be closed (and dropped) in t.Cleanup.
type OpenFunc func(t *testing.T) *storage.Store

// testBundle is what each subtest works with.
type testBundle struct {
	ctx   context.Context
	store *storage.Store
}

// Exercise runs the conformance suite. Every subtest is parallel and opens
// its own store.
func Exercise(t *testing.T, open OpenFunc) {
	t.Helper()

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{ctx: t.Context(), store: open(t)}
	}

	t.Run("Migrations", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var ids []string
		if err := gormdb.Of(b.store.Reader()).Table("schema_migrations").Order("id").Pluck("id", &ids).Error; err != nil {
			t.Fatalf("read schema_migrations: %v", err)
		}
		if len(ids) == 0 || ids[0] != "0001_initial" {
			t.Fatalf("schema_migrations = %v, want 0001_initial first", ids)
		}
		for _, table := range []string{"flows", "flow_versions", "triggers", "runs", "steps", "jobs", "waits",
			"events", "contacts", "contact_tags", "lists", "list_members", "deals", "tasks", "notes", "effects",
			"users", "sessions", "api_tokens"} {
			if !gormdb.Of(b.store.Reader()).Migrator().HasTable(table) {
				t.Fatalf("table %s missing after migration", table)
			}
		}
	})

	t.Run("Matching", func(t *testing.T) {
		t.Parallel()
		exerciseMatching(t, setup)
	})

	t.Run("EnsureMatching", func(t *testing.T) {
		t.Parallel()
		exerciseEnsureMatching(t, setup)
	})

	t.Run("UnsubscribedGroups", func(t *testing.T) {
		t.Parallel()
		exerciseUnsubscribedGroups(t, setup)
	})

	t.Run("TestData", func(t *testing.T) {
		t.Parallel()
		exerciseTestData(t, setup)
	})

	t.Run("Dialect", func(t *testing.T) {
		t.Parallel()
		exerciseDialect(t, setup)
	})

	t.Run("Write", func(t *testing.T) {
		t.Parallel()

		t.Run("CommitsAndIsVisibleToReader", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := mustUpsert(t, b, "", storage.ContactInput{Email: "reader@example.com"})
			if _, err := storage.GetContact(b.store.Reader(), id); err != nil {
				t.Fatalf("GetContact on reader after commit: %v", err)
			}
		})

		t.Run("RollsBackOnError", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			boom := errors.New("boom")
			err := b.store.Write(b.ctx, func(tx storage.Tx) error {
				if _, _, err := storage.UpsertContact(tx, "", storage.ContactInput{Email: "rollback@example.com"}, t0); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Write error = %v, want boom", err)
			}
			_, err = storage.FindContact(b.store.Reader(), storage.ContactRef{Email: "rollback@example.com"})
			if !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("contact after rollback: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("MapsGormErrors", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			err := b.store.Write(b.ctx, func(tx storage.Tx) error {
				var c storage.Contact
				return gormdb.Of(tx).Where("id = ?", "missing").Take(&c).Error
			})
			if !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("Write error = %v, want ErrNotFound", err)
			}
			mustUpsert(t, b, "", storage.ContactInput{Email: "dup@example.com"})
			err = b.store.Write(b.ctx, func(tx storage.Tx) error {
				email := "dup@example.com"
				return gormdb.Of(tx).Create(&storage.Contact{ID: "x", Email: &email, CreatedAt: t0, UpdatedAt: t0}).Error
			})
			if !errors.Is(err, storage.ErrDuplicate) {
				t.Fatalf("Write error = %v, want ErrDuplicate", err)
			}
		})

		t.Run("ConcurrentWritersDoNotFail", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := mustUpsert(t, b, "", storage.ContactInput{Email: "busy@example.com"})
			const goroutines, perGoroutine = 8, 25
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*perGoroutine+goroutines)
			for g := range goroutines {
				wg.Go(func() {
					for i := range perGoroutine {
						errs <- b.store.Write(b.ctx, func(tx storage.Tx) error {
							_, err := storage.AddScore(tx, fmt.Sprintf("busy:%d:%d", g, i), id, 1, t0)
							return err
						})
					}
				})
				wg.Go(func() { // readers at the same time
					_, _, err := storage.ListContacts(b.store.Reader(), storage.ContactQuery{})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("concurrent write: %v", err)
				}
			}
			c := mustGet(t, b, id)
			if c.Score != goroutines*perGoroutine {
				t.Fatalf("score = %d, want %d", c.Score, goroutines*perGoroutine)
			}
		})
	})

	t.Run("UpsertContact", func(t *testing.T) {
		t.Parallel()

		t.Run("CreatesThenUpdatesNonEmptyFields", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			in := storage.ContactInput{Email: "ada@example.com", Phone: "+4915112345678", FirstName: "Ada",
				LastName: "Lovelace", Company: "Engines", TimeZone: "Europe/London", ExternalID: "crm-1"}
			var id string
			var created bool
			write(t, b, func(tx storage.Tx) (err error) {
				id, created, err = storage.UpsertContact(tx, "", in, t0)
				return err
			})
			if !created || id == "" {
				t.Fatalf("first upsert: id=%q created=%v, want a new id", id, created)
			}
			var id2 string
			write(t, b, func(tx storage.Tx) (err error) {
				id2, created, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ada@example.com", Company: "Analytical"}, t0.Add(time.Hour))
				return err
			})
			if id2 != id || created {
				t.Fatalf("second upsert: id=%q created=%v, want %q false", id2, created, id)
			}
			c := mustGet(t, b, id)
			if c.FirstName != "Ada" || c.LastName != "Lovelace" || c.Company != "Analytical" ||
				c.TimeZone != "Europe/London" || deref(c.Phone) != "+4915112345678" || deref(c.ExternalID) != "crm-1" {
				t.Fatalf("after update: %+v", c.Contact)
			}
			if !c.UpdatedAt.Equal(t0.Add(time.Hour)) || !c.CreatedAt.Equal(t0) {
				t.Fatalf("times: created %v updated %v", c.CreatedAt, c.UpdatedAt)
			}
		})

		t.Run("DedupesByEmailThenPhoneThenExternalID", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			a := mustUpsert(t, b, "", storage.ContactInput{Email: "a@example.com", Phone: "+111"})
			bID := mustUpsert(t, b, "", storage.ContactInput{Phone: "+222"})
			x := mustUpsert(t, b, "", storage.ContactInput{ExternalID: "ext-x"})

			// Email wins over phone; B keeps its phone.
			if got := mustUpsert(t, b, "", storage.ContactInput{Email: "a@example.com", Phone: "+222", FirstName: "A"}); got != a {
				t.Fatalf("email+phone of another contact matched %s, want %s (email first)", got, a)
			}
			if c := mustGet(t, b, a); deref(c.Phone) != "+111" || c.FirstName != "A" {
				t.Fatalf("A after upsert: phone %q name %q; phone must not move to A", deref(c.Phone), c.FirstName)
			}
			// Phone matches when the email is unknown; the email is added.
			if got := mustUpsert(t, b, "", storage.ContactInput{Email: "b@example.com", Phone: "+222"}); got != bID {
				t.Fatalf("unknown email + phone matched %s, want %s", got, bID)
			}
			if c := mustGet(t, b, bID); deref(c.Email) != "b@example.com" {
				t.Fatalf("B email = %q, want b@example.com", deref(c.Email))
			}
			// External id last.
			if got := mustUpsert(t, b, "", storage.ContactInput{ExternalID: "ext-x", Company: "X"}); got != x {
				t.Fatalf("external id matched %s, want %s", got, x)
			}
			var n int64
			if err := gormdb.Of(b.store.Reader()).Model(&storage.Contact{}).Count(&n).Error; err != nil {
				t.Fatalf("count: %v", err)
			}
			if n != 3 {
				t.Fatalf("contacts = %d, want 3", n)
			}
		})

		t.Run("MergesCustomFields", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := mustUpsert(t, b, "", storage.ContactInput{Email: "f@example.com", Fields: map[string]any{"plan": "free", "seats": 1}})
			mustUpsert(t, b, "", storage.ContactInput{Email: "f@example.com", Fields: map[string]any{"plan": "pro", "source": "chat"}})
			mustUpsert(t, b, "", storage.ContactInput{Email: "f@example.com", FirstName: "F"}) // no fields: unchanged
			c := mustGet(t, b, id)
			want := `{"plan":"pro","seats":1,"source":"chat"}`
			if c.Fields != want {
				t.Fatalf("fields = %s, want %s", c.Fields, want)
			}
		})

		t.Run("ReplayWithSameKeyChangesNothing", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			var id1, id2 string
			var created1, created2 bool
			write(t, b, func(tx storage.Tx) (err error) {
				id1, created1, err = storage.UpsertContact(tx, "run1:n1:1", storage.ContactInput{Email: "k@example.com", FirstName: "First"}, t0)
				return err
			})
			write(t, b, func(tx storage.Tx) (err error) {
				id2, created2, err = storage.UpsertContact(tx, "run1:n1:1", storage.ContactInput{Email: "other@example.com", FirstName: "Second"}, t0.Add(time.Minute))
				return err
			})
			if !created1 || created2 || id1 != id2 {
				t.Fatalf("replay: (%s,%v) then (%s,%v), want same id, created then not", id1, created1, id2, created2)
			}
			c := mustGet(t, b, id1)
			if c.FirstName != "First" || deref(c.Email) != "k@example.com" || !c.UpdatedAt.Equal(t0) {
				t.Fatalf("replay changed the contact: %+v", c.Contact)
			}
			if _, err := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: "other@example.com"}); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("replay created a contact: err = %v", err)
			}
		})

		t.Run("WithoutKeyIsNotIdempotent", func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := mustUpsert(t, b, "", storage.ContactInput{Email: "p@example.com", FirstName: "One"})
			mustUpsert(t, b, "", storage.ContactInput{Email: "p@example.com", FirstName: "Two"})
			if c := mustGet(t, b, id); c.FirstName != "Two" {
				t.Fatalf("first name = %q, want Two", c.FirstName)
			}
		})
	})

	t.Run("FindAndEnsureContact", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := mustUpsert(t, b, "", storage.ContactInput{Email: "e@example.com", Phone: "+333", ExternalID: "ext-e"})
		for _, ref := range []storage.ContactRef{
			{ID: id}, {Email: "e@example.com"}, {Phone: "+333"}, {ExternalID: "ext-e"},
			{Email: "nobody@example.com", Phone: "+333"},
		} {
			c, err := storage.FindContact(b.store.Reader(), ref)
			if err != nil || c.ID != id {
				t.Fatalf("FindContact(%+v) = %v, %v; want %s", ref, c, err, id)
			}
		}
		if _, err := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: "nobody@example.com"}); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("FindContact(unknown) err = %v, want ErrNotFound", err)
		}
		if _, err := storage.FindContact(b.store.Reader(), storage.ContactRef{}); !errors.Is(err, storage.ErrEmptyRef) {
			t.Fatalf("FindContact(empty) err = %v, want ErrEmptyRef", err)
		}

		var got string
		var created bool
		write(t, b, func(tx storage.Tx) (err error) {
			got, created, err = storage.EnsureContact(tx, storage.ContactRef{Email: "e@example.com"}, t0)
			return err
		})
		if got != id || created {
			t.Fatalf("EnsureContact(existing) = %s %v, want %s false", got, created, id)
		}
		write(t, b, func(tx storage.Tx) (err error) {
			got, created, err = storage.EnsureContact(tx, storage.ContactRef{Phone: "+444"}, t0)
			return err
		})
		if got == "" || !created {
			t.Fatalf("EnsureContact(new phone) = %q %v, want created", got, created)
		}
		if c := mustGet(t, b, got); deref(c.Phone) != "+444" || c.Email != nil {
			t.Fatalf("ensured contact: %+v", c.Contact)
		}
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, _, err := storage.EnsureContact(tx, storage.ContactRef{ID: "00000000-0000-0000-0000-000000000000"}, t0)
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("EnsureContact(unknown id) err = %v, want ErrNotFound", err)
		}
	})

	t.Run("Deals", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cid := mustUpsert(t, b, "", storage.ContactInput{Email: "deal@example.com"})
		create := func(key, title string, at time.Time) string {
			t.Helper()
			var id string
			write(t, b, func(tx storage.Tx) (err error) {
				id, err = storage.CreateDeal(tx, key, storage.Deal{ContactID: cid, Title: title, Stage: "new", Value: 99.5, Currency: "EUR"}, at)
				return err
			})
			return id
		}
		d1 := create("r:n:1", "First", t0)
		if again := create("r:n:1", "Changed", t0.Add(time.Minute)); again != d1 {
			t.Fatalf("replayed deal id = %s, want %s", again, d1)
		}
		d2 := create("r:n:2", "Second", t0.Add(time.Hour))
		create("", "Third", t0.Add(2*time.Hour))
		create("", "Third", t0.Add(2*time.Hour))
		ds, err := storage.ContactDeals(b.store.Reader(), cid)
		if err != nil {
			t.Fatalf("ContactDeals: %v", err)
		}
		if len(ds) != 4 || ds[2].ID != d2 || ds[3].ID != d1 || ds[3].Title != "First" || ds[3].Value != 99.5 {
			t.Fatalf("deals = %+v, want 4 newest first with the first unchanged", ds)
		}
		page, total, err := storage.ListDeals(b.store.Reader(), storage.DealQuery{Stage: "new", Limit: 2, Offset: 2})
		if err != nil || total != 4 || len(page) != 2 || page[1].ID != d1 {
			t.Fatalf("ListDeals = %d rows, total %d, err %v", len(page), total, err)
		}
		if _, total, _ := storage.ListDeals(b.store.Reader(), storage.DealQuery{Stage: "won"}); total != 0 {
			t.Fatalf("ListDeals(won) total = %d, want 0", total)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.CreateDeal(tx, "r:n:3", storage.Deal{ContactID: "missing", Title: "x", Stage: "new"}, t0)
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("deal for unknown contact: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("Tasks", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cid := mustUpsert(t, b, "", storage.ContactInput{Email: "task@example.com"})
		due := t0.Add(time.Hour)
		var t1, t1again, t2 string
		write(t, b, func(tx storage.Tx) (err error) {
			if t1, err = storage.CreateTask(tx, "r:t:1", storage.Task{ContactID: cid, Title: "Call back", Owner: "sam", DueAt: &due}, t0); err != nil {
				return err
			}
			if t1again, err = storage.CreateTask(tx, "r:t:1", storage.Task{ContactID: cid, Title: "Other"}, t0); err != nil {
				return err
			}
			t2, err = storage.CreateTask(tx, "r:t:2", storage.Task{Title: "Unassigned", Owner: "kim", Done: true}, t0.Add(time.Minute))
			return err
		})
		if t1 != t1again {
			t.Fatalf("replayed task id = %s, want %s", t1again, t1)
		}
		ts, err := storage.ContactTasks(b.store.Reader(), cid)
		if err != nil || len(ts) != 1 || ts[0].Title != "Call back" || ts[0].DueAt == nil || !ts[0].DueAt.Equal(due) {
			t.Fatalf("ContactTasks = %+v, %v", ts, err)
		}
		notDone := false
		for _, c := range []struct {
			q    storage.TaskQuery
			want []string
		}{
			{storage.TaskQuery{}, []string{t2, t1}},
			{storage.TaskQuery{Owner: "sam"}, []string{t1}},
			{storage.TaskQuery{Done: &notDone}, []string{t1}},
			{storage.TaskQuery{ContactID: cid, Owner: "kim"}, nil},
		} {
			got, total, err := storage.ListTasks(b.store.Reader(), c.q)
			if err != nil || int(total) != len(c.want) || !slices.Equal(ids(got, func(t storage.Task) string { return t.ID }), c.want) {
				t.Fatalf("ListTasks(%+v) = %v (total %d, err %v), want %v", c.q, got, total, err, c.want)
			}
		}
	})

	t.Run("Notes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cid := mustUpsert(t, b, "", storage.ContactInput{Email: "note@example.com"})
		var n1, n1again string
		write(t, b, func(tx storage.Tx) (err error) {
			if n1, err = storage.AddNote(tx, "r:note:1", storage.Note{ContactID: cid, Body: "transcript", Source: "chat"}, t0); err != nil {
				return err
			}
			n1again, err = storage.AddNote(tx, "r:note:1", storage.Note{ContactID: cid, Body: "again"}, t0)
			return err
		})
		ns, err := storage.ContactNotes(b.store.Reader(), cid)
		if err != nil || n1 != n1again || len(ns) != 1 || ns[0].Body != "transcript" {
			t.Fatalf("notes = %+v (%v); ids %s %s", ns, err, n1, n1again)
		}
	})

	t.Run("AddScoreExactlyOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cid := mustUpsert(t, b, "", storage.ContactInput{Email: "score@example.com"})
		score := func(key string, delta int) int {
			t.Helper()
			var n int
			write(t, b, func(tx storage.Tx) (err error) {
				n, err = storage.AddScore(tx, key, cid, delta, t0)
				return err
			})
			return n
		}
		if got := score("r:s:1", 10); got != 10 {
			t.Fatalf("first add = %d, want 10", got)
		}
		if got := score("r:s:2", -3); got != 7 {
			t.Fatalf("second add = %d, want 7", got)
		}
		if got := score("r:s:1", 10); got != 10 {
			t.Fatalf("replay returned %d, want the recorded 10", got)
		}
		if c := mustGet(t, b, cid); c.Score != 7 {
			t.Fatalf("score after replay = %d, want 7", c.Score)
		}
		if got := score("", 1); got != 8 {
			t.Fatalf("keyless add = %d, want 8", got)
		}
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.AddScore(tx, "r:s:3", "missing", 1, t0)
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("score of unknown contact: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("ListsAndTags", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		c1 := mustUpsert(t, b, "", storage.ContactInput{Email: "l1@example.com"})
		c2 := mustUpsert(t, b, "", storage.ContactInput{Email: "l2@example.com"})
		do := func(fn func(tx storage.Tx) error) { t.Helper(); write(t, b, fn) }

		do(func(tx storage.Tx) error { return storage.AddToList(tx, "r:l:1", c1, "Nurture", t0) })
		do(func(tx storage.Tx) error { return storage.AddToList(tx, "r:l:2", c1, "Nurture", t0) }) // a set
		do(func(tx storage.Tx) error { return storage.AddToList(tx, "", c2, "Nurture", t0) })
		do(func(tx storage.Tx) error { return storage.AddToList(tx, "", c2, "VIP", t0) })
		do(func(tx storage.Tx) error { return storage.RemoveFromList(tx, "r:l:3", c1, "Nurture", t0) })
		// Replays change nothing: c1 stays off the list, then c1 stays on.
		do(func(tx storage.Tx) error { return storage.AddToList(tx, "r:l:1", c1, "Nurture", t0) })
		if v := mustGet(t, b, c1); len(v.Lists) != 0 {
			t.Fatalf("c1 lists after replayed add = %v, want none", v.Lists)
		}
		do(func(tx storage.Tx) error { return storage.AddToList(tx, "r:l:4", c1, "Nurture", t0) })
		do(func(tx storage.Tx) error { return storage.RemoveFromList(tx, "r:l:3", c1, "Nurture", t0) })
		do(func(tx storage.Tx) error { return storage.RemoveFromList(tx, "", c1, "No such list", t0) })
		if v := mustGet(t, b, c1); !slices.Equal(v.Lists, []string{"Nurture"}) {
			t.Fatalf("c1 lists after replayed remove = %v, want [Nurture]", v.Lists)
		}
		if v := mustGet(t, b, c2); !slices.Equal(v.Lists, []string{"Nurture", "VIP"}) {
			t.Fatalf("c2 lists = %v", v.Lists)
		}
		lists, err := storage.ListLists(b.store.Reader())
		if err != nil || len(lists) != 2 || lists[0].Name != "Nurture" || lists[0].Members != 2 || lists[1].Members != 1 || lists[0].ID == "" {
			t.Fatalf("ListLists = %+v, %v", lists, err)
		}
		members, total, err := storage.ListMembers(b.store.Reader(), "VIP", 0, 0)
		if err != nil || total != 1 || len(members) != 1 || members[0].ID != c2 {
			t.Fatalf("ListMembers(VIP) = %+v total %d err %v", members, total, err)
		}
		if _, _, err := storage.ListMembers(b.store.Reader(), "nope", 0, 0); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("ListMembers(missing) err = %v, want ErrNotFound", err)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error { return storage.AddToList(tx, "r:l:9", "missing", "VIP", t0) })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("AddToList(unknown contact) err = %v, want ErrNotFound", err)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error {
			return storage.TagContact(tx, "", "missing", []string{"vip"}, nil, t0)
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("TagContact(unknown contact) err = %v, want ErrNotFound", err)
		}

		do(func(tx storage.Tx) error {
			return storage.TagContact(tx, "r:t:1", c1, []string{"lead", " hot ", "", "lead"}, nil, t0)
		})
		do(func(tx storage.Tx) error {
			return storage.TagContact(tx, "r:t:2", c1, []string{"customer"}, []string{"lead"}, t0)
		})
		do(func(tx storage.Tx) error {
			return storage.TagContact(tx, "r:t:1", c1, []string{"lead"}, []string{"hot"}, t0)
		}) // replay
		if v := mustGet(t, b, c1); !slices.Equal(v.Tags, []string{"customer", "hot"}) {
			t.Fatalf("tags = %v, want [customer hot]", v.Tags)
		}
		do(func(tx storage.Tx) error {
			return storage.TagContact(tx, "", c1, []string{"x"}, []string{"x", "hot"}, t0)
		})
		if v := mustGet(t, b, c1); !slices.Equal(v.Tags, []string{"customer", "x"}) {
			t.Fatalf("tags = %v, want [customer x] (add wins over remove)", v.Tags)
		}
	})

	t.Run("ListContacts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		mk := func(in storage.ContactInput, at time.Time) string {
			t.Helper()
			var id string
			write(t, b, func(tx storage.Tx) (err error) {
				id, _, err = storage.UpsertContact(tx, "", in, at)
				return err
			})
			return id
		}
		ada := mk(storage.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Company: "Engines"}, t0)
		bob := mk(storage.ContactInput{Email: "bob@example.org", FirstName: "Bob", Phone: "+4930123", Company: "100% Widgets"}, t0.Add(time.Minute))
		cy := mk(storage.ContactInput{Phone: "+4940999", FirstName: "Cy", LastName: "Lace"}, t0.Add(2*time.Minute))
		write(t, b, func(tx storage.Tx) error {
			if err := storage.AddToList(tx, "", ada, "Nurture", t0); err != nil {
				return err
			}
			return storage.TagContact(tx, "", cy, []string{"hot"}, nil, t0)
		})
		for _, c := range []struct {
			name string
			q    storage.ContactQuery
			want []string
		}{
			{"all newest first", storage.ContactQuery{}, []string{cy, bob, ada}},
			{"email case-insensitive", storage.ContactQuery{Search: "ADA@"}, []string{ada}},
			{"name substring", storage.ContactQuery{Search: "lace"}, []string{cy, ada}},
			{"full name", storage.ContactQuery{Search: "ada love"}, []string{ada}},
			{"phone", storage.ContactQuery{Search: "4930"}, []string{bob}},
			{"company", storage.ContactQuery{Search: "engines"}, []string{ada}},
			{"percent is literal", storage.ContactQuery{Search: "100%"}, []string{bob}},
			{"underscore is literal", storage.ContactQuery{Search: "_"}, nil},
			{"list", storage.ContactQuery{List: "Nurture"}, []string{ada}},
			{"tag", storage.ContactQuery{Tag: "hot"}, []string{cy}},
			{"tag and search", storage.ContactQuery{Tag: "hot", Search: "ada"}, nil},
			{"page", storage.ContactQuery{Limit: 1, Offset: 1}, []string{bob}},
		} {
			got, total, err := storage.ListContacts(b.store.Reader(), c.q)
			if err != nil {
				t.Fatalf("%s: ListContacts: %v", c.name, err)
			}
			gotIDs := ids(got, func(v storage.ContactView) string { return v.ID })
			if !slices.Equal(gotIDs, c.want) {
				t.Fatalf("%s: ids = %v, want %v", c.name, gotIDs, c.want)
			}
			wantTotal := len(c.want)
			if c.q.Limit > 0 {
				wantTotal = 3
			}
			if int(total) != wantTotal {
				t.Fatalf("%s: total = %d, want %d", c.name, total, wantTotal)
			}
		}
		got, _, _ := storage.ListContacts(b.store.Reader(), storage.ContactQuery{Search: "Cy"})
		if len(got) != 1 || !slices.Equal(got[0].Tags, []string{"hot"}) || len(got[0].Lists) != 0 {
			t.Fatalf("view of Cy = %+v, want tags [hot] and no lists", got)
		}
	})

	t.Run("EraseContact", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cid := mustUpsert(t, b, "", storage.ContactInput{Email: "gone@example.com"})
		other := mustUpsert(t, b, "", storage.ContactInput{Email: "stays@example.com"})
		runOf := map[string]string{cid: uuid.NewString(), other: uuid.NewString()}
		write(t, b, func(tx storage.Tx) error {
			for _, id := range []string{cid, other} {
				if err := storage.TagContact(tx, "", id, []string{"t"}, nil, t0); err != nil {
					return err
				}
				if err := storage.AddToList(tx, "", id, "L", t0); err != nil {
					return err
				}
				if _, err := storage.CreateDeal(tx, "", storage.Deal{ContactID: id, Title: "d", Stage: "new"}, t0); err != nil {
					return err
				}
				if _, err := storage.CreateTask(tx, "", storage.Task{ContactID: id, Title: "t"}, t0); err != nil {
					return err
				}
				if _, err := storage.AddNote(tx, "", storage.Note{ContactID: id, Body: "n"}, t0); err != nil {
					return err
				}
				cidCopy := id
				if err := gormdb.Of(tx).Create(&storage.Event{ID: uuid.NewString(), ContactID: &cidCopy, Type: "chat.finished", Data: `{"email":"x"}`, At: t0, ReceivedAt: t0}).Error; err != nil {
					return err
				}
				if err := gormdb.Of(tx).Create(&storage.Run{ID: runOf[id], FlowID: "f", Version: 1, ContactID: &cidCopy, Status: storage.RunCompleted,
					Trigger: `{"email":"x"}`, Event: `{"type":"chat.finished"}`, StartedAt: t0, UpdatedAt: t0}).Error; err != nil {
					return err
				}
			}
			return nil
		})
		write(t, b, func(tx storage.Tx) error { return storage.EraseContact(tx, cid) })

		r := b.store.Reader()
		if _, err := storage.GetContact(r, cid); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("GetContact after erase: err = %v, want ErrNotFound", err)
		}
		for _, m := range []any{&storage.ContactTag{}, &storage.ListMember{}, &storage.Deal{}, &storage.Task{}, &storage.Note{}, &storage.Event{}} {
			var n int64
			if err := gormdb.Of(r).Model(m).Where("contact_id = ?", cid).Count(&n).Error; err != nil {
				t.Fatalf("count %T: %v", m, err)
			}
			if n != 0 {
				t.Fatalf("%T rows of erased contact = %d, want 0", m, n)
			}
			if err := gormdb.Of(r).Model(m).Where("contact_id = ?", other).Count(&n).Error; err != nil || n != 1 {
				t.Fatalf("%T rows of other contact = %d (%v), want 1", m, n, err)
			}
		}
		var run storage.Run
		if err := gormdb.Of(r).Where("id = ?", runOf[cid]).Take(&run).Error; err != nil {
			t.Fatalf("run of erased contact: %v", err)
		}
		if run.ContactID != nil || run.Trigger != "" || run.Event != "" {
			t.Fatalf("run after erase: contact %v trigger %q event %q, want all cleared", run.ContactID, run.Trigger, run.Event)
		}
		var otherRun storage.Run
		if err := gormdb.Of(r).Where("id = ?", runOf[other]).Take(&otherRun).Error; err != nil || otherRun.Trigger == "" || otherRun.ContactID == nil {
			t.Fatalf("other run changed: %+v (%v)", otherRun, err)
		}
		err := b.store.Write(b.ctx, func(tx storage.Tx) error { return storage.EraseContact(tx, cid) })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("second erase: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("Users", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if n, err := storage.CountUsers(b.store.Reader()); err != nil || n != 0 {
			t.Fatalf("CountUsers = %d, %v; want 0", n, err)
		}
		var u *storage.User
		write(t, b, func(tx storage.Tx) (err error) {
			u, err = storage.CreateUser(tx, " Admin@Example.COM ", "correct horse", t0)
			return err
		})
		if u.Email != "admin@example.com" || u.PasswordHash == "correct horse" || u.ID == "" {
			t.Fatalf("created user = %+v", u)
		}
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.CreateUser(tx, "admin@example.com", "another password", t0)
			return err
		})
		if !errors.Is(err, storage.ErrDuplicate) {
			t.Fatalf("duplicate user: err = %v, want ErrDuplicate", err)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.CreateUser(tx, "short@example.com", "1234567", t0)
			return err
		})
		var weak *storage.WeakPasswordError
		if !errors.As(err, &weak) || weak.Len != 7 || !errors.Is(err, &storage.WeakPasswordError{}) {
			t.Fatalf("short password: err = %v, want *WeakPasswordError", err)
		}
		if n, _ := storage.CountUsers(b.store.Reader()); n != 1 {
			t.Fatalf("CountUsers = %d, want 1", n)
		}
		got, err := storage.Authenticate(b.store.Reader(), "ADMIN@example.com", "correct horse")
		if err != nil || got.ID != u.ID {
			t.Fatalf("Authenticate = %v, %v", got, err)
		}
		for _, c := range []struct{ email, password string }{
			{"admin@example.com", "wrong horse"},
			{"nobody@example.com", "correct horse"},
			{"", ""},
		} {
			if _, err := storage.Authenticate(b.store.Reader(), c.email, c.password); !errors.Is(err, storage.ErrBadCredentials) {
				t.Fatalf("Authenticate(%q, %q) err = %v, want ErrBadCredentials", c.email, c.password, err)
			}
		}
	})

	t.Run("Sessions", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var token string
		var u *storage.User
		write(t, b, func(tx storage.Tx) (err error) {
			if u, err = storage.CreateUser(tx, "s@example.com", "password12", t0); err != nil {
				return err
			}
			token, err = storage.CreateSession(tx, u.ID, time.Hour, t0)
			return err
		})
		if len(token) < 40 {
			t.Fatalf("session token %q too short", token)
		}
		var stored storage.Session
		if err := gormdb.Of(b.store.Reader()).Take(&stored).Error; err != nil || stored.TokenHash == token || len(stored.TokenHash) != 64 {
			t.Fatalf("stored session = %+v (%v), want only a SHA-256 hex", stored, err)
		}
		if got, err := storage.SessionUser(b.store.Reader(), token, t0.Add(59*time.Minute)); err != nil || got.ID != u.ID {
			t.Fatalf("SessionUser = %v, %v", got, err)
		}
		if _, err := storage.SessionUser(b.store.Reader(), token, t0.Add(time.Hour)); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("expired session: err = %v, want ErrNotFound", err)
		}
		if _, err := storage.SessionUser(b.store.Reader(), "bogus", t0); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown session: err = %v, want ErrNotFound", err)
		}
		write(t, b, func(tx storage.Tx) error { return storage.DeleteSession(tx, token) })
		if _, err := storage.SessionUser(b.store.Reader(), token, t0); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("deleted session: err = %v, want ErrNotFound", err)
		}
		write(t, b, func(tx storage.Tx) error {
			_, err := storage.CreateSession(tx, u.ID, time.Minute, t0)
			return err
		})
		var n int64
		write(t, b, func(tx storage.Tx) (err error) {
			n, err = storage.DeleteExpiredSessions(tx, t0.Add(time.Hour))
			return err
		})
		if n != 1 {
			t.Fatalf("DeleteExpiredSessions = %d, want 1", n)
		}
	})

	t.Run("APITokens", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var token string
		var tok *storage.APIToken
		write(t, b, func(tx storage.Tx) (err error) {
			token, tok, err = storage.CreateAPIToken(tx, "ci", t0)
			return err
		})
		if len(token) != len(storage.APITokenPrefix)+43 || token[:4] != storage.APITokenPrefix || tok.TokenHash == token {
			t.Fatalf("token %q / %+v", token, tok)
		}
		got, err := storage.APITokenByValue(b.store.Reader(), token, t0)
		if err != nil || got.ID != tok.ID || got.Name != "ci" {
			t.Fatalf("APITokenByValue = %+v, %v", got, err)
		}
		if _, err := storage.APITokenByValue(b.store.Reader(), token+"x", t0); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("wrong token: err = %v, want ErrNotFound", err)
		}
		if !storage.TokenNeedsTouch(got, t0) {
			t.Fatalf("never used token does not need a touch")
		}
		write(t, b, func(tx storage.Tx) error { return storage.TouchAPIToken(tx, tok.ID, t0) })
		write(t, b, func(tx storage.Tx) error { return storage.TouchAPIToken(tx, tok.ID, t0.Add(30*time.Second)) })
		got, _ = storage.APITokenByValue(b.store.Reader(), token, t0)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0) {
			t.Fatalf("last used = %v, want %v (at most once a minute)", got.LastUsedAt, t0)
		}
		if storage.TokenNeedsTouch(got, t0.Add(30*time.Second)) || !storage.TokenNeedsTouch(got, t0.Add(time.Minute)) {
			t.Fatalf("TokenNeedsTouch wrong around the one-minute mark")
		}
		write(t, b, func(tx storage.Tx) error {
			_, _, err := storage.CreateAPIToken(tx, "deploy", t0.Add(time.Minute))
			return err
		})
		list, err := storage.ListAPITokens(b.store.Reader())
		if err != nil || len(list) != 2 || list[0].Name != "deploy" {
			t.Fatalf("ListAPITokens = %+v, %v", list, err)
		}
		write(t, b, func(tx storage.Tx) error { return storage.DeleteAPIToken(tx, tok.ID) })
		if _, err := storage.APITokenByValue(b.store.Reader(), token, t0); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("deleted token: err = %v, want ErrNotFound", err)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error { return storage.DeleteAPIToken(tx, tok.ID) })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("second delete: err = %v, want ErrNotFound", err)
		}
	})
}

// write runs fn in b.store.Write and fails the test on error.
func write(t *testing.T, b *testBundle, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := b.store.Write(b.ctx, fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func mustUpsert(t *testing.T, b *testBundle, key string, in storage.ContactInput) string {
	t.Helper()
	var id string
	write(t, b, func(tx storage.Tx) (err error) {
		id, _, err = storage.UpsertContact(tx, key, in, t0)
		return err
	})
	return id
}

func mustGet(t *testing.T, b *testBundle, id string) *storage.ContactView {
	t.Helper()
	c, err := storage.GetContact(b.store.Reader(), id)
	if err != nil {
		t.Fatalf("GetContact(%s): %v", id, err)
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ids[T any](rows []T, id func(T) string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}
