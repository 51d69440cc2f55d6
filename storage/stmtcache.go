//go:build cgo

package storage

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// cachedSQLiteDriver is mattn/go-sqlite3 with each connection keeping its
// prepared statements. The engine runs the same few dozen statements in
// every transaction; preparing them again each time was a fifth of its
// CPU. The cache lives inside the driver connection, so it never waits for
// the pool (the single SQLite writer connection stays the only lock), and
// it ends with the connection.
const (
	cachedSQLiteDriver = "sqlite3_stmtcache"
	// cachedSQLiteWriter also leaves WAL checkpoints to the background
	// checkpointer (checkpoint.go) up to a safety bound, and keeps its
	// statement journals in memory: a multi-row statement's journal of
	// the pages it changes spilled past 64 KiB to a temporary file, so
	// a shared transaction opened, wrote and deleted files in /var/tmp
	// (the journal holds the pages of one statement; readers keep
	// SQLite's default, since their sorts may be large).
	cachedSQLiteWriter = "sqlite3_stmtcache_writer"
)

// stmtCacheSize bounds the statements one connection keeps (GORM's IN
// lists and multi-row inserts make texts that vary with their length).
const stmtCacheSize = 256

var registerCachedDriver sync.Once

func registerCachedSQLite() {
	registerCachedDriver.Do(func() {
		sql.Register(cachedSQLiteDriver, &cachingDriver{base: &sqlite3.SQLiteDriver{}})
		sql.Register(cachedSQLiteWriter, &cachingDriver{base: &sqlite3.SQLiteDriver{
			ConnectHook: func(c *sqlite3.SQLiteConn) error {
				_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint=%d; PRAGMA temp_store=MEMORY", writerCheckpointPages), nil)
				return err
			},
		}, uninterrupted: true})
	})
}

type cachingDriver struct {
	base *sqlite3.SQLiteDriver
	// uninterrupted runs statements without watching their context (see
	// cachingConn.uninterrupted).
	uninterrupted bool
}

func (d *cachingDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.base.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{SQLiteConn: c.(*sqlite3.SQLiteConn), byQuery: map[string]*list.Element{}, lru: list.New(),
		uninterrupted: d.uninterrupted}, nil
}

// cachingConn serves ExecContext and QueryContext from prepared
// statements kept per query text. database/sql uses a connection from one
// goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	*sqlite3.SQLiteConn
	byQuery map[string]*list.Element // query -> element of lru holding *cachedStmt
	lru     *list.List               // most recently used first
	// uninterrupted (the writer) hands the driver contexts that cannot
	// end: for a cancellable context, mattn/go-sqlite3 runs every
	// statement and every row read in a goroutine of its own, to
	// interrupt it on cancellation, which costs the workers' writes a
	// measurable share of their CPU (see the README's Benchmarks).
	// The caller's context is still honoured where a write waits:
	// database/sql gives up waiting for the writer connection when it
	// ends, checks it before each statement and rolls the transaction
	// back when it ends. Only a statement already running goes on to its
	// end; writer statements are short. (BEGIN IMMEDIATE waiting for
	// another process's write lock could not be cut short either way:
	// SQLite's busy handler does not look at interruptions.)
	uninterrupted bool
}

type cachedStmt struct {
	query string
	stmt  *sqlite3.SQLiteStmt
	// execOK says the statement may also serve Exec (see cacheable).
	execOK bool
	// busy is set while rows read from the statement are open: a second
	// use then prepares a statement of its own instead.
	busy bool
}

// cacheable reports whether a statement may be kept: one statement (no
// ";"), and for Exec one that finishes in a single step, since the
// driver leaves a statement that returned a row active (holding its
// transaction's locks) until it is reset by its next use.
func cacheable(query string, exec bool) bool {
	if strings.Contains(query, ";") {
		return false
	}
	if !exec {
		return true
	}
	q := strings.ToUpper(query)
	return !strings.Contains(q, "RETURNING") && !strings.HasPrefix(strings.TrimSpace(q), "SELECT") &&
		!strings.HasPrefix(strings.TrimSpace(q), "PRAGMA") && !strings.HasPrefix(strings.TrimSpace(q), "WITH")
}

// statement returns the kept statement for query, preparing it on first
// use; nil when it is busy or may not be kept (the caller then uses the
// uncached path). The cache is looked up first: deciding whether a text
// may be kept costs more than the look-up, and is done once per text.
func (c *cachingConn) statement(ctx context.Context, query string, exec bool) (*cachedStmt, error) {
	if el, ok := c.byQuery[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy || exec && !cs.execOK {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		return cs, nil
	}
	if !cacheable(query, exec) {
		return nil, nil
	}
	s, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{query: query, stmt: s.(*sqlite3.SQLiteStmt), execOK: exec || cacheable(query, true)}
	c.byQuery[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		old := c.lru.Back()
		ocs := old.Value.(*cachedStmt)
		if ocs.busy {
			break // evicted when its rows close
		}
		c.lru.Remove(old)
		delete(c.byQuery, ocs.query)
		_ = ocs.stmt.Close()
	}
	return cs, nil
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.uninterrupted {
		ctx = context.WithoutCancel(ctx)
	}
	return c.SQLiteConn.BeginTx(ctx, opts)
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.uninterrupted {
		ctx = context.WithoutCancel(ctx)
	}
	bindTimesAsText(args)
	cs, err := c.statement(ctx, query, true)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.SQLiteConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.uninterrupted {
		ctx = context.WithoutCancel(ctx)
	}
	bindTimesAsText(args)
	cs, err := c.statement(ctx, query, false)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.SQLiteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, release: func() { cs.busy = false }}, nil
}

// Close finalizes the kept statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.byQuery)
	return errors.Join(append(errs, c.SQLiteConn.Close())...)
}

// cachedRows gives its statement back when closed. It keeps the column
// type information the gorm sqlite driver reads.
type cachedRows struct {
	driver.Rows
	release func()
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

// Interface guards: database/sql must see the fast paths.
var (
	_ driver.ExecerContext  = (*cachingConn)(nil)
	_ driver.QueryerContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx    = (*cachingConn)(nil)
)
