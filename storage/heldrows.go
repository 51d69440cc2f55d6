package storage

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// A write transaction (Store.Write) holds back the rows of new runs, of
// steps and, on PostgreSQL, of jobs without a dedup key and the updates
// of SaveRunBatched and the deletes of DeleteJobBatched, and writes each
// table's held rows with one statement of each kind just before the first
// later statement of the transaction that names the table, or at the
// transaction's end. A group commit runs many webhooks' and vendor
// results' writes in one transaction, each of which used to insert its
// run, its steps and its job, or delete its job and update its run: on
// PostgreSQL every statement is a round trip and costs about what a
// handful of rows do (see the README's Benchmarks). A held job's id is
// reserved from the jobs' sequence, a block at a time (idSupply), so the
// engine has it at once; SQLite reads an insert's id back in process, so
// its jobs are inserted at once. On PostgreSQL the statements written
// together (and, at the end, the analytics marks) are also sent together,
// in one round trip (pipeliner).
//
// Nothing reads a held row before it is written: every statement of the
// transaction passes through holdingPool, which first writes the held rows
// of each table its text names. An error of a held write is the error of
// the statement that wrote it, or of the transaction's end, and fails the
// transaction as it would have failed at the write; a batched update or
// delete whose row changed since it was read fails it with ErrConflict
// then, where SaveRun and DeleteJob would have answered at once.

// heldRows are the rows a write transaction holds back.
type heldRows struct {
	runs [][]any // the arguments of each run's row, in runColumns order
	// saves are runs' updates (SaveRunBatched), in saveColumns order.
	saves [][]any
	steps []heldSteps
	jobs  [][]any // the arguments of each job's row, in jobColumns order
	// deletes are the jobs to delete (DeleteJobBatched), by lease owner.
	deletes map[string][]int64
	// marks are the analytics days the transaction marked, written once
	// after everything else (see markDay).
	marks *dayMarks
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
	heldJobsTable  = "jobs"
)

// runsPerInsert and jobsPerInsert bound one multi-row insert (18 and 13
// parameters a row).
const (
	runsPerInsert = 64
	jobsPerInsert = 64
)

// idSupply holds job ids reserved for held rows; one per store.
type idSupply struct {
	mu  sync.Mutex
	ids []int64
}

// jobIDsReserved is how many job ids one reservation takes.
const jobIDsReserved = 64

// take returns a reserved job id; ok is false where the dialect reserves
// none.
func (s *idSupply) take(r rawDB) (id int64, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 {
		if s.ids, err = r.dl.reserveJobIDs(r, jobIDsReserved); err != nil || len(s.ids) == 0 {
			return 0, false, err
		}
	}
	id, s.ids = s.ids[0], s.ids[1:]
	return id, true, nil
}

// holdingPool is the connection of a write transaction with held rows.
type holdingPool struct {
	gorm.ConnPool
	held   *heldRows
	dl     dialect
	jobIDs *idSupply
	// contactIDs are contacts' ids read ahead (ReadContactIDsAhead),
	// until a statement may change contacts.
	contactIDs map[string]string
	// conn is the transaction's connection where the dialect sends held
	// writes together (pipe); nil elsewhere.
	conn *sql.Conn
	pipe pipeliner
}

// holdingOf returns the holdingPool of tx's write transaction (nil
// outside one: rows are then written at once).
func holdingOf(tx Tx) *holdingPool {
	p, _ := tx.db.Statement.ConnPool.(*holdingPool)
	return p
}

// holding returns tx, with ctx, its statements passing through a
// holdingPool.
func holding(ctx context.Context, tx Tx, jobIDs *idSupply, conn *sql.Conn) (Tx, *holdingPool) {
	p := &holdingPool{ConnPool: tx.db.Statement.ConnPool, held: &heldRows{marks: newDayMarks()}, dl: tx.dl,
		jobIDs: jobIDs, conn: conn}
	if conn != nil {
		p.pipe = tx.dl.(pipeliner) // Store.transaction gives a connection only then
	}
	db := tx.db.WithContext(ctx) // a copy of the statement, whose pool changes
	db.Statement.ConnPool = p
	return Tx{db: db, dl: tx.dl}, p
}

// before readies the transaction for query: it writes the held rows of
// the tables query names and forgets the contacts read ahead when query
// may change contacts.
func (p *holdingPool) before(ctx context.Context, query string) error {
	if p.contactIDs != nil && mayChangeContacts(query) {
		p.contactIDs = nil
	}
	if isSavepoint(query) {
		// A nested transaction (GORM's AutoMigrate takes one): what
		// its rollback undoes must have been written.
		p.contactIDs = nil
		return p.writeAll(ctx)
	}
	return p.writeNamed(ctx, query)
}

// isSavepoint reports whether query sets, releases or rolls back to a
// savepoint.
func isSavepoint(query string) bool {
	q := strings.TrimLeft(query, " \t\n")
	return hasPrefixFold(q, "SAVEPOINT") || hasPrefixFold(q, "RELEASE") || hasPrefixFold(q, "ROLLBACK")
}

