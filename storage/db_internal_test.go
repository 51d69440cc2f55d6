package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

func TestSlowQueryLogHasNoValues(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := &slogGorm{log: slog.New(slog.NewTextHandler(&buf, nil)), slow: 200 * time.Millisecond}
	sql, vars := l.ParamsFilter(t.Context(), "SELECT * FROM contacts WHERE email = $1", "secret@example.com")
	if vars != nil || strings.Contains(sql, "secret") {
		t.Fatalf("ParamsFilter kept values: %q %v", sql, vars)
	}
	fc := func() (string, int64) { return "SELECT * FROM contacts WHERE email = $1$", 1 }
	l.Trace(t.Context(), time.Now(), fc, nil)
	if buf.Len() != 0 {
		t.Fatalf("fast query logged: %s", buf.String())
	}
	l.Trace(t.Context(), time.Now().Add(-time.Second), fc, nil)
	if out := buf.String(); !strings.Contains(out, "slow query") || !strings.Contains(out, "email = $1") || strings.Contains(out, "$1$") {
		t.Fatalf("slow query log = %q", out)
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	sqlite, pg := &Store{dl: sqliteDialect{}}, &Store{dl: postgresDialect{}}
	for _, c := range []struct {
		name  string
		s     *Store
		err   error
		retry bool
	}{
		{"sqlite busy", sqlite, errors.New("database is locked"), true},
		{"sqlite busy wrapped", sqlite, fmt.Errorf("commit: %w", errors.New("database is locked (5) (SQLITE_BUSY)")), true},
		{"sqlite table locked", sqlite, errors.New("database table is locked"), true},
		{"sqlite other", sqlite, errors.New("no such table: x"), false},
		{"pg serialization", pg, fmt.Errorf("x: %w", &pgconn.PgError{Code: "40001"}), true},
		{"pg deadlock", pg, &pgconn.PgError{Code: "40P01"}, true},
		{"pg unique", pg, &pgconn.PgError{Code: "23505"}, false},
		{"pg text is not enough", pg, errors.New("database is locked"), false},
	} {
		if got := c.s.retryable(c.err); got != c.retry {
			t.Fatalf("%s: retryable = %v, want %v", c.name, got, c.retry)
		}
	}
}

func TestWriteRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), "sqlite://"+t.TempDir()+"/app.db", nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	calls := 0
	err = s.Write(t.Context(), func(tx Tx) error {
		calls++
		if calls < 3 {
			return errors.New("database is locked")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Write = %v after %d calls, want success on the third", err, calls)
	}
	calls = 0
	err = s.Write(t.Context(), func(tx Tx) error {
		calls++
		return errors.New("database is locked")
	})
	if err == nil || calls != writeAttempts {
		t.Fatalf("Write = %v after %d calls, want failure after %d", err, calls, writeAttempts)
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls = 0
	err = s.Write(ctx, func(tx Tx) error {
		calls++
		cancel()
		return errors.New("database is locked")
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Write = %v after %d calls, want context.Canceled after 1", err, calls)
	}
}

func TestMapErr(t *testing.T) {
	t.Parallel()
	if err := mapErr(fmt.Errorf("x: %w", gorm.ErrRecordNotFound)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("not found mapped to %v", err)
	}
	if err := mapErr(fmt.Errorf("x: %w", gorm.ErrDuplicatedKey)); !errors.Is(err, ErrDuplicate) || !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Fatalf("duplicate mapped to %v", err)
	}
	if err := mapErr(nil); err != nil {
		t.Fatalf("nil mapped to %v", err)
	}
}

func TestSQLiteDSN(t *testing.T) {
	t.Parallel()
	got := sqliteDSN("/data/a?b#c%.db", true)
	want := "file:/data/a%3fb%23c%25.db?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&_auto_vacuum=incremental&_txlock=immediate&vfs=journey-walbatch"
	if got != want {
		t.Fatalf("sqliteDSN = %q, want %q", got, want)
	}
	if got := sqliteDSN("x.db", false); !strings.HasSuffix(got, "&mode=ro") {
		t.Fatalf("reader dsn = %q, want mode=ro", got)
	}
	// The checkpointer writes (pages into the database file) and reads
	// the WAL through the walbatch VFS.
	if got, want := checkpointerDSN("x.db"), "file:x.db?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on&vfs=journey-walbatch"; got != want {
		t.Fatalf("checkpointer dsn = %q, want %q", got, want)
	}
}

// The writer's connection keeps its statement journals in memory and
// leaves checkpoints to the checkpointer (see cachedSQLiteWriter).
func TestSQLiteWriterSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), "sqlite://"+t.TempDir()+"/app.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tempStore, autoCheckpoint int
	err = s.Write(t.Context(), func(tx Tx) error {
		if err := rawOf(tx).queryRow(`PRAGMA temp_store`).Scan(&tempStore); err != nil {
			return err
		}
		return rawOf(tx).queryRow(`PRAGMA wal_autocheckpoint`).Scan(&autoCheckpoint)
	})
	if err != nil {
		t.Fatal(err)
	}
	if tempStore != 2 || autoCheckpoint != writerCheckpointPages {
		t.Fatalf("writer: temp_store %d, wal_autocheckpoint %d; want 2 (memory) and %d", tempStore, autoCheckpoint,
			writerCheckpointPages)
	}
}
