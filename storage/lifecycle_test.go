package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

var lifeT0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func mustWrite(t *testing.T, s *storage.Store, fn func(tx storage.Tx) error) {
	t.Helper()
	if err := s.Write(t.Context(), fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func countWhere(t *testing.T, s *storage.Store, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gormdb.Of(s.Reader()).Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %T: %v", model, err)
	}
	return n
}

// addRun stores a run with two steps; ended is nil for a live run.
func addRun(t *testing.T, s *storage.Store, status string, contactID *string, ended *time.Time, data string) string {
	t.Helper()
	id := uuid.NewString()
	mustWrite(t, s, func(tx storage.Tx) error {
		r := storage.Run{ID: id, FlowID: "f", Version: 1, ContactID: contactID, Status: status,
			Trigger: `{"who":"` + data + `"}`, Event: `{"type":"chat.finished","data":{"who":"` + data + `"}}`,
			Vars: `{"who":"` + data + `"}`, Error: "vendor refused " + data, Tokens: 1,
			StartedAt: lifeT0.Add(-90 * 24 * time.Hour), UpdatedAt: lifeT0, EndedAt: ended}
		if err := gormdb.Of(tx).Create(&r).Error; err != nil {
			return err
		}
		steps := []storage.Step{
			{RunID: id, NodeID: "a", NodeType: "crm.upsert_contact", Visit: 1, Attempt: 1, Status: "completed",
				Input: `{"email":"` + data + `"}`, Output: `{"email":"` + data + `"}`, StartedAt: lifeT0, FinishedAt: lifeT0},
			{RunID: id, NodeID: "b", NodeType: "message.sms", Visit: 1, Attempt: 1, Status: "failed",
				Input: `{}`, Output: `{}`, Error: "bad number " + data, StartedAt: lifeT0, FinishedAt: lifeT0},
		}
		return storage.InsertSteps(tx, steps)
	})
	return id
}

func TestDeleteFinishedRuns(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		old := lifeT0.Add(-40 * 24 * time.Hour)
		recent := lifeT0.Add(-24 * time.Hour)
		var gone, kept []string
		for _, st := range []string{storage.RunCompleted, storage.RunFailed, storage.RunCancelled} {
			gone = append(gone, addRun(t, s, st, nil, &old, "x"))
		}
		kept = append(kept,
			addRun(t, s, storage.RunCompleted, nil, &recent, "x"),
			addRun(t, s, storage.RunRunning, nil, nil, "x"),
			addRun(t, s, storage.RunWaiting, nil, nil, "x"))
		cutoff := lifeT0.Add(-30 * 24 * time.Hour)
		var batches []int
		for {
			var n int
			mustWrite(t, s, func(tx storage.Tx) error {
				var err error
				n, err = storage.DeleteFinishedRuns(tx, cutoff, 2)
				return err
			})
			batches = append(batches, n)
			if n < 2 {
				break
			}
		}
		if fmt.Sprint(batches) != "[2 1]" {
			t.Fatalf("batches deleted %v, want [2 1]", batches)
		}
		for _, id := range gone {
			if n := countWhere(t, s, &storage.Run{}, "id = ?", id) + countWhere(t, s, &storage.Step{}, "run_id = ?", id); n != 0 {
				t.Fatalf("old finished run %s still has %d rows", id, n)
			}
		}
		for _, id := range kept {
			if countWhere(t, s, &storage.Run{}, "id = ?", id) != 1 || countWhere(t, s, &storage.Step{}, "run_id = ?", id) != 2 {
				t.Fatalf("run %s (recent, running or waiting) lost data", id)
			}
		}
	})
}

// personal is the data of the contact to erase; it must be nowhere after.
const personal = "ana.erased@example.com"

