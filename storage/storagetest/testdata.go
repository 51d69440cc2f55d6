package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// exerciseTestData checks that test data never mixes with real data: a
// test contact may share a real contact's identifiers, real look-ups and
// lists never see it, and removing tests removes what they made and
// nothing else.
func exerciseTestData(t *testing.T, setup func(t *testing.T) *testBundle) {
	t.Run("TestContactSharesARealContactsIdentifiers", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		real := mustUpsert(t, b, "", storage.ContactInput{Email: "ana@example.com", Phone: "+34600111222",
			ExternalID: "crm-1", FirstName: "Ana"})
		test := mustUpsert(t, b, "", storage.ContactInput{Email: "ana@example.com", Phone: "+34600111222",
			ExternalID: "crm-1", FirstName: "Tester", Test: true})
		if test == real {
			t.Fatalf("the test upsert found the real contact %s", real)
		}
		if again := mustUpsert(t, b, "", storage.ContactInput{Email: "ana@example.com", Company: "ACME", Test: true}); again != test {
			t.Fatalf("second test upsert = %s, want the test contact %s", again, test)
		}
		rc := mustGet(t, b, real)
		if rc.FirstName != "Ana" || rc.Company != "" || rc.Test {
			t.Fatalf("real contact after the tests = %+v, want it untouched", rc.Contact)
		}
		tc := mustGet(t, b, test)
		if !tc.Test || tc.FirstName != "Tester" || tc.Company != "ACME" || deref(tc.Email) != "ana@example.com" {
			t.Fatalf("test contact = %+v", tc.Contact)
		}
		r := b.store.Reader()
		for _, ref := range []storage.ContactRef{{Email: "ana@example.com"}, {Phone: "+34600111222"}, {ExternalID: "crm-1"}} {
			c, err := storage.FindContact(r, ref)
			if err != nil || c.ID != real {
				t.Fatalf("FindContact(%+v) = %v, %v; want the real contact", ref, c, err)
			}
			ref.Test = true
			c, err = storage.FindContact(r, ref)
			if err != nil || c.ID != test {
				t.Fatalf("FindContact(%+v) = %v, %v; want the test contact", ref, c, err)
			}
		}
		if _, err := storage.FindContact(r, storage.ContactRef{ID: test}); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("real FindContact by the test contact's id: err = %v, want ErrNotFound", err)
		}
		if id, err := storage.ContactIDByEmail(r, "ana@example.com", false); err != nil || id != real {
			t.Fatalf("ContactIDByEmail(real) = %q, %v", id, err)
		}
		if id, err := storage.ContactIDByEmail(r, "ana@example.com", true); err != nil || id != test {
			t.Fatalf("ContactIDByEmail(test) = %q, %v", id, err)
		}
		write(t, b, func(tx storage.Tx) error {
			id, created, err := storage.EnsureContact(tx, storage.ContactRef{Email: "ana@example.com"}, t0)
			if err != nil || created || id != real {
				t.Fatalf("EnsureContact = %q, %v, %v; want the real contact", id, created, err)
			}
			return nil
		})
	})

	t.Run("ATestNeverChangesARealContactNorTheOtherWay", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		real := mustUpsert(t, b, "", storage.ContactInput{Email: "real@example.com"})
		test := mustUpsert(t, b, "", storage.ContactInput{Email: "test@example.com", Test: true})
		err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.CreateDeal(tx, "k1", storage.Deal{ContactID: real, Title: "T", Stage: "new", Test: true}, t0)
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("test deal for a real contact: err = %v, want ErrNotFound", err)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error {
			_, err := storage.CreateTask(tx, "k2", storage.Task{ContactID: test, Title: "T"}, t0)
			return err
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("real task for a test contact: err = %v, want ErrNotFound", err)
		}
		if n := count(t, b, &storage.Deal{}, "1 = 1"); n != 0 {
			t.Fatalf("%d deals, want none", n)
		}
	})

	t.Run("ListsAndCountsLeaveTestDataOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		real, test, testRun := seedRealAndTest(t, b)
		r := b.store.Reader()
		cs, total, err := storage.ListContacts(r, storage.ContactQuery{})
		if err != nil || total != 1 || len(cs) != 1 || cs[0].ID != real {
			t.Fatalf("ListContacts = %v (total %d), %v; want the real contact only", ids(cs, func(c storage.ContactView) string { return c.ID }), total, err)
		}
		if _, total, err := storage.ListContacts(r, storage.ContactQuery{List: "nurture"}); err != nil || total != 1 {
			t.Fatalf("ListContacts(list) total = %d, %v; want 1", total, err)
		}
		if ds, total, err := storage.ListDeals(r, storage.DealQuery{}); err != nil || total != 1 || ds[0].ContactID != real {
			t.Fatalf("ListDeals total = %d, %v; want the real deal only", total, err)
		}
		if ts, total, err := storage.ListTasks(r, storage.TaskQuery{}); err != nil || total != 1 || ts[0].ContactID != real {
			t.Fatalf("ListTasks total = %d, %v; want the real task only", total, err)
		}
		ls, err := storage.ListLists(r)
		if err != nil || len(ls) != 1 || ls[0].Members != 1 {
			t.Fatalf("ListLists = %+v, %v; want nurture with 1 member", ls, err)
		}
		ms, total, err := storage.ListMembers(r, "nurture", 0, 0)
		if err != nil || total != 1 || len(ms) != 1 || ms[0].ID != real {
			t.Fatalf("ListMembers = %d (total %d), %v; want the real contact only", len(ms), total, err)
		}
		if _, total, err := storage.ListMessages(r, storage.MessageQuery{}); err != nil || total != 1 {
			t.Fatalf("ListMessages total = %d, %v; want the real message only", total, err)
		}
		if _, total, err := storage.ListMessages(r, storage.MessageQuery{IncludeTest: true}); err != nil || total != 2 {
			t.Fatalf("ListMessages(include test) total = %d, %v; want 2", total, err)
		}
		if m, total, err := storage.ListMessages(r, storage.MessageQuery{RunID: testRun}); err != nil || total != 1 || !m[0].Test {
			t.Fatalf("ListMessages(test run) total = %d, %v; want its test message", total, err)
		}
		if m, total, err := storage.ListMessages(r, storage.MessageQuery{ContactID: test}); err != nil || total != 1 || !m[0].Test {
			t.Fatalf("ListMessages(test contact) total = %d, %v; want its test message", total, err)
		}
		page, err := storage.ContactsAfter(r, "", 100)
		if err != nil || len(page) != 1 || page[0].ID != real {
			t.Fatalf("ContactsAfter = %d contacts, %v; want the real contact only", len(page), err)
		}
		// Every record of the test contact is marked, none of the real one's.
		for _, m := range []any{&storage.ContactTag{}, &storage.ListMember{}, &storage.Deal{}, &storage.Task{},
			&storage.Note{}, &storage.Event{}, &storage.Message{}} {
			if n := count(t, b, m, "contact_id = ? AND test = ?", test, true); n != 1 {
				t.Errorf("%T: %d test rows of the test contact, want 1", m, n)
			}
			if n := count(t, b, m, "contact_id = ? AND test = ?", real, false); n != 1 {
				t.Errorf("%T: %d real rows of the real contact, want 1", m, n)
			}
		}
	})

	t.Run("DeleteTestRunsRemovesWhatTheTestsMadeAndNothingElse", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		real, test, testRun := seedRealAndTest(t, b)
		// A second test run of the same test contact keeps it alive.
		other := insertRun(t, b, "welcome", &test, true, t0)
		realRun := insertRun(t, b, "welcome", &real, false, t0)
		write(t, b, func(tx storage.Tx) error {
			if _, err := storage.CreateTask(tx, testRun+":t:1", storage.Task{Title: "No contact", Test: true}, t0); err != nil {
				return err
			}
			// The test run waits for an event, with a timeout.
			run := testRun
			if _, err := storage.InsertJob(tx, &storage.Job{RunID: &run, NodeID: "wait", Kind: storage.JobTimeout,
				DueAt: t0.Add(time.Hour), CreatedAt: t0}); err != nil {
				return err
			}
			return storage.InsertWait(tx, &storage.Wait{RunID: run, NodeID: "wait", Visit: 1, ContactID: test,
				EventType: "email.opened", ExpiresAt: t0.Add(time.Hour), EventPort: "event", CreatedAt: t0})
		})
		realCounts := realRowCounts(t, b, real)

		var n int
		write(t, b, func(tx storage.Tx) (err error) {
			n, err = storage.DeleteTestRuns(tx, []string{testRun, realRun})
			return err
		})
		if n != 1 {
			t.Fatalf("DeleteTestRuns deleted %d runs, want 1 (the real run is not a test)", n)
		}
		if got := count(t, b, &storage.Run{}, "id IN ?", []string{testRun}); got != 0 {
			t.Fatalf("the test run is still there")
		}
		for _, m := range []any{&storage.Step{}, &storage.Message{}, &storage.Job{}, &storage.Wait{}} {
			if got := count(t, b, m, "run_id = ?", testRun); got != 0 {
				t.Errorf("%T: %d rows of the deleted test run left", m, got)
			}
		}
		if got := count(t, b, &storage.Task{}, "title = ?", "No contact"); got != 0 {
			t.Errorf("the test run's task without a contact is still there")
		}
		if got := count(t, b, &storage.Deal{}, "contact_id = ?", test); got != 0 {
			t.Errorf("the test run's deal is still there")
		}
		if _, err := storage.GetContact(b.store.Reader(), test); err != nil {
			t.Fatalf("the test contact another test run uses was deleted: %v", err)
		}

		write(t, b, func(tx storage.Tx) (err error) {
			n, err = storage.DeleteTestRuns(tx, []string{other})
			return err
		})
		if _, err := storage.GetContact(b.store.Reader(), test); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("the unused test contact: err = %v, want ErrNotFound", err)
		}
		for _, m := range []any{&storage.ContactTag{}, &storage.ListMember{}, &storage.Deal{}, &storage.Task{},
			&storage.Note{}, &storage.Event{}, &storage.Message{}, &storage.Contact{}, &storage.Run{}} {
			if got := count(t, b, m, "test = ?", true); got != 0 {
				t.Errorf("%T: %d test rows left", m, got)
			}
		}
		if got := realRowCounts(t, b, real); got != realCounts {
			t.Fatalf("real rows after the cleanup = %v, want %v", got, realCounts)
		}
		if got := count(t, b, &storage.Run{}, "id = ?", realRun); got != 1 {
			t.Fatalf("the real run was deleted")
		}
	})

	t.Run("DeleteOldTestDataKeepsRecentTestsAndRealData", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		real, test, testRun := seedRealAndTest(t, b) // at t0
		orphan := mustUpsert(t, b, "", storage.ContactInput{Email: "orphan@example.com", Test: true})
		cutoff := t0.Add(time.Hour)
		recentContact := mustUpsertAt(t, b, storage.ContactInput{Email: "recent@example.com", Test: true}, cutoff.Add(time.Minute))
		recentRun := insertRun(t, b, "welcome", &recentContact, true, cutoff.Add(time.Minute))
		realOld := insertRun(t, b, "welcome", &real, false, t0.Add(-48*time.Hour))
		realCounts := realRowCounts(t, b, real)

		var runs, contacts int
		write(t, b, func(tx storage.Tx) (err error) {
			runs, contacts, err = storage.DeleteOldTestData(tx, cutoff, 100)
			return err
		})
		if runs != 1 || contacts != 1 {
			t.Fatalf("DeleteOldTestData = %d runs, %d contacts; want 1 and 1 (the test contact goes with its run)", runs, contacts)
		}
		for _, id := range []string{test, orphan} {
			if _, err := storage.GetContact(b.store.Reader(), id); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("old test contact %s: err = %v, want ErrNotFound", id, err)
			}
		}
		if got := count(t, b, &storage.Run{}, "id = ?", testRun); got != 0 {
			t.Errorf("the old test run is still there")
		}
		if _, err := storage.GetContact(b.store.Reader(), recentContact); err != nil {
			t.Errorf("recent test contact: %v", err)
		}
		if got := count(t, b, &storage.Run{}, "id IN ?", []string{recentRun, realOld}); got != 2 {
			t.Errorf("%d of the recent test run and the old real run left, want both", got)
		}
		if got := realRowCounts(t, b, real); got != realCounts {
			t.Fatalf("real rows after the sweep = %v, want %v", got, realCounts)
		}
	})

	t.Run("DeleteFinishedRunsLeavesTestRunsToTheTestSweep", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		test := mustUpsert(t, b, "", storage.ContactInput{Email: "t@example.com", Test: true})
		id := insertRun(t, b, "welcome", &test, true, t0)
		write(t, b, func(tx storage.Tx) error {
			ended := t0
			return gormdb.Of(tx).Model(&storage.Run{}).Where("id = ?", id).
				Updates(map[string]any{"status": storage.RunCompleted, "ended_at": ended}).Error
		})
		write(t, b, func(tx storage.Tx) error {
			n, err := storage.DeleteFinishedRuns(tx, t0.Add(time.Hour), 10)
			if n != 0 {
				t.Errorf("DeleteFinishedRuns deleted %d test runs, want 0", n)
			}
			return err
		})
	})
}

