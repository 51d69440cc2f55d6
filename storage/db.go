// Package storage holds the GORM models and the repositories of the engine:
// flows, runs, jobs, events, the built-in contact store and authentication.
// It runs on SQLite (the embedded default, one writer connection plus a read
// pool on the same WAL file) and on PostgreSQL (several instances share one
// database), each behind its own dialect (dialect_sqlite.go,
// dialect_postgres.go). It is the only package that knows GORM and SQL: the
// others read and write through its functions, on a Tx that Store.Write or
// Store.Reader hands out. Storage imports nothing of ours.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/journeyhq/journey/storage/internal/walbatch"
)

// Sentinel errors returned by the repositories. Match them with errors.Is.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate means a unique key (email, idempotency key, name, ...)
	// is already taken.
	ErrDuplicate = errors.New("duplicate")
)

// Pool sizes and retry bounds.
const (
	sqliteReaderConns = 4
	postgresConns     = 20
	writeAttempts     = 5
	writeBackoffBase  = 20 * time.Millisecond
	writeBackoffMax   = time.Second
	slowQuery         = 200 * time.Millisecond
)

// Store is an open database: a writer and a reader pool. On SQLite the
// writer is a single-connection pool (SQLite allows one writer at a time;
// queueing in the pool is cheaper than lock contention) and the reader a
// small pool on the same WAL file. On PostgreSQL both are the same pool.
type Store struct {
	writer *gorm.DB
	reader *gorm.DB
	// dl is the database's dialect, chosen when the store opens.
	dl dialect
	// analyticsAt is when the last complete RefreshAnalytics began
	// (unix ns): every mark committed before then is counted.
	analyticsAt atomic.Int64
	// checkpoints copies the SQLite WAL into the database file in the
	// background (nil on PostgreSQL).
	checkpoints *checkpointer
	// waiting counts Write calls whose transaction has not begun.
	waiting atomic.Int32
	// open notes when the open write transactions began.
	open openWrites
	// jobIDs are job ids reserved for held rows (PostgreSQL).
	jobIDs idSupply
}

