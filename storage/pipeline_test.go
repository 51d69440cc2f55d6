package storage_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

// A write transaction's held rows reach PostgreSQL in one round trip: the
// inserts of runs, steps and jobs, the batched saves and deletes and the
// analytics marks, each a statement of its own, are sent together. The
// test counts the round trips the client asks for (Sync and simple Query
// messages) through a proxy.
func TestPostgresHeldWritesTakeOneRoundTrip(t *testing.T) {
	t.Parallel()
	dsn := storagetest.PostgresDSN(t)
	proxy := newRoundTripCounter(t, dsn)
	s := openPostgresDSN(t, proxy.dsn)
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

	// start inserts two runs, each with a job leased to "me"; finish
	// completes one (its save and its job's delete are batched) and
	// starts another run with its steps and job.
	start := func(tx storage.Tx, ids ...string) ([]storage.Run, []storage.Job, error) {
		var runs []storage.Run
		var jobs []storage.Job
		for _, id := range ids {
			r := storage.Run{ID: id, FlowID: "f", Version: 1, Status: storage.RunRunning, Tokens: 1,
				StartedAt: t0, UpdatedAt: t0}
			if err := storage.InsertRun(tx, &r); err != nil {
				return nil, nil, err
			}
			until := t0.Add(time.Hour)
			j := storage.Job{RunID: &r.ID, NodeID: "call", Kind: storage.JobStep, DueAt: t0, CreatedAt: t0,
				LeaseOwner: "me", LeaseUntil: &until}
			if _, err := storage.InsertJob(tx, &j); err != nil {
				return nil, nil, err
			}
			if err := storage.InsertSteps(tx, []storage.Step{
				{RunID: id, NodeID: "hook", NodeType: "trigger.webhook", Visit: 1, Attempt: 1, Status: "completed",
					StartedAt: t0, FinishedAt: t0},
				{RunID: id, NodeID: "if", NodeType: "logic.if", Visit: 1, Attempt: 1, Status: "completed",
					StartedAt: t0, FinishedAt: t0},
			}); err != nil {
				return nil, nil, err
			}
			runs, jobs = append(runs, r), append(jobs, j)
		}
		return runs, jobs, nil
	}
	finish := func(r storage.Run, j storage.Job, next string) func(tx storage.Tx) error {
		return func(tx storage.Tx) error {
			if err := storage.DeleteJobBatched(tx, j.ID, "me"); err != nil {
				return err
			}
			r.Status, r.Tokens = storage.RunCompleted, 0
			if err := storage.SaveRunBatched(tx, &r); err != nil {
				return err
			}
			_, _, err := start(tx, next)
			return err
		}
	}
	// One connection, so that the statements the first finish prepares
	// (pgx keeps them per connection) serve the second, which is counted.
	sdb, err := gormdb.Of(s.Reader()).DB()
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetMaxOpenConns(1)
	var runs []storage.Run
	var jobs []storage.Job
	if err := s.Write(t.Context(), func(tx storage.Tx) (err error) {
		runs, jobs, err = start(tx, "rt-1", "rt-2")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(t.Context(), finish(runs[0], jobs[0], "rt-warm")); err != nil {
		t.Fatal(err)
	}
	before := proxy.trips()
	if err := s.Write(t.Context(), finish(runs[1], jobs[1], "rt-3")); err != nil {
		t.Fatal(err)
	}
	// BEGIN, the held writes, COMMIT: a save's or a delete's conflict is
	// found in their answers, so the COMMIT waits for them.
	if got := proxy.trips() - before; got != 3 {
		t.Errorf("a transaction with a new run, its steps and job, a save and a delete took %d round trips, want 3", got)
	}
	// Inserts only (a group of webhooks): BEGIN, then the held writes
	// with the COMMIT.
	before = proxy.trips()
	if err := s.Write(t.Context(), func(tx storage.Tx) error {
		_, _, err := start(tx, "rt-4")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := proxy.trips() - before; got != 2 {
		t.Errorf("a transaction inserting a run, its steps and job took %d round trips, want 2", got)
	}
	if r, err := storage.GetRun(s.Reader(), "rt-4"); err != nil || r.Status != storage.RunRunning {
		t.Fatalf("rt-4 after its commit: %+v, %v", r, err)
	}
	if r, err := storage.GetRun(s.Reader(), "rt-2"); err != nil || r.Status != storage.RunCompleted {
		t.Fatalf("rt-2 after its finish: %+v, %v", r, err)
	}
	if steps, err := storage.RunSteps(s.Reader(), "rt-3"); err != nil || len(steps) != 2 || steps[0].ID == 0 {
		t.Fatalf("rt-3's steps: %+v, %v", steps, err)
	}
}

// A PostgreSQL write transaction is begun and ended by Store.Write itself
// (its COMMIT goes with the held writes): whatever way it fails, nothing
// of it is written, and the writes after it are not inside it.
func TestPostgresWriteThatFailsLeavesNothing(t *testing.T) {
	t.Parallel()
	s := openPostgresDSN(t, storagetest.PostgresDSN(t))
	sdb, err := gormdb.Of(s.Reader()).DB()
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetMaxOpenConns(1) // the next write gets the same connection
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	insert := func(tx storage.Tx, id string) error {
		return storage.InsertRun(tx, &storage.Run{ID: id, FlowID: "f", Version: 1, Status: storage.RunRunning,
			Tokens: 1, StartedAt: t0, UpdatedAt: t0})
	}
	// backend is the server process of the write connection: a failed
	// transaction is rolled back and its connection kept, not dropped.
	backend := func() (pid int) {
		t.Helper()
		if err := s.Write(t.Context(), func(tx storage.Tx) error {
			return gormdb.Of(tx).Raw("SELECT pg_backend_pid()").Scan(&pid).Error
		}); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	if err := s.Write(t.Context(), func(tx storage.Tx) error { return insert(tx, "taken") }); err != nil {
		t.Fatal(err)
	}
	pid := backend()
	boom := errors.New("boom")
	cases := map[string]func(tx storage.Tx) error{
		// fn's own error, its rows still held
		"error": func(tx storage.Tx) error {
			if err := insert(tx, "by-error"); err != nil {
				return err
			}
			return boom
		},
		// a held row the database refuses, in the writes sent with the COMMIT
		"refused": func(tx storage.Tx) error {
			if err := insert(tx, "by-refused"); err != nil {
				return err
			}
			return insert(tx, "taken")
		},
		// a statement that failed, its error ignored, with nothing held:
		// PostgreSQL answers the COMMIT with ROLLBACK
		"ignored": func(tx storage.Tx) error {
			if err := gormdb.Of(tx).Exec(`INSERT INTO runs (id, flow_id, version, status, started_at, updated_at)
				VALUES ('by-ignored', 'f', 1, 'running', now(), now())`).Error; err != nil {
				return err
			}
			_ = gormdb.Of(tx).Exec("SELECT 1/0").Error
			return nil
		},
		// a panic after a statement was sent (the read writes the held run)
		"panic": func(tx storage.Tx) error {
			if err := insert(tx, "by-panic"); err != nil {
				return err
			}
			if _, err := storage.GetRun(tx, "by-panic"); err != nil {
				return err
			}
			panic(boom)
		},
	}
	for name, fn := range cases {
		func() {
			defer func() { _ = recover() }()
			if err := s.Write(t.Context(), fn); err == nil {
				t.Errorf("%s: the write succeeded", name)
			}
		}()
		if _, err := storage.GetRun(s.Reader(), "by-"+name); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: its run was written (%v)", name, err)
		}
		// The next write commits by itself: it is not inside the failed one.
		next := "after-" + name
		if err := s.Write(t.Context(), func(tx storage.Tx) error { return insert(tx, next) }); err != nil {
			t.Fatalf("%s: the next write: %v", name, err)
		}
		if _, err := storage.GetRun(s.Reader(), next); err != nil {
			t.Errorf("%s: the next write's run: %v", name, err)
		}
		if got := backend(); got != pid {
			t.Errorf("%s: the write connection was dropped (backend %d, then %d)", name, pid, got)
			pid = got
		}
	}
}

// roundTripCounter is a TCP proxy in front of PostgreSQL that counts the
// messages with which a client waits for the server's answer.
type roundTripCounter struct {
	dsn string
	n   atomic.Int64
}

func (c *roundTripCounter) trips() int64 { return c.n.Load() }

func newRoundTripCounter(t *testing.T, dsn string) *roundTripCounter {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		conns.Wait()
	})
	target := u.Host
	u.Host = ln.Addr().String()
	c := &roundTripCounter{dsn: u.String()}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			conns.Add(2)
			go func() {
				defer conns.Done()
				_, _ = io.Copy(client, server)
				_ = client.Close()
			}()
			go func() {
				defer conns.Done()
				_ = c.relay(server, client)
				_ = server.Close()
			}()
		}
	}()
	return c
}

// relay copies the client's messages to the server, counting Sync ('S')
// and Query ('Q'). The first message (startup) has no type byte.
func (c *roundTripCounter) relay(server, client net.Conn) error {
	var head [5]byte
	if _, err := io.ReadFull(client, head[:4]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(head[:4])
	if _, err := server.Write(head[:4]); err != nil {
		return err
	}
	if _, err := io.CopyN(server, client, int64(n)-4); err != nil {
		return err
	}
	for {
		if _, err := io.ReadFull(client, head[:]); err != nil {
			return err
		}
		if head[0] == 'S' || head[0] == 'Q' {
			c.n.Add(1)
		}
		if _, err := server.Write(head[:]); err != nil {
			return err
		}
		if _, err := io.CopyN(server, client, int64(binary.BigEndian.Uint32(head[1:]))-4); err != nil {
			return err
		}
	}
}
