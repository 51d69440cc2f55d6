package storage_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

// makePre0009 turns a fresh database back into what 0008 left: no test
// columns and contact identifiers unique across all contacts, with one
// contact in it.
func makePre0009(t *testing.T, s *storage.Store) {
	t.Helper()
	err := s.Write(t.Context(), func(tx storage.Tx) error {
		stmts := []string{
			`DROP INDEX idx_contacts_email_test`, `DROP INDEX idx_contacts_phone_test`,
			`DROP INDEX idx_contacts_external_id_test`, `DROP INDEX idx_runs_test_started`, `DROP INDEX idx_contacts_test_created`,
		}
		for _, table := range []string{"contacts", "contact_tags", "list_members", "deals", "tasks", "notes", "events", "messages"} {
			stmts = append(stmts, `ALTER TABLE `+table+` DROP COLUMN test`)
		}
		stmts = append(stmts,
			`CREATE UNIQUE INDEX idx_contacts_email ON contacts (email)`,
			`CREATE UNIQUE INDEX idx_contacts_phone ON contacts (phone)`,
			`CREATE UNIQUE INDEX idx_contacts_external_id ON contacts (external_id)`,
			`DELETE FROM schema_migrations WHERE id = '0009_test_data'`,
		)
		for _, q := range stmts {
			if err := gormdb.Of(tx).Exec(q).Error; err != nil {
				return err
			}
		}
		return gormdb.Of(tx).Exec(`INSERT INTO contacts (id, email, phone, first_name, score, created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
			"old-1", "ana@example.com", "+34600111222", "Ana", 0, time.Now().UTC(), time.Now().UTC()).Error
	})
	if err != nil {
		t.Fatalf("make a 0008 database: %v", err)
	}
}

// checkMigratedTo0009 checks that an upgraded database keeps its contact
// as a real one and accepts a test contact with the same email, while
// real contacts stay unique.
func checkMigratedTo0009(t *testing.T, s *storage.Store) {
	t.Helper()
	c, err := storage.FindContact(s.Reader(), storage.ContactRef{Email: "ana@example.com"})
	if err != nil || c.ID != "old-1" || c.Test {
		t.Fatalf("the contact from before the upgrade = %+v, %v; want old-1, real", c, err)
	}
	var test string
	err = s.Write(t.Context(), func(tx storage.Tx) (err error) {
		test, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ana@example.com", Phone: "+34600111222", Test: true}, time.Now())
		return err
	})
	if err != nil || test == "old-1" {
		t.Fatalf("test contact with the old contact's email = %q, %v; want a new one", test, err)
	}
	err = s.Write(t.Context(), func(tx storage.Tx) error {
		return gormdb.Of(tx).Exec(`INSERT INTO contacts (id, email, score, created_at, updated_at) VALUES (?,?,?,?,?)`,
			"dup", "ana@example.com", 0, time.Now().UTC(), time.Now().UTC()).Error
	})
	if err == nil {
		t.Fatalf("a second real contact with the same email was accepted after the upgrade")
	}
}

func TestMigration0009UpgradesSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	makePre0009(t, openSQLiteAt(t, path))
	checkMigratedTo0009(t, openSQLiteAt(t, path))
}

func TestMigration0009UpgradesPostgres(t *testing.T) {
	t.Parallel()
	dsn := storagetest.PostgresDSN(t)
	makePre0009(t, openPostgresDSN(t, dsn))
	checkMigratedTo0009(t, openPostgresDSN(t, dsn))
}
