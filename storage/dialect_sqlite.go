package storage

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// sqliteDialect is SQLite (mattn/go-sqlite3): one writer connection, so
// write transactions never overlap and need no row locks; the database is
// one file, whose free pages the retention sweeper gives back.
type sqliteDialect struct{}

// Name implements gorm.Plugin.
func (sqliteDialect) Name() string { return dialectPlugin }

// Initialize implements gorm.Plugin.
func (sqliteDialect) Initialize(*gorm.DB) error { return nil }

func (sqliteDialect) name() string { return dialectSQLite }

func (sqliteDialect) singleWriter() bool { return true }

func (sqliteDialect) rebind(query string) string { return query }

// retryable: the one documented string match. mattn/go-sqlite3 reports
// SQLITE_BUSY and SQLITE_LOCKED through its message, and the gorm sqlite
// driver does not translate them.
func (sqliteDialect) retryable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "database table is locked") ||
		strings.Contains(msg, "SQLITE_BUSY")
}

func (sqliteDialect) lockRows() string   { return "" }
func (sqliteDialect) skipLocked() string { return "" }
func (sqliteDialect) cast(string) string { return "" }

func (sqliteDialect) lockTable(rawDB, string) error { return nil }

// lockMigrations: the single writer connection serializes SQLite.
func (sqliteDialect) lockMigrations(context.Context, *gorm.DB) (func(tx Tx) error, error) {
	return func(Tx) error { return nil }, nil
}

// insertSteps: an Exec costs less than a query for RETURNING, and SQLite
// numbers the rows of one statement consecutively (nothing else writes
// while it runs), so the last id gives them all.
func (sqliteDialect) insertSteps(r rawDB, query string, args []any, steps []Step) error {
	res, err := r.exec(query, args...)
	if err != nil {
		return err
	}
	last, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for i := range steps {
		steps[i].ID = last - int64(len(steps)-1-i)
	}
	return nil
}

func (sqliteDialect) insertJob(r rawDB, query string, args []any, j *Job) (bool, error) {
	res, err := r.exec(query, args...)
	if err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if j.ID, err = res.LastInsertId(); err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	return true, nil
}

func (sqliteDialect) batchesUpdates() bool { return false }

// reserveJobIDs: an insert's id costs nothing to read back in process.
func (sqliteDialect) reserveJobIDs(rawDB, int) ([]int64, error) { return nil, nil }

// sqliteDay: times are stored as UTC text.
func sqliteDay(col string) string { return `substr(` + col + `, 1, 10)` }

var sqliteDays = dayTable(sqliteDay)

func (sqliteDialect) dayOf(col string) string {
	if e, ok := sqliteDays[col]; ok {
		return e
	}
	return sqliteDay(col)
}

func (sqliteDialect) isTrue(col string) string { return col + ` = 1` }

// firstContactSQL: julianday makes the times comparable whatever their
// text; SQLite's two-argument MIN is NULL when either is, hence the
// COALESCEs.
func (sqliteDialect) firstContactSQL(where, firstMessage, firstTask string) string {
	return `SELECT flow_id, ROUND((MIN(COALESCE(mf, tf), COALESCE(tf, mf)) - js) * 86400000) FROM (
		SELECT r.flow_id, julianday(r.started_at) AS js, julianday(` + firstMessage + `) AS mf, julianday(` + firstTask + `) AS tf
		FROM runs r WHERE ` + where + `) x WHERE mf IS NOT NULL OR tf IS NOT NULL`
}

func (sqliteDialect) analyzeAfterBulk(rawDB, string) error { return nil }

func (sqliteDialect) fileStats(db *gorm.DB) (FileStats, error) {
	st := FileStats{File: true}
	for _, p := range []struct {
		pragma string
		dest   any
	}{{"page_count", &st.PageCount}, {"freelist_count", &st.FreePages}, {"auto_vacuum", &st.AutoVacuum}} {
		if err := db.Raw("PRAGMA " + p.pragma).Row().Scan(p.dest); err != nil {
			return st, fmt.Errorf("pragma %s: %w", p.pragma, err)
		}
	}
	return st, nil
}

func (sqliteDialect) incrementalVacuum(db *gorm.DB) error {
	// The pragma frees one page per step: read every row so it runs to
	// the end.
	rows, err := db.Raw("PRAGMA incremental_vacuum").Rows()
	if err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	return nil
}

// Interface guards.
var _ dialect = sqliteDialect{}
