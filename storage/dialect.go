package storage

import (
	"context"
	"database/sql"

	"gorm.io/gorm"
)

// dialect is what differs between the databases the store runs on: one
// implementation per database (dialect_sqlite.go, dialect_postgres.go),
// chosen once when the store opens and carried by every Tx, so the rest of
// package storage asks it instead of testing which database it is on. The
// conformance suite (storagetest.Exercise) holds both to one behaviour.
type dialect interface {
	// The dialect is registered as a GORM plugin on the store's pools, so
	// the *gorm.DB that GORM hands a hook finds it (dialectOf).
	gorm.Plugin

	// name names the database: the folder of its migrations
	// (migrations/NAME) and the key of createSchemaMigrations.
	name() string
	// singleWriter reports whether the database runs one write
	// transaction at a time (see Store.SingleWriter).
	singleWriter() bool
	// rebind rewrites a query written with ? placeholders for the
	// database's driver.
	rebind(query string) string
	// retryable reports a transient write conflict: running the
	// transaction again may succeed.
	retryable(err error) bool

	// lockRows is the clause that ends a SELECT whose rows stay locked
	// until the transaction ends, so that a second writer reading them
	// waits; skipLocked is the same, skipping rows another transaction
	// holds. Both are empty where transactions never overlap.
	lockRows() string
	skipLocked() string
	// lockTable keeps other transactions from writing table (and from
	// locking it likewise) until the transaction ends.
	lockTable(r rawDB, table string) error
	// lockMigrations returns what each migration transaction calls
	// first, so that instances starting together apply each migration
	// once; db is the writer.
	lockMigrations(ctx context.Context, db *gorm.DB) (func(tx Tx) error, error)

	// insertSteps runs query, an INSERT of the steps' rows (in order,
	// without RETURNING), and sets their IDs.
	insertSteps(r rawDB, query string, args []any, steps []Step) error
	// insertJob runs query, an INSERT of the job's row ending in ON
	// CONFLICT DO NOTHING (without RETURNING), and sets its ID; inserted
	// is false when the row was skipped.
	insertJob(r rawDB, query string, args []any, j *Job) (inserted bool, err error)
	// cast is what follows a parameter to give it the SQL type t where
	// the statement does not (a VALUES list): "" where values keep the
	// type they are bound with (SQLite).
	cast(t string) string
	// batchesUpdates reports whether SaveRunBatched and DeleteJobBatched
	// wait for their transaction's others: where each statement is a
	// round trip (PostgreSQL). SQLite runs them in process, where an
	// UPDATE over a VALUES list costs more than the updates it replaces.
	batchesUpdates() bool
	// reserveJobIDs takes n ids for jobs from the table's own supply, for
	// rows inserted later with their id (see heldRows); nil where an
	// insert gets its id without a round trip (SQLite).
	reserveJobIDs(r rawDB, n int) ([]int64, error)

	// dayOf is SQL for the UTC day (YYYY-MM-DD) of a time column.
	dayOf(col string) string
	// isTrue is SQL for "the boolean column col is true".
	isTrue(col string) string
	// firstContactSQL is the query of eachFirstContact: for each run
	// matching where, its flow and the milliseconds from its start to
	// the earlier of firstMessage and firstTask (subqueries on r), for
	// runs with either.
	firstContactSQL(where, firstMessage, firstTask string) string
	// analyzeAfterBulk refreshes the planner's statistics of table after
	// many of its rows changed (nothing where plans do not depend on it).
	analyzeAfterBulk(r rawDB, table string) error

	// fileStats and incrementalVacuum read and shrink the database file
	// (zero stats and nothing where the database is no file of ours).
	fileStats(db *gorm.DB) (FileStats, error)
	incrementalVacuum(db *gorm.DB) error
}

// dayColumns are the time columns whose UTC day the analytics SQL takes.
// Each dialect builds their day expressions once (dayTable), so the marks
// written with every transaction allocate no SQL of their own for them.
var dayColumns = []string{"started_at", "created_at", "at", "r.started_at", "d.created_at"}

// dayTable maps each of dayColumns to its day expression.
func dayTable(day func(col string) string) map[string]string {
	t := make(map[string]string, len(dayColumns))
	for _, c := range dayColumns {
		t[c] = day(c)
	}
	return t
}

// dialectPlugin is the name under which the dialect is registered.
const dialectPlugin = "journey.storage.dialect"

// dialectOf returns the dialect registered on db's pool.
func dialectOf(db *gorm.DB) dialect {
	return db.Config.Plugins[dialectPlugin].(dialect)
}

// pipeliner is a dialect whose write transactions send their held writes
// (see heldRows) together: where each statement is a round trip
// (PostgreSQL). Such a transaction runs on a connection of its own
// (Store.transaction).
type pipeliner interface {
	// pipeline runs writes in order in the transaction under way on
	// conn, sent together and answered together; the first failing
	// statement's error is returned.
	pipeline(ctx context.Context, conn *sql.Conn, writes []heldWrite) error
}
