package storage

import (
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// ScheduleTick records that a schedule trigger fired for one tick. Its key
// (flow, node, tick) is the primary key, so however many instances hold a
// job for the same tick, only the first to commit starts a run.
type ScheduleTick struct {
	FlowID    string    `gorm:"primaryKey;size:100"`
	NodeID    string    `gorm:"primaryKey;size:100"`
	Tick      time.Time `gorm:"primaryKey"`
	Version   int       `gorm:"not null"`
	RunID     string    `gorm:"size:36"`
	CreatedAt time.Time `gorm:"not null"`
}

func (ScheduleTick) TableName() string { return "schedule_ticks" }

// ClaimScheduleTick records a tick as fired; false when it was fired
// already (by this or another instance).
func ClaimScheduleTick(tx Tx, t *ScheduleTick) (bool, error) {
	t.Tick = t.Tick.UTC()
	res := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(t)
	if res.Error != nil {
		return false, fmt.Errorf("claim schedule tick: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// SetScheduleTickRun notes the run a fired tick started.
func SetScheduleTickRun(tx Tx, flowID, nodeID string, tick time.Time, runID string) error {
	err := tx.db.Model(&ScheduleTick{}).Where("flow_id = ? AND node_id = ? AND tick = ?", flowID, nodeID, tick.UTC()).
		Update("run_id", runID).Error
	if err != nil {
		return fmt.Errorf("schedule tick run: %w", err)
	}
	return nil
}
