package storage_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestSQLiteTaskFirstContact(t *testing.T) {
	t.Parallel()
	exerciseTaskFirstContact(t, openSQLite(t))
}

func TestPostgresTaskFirstContact(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	exerciseTaskFirstContact(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
}

// exerciseTaskFirstContact: a task a run's step created and the team
// checked off is a first contact too. The earlier of it and the run's
// first message counts; opening the task again takes it back; a task made
// another way, or done after the message, changes nothing.
func exerciseTaskFirstContact(t *testing.T, s *storage.Store) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	str := func(v string) *string { return &v }
	var task, late, byHand, quiet string
	err := s.Write(t.Context(), func(tx storage.Tx) error {
		for _, id := range []string{"rt1", "rt2"} {
			r := storage.Run{ID: id, FlowID: "chat", Version: 1, Status: "completed", ContactID: str("c1"), StartedAt: start, UpdatedAt: start}
			if err := storage.InsertRun(tx, &r); err != nil {
				return err
			}
		}
		sent := start.Add(10 * time.Minute)
		if _, _, err := storage.InsertMessage(tx, &storage.Message{IdemKey: "rt1:send:1", Channel: "email", Provider: "sandbox", Status: "sent",
			RunID: "rt1", FlowID: "chat", NodeID: "send", SentAt: &sent, CreatedAt: sent, UpdatedAt: sent}); err != nil {
			return err
		}
		var err error
		if task, err = storage.CreateTask(tx, "rt1:call:1", storage.Task{Title: "Call back"}, start); err != nil {
			return err
		}
		if late, err = storage.CreateTask(tx, "rt1:call:2", storage.Task{Title: "Call again"}, start); err != nil {
			return err
		}
		if byHand, err = storage.CreateTask(tx, "by-hand", storage.Task{Title: "Not a step's"}, start); err != nil {
			return err
		}
		// rt2 sent nothing: only its task can be its first contact.
		quiet, err = storage.CreateTask(tx, "rt2:call:1", storage.Task{Title: "Call the quiet one"}, start)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	var tasks []storage.Task
	if err := gormdb.Of(s.Reader()).Order("title").Find(&tasks).Error; err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range tasks {
		if tk.RunID == nil {
			got = append(got, "<nil>")
		} else {
			got = append(got, *tk.RunID)
		}
	}
	// By title: Call again, Call back, Call the quiet one, Not a step's.
	if want := []string{"rt1", "rt1", "rt2", "<nil>"}; !reflect.DeepEqual(got, want) {
		t.Errorf("run_id of the tasks = %v, want %v (from the step's key run:node:visit)", got, want)
	}

	f := storage.AnalyticsFilter{FlowID: "chat", Since: start.Truncate(24 * time.Hour), Until: start.Add(24 * time.Hour)}
	check := func(when string, want ...time.Duration) {
		t.Helper()
		got, err := storage.Analytics(s.Reader(), f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.FirstContact, want) {
			t.Errorf("%s: first contact %v, want %v", when, got.FirstContact, want)
		}
	}
	done := func(id string, d bool, at time.Time) *storage.Task {
		t.Helper()
		var tk *storage.Task
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			var err error
			tk, err = storage.SetTaskDone(tx, id, d, at)
			if err == nil && (tk.Done != d || (tk.CompletedAt != nil) != d) {
				err = fmt.Errorf("task after SetTaskDone(%v): %+v", d, tk)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}

	check("message only", 10*time.Minute)
	done(late, true, start.Add(20*time.Minute))
	done(byHand, true, start.Add(time.Minute))
	check("a task done after the message, and one no run made", 10*time.Minute)

	tk := done(task, true, start.Add(2*time.Minute))
	if !tk.CompletedAt.Equal(start.Add(2 * time.Minute)) {
		t.Errorf("completed at %v, want %v", tk.CompletedAt, start.Add(2*time.Minute))
	}
	check("task done 2 minutes in, before the message", 2*time.Minute)
	tk = done(task, true, start.Add(30*time.Minute))
	if !tk.CompletedAt.Equal(start.Add(2 * time.Minute)) {
		t.Errorf("checked off twice: completed at %v, want the first time %v", tk.CompletedAt, start.Add(2*time.Minute))
	}
	check("task checked off again", 2*time.Minute)

	done(quiet, true, start.Add(45*time.Minute))
	check("the quiet run's task done", 2*time.Minute, 45*time.Minute)

	done(task, false, start.Add(time.Hour))
	check("task opened again", 10*time.Minute, 45*time.Minute)
	done(late, false, start.Add(time.Hour))
	done(quiet, false, start.Add(time.Hour))
	check("every task open", 10*time.Minute)

	err = s.Write(t.Context(), func(tx storage.Tx) error {
		_, err := storage.SetTaskDone(tx, "no-such-task", true, start)
		return err
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("checking off a missing task: %v, want ErrNotFound", err)
	}
}

// TestTaskCompletionMigration: 0016 gives the tasks that steps created
// (key run:node:visit) their run, and leaves the others, and every
// completion time, empty.
func TestTaskCompletionMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, d dialectDB) {
		dsn := d.dsn(t)
		s := unmigrated(t, dsn)
		if err := s.MigrateUpTo(t.Context(), "0015_lead_routing"); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			for _, k := range []struct {
				id   string
				key  any
				done bool
			}{{"t1", "run-1:call:1", true}, {"t2", "run-2:call:3", false}, {"t3", "by-hand", false}, {"t4", nil, true}, {"t5", ":odd:1", false}} {
				if err := gormdb.Of(tx).Exec(`INSERT INTO tasks (id, title, idem_key, done, test, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					k.id, "T", k.key, k.done, false, at).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		upgraded := opened(t, dsn)
		// Named columns: a reader connection opened before the upgrade
		// may expand "*" with the old schema on its first query.
		var tasks []storage.Task
		if err := gormdb.Of(upgraded.Reader()).Select("id", "run_id", "completed_at").Order("id").Find(&tasks).Error; err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"t1": "run-1", "t2": "run-2"}
		if len(tasks) != 5 {
			t.Fatalf("%d tasks after the upgrade, want 5", len(tasks))
		}
		for _, tk := range tasks {
			run := ""
			if tk.RunID != nil {
				run = *tk.RunID
			}
			if run != want[tk.ID] || tk.CompletedAt != nil {
				t.Errorf("%s after the upgrade: run %q, completed %v; want run %q, no completion time", tk.ID, run, tk.CompletedAt, want[tk.ID])
			}
		}
	})
}