func TestEraseContactRemovesPersonalDataEverywhere(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		var cid, other string
		mustWrite(t, s, func(tx storage.Tx) error {
			var err error
			if cid, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: personal, Phone: "+34600111222", FirstName: "Ana"}, lifeT0); err != nil {
				return err
			}
			other, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "stays@example.com"}, lifeT0)
			return err
		})
		ended := lifeT0
		doneRun := addRun(t, s, storage.RunCompleted, &cid, &ended, personal)
		liveRun := addRun(t, s, storage.RunWaiting, &cid, nil, personal)
		otherRun := addRun(t, s, storage.RunCompleted, &other, &ended, "stays@example.com")
		mustWrite(t, s, func(tx storage.Tx) error {
			if _, err := storage.InsertJob(tx, &storage.Job{RunID: &liveRun, NodeID: "w", Kind: storage.JobTimeout,
				DueAt: lifeT0.Add(time.Hour), CreatedAt: lifeT0}); err != nil {
				return err
			}
			if err := storage.InsertWait(tx, &storage.Wait{RunID: liveRun, NodeID: "w", Visit: 1, ContactID: cid,
				EventType: "email.opened", ExpiresAt: lifeT0.Add(time.Hour), EventPort: "event", CreatedAt: lifeT0}); err != nil {
				return err
			}
			if err := gormdb.Of(tx).Create(&storage.Event{ID: uuid.NewString(), ContactID: &cid, Type: "chat.finished",
				Data: `{"email":"` + personal + `"}`, At: lifeT0, ReceivedAt: lifeT0}).Error; err != nil {
				return err
			}
			for i, contact := range []*string{&cid, nil} { // a message linked by its run only, too
				m := &storage.Message{IdemKey: fmt.Sprintf("%s:sms:%d", doneRun, i), Channel: "email", Provider: "sandbox",
					Status: storage.MessageSandboxed, To: personal, BodyText: "Hi " + personal, ContactID: contact,
					RunID: doneRun, CreatedAt: lifeT0, UpdatedAt: lifeT0}
				if _, _, err := storage.InsertMessage(tx, m); err != nil {
					return err
				}
			}
			return nil
		})

		mustWrite(t, s, func(tx storage.Tx) error { return storage.EraseContactAt(tx, cid, lifeT0) })

		// No table holds the address any more.
		for _, q := range []struct {
			table string
			cols  []string
		}{
			{"contacts", []string{"email"}}, {"runs", []string{"trigger", "event", "vars", "error"}},
			{"steps", []string{"input", "output", "error"}}, {"events", []string{"data"}},
			{"messages", []string{"to_address", "body_text"}},
		} {
			for _, col := range q.cols {
				var n int64
				if err := gormdb.Of(s.Reader()).Table(q.table).Where(col+" LIKE ?", "%"+personal+"%").Count(&n).Error; err != nil {
					t.Fatalf("scan %s.%s: %v", q.table, col, err)
				}
				if n != 0 {
					t.Errorf("%s.%s still holds the erased address in %d rows", q.table, col, n)
				}
			}
		}
		var live storage.Run
		if err := gormdb.Of(s.Reader()).Where("id = ?", liveRun).Take(&live).Error; err != nil {
			t.Fatal(err)
		}
		if live.Status != storage.RunCancelled || live.EndedAt == nil || live.ContactID != nil {
			t.Fatalf("live run after erase: status %s ended %v contact %v; want cancelled, ended, unlinked", live.Status, live.EndedAt, live.ContactID)
		}
		if n := countWhere(t, s, &storage.Job{}, "run_id = ?", liveRun) + countWhere(t, s, &storage.Wait{}, "run_id = ?", liveRun); n != 0 {
			t.Fatalf("the cancelled run keeps %d jobs and waits", n)
		}
		if countWhere(t, s, &storage.Step{}, "run_id = ?", doneRun) != 2 {
			t.Fatal("the erased contact's steps should stay (scrubbed) for the journey's statistics")
		}
		var otherSteps []storage.Step
		if err := gormdb.Of(s.Reader()).Where("run_id = ?", otherRun).Find(&otherSteps).Error; err != nil || len(otherSteps) != 2 ||
			!strings.Contains(otherSteps[0].Output, "stays@example.com") {
			t.Fatalf("another contact's steps changed: %+v (%v)", otherSteps, err)
		}

		// The same email (any case) or phone is not created again...
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			_, _, err := storage.UpsertContact(tx, "", storage.ContactInput{Email: strings.ToUpper(personal)}, lifeT0)
			return err
		})
		if !errors.Is(err, storage.ErrErased) {
			t.Fatalf("upsert of the erased email: %v, want ErrErased", err)
		}
		err = s.Write(t.Context(), func(tx storage.Tx) error {
			_, _, err := storage.EnsureContact(tx, storage.ContactRef{Phone: "+34600111222"}, lifeT0)
			return err
		})
		if !errors.Is(err, storage.ErrErased) {
			t.Fatalf("ensure of the erased phone: %v, want ErrErased", err)
		}
		// ...nor under a new email with the erased phone.
		err = s.Write(t.Context(), func(tx storage.Tx) error {
			_, _, err := storage.UpsertContact(tx, "", storage.ContactInput{Email: "new@example.com", Phone: "+34600111222"}, lifeT0)
			return err
		})
		if !errors.Is(err, storage.ErrErased) {
			t.Fatalf("upsert of a new email with the erased phone: %v, want ErrErased", err)
		}
		list, total, err := storage.ListErasedIdentities(s.Reader(), 10, 0)
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("suppression list = %+v, %d, %v; want the email and the phone", list, total, err)
		}
		for _, e := range list {
			if strings.Contains(e.Hash, "ana") || len(e.Hash) != 64 {
				t.Fatalf("suppression entry %+v is not a hash", e)
			}
		}

		// ...until the person consents again.
		var lifted int64
		mustWrite(t, s, func(tx storage.Tx) error {
			var err error
			lifted, err = storage.LiftErasure(tx, " Ana.Erased@Example.com ", "")
			return err
		})
		if lifted != 1 {
			t.Fatalf("lifted %d entries, want 1", lifted)
		}
		mustWrite(t, s, func(tx storage.Tx) error {
			_, created, err := storage.UpsertContact(tx, "", storage.ContactInput{Email: personal}, lifeT0)
			if err == nil && !created {
				err = errors.New("not created")
			}
			return err
		})
		err = s.Write(t.Context(), func(tx storage.Tx) error {
			_, _, err := storage.EnsureContact(tx, storage.ContactRef{Phone: "+34600111222"}, lifeT0)
			return err
		})
		if !errors.Is(err, storage.ErrErased) {
			t.Fatalf("the phone was not lifted: %v, want ErrErased", err)
		}
	})
}

