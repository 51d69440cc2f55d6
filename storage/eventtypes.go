package storage

import (
	"fmt"
)

// RecentEventTypes returns the distinct types of the latest scan events
// (ids are time-ordered UUIDv7), sorted: a bounded read on the primary key,
// for pickers, however large the events table grows.
func RecentEventTypes(db Tx, scan int) ([]string, error) {
	var types []string
	recent := db.db.Model(&Event{}).Select("type").Order("id DESC").Limit(scan)
	if err := db.db.Table("(?) AS recent", recent).Distinct("type").Order("type").Pluck("type", &types).Error; err != nil {
		return nil, fmt.Errorf("recent event types: %w", err)
	}
	return types, nil
}