// hasPrefixFold is strings.HasPrefix ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// writeNamed writes the held rows of the tables query names.
func (p *holdingPool) writeNamed(ctx context.Context, query string) error {
	h := p.held
	var writes []heldWrite
	if (len(h.runs) > 0 || len(h.saves) > 0) && strings.Contains(query, heldRunsTable) {
		writes = p.takeRuns(writes)
	}
	if len(h.steps) > 0 && strings.Contains(query, heldStepsTable) {
		writes = p.takeSteps(writes)
	}
	if (len(h.jobs) > 0 || len(h.deletes) > 0) && strings.Contains(query, heldJobsTable) {
		writes = p.takeJobs(writes)
	}
	return p.send(ctx, writes)
}

// writeAll writes every held row and the analytics days marked: before a
// savepoint, and at the transaction's end (finish).
func (p *holdingPool) writeAll(ctx context.Context) error {
	writes, err := p.takeAll(ctx)
	if err != nil {
		return err
	}
	return p.send(ctx, writes)
}

// finish is writeAll at the transaction's end. Where the transaction runs
// on a connection of its own (conn), it ends here too: its COMMIT goes
// with the held writes, unless one of them is checked here (a batched
// save or delete, whose conflict the database does not see): it is sent
// once they answered.
func (p *holdingPool) finish(ctx context.Context) error {
	if p.conn == nil {
		return p.writeAll(ctx)
	}
	writes, err := p.takeAll(ctx)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(writes, func(w heldWrite) bool { return w.check != nil }) {
		if err := p.pipe.pipeline(ctx, p.conn, writes); err != nil {
			return err
		}
		writes = nil
	}
	return p.pipe.pipeline(ctx, p.conn, append(writes, heldWrite{what: "commit", query: "COMMIT", commits: true}))
}

// takeAll returns the writes of every held row and of the analytics days
// marked, and forgets them.
func (p *holdingPool) takeAll(ctx context.Context) ([]heldWrite, error) {
	if err := p.held.err; err != nil {
		return nil, err
	}
	writes := p.takeJobs(p.takeSteps(p.takeRuns(nil)))
	writes = append(writes, p.held.marks.writes(p.raw(ctx))...)
	p.held.marks = newDayMarks()
	return writes, nil
}

func (p *holdingPool) raw(ctx context.Context) rawDB {
	return rawDB{pool: p.ConnPool, ctx: ctx, dl: p.dl}
}

// send runs writes in order: on PostgreSQL all in one round trip.
func (p *holdingPool) send(ctx context.Context, writes []heldWrite) error {
	if len(writes) == 0 {
		return nil
	}
	if p.conn != nil {
		return p.pipe.pipeline(ctx, p.conn, writes)
	}
	return runWrites(p.raw(ctx), writes)
}

// heldWrite is one statement that writes held rows.
type heldWrite struct {
	what  string // what it does, for its error: "insert runs"
	query string // with ? placeholders
	args  []any
	// steps, when set, are the rows of the statement, an INSERT INTO
	// steps (without RETURNING): their ids are set from its answer.
	steps []Step
	// check, when set, judges how many rows the statement changed.
	check func(changed int64) error
	// then runs once the statement succeeded.
	then func()
	// commits is set on a COMMIT: it fails when the database answers
	// that it rolled the transaction back.
	commits bool
}

// runWrites runs writes one statement after another.
func runWrites(r rawDB, writes []heldWrite) error {
	for i := range writes {
		w := &writes[i]
		var err error
		if w.steps != nil {
			err = r.dl.insertSteps(r, w.query, w.args, w.steps)
		} else {
			var n int64
			if n, err = r.affected(w.query, w.args...); err == nil && w.check != nil {
				err = w.check(n)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", w.what, err)
		}
		if w.then != nil {
			w.then()
		}
	}
	return nil
}

// takeRuns adds the writes of the held new runs, then of the held
// updates, to writes, and forgets them.
func (p *holdingPool) takeRuns(writes []heldWrite) []heldWrite {
	runs, saves := p.held.runs, p.held.saves
	p.held.runs, p.held.saves = nil, nil
	writes = insertWrites(writes, "runs", runColumns, runs, runsPerInsert)
	for chunk := range slices.Chunk(saves, runsPerInsert) {
		writes = append(writes, p.updateRuns(chunk))
	}
	return writes
}

// saveColumns are a held update's values: the run's id and the revision
// it was read at, then the columns SaveRun writes (saveTypes gives their
// SQL types, for PostgreSQL's VALUES).
var (
	saveColumns = []string{"id", "revision", "contact_id", "status", "outcome", "vars", "visits", "tokens", "error",
		"updated_at", "ended_at"}
	saveTypes = []string{"text", "bigint", "text", "text", "text", "text", "text", "bigint", "text",
		"timestamptz", "timestamptz"}
)

// updateRuns is the statement of runs' held updates, each only over the
// revision it was read at: when fewer rows change than were held, another
// transaction wrote one of the runs since, and the transaction fails with
// ErrConflict as SaveRun would have.
func (p *holdingPool) updateRuns(saves [][]any) heldWrite {
	var q strings.Builder
	q.WriteString("UPDATE runs SET ")
	for i, c := range saveColumns[2:] {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "%s = v.column%d", c, i+3)
	}
	q.WriteString(", revision = v.column2 + 1 FROM (VALUES ")
	args := make([]any, 0, len(saves)*len(saveColumns))
	for i, row := range saves {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for k := range row {
			if k > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('?')
			if i == 0 { // the first row types the columns
				q.WriteString(p.dl.cast(saveTypes[k]))
			}
		}
		q.WriteByte(')')
		args = append(args, row...)
	}
	q.WriteString(") AS v WHERE runs.id = v.column1 AND runs.revision = v.column2")
	return heldWrite{what: "save runs", query: q.String(), args: args, check: func(n int64) error {
		if int(n) != len(saves) {
			return fmt.Errorf("%d of %d were written since they were read: %w", len(saves)-int(n), len(saves),
				ErrConflict)
		}
		return nil
	}}
}

