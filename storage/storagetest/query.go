package storagetest

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// The tests of the packages outside storage (engine, server, main) check
// and arrange rows through the helpers below: GORM stays inside storage/,
// and what a test checks is rarely worth a repository function of its
// own. Conditions are SQL fragments with ? placeholders; a model is a
// pointer to a storage model, or a table name.

// Query selects rows for Find, Take and Pluck. The zero Query selects
// every row, in no particular order.
type Query struct {
	// Select lists the columns to read ("id, run_id"); empty reads all.
	Select string
	// Where is a condition with ? placeholders, filled from Args.
	Where string
	Args  []any
	// Order is an ORDER BY list ("created_at, channel").
	Order string
	// Limit caps the rows read when positive.
	Limit int
}

// Where returns a Query of a condition.
func Where(where string, args ...any) Query { return Query{Where: where, Args: args} }

func (q Query) apply(db *gorm.DB) *gorm.DB {
	if q.Select != "" {
		db = db.Select(q.Select)
	}
	if q.Where != "" {
		db = db.Where(q.Where, q.Args...)
	}
	if q.Order != "" {
		db = db.Order(q.Order)
	}
	if q.Limit > 0 {
		db = db.Limit(q.Limit)
	}
	return db
}

func table(tx storage.Tx, model any) *gorm.DB {
	if name, ok := model.(string); ok {
		return gormdb.Of(tx).Table(name)
	}
	return gormdb.Of(tx).Model(model)
}

// notFound maps GORM's not-found error to storage.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	return err
}

// Count sets *n to how many rows of model's table match where; an empty
// where counts them all.
func Count(tx storage.Tx, n *int64, model any, where string, args ...any) error {
	db := table(tx, model)
	if where != "" {
		db = db.Where(where, args...)
	}
	return db.Count(n).Error
}

// Find reads the rows q selects into dest, a pointer to a slice of models
// (or of structs whose fields name the selected columns).
func Find(tx storage.Tx, dest any, q Query) error {
	return q.apply(gormdb.Of(tx)).Find(dest).Error
}

// Take reads one row q selects into dest, a pointer to a model; none is
// storage.ErrNotFound.
func Take(tx storage.Tx, dest any, q Query) error {
	return notFound(q.apply(gormdb.Of(tx)).Take(dest).Error)
}

// First reads the first row q selects, by primary key, into dest; none is
// storage.ErrNotFound.
func First(tx storage.Tx, dest any, q Query) error {
	return notFound(q.apply(gormdb.Of(tx)).First(dest).Error)
}

// Pluck reads one column of the rows of model's table that q selects into
// dest, a pointer to a slice.
func Pluck(tx storage.Tx, model any, column string, dest any, q Query) error {
	return q.apply(table(tx, model)).Pluck(column, dest).Error
}

// Scan runs a query written in SQL and reads its rows into dest (a
// pointer to a value, a struct or a slice).
func Scan(tx storage.Tx, dest any, sql string, args ...any) error {
	return gormdb.Of(tx).Raw(sql, args...).Scan(dest).Error
}

// Exec runs a statement written in SQL.
func Exec(tx storage.Tx, sql string, args ...any) error {
	return gormdb.Of(tx).Exec(sql, args...).Error
}

// Insert stores rows (a pointer to a model, or to a slice of them) as
// they are, through GORM: their hooks mark the analytics days as the
// engine's own inserts do.
func Insert(tx storage.Tx, rows any) error {
	return gormdb.Of(tx).Create(rows).Error
}

// Update sets one column of the rows of model's table that match where.
func Update(tx storage.Tx, model any, column string, value any, where string, args ...any) error {
	return table(tx, model).Where(where, args...).Update(column, value).Error
}
