package storage

import "gorm.io/gorm"

// postgresDialect is the driver of PostgreSQL (pgx): several instances
// share one database, so concurrent claimers skip each other's rows.
type postgresDialect struct{}

// Name implements gorm.Plugin.
func (postgresDialect) Name() string { return dialectPlugin }

// Initialize implements gorm.Plugin.
func (postgresDialect) Initialize(*gorm.DB) error { return nil }

// Interface guards.
var _ dialect = postgresDialect{}
