package storage

import "gorm.io/gorm"

// sqliteDialect is the driver of SQLite (mattn/go-sqlite3): one writer
// connection, so statements never wait on each other's row locks.
type sqliteDialect struct{}

// Name implements gorm.Plugin.
func (sqliteDialect) Name() string { return dialectPlugin }

// Initialize implements gorm.Plugin.
func (sqliteDialect) Initialize(*gorm.DB) error { return nil }

// Interface guards.
var _ dialect = sqliteDialect{}
