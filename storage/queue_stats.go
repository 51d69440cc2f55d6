package storage

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// QueueStats describes the job queue at one moment. Only unleased jobs
// count: a leased job is being worked on.
type QueueStats struct {
	// Due counts jobs due now.
	Due int64
	// Overdue counts jobs that were due before the overdue cut-off.
	Overdue int64
	// Pending counts jobs due later (delays, timeouts).
	Pending int64
	// OldestDue is the due time of the oldest due job (zero when none).
	OldestDue time.Time
}

// ReadQueueStats reads the queue with queries on the partial index of
// unleased jobs by due time (idx_jobs_free_due), so a scrape stays cheap
// with a million pending delays.
func ReadQueueStats(db Tx, now, overdueBefore time.Time) (QueueStats, error) {
	var q QueueStats
	free := func() *gorm.DB { return db.db.Model(&Job{}).Where("lease_until IS NULL") }
	if err := free().Where("due_at <= ?", now.UTC()).Count(&q.Due).Error; err != nil {
		return q, fmt.Errorf("count due jobs: %w", err)
	}
	if err := free().Where("due_at <= ?", overdueBefore.UTC()).Count(&q.Overdue).Error; err != nil {
		return q, fmt.Errorf("count overdue jobs: %w", err)
	}
	if err := free().Where("due_at > ?", now.UTC()).Count(&q.Pending).Error; err != nil {
		return q, fmt.Errorf("count pending jobs: %w", err)
	}
	var oldest Job
	err := free().Select("due_at").Where("due_at <= ?", now.UTC()).Order("due_at").Limit(1).Take(&oldest).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return q, fmt.Errorf("oldest due job: %w", err)
	default:
		q.OldestDue = oldest.DueAt
	}
	return q, nil
}

// ReleaseLeasesOf gives back the jobs owner still holds (a worker that
// stops before finishing its batch), due at once.
func ReleaseLeasesOf(tx Tx, owner string) (int64, error) {
	res := tx.db.Model(&Job{}).Where("lease_owner = ? AND lease_until IS NOT NULL", owner).
		Updates(map[string]any{"lease_owner": "", "lease_until": nil})
	if res.Error != nil {
		return 0, fmt.Errorf("release leases of %s: %w", owner, res.Error)
	}
	return res.RowsAffected, nil
}

// CountDueJobs counts the jobs due by now that no worker holds (on the
// partial index of unleased jobs by due time): the work an instance is
// behind with.
func CountDueJobs(db Tx, now time.Time) (int64, error) {
	var n int64
	if err := db.db.Model(&Job{}).Where("lease_until IS NULL AND due_at <= ?", now.UTC()).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count due jobs: %w", err)
	}
	return n, nil
}