// seedRealAndTest makes a real and a test contact, each with one tag, one
// membership of the list "nurture", one deal, task, note, event and
// message; the test contact's come from a test run (returned), the real
// one's from a real run.
func seedRealAndTest(t *testing.T, b *testBundle) (real, test, testRun string) {
	t.Helper()
	real = mustUpsert(t, b, "", storage.ContactInput{Email: "ana@example.com", FirstName: "Ana"})
	test = mustUpsert(t, b, "", storage.ContactInput{Email: "ana@example.com", FirstName: "Tester", Test: true})
	realRun := insertRun(t, b, "chat", &real, false, t0)
	testRun = insertRun(t, b, "chat", &test, true, t0)
	for _, c := range []struct {
		contact, run string
		test         bool
	}{{real, realRun, false}, {test, testRun, true}} {
		write(t, b, func(tx storage.Tx) error {
			key := func(node string) string { return c.run + ":" + node + ":1" }
			if _, err := storage.CreateDeal(tx, key("deal"), storage.Deal{ContactID: c.contact, Title: "Deal", Stage: "new", Test: c.test}, t0); err != nil {
				return err
			}
			if _, err := storage.CreateTask(tx, key("task"), storage.Task{ContactID: c.contact, Title: "Call back", Test: c.test}, t0); err != nil {
				return err
			}
			if _, err := storage.AddNote(tx, key("note"), storage.Note{ContactID: c.contact, Body: "Chat", Test: c.test}, t0); err != nil {
				return err
			}
			if err := storage.AddToList(tx, "", c.contact, "nurture", t0); err != nil {
				return err
			}
			if err := storage.TagContact(tx, "", c.contact, []string{"lead"}, nil, t0); err != nil {
				return err
			}
			cid := c.contact
			if _, err := storage.InsertEvent(tx, &storage.Event{ID: storage.NewID(), ContactID: &cid, Type: "chat.finished",
				Data: "{}", At: t0, ReceivedAt: t0}); err != nil {
				return err
			}
			if _, _, err := storage.InsertMessage(tx, &storage.Message{IdemKey: key("sms"), Channel: "sms", Provider: "sandbox",
				Status: storage.MessageSandboxed, ContactID: &cid, RunID: c.run, CreatedAt: t0}); err != nil {
				return err
			}
			return storage.InsertSteps(tx, []storage.Step{{RunID: c.run, NodeID: "deal", NodeType: "crm.create_deal",
				Visit: 1, Attempt: 1, Status: "completed", StartedAt: t0, FinishedAt: t0}})
		})
	}
	return real, test, testRun
}

