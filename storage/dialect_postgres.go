package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// postgresDialect is PostgreSQL (pgx): several instances and workers write
// at once, so rows that decide a write are locked, claimers skip each
// other's rows, and ids come back through RETURNING (there is no
// LastInsertId).
type postgresDialect struct{}

// Name implements gorm.Plugin.
func (postgresDialect) Name() string { return dialectPlugin }

// Initialize implements gorm.Plugin.
func (postgresDialect) Initialize(*gorm.DB) error { return nil }

func (postgresDialect) name() string { return dialectPostgres }

func (postgresDialect) singleWriter() bool { return false }

var pgQueries sync.Map // query with ? -> query with $n

// rebind numbers the placeholders ($1, $2, ...), once per query text.
func (postgresDialect) rebind(query string) string {
	if q, ok := pgQueries.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	q := b.String()
	pgQueries.Store(query, q)
	return q
}

func (postgresDialect) retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// serialization_failure, deadlock_detected
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}

func (postgresDialect) lockRows() string     { return " FOR UPDATE" }
func (postgresDialect) skipLocked() string   { return " FOR UPDATE SKIP LOCKED" }
func (postgresDialect) cast(t string) string { return "::" + t }

// lockTable takes SHARE ROW EXCLUSIVE, which conflicts with itself and
// with inserts.
func (postgresDialect) lockTable(r rawDB, table string) error {
	_, err := r.exec("LOCK TABLE " + table + " IN SHARE ROW EXCLUSIVE MODE")
	return err
}

// lockMigrations takes a transaction-scoped advisory lock per schema.
func (postgresDialect) lockMigrations(ctx context.Context, db *gorm.DB) (func(tx Tx) error, error) {
	var schema string
	if err := db.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return nil, fmt.Errorf("current schema: %w", err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("journey.migrate:" + schema))
	lockKey := int64(h.Sum64()) //nolint:gosec // a lock id, overflow intended
	return func(tx Tx) error {
		return tx.db.Exec("SELECT pg_advisory_xact_lock(?)", lockKey).Error
	}, nil
}

// insertSteps: RETURNING gives the ids in the order of the VALUES rows.
func (postgresDialect) insertSteps(r rawDB, query string, args []any, steps []Step) error {
	rows, err := r.query(query+" RETURNING id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanStepIDs(rows, steps)
}

// scanStepIDs sets steps' ids from the rows of their insert's RETURNING
// id (database/sql's or pgx's), in order.
func scanStepIDs(rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}, steps []Step) error {
	i := 0
	for ; rows.Next() && i < len(steps); i++ {
		if err := rows.Scan(&steps[i].ID); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i != len(steps) {
		return fmt.Errorf("%d ids returned for %d steps", i, len(steps))
	}
	return nil
}

// insertJob: a skipped row returns no id.
func (postgresDialect) insertJob(r rawDB, query string, args []any, j *Job) (bool, error) {
	err := r.queryRow(query+" RETURNING id", args...).Scan(&j.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert job: %w", err)
	}
	return true, nil
}

func (postgresDialect) batchesUpdates() bool { return true }

// pipeline (pipeliner) sends writes as one pgx batch on the connection's pgx.Conn,
// which holds the transaction under way (Store.transaction): one round
// trip where each statement was one. A steps insert gets its ids by RETURNING, in
// the order of its rows. After a failed statement the database aborts
// the transaction, so the statements behind it fail too; the first
// error is the one returned.
func (d postgresDialect) pipeline(ctx context.Context, conn *sql.Conn, writes []heldWrite) error {
	return conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("postgres: the driver's connection is a %T, not pgx's", driverConn)
		}
		var b pgx.Batch
		for _, w := range writes {
			q := d.rebind(w.query)
			if w.steps != nil {
				q += " RETURNING id"
			}
			b.Queue(q, w.args...)
		}
		res := pc.Conn().SendBatch(ctx, &b)
		for i := range writes {
			if err := answer(res, &writes[i]); err != nil {
				_ = res.Close()
				return fmt.Errorf("%s: %w", writes[i].what, err)
			}
		}
		return res.Close()
	})
}

// answer reads w's answer from res: the ids of its steps, or how many
// rows it changed for its check; then runs w.then.
func answer(res pgx.BatchResults, w *heldWrite) error {
	if w.steps != nil {
		rows, err := res.Query()
		if err != nil {
			return err
		}
		err = scanStepIDs(rows, w.steps)
		rows.Close()
		if err != nil {
			return err
		}
	} else {
		tag, err := res.Exec()
		if err != nil {
			return err
		}
		if w.commits && tag.String() != "COMMIT" {
			return fmt.Errorf("the transaction was rolled back (%s)", tag)
		}
		if w.check != nil {
			if err := w.check(tag.RowsAffected()); err != nil {
				return err
			}
		}
	}
	if w.then != nil {
		w.then()
	}
	return nil
}

// reserveJobIDs takes ids from the jobs' sequence, which never gives one
// twice, rolled back or not.
func (postgresDialect) reserveJobIDs(r rawDB, n int) ([]int64, error) {
	rows, err := r.query(`SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, ?)`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func postgresDay(col string) string { return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')` }

var postgresDays = dayTable(postgresDay)

func (postgresDialect) dayOf(col string) string {
	if e, ok := postgresDays[col]; ok {
		return e
	}
	return postgresDay(col)
}

func (postgresDialect) isTrue(col string) string { return col }

// firstContactSQL: LEAST ignores NULLs.
func (postgresDialect) firstContactSQL(where, firstMessage, firstTask string) string {
	return `SELECT flow_id, ROUND(EXTRACT(EPOCH FROM (LEAST(mf, tf) - started_at)) * 1000) FROM (
		SELECT r.flow_id, r.started_at, ` + firstMessage + ` AS mf, ` + firstTask + ` AS tf
		FROM runs r WHERE ` + where + `) x WHERE mf IS NOT NULL OR tf IS NOT NULL`
}

// analyzeAfterBulk: without fresh statistics PostgreSQL planned a scan of
// the whole table per lookup after many rows changed.
func (postgresDialect) analyzeAfterBulk(r rawDB, table string) error {
	_, err := r.exec(`ANALYZE ` + table)
	return err
}

// fileStats: autovacuum manages PostgreSQL's space.
func (postgresDialect) fileStats(*gorm.DB) (FileStats, error) { return FileStats{}, nil }

func (postgresDialect) incrementalVacuum(*gorm.DB) error { return nil }

// Interface guards.
var _ dialect = postgresDialect{}