// takeJobs adds the writes of the held jobs, the deletes first, to
// writes, and forgets them.
func (p *holdingPool) takeJobs(writes []heldWrite) []heldWrite {
	jobs, deletes := p.held.jobs, p.held.deletes
	p.held.jobs, p.held.deletes = nil, nil
	for _, owner := range slices.Sorted(maps.Keys(deletes)) {
		for ids := range slices.Chunk(deletes[owner], 500) {
			writes = append(writes, heldWrite{what: "delete jobs",
				query: `DELETE FROM jobs WHERE lease_owner = ? AND id IN (` + placeholders(len(ids)) + `)`,
				args:  append([]any{owner}, anys(ids)...),
				check: func(n int64) error {
					if int(n) != len(ids) {
						return fmt.Errorf("%d of %d no longer held by %s: %w", len(ids)-int(n), len(ids), owner,
							ErrConflict)
					}
					return nil
				}})
		}
	}
	return insertWrites(writes, "jobs", jobColumns, jobs, jobsPerInsert)
}

// insertWrites adds the inserts of rows into table, perInsert rows a
// statement, to writes.
func insertWrites(writes []heldWrite, table, columns string, rows [][]any, perInsert int) []heldWrite {
	for chunk := range slices.Chunk(rows, perInsert) {
		tuple := "(?" + strings.Repeat(",?", len(chunk[0])-1) + ")"
		var q strings.Builder
		q.WriteString(`INSERT INTO ` + table + ` (` + columns + `) VALUES `)
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		for i, row := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(tuple)
			args = append(args, row...)
		}
		writes = append(writes, heldWrite{what: "insert " + table, query: q.String(), args: args})
	}
	return writes
}

// holdJob holds j's row with an id reserved for it; held is false where
// the dialect reserves no ids.
func (p *holdingPool) holdJob(ctx context.Context, j *Job) (held bool, err error) {
	id, ok, err := p.jobIDs.take(p.raw(ctx))
	if err != nil || !ok {
		return false, err
	}
	var runID any // the value, not the pointer: the row is written later
	if j.RunID != nil {
		runID = *j.RunID
	}
	j.ID = id
	p.held.jobs = append(p.held.jobs, []any{id, runID, j.NodeID, j.Kind, j.Port, j.Payload, j.DueAt.UTC(), j.Attempts,
		j.LeaseOwner, utcPtr(j.LeaseUntil), nil, j.LastError, j.CreatedAt.UTC()})
	return true, nil
}

// takeSteps adds the inserts of the held steps to writes, in the order
// they were held, stepsPerInsert rows a statement, and forgets them; each
// statement sets the ids it gets back in its calls' steps.
func (p *holdingPool) takeSteps(writes []heldWrite) []heldWrite {
	held := p.held.steps
	p.held.steps = nil
	for start := 0; start < len(held); {
		var rows []Step
		var args []any
		end := start
		for ; end < len(held) && (len(rows) == 0 || len(rows)+len(held[end].steps) <= stepsPerInsert); end++ {
			rows = append(rows, held[end].steps...)
			args = append(args, held[end].args...)
		}
		calls := held[start:end]
		writes = append(writes, heldWrite{what: "insert steps", query: insertStepsSQL(len(rows)), args: args,
			steps: rows, then: func() { copyIDs(calls, rows) }})
		start = end
	}
	return writes
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
	if err := p.before(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.ExecContext(ctx, query, args...)
}

func (p *holdingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := p.before(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return a held insert's error: the transaction's
// end does. (PostgreSQL fails the query too: the transaction is aborted.)
func (p *holdingPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := p.before(ctx, query); err != nil && p.held.err == nil {
		p.held.err = err
	}
	return p.ConnPool.QueryRowContext(ctx, query, args...)
}

func (p *holdingPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if err := p.before(ctx, query); err != nil {
		return nil, err
	}
	return p.ConnPool.PrepareContext(ctx, query)
}

// Commit and Rollback are the transaction's own: GORM takes a transaction
// nested in a committer as a savepoint (see before).
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
