package storage

import (
	"sort"
	"time"
)

// SplitPathCount is one path of an A/B split over a period: the distinct
// runs that took it and how many of those reached the journey's goal.
type SplitPathCount struct {
	NodeID    string
	Port      string
	Entered   int64
	Converted int64
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
