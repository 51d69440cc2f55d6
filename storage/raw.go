package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// rawDB runs hand-written SQL on the connection (or transaction) behind a
// GORM handle. The engine's hot path (runs, jobs, steps, contacts, effects)
// uses it: a GORM Create costs several times the insert it sends, and a
// run is a few dozen statements. Queries are written with ? placeholders;
// the dialect rewrites them for its driver (rebind).
type rawDB struct {
	pool gorm.ConnPool
	ctx  context.Context
	dl   dialect
}

func rawOf(db Tx) rawDB {
	ctx := db.db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return rawDB{pool: db.db.Statement.ConnPool, ctx: ctx, dl: db.dl}
}

func (r rawDB) exec(query string, args ...any) (sql.Result, error) {
	return r.pool.ExecContext(r.ctx, r.sql(query), args...)
}

func (r rawDB) query(query string, args ...any) (*sql.Rows, error) {
	return r.pool.QueryContext(r.ctx, r.sql(query), args...)
}

func (r rawDB) queryRow(query string, args ...any) *sql.Row {
	return r.pool.QueryRowContext(r.ctx, r.sql(query), args...)
}

// affected runs an exec and returns how many rows it changed.
func (r rawDB) affected(query string, args ...any) (int64, error) {
	res, err := r.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sql is query as the database's driver takes it.
func (r rawDB) sql(query string) string { return r.dl.rebind(query) }

// noRows maps sql.ErrNoRows to ErrNotFound.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// NewID returns a new row id: a UUIDv7, which starts with the time, so
// rows inserted together sit together in the primary-key index instead of
// landing on random pages (a random v4 id dirtied a different page for
// almost every insert once the tables outgrew the cache).
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
