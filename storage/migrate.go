package storage

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"
)

// migration is one schema change. Migrations are applied in slice order,
// each in its own transaction, and recorded in schema_migrations. A
// shipped migration is never edited: add a new one.
type migration struct {
	// ID is unique and never changes, e.g. "0001_initial".
	ID string
	// Up applies the change inside tx.
	Up func(tx *gorm.DB) error
}

// migrations returns the ordered list of schema changes.
func migrations() []migration {
	return []migration{
		{ID: "0001_initial", Up: migrateInitial},
		{ID: "0002_settings", Up: migrateSettings},
		{ID: "0003_channels", Up: migrateChannels},
		{ID: "0004_run_retention", Up: migrateRunRetention},
		{ID: "0005_erasure_suppressions", Up: migrateErasureSuppressions},
		{ID: "0006_audit_log", Up: migrateAuditLog},
		{ID: "0007_schedule_ticks", Up: migrateScheduleTicks},
		{ID: "0008_flow_revisions", Up: migrateFlowRevisions},
		{ID: "0009_test_data", Up: migrateTestData},
		{ID: "0010_run_test_choices", Up: migrateRunTestChoices},
		{ID: "0011_flow_saves", Up: migrateFlowSaves},
		{ID: "0012_event_type_at", Up: migrateEventTypeAt},
		{ID: "0013_analytics_indexes", Up: migrateAnalyticsIndexes},
		{ID: "0014_replay_tokens", Up: migrateReplayTokens},
		{ID: "0015_lead_routing", Up: migrateLeadRouting},
	}
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	ID        string    `gorm:"primaryKey;size:100"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// allModels is every table of models.go.
func allModels() []any {
	return []any{
		&Flow{}, &FlowVersion{}, &Trigger{},
		&Run{}, &Step{}, &Job{}, &Wait{}, &Event{},
		&Contact{}, &ContactTag{}, &List{}, &ListMember{},
		&Deal{}, &Task{}, &Note{}, &Effect{},
		&User{}, &Session{}, &APIToken{},
	}
}

func migrateInitial(tx *gorm.DB) error {
	if err := tx.AutoMigrate(allModels()...); err != nil {
		return err
	}
	// Unleased jobs ordered by due time: the claim query's main path.
	// (Jobs whose lease expired are found through lease_until.)
	return tx.Exec(`CREATE INDEX IF NOT EXISTS idx_jobs_free_due ON jobs (due_at, id) WHERE lease_until IS NULL`).Error
}

// migrate applies the pending migrations. On PostgreSQL every migration
// transaction first takes a transaction-scoped advisory lock (per schema),
// so instances starting together apply each migration exactly once.
func (s *Store) migrate(ctx context.Context) error {
	var lockKey int64
	if s.postgres {
		var schema string
		if err := s.writer.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			return fmt.Errorf("migrate: current schema: %w", err)
		}
		h := fnv.New64a()
		_, _ = h.Write([]byte("journey.migrate:" + schema))
		lockKey = int64(h.Sum64()) //nolint:gosec // a lock id, overflow intended
	}
	lock := func(tx *gorm.DB) error {
		if !s.postgres {
			return nil // the single writer connection serializes SQLite
		}
		return tx.Exec("SELECT pg_advisory_xact_lock(?)", lockKey).Error
	}

	var applied map[string]bool
	err := s.Write(ctx, func(tx *gorm.DB) error {
		if err := lock(tx); err != nil {
			return err
		}
		if err := tx.AutoMigrate(&schemaMigration{}); err != nil {
			return err
		}
		var ids []string
		if err := tx.Model(&schemaMigration{}).Pluck("id", &ids).Error; err != nil {
			return err
		}
		applied = make(map[string]bool, len(ids))
		for _, id := range ids {
			applied[id] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: schema_migrations: %w", err)
	}

	for _, m := range migrations() {
		if applied[m.ID] {
			continue
		}
		err := s.Write(ctx, func(tx *gorm.DB) error {
			if err := lock(tx); err != nil {
				return err
			}
			// Another instance may have applied it while we waited.
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("id = ?", m.ID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{ID: m.ID, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.ID, err)
		}
	}
	return nil
}
