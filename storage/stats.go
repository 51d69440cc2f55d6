package storage

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// NodeStepCount is how many steps of one node ended with a status and a
// port, over a flow's runs.
type NodeStepCount struct {
	NodeID   string
	NodeType string
	Status   string
	Port     string
	N        int64
}

// NodeCount is a number per node (distinct runs).
type NodeCount struct {
	NodeID string
	N      int64
}

// FlowNodeStats holds the raw numbers behind the editor's per-node counts
// for the runs of one flow started since a time (test runs excluded).
type FlowNodeStats struct {
	// Steps counts step records by node, status and port.
	Steps []NodeStepCount
	// Entered counts the distinct runs that reached each node.
	Entered []NodeCount
	// Failed counts the distinct runs whose step at the node failed for good.
	Failed []NodeCount
	// Converted counts the distinct runs through each node that reached the goal.
	Converted []NodeCount
	// Waiting counts the runs waiting at each node now (delay or event wait).
	Waiting []NodeCount
	// ConvertedTotal and WaitingTotal count runs, not nodes.
	ConvertedTotal int64
	WaitingTotal   int64
}

// OutcomeConverted is the outcome of a run that reached its flow's goal.
const OutcomeConverted = "converted"

// NodeStats reads the per-node numbers of a flow's runs started at or
// after since. Every query groups in the database, so the cost follows the
// number of steps of the period, not of the flow's history.
func NodeStats(db *gorm.DB, flowID string, since time.Time) (*FlowNodeStats, error) {
	since = since.UTC()
	runs := func() *gorm.DB {
		return db.Table("steps").Joins("JOIN runs ON runs.id = steps.run_id").
			Where("runs.flow_id = ? AND runs.test = ? AND runs.started_at >= ?", flowID, false, since)
	}
	var s FlowNodeStats
	if err := runs().Select("steps.node_id, steps.node_type, steps.status, steps.port, COUNT(*) AS n").
		Group("steps.node_id, steps.node_type, steps.status, steps.port").Scan(&s.Steps).Error; err != nil {
		return nil, fmt.Errorf("count steps: %w", err)
	}
	if err := runs().Where("steps.status <> ?", "timed_out").Select("steps.node_id, COUNT(DISTINCT steps.run_id) AS n").
		Group("steps.node_id").Scan(&s.Entered).Error; err != nil {
		return nil, fmt.Errorf("count entered: %w", err)
	}
	if err := runs().Where("steps.status = ?", "failed").Select("steps.node_id, COUNT(DISTINCT steps.run_id) AS n").
		Group("steps.node_id").Scan(&s.Failed).Error; err != nil {
		return nil, fmt.Errorf("count failed: %w", err)
	}
	if err := runs().Where("runs.outcome = ?", OutcomeConverted).Select("steps.node_id, COUNT(DISTINCT steps.run_id) AS n").
		Group("steps.node_id").Scan(&s.Converted).Error; err != nil {
		return nil, fmt.Errorf("count converted: %w", err)
	}
	if err := db.Table("jobs").Joins("JOIN runs ON runs.id = jobs.run_id").
		Where("runs.flow_id = ? AND runs.test = ? AND runs.started_at >= ? AND runs.status = ? AND jobs.kind IN ?",
			flowID, false, since, RunWaiting, []string{JobResume, JobTimeout}).
		Select("jobs.node_id, COUNT(DISTINCT jobs.run_id) AS n").Group("jobs.node_id").Scan(&s.Waiting).Error; err != nil {
		return nil, fmt.Errorf("count waiting: %w", err)
	}
	base := db.Model(&Run{}).Where("flow_id = ? AND test = ? AND started_at >= ?", flowID, false, since)
	if err := base.Where("outcome = ?", OutcomeConverted).Count(&s.ConvertedTotal).Error; err != nil {
		return nil, fmt.Errorf("count converted runs: %w", err)
	}
	if err := db.Model(&Run{}).Where("flow_id = ? AND test = ? AND started_at >= ? AND status = ?", flowID, false, since, RunWaiting).
		Count(&s.WaitingTotal).Error; err != nil {
		return nil, fmt.Errorf("count waiting runs: %w", err)
	}
	return &s, nil
}