func TestNewSQLiteFilesUseIncrementalVacuum(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	st, err := s.SQLiteFileStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.AutoVacuum != storage.AutoVacuumIncremental || st.PageCount == 0 {
		t.Fatalf("file stats %+v, want auto_vacuum=2 (incremental)", st)
	}
}

// TestInsertStepsGivesEachRowItsID: a run's steps are stored with one
// statement, and each step learns its own id (the logs name steps by it).
func TestInsertStepsGivesEachRowItsID(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		steps := make([]storage.Step, 40) // more than one statement's worth
		for i := range steps {
			steps[i] = storage.Step{RunID: "run-ids", NodeID: fmt.Sprintf("n%02d", i), NodeType: "data.set", Visit: 1, Attempt: 1,
				Status: "completed", StartedAt: lifeT0, FinishedAt: lifeT0}
		}
		if err := s.Write(context.Background(), func(tx storage.Tx) error { return storage.InsertSteps(tx, steps) }); err != nil {
			t.Fatal(err)
		}
		stored, err := storage.RunSteps(s.Reader(), "run-ids")
		if err != nil || len(stored) != len(steps) {
			t.Fatalf("stored %d steps, %v", len(stored), err)
		}
		for i := range steps {
			if stored[i].ID != steps[i].ID || stored[i].NodeID != steps[i].NodeID {
				t.Fatalf("step %d: stored id %d node %s, inserted id %d node %s", i, stored[i].ID, stored[i].NodeID, steps[i].ID, steps[i].NodeID)
			}
		}
	})
}
