package storage

import (
	"context"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage/internal/gormkey"
)

// Tx is where storage's functions read and write: the transaction inside a
// Store.Write callback, or the store's reader (Store.Reader). It is a small
// value passed by value; only package storage can query through it, so the
// engine and the server reach the database through storage's named
// functions alone.
type Tx struct {
	db *gorm.DB
	dl dialect
}

// WithContext returns the handle with ctx attached to its queries.
func (t Tx) WithContext(ctx context.Context) Tx {
	return Tx{db: t.db.WithContext(ctx), dl: t.dl}
}

// GormDB returns the *gorm.DB behind the handle. Only packages under
// storage/ can call it: the key is in an internal package.
func (t Tx) GormDB(gormkey.Key) *gorm.DB { return t.db }

// WithGormDB returns a handle on db, a session or transaction begun on
// the pool behind t. Only packages under storage/ can call it.
func (t Tx) WithGormDB(_ gormkey.Key, db *gorm.DB) Tx { return Tx{db: db, dl: t.dl} }

// txOf wraps a *gorm.DB that GORM handed to a hook or callback (a session
// or transaction of one of the store's pools) into a handle.
func txOf(db *gorm.DB) Tx { return Tx{db: db, dl: dialectOf(db)} }
