package server

import (
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// Nearest-rank percentiles of the time to first contact.
func TestPercentile(t *testing.T) {
	t.Parallel()
	m := time.Minute
	for _, c := range []struct {
		in          []time.Duration
		median, p90 float64
	}{
		{[]time.Duration{5 * m}, 300, 300},
		{[]time.Duration{5 * m, 10 * m, 60 * m}, 600, 3600},
		{[]time.Duration{1 * m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m, 10 * m}, 300, 540},
	} {
		if got := percentile(c.in, 0.5); got == nil || *got != c.median {
			t.Errorf("median of %v = %v, want %v", c.in, got, c.median)
		}
		if got := percentile(c.in, 0.9); got == nil || *got != c.p90 {
			t.Errorf("p90 of %v = %v, want %v", c.in, got, c.p90)
		}
	}
	if percentile(nil, 0.5) != nil {
		t.Error("the median of nothing must be null")
	}
}

// Weeks start on Monday and empty weeks are kept.
func TestBucketWeeks(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC) // a Wednesday
	until := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	days := []storage.AnalyticsDay{{Day: "2026-11-04", Entries: 1}, {Day: "2026-11-08", Entries: 2}, {Day: "2026-11-23", Entries: 4}}
	got := bucketDays(days, since, until, true)
	want := []struct {
		start   string
		entries int64
	}{{"2026-11-02", 3}, {"2026-11-09", 0}, {"2026-11-16", 0}, {"2026-11-23", 4}}
	if len(got) != len(want) {
		t.Fatalf("%d weeks, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Start != w.start || got[i].Entries != w.entries {
			t.Errorf("week %d: %s %d, want %s %d", i, got[i].Start, got[i].Entries, w.start, w.entries)
		}
	}
}