// Open connects to dsn, which is sqlite://PATH (sqlite://./data/app.db,
// sqlite:///abs/path.db; the parent directory is created) or
// postgres://... / postgresql://..., and applies pending migrations.
// A nil logger discards logs; otherwise queries slower than 200 ms are
// logged at warn level, without their parameter values.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		s, err = openSQLite(strings.TrimPrefix(dsn, "sqlite://"), logger)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(dsn, logger)
	default:
		return nil, fmt.Errorf("open database: unsupported dsn %q (want sqlite://PATH or postgres://URL)", redactDSN(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// gormConfig is the GORM configuration. It leaves statement preparation
// to the drivers: SQLite's connections keep theirs (stmtcache.go), and
// pgx prepares and caches each statement per connection by itself. GORM's
// own prepared statements would be database/sql statements, which a
// transaction re-binds to its connection on every use (the README's
// Benchmarks measure the difference on PostgreSQL).
func gormConfig(logger *slog.Logger) *gorm.Config {
	return &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 &slogGorm{log: logger, slow: slowQuery},
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

// sqliteDSN builds a mattn/go-sqlite3 URI. The pragmas come in this order:
// busy_timeout first (so the following ones wait instead of failing), then
// WAL, synchronous NORMAL (safe with WAL) and foreign keys.
func sqliteDSN(path string, writer bool) string {
	// Escape the characters that are special in a file: URI.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	dsn := "file:" + esc + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=on"
	if writer {
		// BEGIN IMMEDIATE takes the write lock at the start of the
		// transaction, so a busy database is waited for (busy_timeout)
		// instead of failing when a read transaction upgrades.
		// New files get incremental auto-vacuum (set before the first
		// table), so the retention sweeper can shrink them.
		// The walbatch VFS writes each commit's WAL frames with one
		// system call (readers never write the WAL).
		return dsn + "&_auto_vacuum=incremental&_txlock=immediate&vfs=" + walbatch.Name
	}
	return dsn + "&mode=ro"
}

// openSQLiteDialector opens SQLite through the statement-caching driver.
func openSQLiteDialector(path string, writer bool) gorm.Dialector {
	registerCachedSQLite()
	name := cachedSQLiteDriver
	if writer {
		name = cachedSQLiteWriter
	}
	return sqlite.New(sqlite.Config{DriverName: name, DSN: sqliteDSN(path, writer)})
}

func openSQLite(path string, logger *slog.Logger) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory") {
		return nil, errors.New("sqlite: a file path is required (sqlite://./data/app.db)")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	if err := walbatch.Register(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	writer, err := gorm.Open(openSQLiteDialector(path, true), gormConfig(logger))
	if err != nil {
		return nil, fmt.Errorf("sqlite writer: %w", err)
	}
	wdb, err := writer.DB()
	if err != nil {
		return nil, fmt.Errorf("sqlite writer: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)

	// The writer has created the file and switched it to WAL, so the
	// read-only pool can open it.
	reader, err := gorm.Open(openSQLiteDialector(path, false), gormConfig(logger))
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite reader: %w", err)
	}
	rdb, err := reader.DB()
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("sqlite reader: %w", err)
	}
	rdb.SetMaxOpenConns(sqliteReaderConns)
	rdb.SetMaxIdleConns(sqliteReaderConns)
	rdb.SetConnMaxIdleTime(5 * time.Minute)
	dl := sqliteDialect{}
	if err := errors.Join(writer.Use(dl), reader.Use(dl)); err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{writer: writer, reader: reader, dl: dl}
	s.checkpoints, err = startCheckpointer(path, logger)
	if err != nil {
		_ = wdb.Close()
		_ = rdb.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(dsn string, logger *slog.Logger) (*Store, error) {
	db, err := gorm.Open(postgres.Open(dsn), gormConfig(logger))
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sdb, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sdb.SetMaxOpenConns(postgresConns)
	sdb.SetMaxIdleConns(postgresConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	sdb.SetConnMaxLifetime(time.Hour)
	dl := postgresDialect{}
	if err := db.Use(dl); err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{writer: db, reader: db, dl: dl}, nil
}

// redactDSN drops anything that may hold a password.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		return dsn[:i+3] + "..."
	}
	if len(dsn) > 16 {
		return dsn[:16] + "..."
	}
	return dsn
}

// Reader is where queries that need no transaction read: the read pool,
// read-only on SQLite.
func (s *Store) Reader() Tx { return Tx{db: s.reader, dl: s.dl} }

// SingleWriter reports whether the database runs one write transaction at
// a time: SQLite, whose one writer connection also means one instance.
// The engine and main choose strategies with it (how many workers, starts
// inline with ingestion, a process-local replay guard); on PostgreSQL
// several instances and workers write at once.
func (s *Store) SingleWriter() bool { return s.dl.singleWriter() }

// Close closes the pools.
func (s *Store) Close() error {
	var errs []error
	if s.checkpoints != nil {
		errs = append(errs, s.checkpoints.stop())
	}
	closeDB := func(db *gorm.DB) {
		sdb, err := db.DB()
		if err != nil {
			errs = append(errs, err)
			return
		}
		if err := sdb.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.reader != nil && s.reader != s.writer {
		closeDB(s.reader)
	}
	if s.writer != nil {
		closeDB(s.writer)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Write runs fn in a transaction on the writer. The transaction commits
// when fn returns nil and rolls back otherwise. When the database reports a
// transient conflict (SQLite busy/locked, PostgreSQL serialization failure
// or deadlock), the whole transaction is retried a bounded number of times
// with jittered exponential backoff, so fn must not have effects outside
// tx. Not-found and duplicate-key errors come back as ErrNotFound and
// ErrDuplicate.
func (s *Store) Write(ctx context.Context, fn func(tx Tx) error) error {
	s.waiting.Add(1)
	began := false
	defer func() {
		if !began {
			s.waiting.Add(-1)
		}
	}()
	inTx := func(tx *gorm.DB, conn *sql.Conn) error {
		if !began {
			began = true
			s.waiting.Add(-1)
		}
		ticket := s.open.begin()
		defer s.open.end(ticket)
		// The rows fn holds back and the analytics days it marks are
		// written at its end (see heldRows).
		t, held := holding(tx.Statement.Context, Tx{db: tx, dl: s.dl}, &s.jobIDs, conn)
		if err := fn(t); err != nil {
			return err
		}
		return held.finish(t.db.Statement.Context)
	}
	backoff := writeBackoffBase
	for attempt := 1; ; attempt++ {
		err := s.transaction(ctx, inTx)
		if err == nil {
			return nil
		}
		if attempt >= writeAttempts || !s.retryable(err) {
			return mapErr(err)
		}
		// ±25% jitter so that competing writers do not retry in lockstep.
		d := backoff - backoff/4 + rand.N(backoff/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("write: %w (after %w)", ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(2*backoff, writeBackoffMax)
	}
}

// transaction runs inTx in a transaction on the writer. Where the dialect
// sends a transaction's held writes together (PostgreSQL), the
// transaction runs on a connection of its own, which inTx is given, whose
// driver connection the held writes reach (see pipeliner), and it
// is begun and ended here rather than by database/sql: its COMMIT goes
// with the held writes, in their round trip (holdingPool.finish). Once
// inTx returns nil, the transaction has committed. Elsewhere conn is nil.
func (s *Store) transaction(ctx context.Context, inTx func(tx *gorm.DB, conn *sql.Conn) error) error {
	db := s.writer.WithContext(ctx)
	if _, ok := s.dl.(pipeliner); !ok {
		return db.Transaction(func(tx *gorm.DB) error { return inTx(tx, nil) })
	}
	sdb, err := s.writer.DB()
	if err != nil {
		return err
	}
	c, err := sdb.Conn(ctx)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			// After a failed statement of the held writes PostgreSQL
			// ended the transaction at their COMMIT; ROLLBACK then only
			// warns. A connection this leaves in a transaction (its
			// ROLLBACK failed) is not used again: pgx's database/sql
			// driver drops one whose transaction is open when the pool
			// hands it out.
			_, _ = c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
		_ = c.Close()
	}()
	if _, err := c.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	// Statements reach c through the holdingPool that inTx makes, which
	// GORM takes for a transaction under way (a nested one is a
	// savepoint, a Create begins none of its own).
	db.Statement.ConnPool = c
	if err := inTx(db, c); err != nil {
		return err
	}
	committed = true
	return nil
}

// WritersWaiting reports whether a Write is waiting for its transaction
// to begin: on SQLite, for the one writer connection. A long batch ends
// early for it, and only for it.
func (s *Store) WritersWaiting() bool { return s.waiting.Load() > 0 }

// retryable reports a transient write conflict.
func (s *Store) retryable(err error) bool { return s.dl.retryable(err) }

// mapErr turns gorm's not-found and duplicate-key errors into ErrNotFound
// and ErrDuplicate; other errors pass unchanged.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrDuplicate):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	return err
}

// slogGorm is a gorm logger that reports slow queries only, as SQL with
// placeholders: parameter values (emails, payloads) never reach the log.
// Failed queries are not logged here; the caller that handles the error
// logs it once.
type slogGorm struct {
	log  *slog.Logger
	slow time.Duration
}

func (l *slogGorm) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l *slogGorm) Info(context.Context, string, ...any) {}

func (l *slogGorm) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *slogGorm) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

func (l *slogGorm) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	elapsed := time.Since(begin)
	if elapsed < l.slow {
		return
	}
	sql, rows := fc()
	// gorm's PostgreSQL Explain leaves unfilled placeholders as $1$.
	sql = leftoverPlaceholder.ReplaceAllString(sql, "$$$1")
	l.log.WarnContext(ctx, "slow query",
		slog.Duration("elapsed", elapsed),
		slog.Int64("rows", rows),
		slog.String("sql", sql))
}

var leftoverPlaceholder = regexp.MustCompile(`\$(\d+)\$`)

// ParamsFilter drops the parameter values, so Trace sees placeholders.
func (l *slogGorm) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Interface guards.
var (
	_ gormlogger.Interface = (*slogGorm)(nil)
	_ gorm.ParamsFilter    = (*slogGorm)(nil)
)

// createPrivate creates the database file readable by its owner only
// (SQLite gives the -wal and -shm files the same mode), whether or not
// its folder existed; an existing file is left as it is.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}
