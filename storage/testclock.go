package storage

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotTestRun refuses to fast-forward a run that real contacts are in.
var ErrNotTestRun = errors.New("not a test run")

// SkippedWait is a delay or event timeout of a test run made due at once.
type SkippedWait struct {
	JobID  int64     `json:"-"`
	NodeID string    `json:"node_id"`
	Kind   string    `json:"kind"`
	DueAt  time.Time `json:"due_at"`
}

// SkipTestWaits makes the pending delays and event timeouts of a test run
// due now, so that a test need not wait days. It returns when each would
// have run. Jobs a worker holds already are left alone.
func SkipTestWaits(tx Tx, runID string, now time.Time) ([]SkippedWait, error) {
	run, err := GetRun(tx, runID)
	if err != nil {
		return nil, err
	}
	if !run.Test {
		return nil, ErrNotTestRun
	}
	var jobs []Job
	if err := tx.db.Where("run_id = ? AND kind IN ? AND lease_owner = ?", runID, []string{JobResume, JobTimeout}, "").
		Order("due_at").Find(&jobs).Error; err != nil {
		return nil, fmt.Errorf("find waits of run %s: %w", runID, err)
	}
	out := make([]SkippedWait, 0, len(jobs))
	for _, j := range jobs {
		if !j.DueAt.After(now) {
			continue
		}
		if err := tx.db.Model(&Job{}).Where("id = ? AND lease_owner = ?", j.ID, "").Update("due_at", now.UTC()).Error; err != nil {
			return nil, fmt.Errorf("skip wait %d: %w", j.ID, err)
		}
		out = append(out, SkippedWait{JobID: j.ID, NodeID: j.NodeID, Kind: j.Kind, DueAt: j.DueAt.UTC()})
	}
	return out, nil
}

// JobsLeft counts which of the jobs still exist.
func JobsLeft(db Tx, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	if err := db.db.Model(&Job{}).Where("id IN ?", ids).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count jobs: %w", err)
	}
	return n, nil
}
