package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// A database made before runs.test_choices gains the column on the next
// start, and a run keeps its test choices.
func TestRunTestChoicesMigration(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	old := openSQLiteAt(t, path)
	err := old.Write(context.Background(), func(tx storage.Tx) error {
		if err := gormdb.Of(tx).Exec(`ALTER TABLE runs DROP COLUMN test_choices`).Error; err != nil {
			return err
		}
		return gormdb.Of(tx).Exec(`DELETE FROM schema_migrations WHERE id = ?`, "0010_run_test_choices").Error
	})
	if err != nil {
		t.Fatalf("make the database as it was before: %v", err)
	}
	s := openSQLiteAt(t, path)
	now := time.Now().UTC()
	run := &storage.Run{ID: storage.NewID(), FlowID: "f", Version: -1, Status: storage.RunRunning, Test: true,
		TestChoices: `{"check":{"port":"no"}}`, StartedAt: now, UpdatedAt: now}
	err = s.Write(context.Background(), func(tx storage.Tx) error { return storage.InsertRun(tx, run) })
	if err != nil {
		t.Fatalf("insert a run: %v", err)
	}
	got, err := storage.GetRun(s.Reader(), run.ID)
	if err != nil || got.TestChoices != run.TestChoices {
		t.Fatalf("run %+v, %v: want its test choices back", got, err)
	}
}
