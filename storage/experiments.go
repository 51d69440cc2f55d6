package storage

import (
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// SplitPathCount is one path of an A/B split over a period: the distinct
// runs that took it and how many of those reached the journey's goal.
type SplitPathCount struct {
	NodeID    string
	Port      string
	Entered   int64
	Converted int64
}

// SplitCounts counts, per A/B split step (node type nodeType) and path,
// the live runs of a flow started at or after since, and those of them
// that converted. Test runs are never counted.
func SplitCounts(db *gorm.DB, flowID, nodeType string, since time.Time) ([]SplitPathCount, error) {
	var out []SplitPathCount
	err := db.Table("steps").Joins("JOIN runs ON runs.id = steps.run_id").
		Where("runs.flow_id = ? AND runs.test = ? AND runs.started_at >= ? AND steps.node_type = ? AND steps.status = ? AND steps.port <> ''",
			flowID, false, since.UTC(), nodeType, "completed").
		Select("steps.node_id, steps.port, COUNT(DISTINCT steps.run_id) AS entered, "+
			"COUNT(DISTINCT CASE WHEN runs.outcome = ? THEN steps.run_id END) AS converted", OutcomeConverted).
		Group("steps.node_id, steps.port").Order("steps.node_id, steps.port").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count split paths: %w", err)
	}
	return out, nil
}

// JourneyTotals are a flow's headline numbers over a period.
type JourneyTotals struct {
	// Entries counts the live runs started in the period.
	Entries int64
	// Converted counts those that reached the goal.
	Converted int64
	// MedianToConvert is the median time from start to goal of the
	// converted runs (zero when none converted).
	MedianToConvert time.Duration
}

// FlowTotals reads a flow's entries, conversions and median time to
// convert for the live runs started at or after since.
func FlowTotals(db *gorm.DB, flowID string, since time.Time) (JourneyTotals, error) {
	var t JourneyTotals
	base := func() *gorm.DB {
		return db.Model(&Run{}).Where("flow_id = ? AND test = ? AND started_at >= ?", flowID, false, since.UTC())
	}
	if err := base().Count(&t.Entries).Error; err != nil {
		return t, fmt.Errorf("count entries: %w", err)
	}
	var spans []struct {
		StartedAt time.Time
		EndedAt   *time.Time
	}
	if err := base().Where("outcome = ? AND ended_at IS NOT NULL", OutcomeConverted).
		Select("started_at, ended_at").Scan(&spans).Error; err != nil {
		return t, fmt.Errorf("read conversion times: %w", err)
	}
	t.Converted = int64(len(spans))
	ds := make([]time.Duration, 0, len(spans))
	for _, s := range spans {
		if s.EndedAt != nil {
			ds = append(ds, s.EndedAt.Sub(s.StartedAt))
		}
	}
	t.MedianToConvert = median(ds)
	return t, nil
}

// median of ds (the mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	m := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[m]
	}
	return (ds[m-1] + ds[m]) / 2
}
