package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// A write transaction (Store.Write) holds back the rows of new runs and of
// steps, and writes each table's held rows with one multi-row INSERT just
// before the first later statement of the transaction that names the
// table, or at the transaction's end. A group commit runs many webhooks'
// and vendor results' writes in one transaction, each of which used to
// insert its run and its steps: on PostgreSQL every statement is a round
// trip and costs about what a handful of rows do (see the README's
// Benchmarks).
//
// Nothing reads a held row before it is written: every statement of the
// transaction passes through holdingPool, which first writes the held rows
// of each table its text names. An error of a held insert is the error of
// the statement that wrote it, or of the transaction's end, and fails the
// transaction as it would have failed at the insert.

// heldRows are the rows a write transaction holds back.
type heldRows struct {
	runs  [][]any // the arguments of each run's row, in runColumns order
	steps []heldSteps
	// err is a held insert's error that a statement without one to
	// return (QueryRowContext) met; the transaction's end returns it.
	err error
}

// heldSteps are the steps of one InsertSteps call: their rows are written
// with others' and the ids they get are set in steps.
type heldSteps struct {
	steps []Step
	args  []any
}

// The tables whose rows are held, as statements name them.
const (
	heldRunsTable  = "runs"
	heldStepsTable = "steps"
)

// runsPerInsert bounds one multi-row insert of runs (18 parameters a row).
const runsPerInsert = 64

// holdingPool is the connection of a write transaction with held rows.
type holdingPool struct {
	gorm.ConnPool
	held *heldRows
	dl   dialect
}

// heldOf returns the held rows of the write transaction behind r (nil
// outside one: rows are then written at once).
func heldOf(r rawDB) *heldRows {
	if p, ok := r.pool.(*holdingPool); ok {
		return p.held
	}
	return nil
}

// holding returns tx, with ctx, its statements passing through a
// holdingPool.
func holding(ctx context.Context, tx Tx) (Tx, *holdingPool) {
	p := &holdingPool{ConnPool: tx.db.Statement.ConnPool, held: &heldRows{}, dl: tx.dl}
	db := tx.db.WithContext(ctx) // a copy of the statement, whose pool changes
	db.Statement.ConnPool = p
	return Tx{db: db, dl: tx.dl}, p
}

// writeNamed writes the held rows of the tables query names.
func (p *holdingPool) writeNamed(ctx context.Context, query string) error {
	h := p.held
	if len(h.runs) > 0 && strings.Contains(query, heldRunsTable) {
		if err := p.writeRuns(ctx); err != nil {
			return err
		}
	}
	if len(h.steps) > 0 && strings.Contains(query, heldStepsTable) {
		return p.writeSteps(ctx)
	}
	return nil
}

// writeAll writes every held row; at the transaction's end.
func (p *holdingPool) writeAll(ctx context.Context) error {
	if err := p.held.err; err != nil {
		return err
	}
	if err := p.writeRuns(ctx); err != nil {
		return err
	}
	return p.writeSteps(ctx)
}

func (p *holdingPool) raw(ctx context.Context) rawDB {
	return rawDB{pool: p.ConnPool, ctx: ctx, dl: p.dl}
}

func (p *holdingPool) writeRuns(ctx context.Context) error {
	runs := p.held.runs
	p.held.runs = nil
	for len(runs) > 0 {
		n := min(len(runs), runsPerInsert)
		var q strings.Builder
		q.WriteString(`INSERT INTO runs (` + runColumns + `) VALUES `)
		args := make([]any, 0, n*len(runs[0]))
		for i, row := range runs[:n] {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, row...)
		}
		if _, err := p.raw(ctx).exec(q.String(), args...); err != nil {
			return fmt.Errorf("insert runs: %w", err)
		}
		runs = runs[n:]
	}
	return nil
}

func (p *holdingPool) writeSteps(ctx context.Context) error {
	held := p.held.steps
	p.held.steps = nil
	var rows []Step
	var args []any
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := insertSteps(p.raw(ctx), rows, args); err != nil {
			return fmt.Errorf("insert steps: %w", err)
		}
		return nil
	}
	// Steps go in the order they were held, stepsPerInsert rows a
	// statement; the ids are set back in each call's steps.
	start := 0 // index in held of rows[0]'s call
	for i := 0; i < len(held); {
		if len(rows)+len(held[i].steps) > stepsPerInsert && len(rows) > 0 {
			if err := flush(); err != nil {
				return err
			}
			copyIDs(held[start:i], rows)
			rows, args, start = rows[:0], args[:0], i
			continue
		}
		rows = append(rows, held[i].steps...)
		args = append(args, held[i].args...)
		i++
	}
	if err := flush(); err != nil {
		return err
	}
	copyIDs(held[start:], rows)
	return nil
}

// copyIDs sets the ids of rows, inserted in the order of calls, in each
// call's steps.
func copyIDs(calls []heldSteps, rows []Step) {
	k := 0
	for _, c := range calls {
		for j := range c.steps {
			c.steps[j].ID = rows[k].ID
			k++
		}
	}
}

func (p *holdingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := p.writeNamed(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.ExecContext(ctx, query, args...)
}

func (p *holdingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.writeNamed(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return a held insert's error: the transaction's
// end does. (PostgreSQL fails the query too: the transaction is aborted.)
func (p *holdingPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := p.writeNamed(ctx, query); err != nil && p.held.err == nil {
		p.held.err = err
	}
	return p.ConnPool.QueryRowContext(ctx, query, args...)
}

func (p *holdingPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := p.writeNamed(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.PrepareContext(ctx, query)
}

// Commit and Rollback keep the transaction's own (GORM starts a nested
// transaction as a savepoint only on a committer).
func (p *holdingPool) Commit() error {
	if c, ok := p.ConnPool.(gorm.TxCommitter); ok {
		return c.Commit()
	}
	return gorm.ErrInvalidTransaction
}

func (p *holdingPool) Rollback() error {
	if c, ok := p.ConnPool.(gorm.TxCommitter); ok {
		return c.Rollback()
	}
	return gorm.ErrInvalidTransaction
}
