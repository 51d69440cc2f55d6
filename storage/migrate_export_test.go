package storage

import (
	"context"
	"io/fs"
	"log/slog"
	"strings"
)

// OpenUnmigrated opens dsn as Open does, but applies no migration.
func OpenUnmigrated(dsn string) (*Store, error) {
	logger := slog.New(slog.DiscardHandler)
	if path, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		return openSQLite(path, logger)
	}
	return openPostgres(dsn, logger)
}

// MigrateUpTo applies the pending migrations up to and including id.
func (s *Store) MigrateUpTo(ctx context.Context, id string) error {
	var list []migration
	for _, m := range migrations() {
		if m.ID <= id {
			list = append(list, m)
		}
	}
	return s.applyMigrations(ctx, list)
}

// MigrationIDs are the IDs of every migration, in order.
func MigrationIDs() []string {
	var ids []string
	for _, m := range migrations() {
		ids = append(ids, m.ID)
	}
	return ids
}

// GoMigrationIDs are the IDs of the migrations written in Go.
func GoMigrationIDs() []string {
	var ids []string
	for _, m := range goMigrations() {
		ids = append(ids, m.ID)
	}
	return ids
}

// MigrationFiles holds migrations/DIALECT/ID.up.sql.
var MigrationFiles fs.FS = migrationFiles

// SplitStatements splits a migration file as the runner does.
var SplitStatements = splitStatements

// MigrationIDPattern is the form of a migration ID.
var MigrationIDPattern = migrationID

// MigrateWithGo applies the migrations and one more written in Go, as a
// branch that still writes migrations in Go adds to goMigrations.
func (s *Store) MigrateWithGo(ctx context.Context, id string, up func(tx Tx) error) error {
	list := append(migrations(), migration{ID: id, Up: up})
	return s.applyMigrations(ctx, list)
}