func insertRun(t *testing.T, b *testBundle, flowID string, contactID *string, test bool, at time.Time) string {
	t.Helper()
	r := &storage.Run{ID: storage.NewID(), FlowID: flowID, Version: 1, ContactID: contactID, Status: storage.RunWaiting,
		Trigger: "{}", Vars: "{}", Visits: "{}", Test: test, StartedAt: at, UpdatedAt: at}
	write(t, b, func(tx storage.Tx) error { return storage.InsertRun(tx, r) })
	return r.ID
}

func mustUpsertAt(t *testing.T, b *testBundle, in storage.ContactInput, at time.Time) string {
	t.Helper()
	var id string
	write(t, b, func(tx storage.Tx) (err error) {
		id, _, err = storage.UpsertContact(tx, "", in, at)
		return err
	})
	return id
}

func count(t *testing.T, b *testBundle, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gormdb.Of(b.store.Reader()).Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

// realRowCounts counts the rows of every kind of the real contact.
func realRowCounts(t *testing.T, b *testBundle, contactID string) [8]int64 {
	t.Helper()
	var out [8]int64
	for i, m := range []any{&storage.ContactTag{}, &storage.ListMember{}, &storage.Deal{}, &storage.Task{},
		&storage.Note{}, &storage.Event{}, &storage.Message{}} {
		out[i] = count(t, b, m, "contact_id = ?", contactID)
	}
	out[7] = count(t, b, &storage.Contact{}, "id = ? AND test = ?", contactID, false)
	return out
}
