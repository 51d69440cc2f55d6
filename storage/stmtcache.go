package storage

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// maxCachedStmts bounds the statement cache. Queries whose text varies
// with their arguments (IN lists, multi-row inserts) could otherwise grow
// it without end; past the bound they run unprepared.
const maxCachedStmts = 512

// stmtPool is the gorm connection pool of the SQLite store. It prepares
// each distinct query once and reuses the statement in every transaction.
//
// gorm's own PrepareStmt caches a statement prepared inside a transaction
// as a transaction statement, so every later transaction prepares it
// again: sqlite3_prepare_v2 was a fifth of the engine's CPU time. A
// statement prepared on the pool and bound to each transaction with
// Tx.StmtContext reuses the connection's prepared statement instead.
type stmtPool struct {
	db *sql.DB

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtPool(db *sql.DB) *stmtPool {
	return &stmtPool{db: db, stmts: make(map[string]*sql.Stmt)}
}

func (p *stmtPool) cached(query string) *sql.Stmt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stmts[query]
}

// prepare returns the cached statement for query, preparing it on the
// pool when it is new. It needs a free connection: never call it while
// holding a transaction of this pool (the writer has one connection). It
// returns nil when the cache is full or the query does not prepare; the
// caller then runs the query unprepared and gets its error from there.
func (p *stmtPool) prepare(ctx context.Context, query string) *sql.Stmt {
	if st := p.cached(query); st != nil {
		return st
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st
	}
	if len(p.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.stmts[query] = st
	return st
}

// PrepareContext implements gorm.ConnPool.
func (p *stmtPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

// ExecContext implements gorm.ConnPool.
func (p *stmtPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

// QueryContext implements gorm.ConnPool.
func (p *stmtPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

// QueryRowContext implements gorm.ConnPool.
func (p *stmtPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// BeginTx implements gorm.ConnPoolBeginner.
func (p *stmtPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtTx{pool: p, tx: tx, ctx: ctx}, nil
}

// GetDBConn implements gorm.GetDBConnector.
func (p *stmtPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// stmtTx is a transaction of a stmtPool. Cached statements are bound to it
// once each; a query seen for the first time runs unprepared and is
// prepared on the pool after the transaction ends, when the connection is
// free again (preparing on the pool inside the transaction would wait for
// the transaction's own connection).
type stmtTx struct {
	pool   *stmtPool
	tx     *sql.Tx
	ctx    context.Context
	bound  map[*sql.Stmt]*sql.Stmt
	missed []string
}

func (t *stmtTx) stmt(ctx context.Context, query string) *sql.Stmt {
	st := t.pool.cached(query)
	if st == nil {
		t.missed = append(t.missed, query)
		return nil
	}
	if b, ok := t.bound[st]; ok {
		return b
	}
	if t.bound == nil {
		t.bound = make(map[*sql.Stmt]*sql.Stmt)
	}
	b := t.tx.StmtContext(ctx, st)
	t.bound[st] = b
	return b
}

// PrepareContext implements gorm.ConnPool.
func (t *stmtTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, query)
}

// ExecContext implements gorm.ConnPool.
func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext implements gorm.ConnPool.
func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext implements gorm.ConnPool.
func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Commit implements gorm.TxCommitter.
func (t *stmtTx) Commit() error {
	err := t.tx.Commit()
	t.prepareMissed()
	return err
}

// Rollback implements gorm.TxCommitter.
func (t *stmtTx) Rollback() error {
	err := t.tx.Rollback()
	t.prepareMissed()
	return err
}

// prepareMissed prepares, now that the connection is free, the queries
// this transaction ran unprepared.
func (t *stmtTx) prepareMissed() {
	for _, q := range t.missed {
		t.pool.prepare(context.WithoutCancel(t.ctx), q)
	}
	t.missed = nil
}

// Interface guards.
var (
	_ gorm.ConnPool         = (*stmtPool)(nil)
	_ gorm.ConnPoolBeginner = (*stmtPool)(nil)
	_ gorm.GetDBConnector   = (*stmtPool)(nil)
	_ gorm.ConnPool         = (*stmtTx)(nil)
	_ gorm.TxCommitter      = (*stmtTx)(nil)
)
