package storagetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// exerciseDialect holds what each database does its own way (storage's
// dialect: ids of inserted rows, claiming, row and table locks, the file)
// to one behaviour.
func exerciseDialect(t *testing.T, setup func(t *testing.T) *testBundle) {
	t.Helper()

	t.Run("SingleWriterOnSQLiteOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if pg := gormdb.Postgres(b.store.Reader()); b.store.SingleWriter() == pg {
			t.Fatalf("SingleWriter() = %v on %s", b.store.SingleWriter(), map[bool]string{true: "PostgreSQL", false: "SQLite"}[pg])
		}
	})

	t.Run("InsertJobReturnsIDAndSkipsDuplicates", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key := "dialect:once"
		var ids []int64
		write(t, b, func(tx storage.Tx) error {
			for i := range 3 {
				j := &storage.Job{NodeID: fmt.Sprintf("n%d", i), Kind: storage.JobStep, DueAt: t0, CreatedAt: t0}
				if i == 0 {
					j.DedupKey = &key
				}
				inserted, err := storage.InsertJob(tx, j)
				if err != nil || !inserted || j.ID == 0 {
					return fmt.Errorf("insert job %d: inserted=%v id=%d err=%v", i, inserted, j.ID, err)
				}
				ids = append(ids, j.ID)
			}
			dup := &storage.Job{NodeID: "dup", Kind: storage.JobStep, DueAt: t0, CreatedAt: t0, DedupKey: &key}
			if inserted, err := storage.InsertJob(tx, dup); err != nil || inserted {
				return fmt.Errorf("duplicate dedup key: inserted=%v err=%v, want skipped", inserted, err)
			}
			return nil
		})
		if ids[0] >= ids[1] || ids[1] >= ids[2] {
			t.Fatalf("job ids %v, want increasing", ids)
		}
		var jobs []storage.Job
		if err := Find(b.store.Reader(), &jobs, Query{Order: "id"}); err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 3 {
			t.Fatalf("%d jobs stored, want 3 (the duplicate skipped)", len(jobs))
		}
		for i, j := range jobs {
			if j.ID != ids[i] || j.NodeID != fmt.Sprintf("n%d", i) {
				t.Fatalf("job %d stored as %d %s; InsertJob returned id %d", i, j.ID, j.NodeID, ids[i])
			}
		}
	})

	t.Run("HeldJobsNeverGetAnIDTwice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		given := map[int64]string{} // every id InsertJob gave, committed or not
		insert := func(tx storage.Tx, nodes ...string) error {
			for _, n := range nodes {
				j := &storage.Job{NodeID: n, Kind: storage.JobStep, DueAt: t0, CreatedAt: t0}
				if n == "e" { // with a dedup key: written at once (others are held on PostgreSQL)
					key := "once"
					j.DedupKey = &key
				}
				if inserted, err := storage.InsertJob(tx, j); err != nil || !inserted || j.ID == 0 {
					return fmt.Errorf("insert job %s: inserted=%v id=%d err=%v", n, inserted, j.ID, err)
				}
				if other, ok := given[j.ID]; ok && other != "undone" {
					return fmt.Errorf("job %s got id %d, which job %s had", n, j.ID, other)
				}
				given[j.ID] = n
			}
			return nil
		}
		write(t, b, func(tx storage.Tx) error { return insert(tx, "a", "b", "c") })
		// The newest job's row is deleted: its id is not given again. The
		// ids of a transaction that rolled back may be.
		write(t, b, func(tx storage.Tx) error {
			_, err := storage.DeleteJobByID(tx, slices.Max(slices.Collect(maps.Keys(given))))
			return err
		})
		errUndo := errors.New("undo")
		if err := b.store.Write(t.Context(), func(tx storage.Tx) error {
			if err := insert(tx, "undone"); err != nil {
				return err
			}
			return errUndo
		}); !errors.Is(err, errUndo) {
			t.Fatalf("the rolled back write: %v", err)
		}
		write(t, b, func(tx storage.Tx) error { return insert(tx, "d", "e") })
		var jobs []storage.Job
		if err := Find(b.store.Reader(), &jobs, Query{Order: "id"}); err != nil {
			t.Fatal(err)
		}
		stored := map[string]int64{}
		for _, j := range jobs {
			stored[j.NodeID] = j.ID
		}
		for _, n := range []string{"a", "b", "d", "e"} {
			if id, ok := stored[n]; !ok || given[id] != n {
				t.Errorf("job %s stored with id %d (%v); InsertJob gave that id to %q", n, id, ok, given[id])
			}
		}
		if len(jobs) != 4 {
			t.Errorf("%d jobs stored, want a, b, d and e: %v", len(jobs), stored)
		}
	})

	t.Run("InsertStepsSetsIDsInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		const n = 40 // more than one multi-row statement
		steps := make([]storage.Step, n)
		for i := range steps {
			steps[i] = storage.Step{RunID: "run-1", NodeID: fmt.Sprintf("n%02d", i), NodeType: "logic.wait", Visit: 1, Attempt: 1,
				Status: "completed", StartedAt: t0, FinishedAt: t0}
		}
		write(t, b, func(tx storage.Tx) error {
			if err := storage.InsertRun(tx, &storage.Run{ID: "run-1", FlowID: "f", Version: 1, Status: storage.RunRunning,
				Tokens: 1, StartedAt: t0, UpdatedAt: t0}); err != nil {
				return err
			}
			return storage.InsertSteps(tx, steps)
		})
		stored, err := storage.RunSteps(b.store.Reader(), "run-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != n {
			t.Fatalf("%d steps stored, want %d", len(stored), n)
		}
		for i := range stored {
			if steps[i].ID == 0 || stored[i].ID != steps[i].ID || stored[i].NodeID != steps[i].NodeID {
				t.Fatalf("step %d: InsertSteps set id %d for %s; stored %d is %s", i, steps[i].ID, steps[i].NodeID,
					stored[i].ID, stored[i].NodeID)
			}
		}
	})

	t.Run("HeldRowsAreWrittenBeforeAStatementNamesTheirTable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// Three runs' steps, held together: more than one multi-row
		// statement, split inside the second run's steps.
		counts := map[string]int{"held-1": 20, "held-2": 20, "held-3": 5}
		steps := map[string][]storage.Step{}
		var jobIDs []int64
		write(t, b, func(tx storage.Tx) error {
			for _, id := range []string{"held-1", "held-2", "held-3"} {
				if err := storage.InsertRun(tx, &storage.Run{ID: id, FlowID: "f", Version: 1, Status: storage.RunRunning,
					Tokens: 1, StartedAt: t0, UpdatedAt: t0}); err != nil {
					return err
				}
				ss := make([]storage.Step, counts[id])
				for i := range ss {
					ss[i] = storage.Step{RunID: id, NodeID: fmt.Sprintf("n%02d", i), NodeType: "logic.wait", Visit: 1,
						Attempt: 1, Status: "completed", StartedAt: t0, FinishedAt: t0}
				}
				if err := storage.InsertSteps(tx, ss); err != nil {
					return err
				}
				steps[id] = ss
			}
			// Jobs without a dedup key, held on PostgreSQL with ids
			// reserved for them; one with a key, inserted at once.
			key := "held:once"
			for i, id := range []string{"held-1", "held-2", "held-3"} {
				j := &storage.Job{RunID: &id, NodeID: "call", Kind: storage.JobStep, DueAt: t0, CreatedAt: t0,
					LeaseOwner: "me"}
				if i == 1 {
					j.DedupKey = &key
				}
				if inserted, err := storage.InsertJob(tx, j); err != nil || !inserted || j.ID == 0 {
					return fmt.Errorf("insert job %d: inserted=%v id=%d err=%v", i, inserted, j.ID, err)
				}
				jobIDs = append(jobIDs, j.ID)
			}
			// The transaction reads its own rows: a raw query of runs and
			// of jobs, a GORM query of steps.
			if held, err := storage.JobHeld(tx, jobIDs[2], "me"); err != nil || !held {
				return fmt.Errorf("the transaction's own job: held=%v, %v", held, err)
			}
			if r, err := storage.GetRun(tx, "held-2"); err != nil || r.ID != "held-2" {
				return fmt.Errorf("the transaction's own run: %v, %v", r, err)
			}
			got, err := storage.RunSteps(tx, "held-2")
			if err != nil || len(got) != 20 {
				return fmt.Errorf("the transaction's own steps: %d, %v; want 20", len(got), err)
			}
			for i := range got {
				if got[i].ID != steps["held-2"][i].ID || got[i].NodeID != steps["held-2"][i].NodeID {
					return fmt.Errorf("step %d read as %d %s; InsertSteps set %d", i, got[i].ID, got[i].NodeID,
						steps["held-2"][i].ID)
				}
			}
			return nil
		})
		for id, ss := range steps {
			stored, err := storage.RunSteps(b.store.Reader(), id)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != len(ss) {
				t.Fatalf("%s: %d steps stored, want %d", id, len(stored), len(ss))
			}
			for i := range stored {
				if ss[i].ID == 0 || stored[i].ID != ss[i].ID || stored[i].NodeID != ss[i].NodeID {
					t.Fatalf("%s step %d: InsertSteps set id %d for %s; stored %d is %s", id, i, ss[i].ID, ss[i].NodeID,
						stored[i].ID, stored[i].NodeID)
				}
			}
		}
		var jobs []storage.Job
		if err := Find(b.store.Reader(), &jobs, Query{Order: "id"}); err != nil {
			t.Fatal(err)
		}
		stored := map[int64]string{}
		for _, j := range jobs {
			stored[j.ID] = *j.RunID
		}
		for i, id := range jobIDs {
			if want := fmt.Sprintf("held-%d", i+1); stored[id] != want || len(jobs) != 3 {
				t.Fatalf("jobs stored %v (%d); InsertJob gave %s id %d", stored, len(jobs), want, id)
			}
		}
		// A held row that cannot be written (its run's id is taken) fails
		// its transaction, even when no later statement names its table,
		// and nothing of the transaction is stored.
		err := b.store.Write(t.Context(), func(tx storage.Tx) error {
			if err := storage.InsertSteps(tx, []storage.Step{{RunID: "held-9", NodeID: "a", NodeType: "logic.wait",
				Visit: 1, Attempt: 1, Status: "completed", StartedAt: t0, FinishedAt: t0}}); err != nil {
				return err
			}
			return storage.InsertRun(tx, &storage.Run{ID: "held-1", FlowID: "f", Version: 1, Status: storage.RunRunning,
				Tokens: 1, StartedAt: t0, UpdatedAt: t0})
		})
		if err == nil {
			t.Fatal("a transaction inserting a run whose id is taken committed")
		}
		if stored, err := storage.RunSteps(b.store.Reader(), "held-9"); err != nil || len(stored) != 0 {
			t.Fatalf("the failed transaction's steps: %d stored (%v), want none", len(stored), err)
		}
	})

	t.Run("ANestedTransactionUndoesOnlyItsOwnHeldRows", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		run := func(id string) *storage.Run {
			return &storage.Run{ID: id, FlowID: "f", Version: 1, Status: storage.RunRunning, Tokens: 1,
				StartedAt: t0, UpdatedAt: t0}
		}
		errUndo := errors.New("undo")
		write(t, b, func(tx storage.Tx) error {
			if err := storage.InsertRun(tx, run("outer-1")); err != nil {
				return err
			}
			err := gormdb.Of(tx).Transaction(func(nested *gorm.DB) error {
				if err := storage.InsertRun(gormdb.Wrap(tx, nested), run("nested")); err != nil {
					return err
				}
				return errUndo
			})
			if !errors.Is(err, errUndo) {
				return fmt.Errorf("nested transaction: %v", err)
			}
			return storage.InsertRun(tx, run("outer-2"))
		})
		for id, want := range map[string]bool{"outer-1": true, "nested": false, "outer-2": true} {
			_, err := storage.GetRun(b.store.Reader(), id)
			if found := err == nil; found != want {
				t.Errorf("run %s stored: %v, want %v (%v)", id, found, want, err)
			}
		}
	})

	t.Run("BatchedSavesAndDeletesFailTheTransactionOnAConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		runs := make([]*storage.Run, 3)
		jobs := make([]*storage.Job, 3)
		write(t, b, func(tx storage.Tx) error {
			for i := range runs {
				runs[i] = &storage.Run{ID: fmt.Sprintf("batched-%d", i), FlowID: "f", Version: 1,
					Status: storage.RunRunning, Tokens: 1, StartedAt: t0, UpdatedAt: t0}
				if err := storage.InsertRun(tx, runs[i]); err != nil {
					return err
				}
				until := t0.Add(time.Hour)
				jobs[i] = &storage.Job{RunID: &runs[i].ID, NodeID: "call", Kind: storage.JobStep, DueAt: t0,
					CreatedAt: t0, LeaseOwner: "me", LeaseUntil: &until}
				if _, err := storage.InsertJob(tx, jobs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		// Another transaction writes the third run and takes the third
		// job over; the first two are as read.
		write(t, b, func(tx storage.Tx) error {
			other := *runs[2]
			other.Vars = `{"by":"another"}`
			if err := storage.SaveRun(tx, &other); err != nil {
				return err
			}
			return gormdb.Of(tx).Exec("UPDATE jobs SET lease_owner = ? WHERE id = ?", "other", jobs[2].ID).Error
		})
		finish := func(i int) func(tx storage.Tx) error {
			return func(tx storage.Tx) error {
				if err := storage.DeleteJobBatched(tx, jobs[i].ID, "me"); err != nil {
					return err
				}
				r := *runs[i]
				r.Status, r.Tokens, r.Vars = storage.RunCompleted, 0, `{"by":"me"}`
				return storage.SaveRunBatched(tx, &r)
			}
		}
		both := func(fns ...func(tx storage.Tx) error) func(tx storage.Tx) error {
			return func(tx storage.Tx) error {
				for _, fn := range fns {
					if err := fn(tx); err != nil {
						return err
					}
				}
				return nil
			}
		}
		// The third's conflict fails the whole transaction, the first's
		// writes included.
		if err := b.store.Write(t.Context(), both(finish(0), finish(2))); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("finishing a run written since and a job taken over: %v, want ErrConflict", err)
		}
		if r, _ := storage.GetRun(b.store.Reader(), runs[0].ID); r.Status != storage.RunRunning {
			t.Fatalf("the failed transaction's save of %s was written: %s", r.ID, r.Status)
		}
		// A job taken over alone fails it too, and so does a run written
		// since alone.
		err := b.store.Write(t.Context(), func(tx storage.Tx) error {
			return storage.DeleteJobBatched(tx, jobs[2].ID, "me")
		})
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("deleting a job taken over: %v, want ErrConflict", err)
		}
		err = b.store.Write(t.Context(), func(tx storage.Tx) error {
			r := *runs[2]
			return storage.SaveRunBatched(tx, &r)
		})
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("saving a run written since: %v, want ErrConflict", err)
		}
		// The first two, as read, are written together.
		write(t, b, both(finish(0), finish(1)))
		for i := range 2 {
			r, err := storage.GetRun(b.store.Reader(), runs[i].ID)
			if err != nil || r.Status != storage.RunCompleted || r.Revision != 1 || r.Vars != `{"by":"me"}` {
				t.Fatalf("run %d: %+v, %v; want completed at revision 1", i, r, err)
			}
			if held, err := storage.JobHeld(b.store.Reader(), jobs[i].ID, "me"); err != nil || held {
				t.Fatalf("job %d still held (%v)", i, err)
			}
		}
		if r, _ := storage.GetRun(b.store.Reader(), runs[2].ID); r.Vars != `{"by":"another"}` {
			t.Fatalf("the run written since: %s, want the other transaction's", r.Vars)
		}
	})

	t.Run("SaveRunWritesOnlyTheRevisionItRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		write(t, b, func(tx storage.Tx) error {
			return storage.InsertRun(tx, &storage.Run{ID: "run-r", FlowID: "f", Version: 1, Status: storage.RunRunning,
				Tokens: 2, StartedAt: t0, UpdatedAt: t0})
		})
		// Two transactions read the run (two branches, two instances);
		// the first to write wins, the second is told to decide again.
		first, err := storage.GetRun(b.store.Reader(), "run-r")
		if err != nil {
			t.Fatal(err)
		}
		second := *first
		first.Tokens = 1
		write(t, b, func(tx storage.Tx) error { return storage.SaveRun(tx, first) })
		second.Tokens, second.Status = 0, storage.RunCompleted
		err = b.store.Write(t.Context(), func(tx storage.Tx) error { return storage.SaveRun(tx, &second) })
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("saving a run read before another write: %v, want ErrConflict", err)
		}
		stored, err := storage.GetRun(b.store.Reader(), "run-r")
		if err != nil {
			t.Fatal(err)
		}
		if stored.Tokens != 1 || stored.Status != storage.RunRunning || stored.Revision != 1 {
			t.Fatalf("stored run: tokens %d, %s, revision %d; want the first write's (1, running, 1)",
				stored.Tokens, stored.Status, stored.Revision)
		}
		// Deciding again from the stored run writes.
		stored.Tokens, stored.Status = 0, storage.RunCompleted
		write(t, b, func(tx storage.Tx) error { return storage.SaveRun(tx, stored) })
		// A run deleted meanwhile (retention, a test data sweep) is a
		// conflict too, not an update of nothing.
		write(t, b, func(tx storage.Tx) error {
			return gormdb.Of(tx).Exec("DELETE FROM runs WHERE id = ?", "run-r").Error
		})
		err = b.store.Write(t.Context(), func(tx storage.Tx) error { return storage.SaveRun(tx, stored) })
		if !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("saving a deleted run: %v, want ErrConflict", err)
		}
	})

	t.Run("ClaimJobs", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		write(t, b, func(tx storage.Tx) error {
			for i, due := range []time.Duration{2 * time.Minute, 0, time.Minute, time.Hour} {
				j := &storage.Job{NodeID: fmt.Sprintf("n%d", i), Kind: storage.JobStep, DueAt: t0.Add(due), CreatedAt: t0}
				if _, err := storage.InsertJob(tx, j); err != nil {
					return err
				}
			}
			return nil
		})
		now := t0.Add(5 * time.Minute)
		claim := func(owner string, now time.Time, limit int) []storage.Job {
			t.Helper()
			var js []storage.Job
			write(t, b, func(tx storage.Tx) (err error) {
				js, err = storage.ClaimJobs(tx, owner, now, now.Add(time.Minute), limit)
				return err
			})
			return js
		}
		nodes := func(js []storage.Job) string {
			s := ""
			for _, j := range js {
				s += j.NodeID + "/" + j.LeaseOwner + " "
			}
			return s
		}
		if got := claim("a", now, 2); nodes(got) != "n1/a n2/a " {
			t.Fatalf("first claim = %s, want the two due first, in due order", nodes(got))
		}
		if got := claim("b", now, 10); nodes(got) != "n0/b " {
			t.Fatalf("second claim = %s, want the one due job left (leased jobs and future ones stay)", nodes(got))
		}
		if got := claim("c", now, 10); len(got) != 0 {
			t.Fatalf("third claim = %s, want none", nodes(got))
		}
		// a's lease expires: its jobs are claimed again; b's job was
		// deleted by b meanwhile.
		write(t, b, func(tx storage.Tx) error {
			js, err := storage.ClaimJobs(tx, "x", now, now, 0) // claims nothing, reads nothing
			if err != nil || len(js) != 0 {
				return fmt.Errorf("claim of 0: %v %v", js, err)
			}
			var n0 storage.Job
			if err := Take(tx, &n0, Where("node_id = ?", "n0")); err != nil {
				return err
			}
			if ok, err := storage.DeleteJob(tx, n0.ID, "a"); err != nil || ok {
				return fmt.Errorf("a deleted b's job: %v %v", ok, err)
			}
			if ok, err := storage.DeleteJob(tx, n0.ID, "b"); err != nil || !ok {
				return fmt.Errorf("b could not delete its job: %v %v", ok, err)
			}
			return nil
		})
		later := now.Add(2 * time.Minute)
		if got := claim("d", later, 10); nodes(got) != "n1/d n2/d " {
			t.Fatalf("claim after the lease expired = %s, want a's two jobs", nodes(got))
		}
	})

	t.Run("ConcurrentClaimersShareNoJob", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		const jobs, claimers = 60, 6
		write(t, b, func(tx storage.Tx) error {
			for i := range jobs {
				if _, err := storage.InsertJob(tx, &storage.Job{NodeID: fmt.Sprintf("n%d", i), Kind: storage.JobStep,
					DueAt: t0, CreatedAt: t0}); err != nil {
					return err
				}
			}
			return nil
		})
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, claimers)
		for c := range claimers {
			owner := fmt.Sprintf("w%d", c)
			wg.Go(func() {
				for {
					var js []storage.Job
					err := b.store.Write(b.ctx, func(tx storage.Tx) (err error) {
						js, err = storage.ClaimJobs(tx, owner, t0, t0.Add(time.Hour), 3)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
					if len(js) == 0 {
						return
					}
					mu.Lock()
					for _, j := range js {
						if prev, ok := seen[j.ID]; ok {
							errs <- fmt.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
						}
						seen[j.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != jobs {
			t.Fatalf("%d jobs claimed, want %d", len(seen), jobs)
		}
	})

	t.Run("FileStatsAndVacuum", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		st, err := b.store.SQLiteFileStats(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.File == gormdb.Postgres(b.store.Reader()) || (st.File && st.PageCount == 0) {
			t.Fatalf("file stats %+v", st)
		}
		if err := b.store.IncrementalVacuum(b.ctx); err != nil {
			t.Fatal(err)
		}
	})
}
