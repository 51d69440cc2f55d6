// Package gormdb opens a storage.Tx for the tests of package storage and
// for storagetest: they may query through GORM, code outside storage/
// cannot (it cannot import an internal package of storage).
package gormdb

import (
	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormkey"
)

// Of returns the *gorm.DB behind tx.
func Of(tx storage.Tx) *gorm.DB { return tx.GormDB(gormkey.Key{}) }

// Wrap returns a handle on db, a session or transaction begun on the pool
// behind like (say a transaction begun with Of(like).Begin()).
func Wrap(like storage.Tx, db *gorm.DB) storage.Tx { return like.WithGormDB(gormkey.Key{}, db) }

// Postgres reports whether tx is on PostgreSQL (as GORM's dialector says,
// not the store's dialect: tests check the one against the other).
func Postgres(tx storage.Tx) bool { return Of(tx).Dialector.Name() == "postgres" }
