package storage

import (
	"context"
	"fmt"
	"time"
)

// finalRunStatuses are the statuses of runs that ended.
var finalRunStatuses = []string{RunCompleted, RunFailed, RunCancelled}

// DeleteFinishedRuns deletes at most limit runs that ended before cutoff,
// oldest first, with their steps (and any job or wait left behind). Runs
// still running or waiting are never touched, nor are test runs (see
// DeleteOldTestData, which removes their test data too). It returns how many runs it
// deleted; fewer than limit means nothing older is left.
func DeleteFinishedRuns(tx Tx, cutoff time.Time, limit int) (int, error) {
	var ids []string
	err := tx.db.Model(&Run{}).Where("ended_at IS NOT NULL AND ended_at < ? AND status IN ? AND test = ?", cutoff.UTC(), finalRunStatuses, false).
		Order("ended_at").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("find finished runs: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := markRunsDays(rawOf(tx), ids); err != nil {
		return 0, err
	}
	for _, model := range []any{&Step{}, &Job{}, &Wait{}} {
		if err := tx.db.Where("run_id IN ?", ids).Delete(model).Error; err != nil {
			return 0, fmt.Errorf("delete data of finished runs: %w", err)
		}
	}
	if err := tx.db.Where("id IN ?", ids).Delete(&Run{}).Error; err != nil {
		return 0, fmt.Errorf("delete finished runs: %w", err)
	}
	return len(ids), nil
}

// SQLite auto_vacuum modes (PRAGMA auto_vacuum).
const (
	AutoVacuumNone        = 0
	AutoVacuumFull        = 1
	AutoVacuumIncremental = 2
)

// FileStats are SQLite's page counts: the file is PageCount pages, of
// which FreePages hold no data (space a vacuum gives back). File is false
// (and the counts zero) on PostgreSQL, whose autovacuum manages space.
type FileStats struct {
	File       bool
	PageCount  int64
	FreePages  int64
	AutoVacuum int
}

// SQLiteFileStats reads the page counts of the SQLite file (zero values on
// PostgreSQL).
func (s *Store) SQLiteFileStats(ctx context.Context) (FileStats, error) {
	return s.dl.fileStats(s.writer.WithContext(ctx))
}

// IncrementalVacuum gives the free pages of the SQLite file back to the
// file system (the file shrinks). It needs auto_vacuum=INCREMENTAL, which
// new databases get; on an older database it does nothing until VACUUM is
// run once (see the README). On PostgreSQL it does nothing.
func (s *Store) IncrementalVacuum(ctx context.Context) error {
	return s.dl.incrementalVacuum(s.writer.WithContext(ctx))
}
