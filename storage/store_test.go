package storage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestMain(m *testing.M) {
	storage.UseMinBcryptCost()
	os.Exit(m.Run())
}

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openSQLiteAt opens (and closes in t.Cleanup) a store on a SQLite file.
func openSQLiteAt(t *testing.T, path string) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), "sqlite://"+path, testLogger(t))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func openSQLite(t *testing.T) *storage.Store {
	t.Helper()
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "data", "app.db"))
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storagetest.Exercise(t, openSQLite)
}

func openPostgresDSN(t *testing.T, dsn string) *storage.Store {
	t.Helper()
	s, err := storage.Open(t.Context(), dsn, testLogger(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	// Registered after the schema's cleanup, so it runs before the drop.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if !gormdb.Postgres(s.Reader()) || s.SingleWriter() {
		t.Fatalf("a postgres DSN opened %s, SingleWriter() = %v; want postgres, false",
			gormdb.Of(s.Reader()).Dialector.Name(), s.SingleWriter())
	}
	return s
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	storagetest.Exercise(t, func(t *testing.T) *storage.Store {
		return openPostgresDSN(t, storagetest.PostgresDSN(t))
	})
}

func TestPostgresConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := storagetest.PostgresDSN(t)
	const instances = 4
	stores := make([]*storage.Store, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() { stores[i], errs[i] = storage.Open(t.Context(), dsn, testLogger(t)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: open: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	var n int64
	if err := gormdb.Of(stores[0].Reader()).Table("schema_migrations").Where("id = ?", "0001_initial").Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("0001_initial recorded %d times (%v), want 1", n, err)
	}
}

func TestOpenRelativeSQLitePathCreatesDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := storage.Open(t.Context(), "sqlite://./data/app.db", nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if gormdb.Postgres(s.Reader()) || !s.SingleWriter() {
		t.Fatalf("sqlite opened %s, SingleWriter() = %v; want sqlite, true",
			gormdb.Of(s.Reader()).Dialector.Name(), s.SingleWriter())
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "app.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
}

func TestOpenIsIdempotentAndRejectsUnknownDSN(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	openSQLiteAt(t, path)
	openSQLiteAt(t, path) // pending migrations: none, no error
	odd := openSQLiteAt(t, filepath.Join(t.TempDir(), "we ird#dir%", "app?.db"))
	if _, err := storage.CountUsers(odd.Reader()); err != nil {
		t.Fatalf("store on an odd path: %v", err)
	}
	for _, dsn := range []string{"mysql://x", "app.db", "sqlite://", "sqlite://:memory:"} {
		if _, err := storage.Open(t.Context(), dsn, nil); err == nil {
			t.Fatalf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

// Two stores on one file behave like two processes: their writers contend
// for SQLite's lock, which busy_timeout and Write's retry absorb.
func TestSQLiteTwoStoresOnOneFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	a, b := openSQLiteAt(t, path), openSQLiteAt(t, path)
	var id string
	err := a.Write(t.Context(), func(tx storage.Tx) (err error) {
		id, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "shared@example.com"}, time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	const perStore, goroutines = 40, 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore*goroutines)
	for si, s := range []*storage.Store{a, b} {
		for g := range goroutines {
			wg.Go(func() {
				for i := range perStore {
					errs <- s.Write(t.Context(), func(tx storage.Tx) error {
						_, err := storage.AddScore(tx, fmt.Sprintf("%d:%d:%d", si, g, i), id, 1, time.Now())
						return err
					})
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	c, err := storage.GetContact(b.Reader(), id)
	if err != nil || c.Score != 2*perStore*goroutines {
		t.Fatalf("score = %v (%v), want %d", c, err, 2*perStore*goroutines)
	}
}

func TestWriteStopsWhenContextIsCancelled(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Write(ctx, func(tx storage.Tx) error { return nil })
	if err == nil {
		t.Fatalf("Write with a cancelled context succeeded")
	}
	if errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unexpected %v", err)
	}
}

func BenchmarkUpsertContact(b *testing.B) {
	s, err := storage.Open(b.Context(), "sqlite://"+filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer s.Close()
	now := time.Now()
	i := 0
	for b.Loop() {
		in := storage.ContactInput{
			Email:     fmt.Sprintf("user%d@example.com", i%5000),
			FirstName: "Bench",
			Fields:    map[string]any{"n": i},
		}
		key := fmt.Sprintf("bench:%d", i)
		if err := s.Write(b.Context(), func(tx storage.Tx) error {
			_, _, err := storage.UpsertContact(tx, key, in, now)
			return err
		}); err != nil {
			b.Fatalf("upsert: %v", err)
		}
		i++
	}
}

// eachStore runs fn in parallel subtests on SQLite and on PostgreSQL (the
// latter skipped, saying so, when TEST_POSTGRES_DSN is unset).
func eachStore(t *testing.T, fn func(t *testing.T, s *storage.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, openSQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		if os.Getenv("TEST_POSTGRES_DSN") == "" {
			t.Skip("TEST_POSTGRES_DSN is not set")
		}
		fn(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
	})
}

// TestWritersWaitingSeesAQueuedWrite: the engine ends a long batch early
// only for a write that waits for the SQLite writer (Store.WritersWaiting).
func TestWritersWaitingSeesAQueuedWrite(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	ctx := context.Background()
	if s.WritersWaiting() {
		t.Fatal("a write waits on an idle store")
	}
	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Write(ctx, func(tx storage.Tx) error {
			if s.WritersWaiting() {
				return errors.New("the write in progress counts as waiting")
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	second := make(chan error, 1)
	go func() { second <- s.Write(ctx, func(tx storage.Tx) error { return nil }) }()
	for !s.WritersWaiting() {
		select {
		case err := <-second:
			t.Fatalf("the second write ran while the first held the writer: %v", err)
		default:
			runtime.Gosched()
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if s.WritersWaiting() {
		t.Fatal("a write still counts as waiting after both finished")
	}
}
