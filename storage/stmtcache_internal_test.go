//go:build cgo

package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The background checkpointer keeps the WAL from growing while the
// writer commits, and a closed store leaves everything in the database
// file (a backup of app.db alone is complete).
func TestCheckpointerBoundsTheWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.db")
	s, err := Open(context.Background(), "sqlite://"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	write := func(n int) {
		for i := range n {
			err := s.Write(context.Background(), func(tx Tx) error {
				return recordEffect(tx, "test:", "k"+time.Now().String()+string(rune('a'+i%26)), "x", now)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	write(3000) // ~3,000 commits, far more than the 1,000-page default
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// Once checkpointed, the WAL is written again from its start: more
	// commits do not make the file grow past what it already reached.
	// Bounded by rounds, not by the clock: on a loaded machine each round
	// takes longer and the checkpointer gets its turn all the same.
	var before int64
	for range 100 {
		time.Sleep(3 * checkpointInterval)
		before = walSize()
		write(300)
		if walSize() <= before {
			break
		}
	}
	if after := walSize(); after > before {
		t.Fatalf("the WAL keeps growing (%d -> %d bytes): nothing checkpoints it", before, after)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if size := walSize(); size != 0 {
		t.Fatalf("after Close the WAL holds %d bytes; want it checkpointed into the database file", size)
	}
}

// A statement whose rows are still open is not reused by a second query
// of the same text on the same connection (it would reset the first).
func TestStatementCacheNestedQueries(t *testing.T) {
	s, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "nested.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	err = s.Write(context.Background(), func(tx Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if err := recordEffect(tx, "n:", k, k, now); err != nil {
				return err
			}
		}
		r := rawOf(tx)
		const q = `SELECT key FROM effects WHERE key >= ? ORDER BY key`
		outer, err := r.query(q, "n:")
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var k string
			if err := outer.Scan(&k); err != nil {
				return err
			}
			inner, err := r.query(q, k) // same text while outer is open
			if err != nil {
				return err
			}
			count := 0
			for inner.Next() {
				count++
			}
			inner.Close()
			got = append(got, k)
			if want := 3 - len(got) + 1; count != want {
				t.Errorf("inner query from %s: %d rows, want %d", k, count, want)
			}
		}
		if len(got) != 3 {
			t.Errorf("outer query: %v, want 3 keys", got)
		}
		return outer.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
