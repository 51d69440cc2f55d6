//go:build cgo

package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestSaveRunWritesTheContactOnlyWhenItChanged: SaveRun names contact_id
// in its UPDATE only when the run's contact differs from what its row
// holds (written unchanged, SQLite rewrites the run's entries in the two
// indexes that hold it), and a run read without that knowledge (GetRuns)
// still gets its contact written. A trigger on "UPDATE OF contact_id",
// which fires when the column is named, whatever its value, counts them.
func TestSaveRunWritesTheContactOnlyWhenItChanged(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "save.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(fn func(tx Tx) error) {
		t.Helper()
		if err := s.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	named := func() (n int) {
		t.Helper()
		if err := s.Reader().db.Raw(`SELECT COUNT(*) FROM contact_named`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored := func(id string) string {
		t.Helper()
		r, err := GetRun(s.Reader(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.ContactID == nil {
			return "<nil>"
		}
		return *r.ContactID
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a, b, c := "ca", "cb", "cc"
	run := Run{ID: "r1", FlowID: "f", Version: 1, ContactID: &a, Status: RunRunning, Trigger: "{}", Vars: "{}", Visits: "{}",
		StartedAt: now, UpdatedAt: now}
	write(func(tx Tx) error {
		for _, id := range []string{a, b, c} {
			if err := tx.db.Create(&Contact{ID: id}).Error; err != nil {
				return err
			}
		}
		if err := tx.db.Exec(`CREATE TABLE contact_named (run_id TEXT)`).Error; err != nil {
			return err
		}
		if err := tx.db.Exec(`CREATE TRIGGER count_contact_named AFTER UPDATE OF contact_id ON runs
BEGIN INSERT INTO contact_named VALUES (new.id); END`).Error; err != nil {
			return err
		}
		return InsertRun(tx, &run)
	})

	// Inserted with its contact: saves that keep it leave the column alone.
	write(func(tx Tx) error { return SaveRun(tx, &run) })
	write(func(tx Tx) error { run.Status = RunWaiting; return SaveRun(tx, &run) })
	if n := named(); n != 0 {
		t.Fatalf("contact_id written %d times by saves that kept the contact", n)
	}
	// A new contact is written, once.
	write(func(tx Tx) error { run.ContactID = &b; return SaveRun(tx, &run) })
	write(func(tx Tx) error { return SaveRun(tx, &run) })
	if n, got := named(), stored("r1"); n != 1 || got != b {
		t.Fatalf("after a change of contact: written %d times, stored %s; want once, %s", n, got, b)
	}
	// Read back with GetRun, the same; and a contact taken away is written.
	loaded, err := GetRun(s.Reader(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	write(func(tx Tx) error { return SaveRun(tx, loaded) })
	write(func(tx Tx) error { loaded.ContactID = nil; return SaveRun(tx, loaded) })
	if n, got := named(), stored("r1"); n != 2 || got != "<nil>" {
		t.Fatalf("after the contact was taken away: written %d times, stored %s; want twice, <nil>", n, got)
	}
	// A run read by GetRuns does not know what its row holds: its contact
	// is written.
	runs, err := GetRuns(s.Reader(), []string{"r1"})
	if err != nil || len(runs) != 1 {
		t.Fatal(runs, err)
	}
	write(func(tx Tx) error { runs[0].ContactID = &c; return SaveRun(tx, &runs[0]) })
	if n, got := named(), stored("r1"); n != 3 || got != c {
		t.Fatalf("a run read by GetRuns: written %d times, stored %s; want 3, %s", n, got, c)
	}
}
