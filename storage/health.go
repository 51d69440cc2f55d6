package storage

import (
	"context"
	"fmt"
)

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.reader.WithContext(ctx).Exec("SELECT 1").Error; err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// PendingMigrations lists the migrations this binary knows that the
// database has not applied (none once Open succeeded, unless the schema
// was changed behind our back).
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	var ids []string
	if err := s.reader.WithContext(ctx).Model(&schemaMigration{}).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	applied := make(map[string]bool, len(ids))
	for _, id := range ids {
		applied[id] = true
	}
	var pending []string
	for _, m := range migrations() {
		if !applied[m.ID] {
			pending = append(pending, m.ID)
		}
	}
	return pending, nil
}
