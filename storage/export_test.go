package storage

import (
	"fmt"
	"reflect"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// UseMinBcryptCost makes password hashing fast for the tests. Call it from
// TestMain, before any test runs.
func UseMinBcryptCost() { bcryptCost = bcrypt.MinCost }

// BcryptPeak is the most bcrypt hashes that ran at once, and the cap.
func BcryptPeak() (peak int64, limit int) { return bcryptPeak.Load(), bcryptLimit }

// AnalyticsRaw counts f's period from the raw rows, whatever its bounds:
// what the rollups must equal.
func AnalyticsRaw(db Tx, f AnalyticsFilter) (*AnalyticsTotals, error) {
	t := &AnalyticsTotals{Channels: map[string]*ChannelCounts{}}
	return t, analyticsRaw(rawOf(db), f, t)
}

// FunnelMatchesRaw compares flowID's funnel since a time as NodeStats and
// SplitCounts read it (rollups and a part of a day) with the raw rows
// counted at once, and FlowTotals likewise; it describes any difference.
func FunnelMatchesRaw(db Tx, flowID string, since time.Time) (string, error) {
	r := rawOf(db)
	got, err := flowFunnel(r, flowID, since)
	if err != nil {
		return "", err
	}
	all := AnalyticsFilter{FlowID: flowID, Since: since, Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	want := newFunnel()
	if err := eachFunnel(r, all, func(string) *funnel { return want }); err != nil {
		return "", err
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("funnel:\n got %v %v %v\nwant %v %v %v", got.steps, deref3(got.runs), got.paths, want.steps, deref3(want.runs), want.paths), nil
	}
	totals, err := FlowTotals(db, flowID, since)
	if err != nil {
		return "", err
	}
	var times []time.Duration
	if err := eachConversionTime(r, all, func(_ string, d time.Duration) { times = append(times, d) }); err != nil {
		return "", err
	}
	var entries int64
	where, args := runsWhere(all)
	if err := r.queryRow(`SELECT COUNT(*) FROM runs r WHERE `+where, args...).Scan(&entries); err != nil {
		return "", err
	}
	wantTotals := JourneyTotals{Entries: entries, Converted: int64(len(times)), MedianToConvert: median(times)}
	if totals != wantTotals {
		return fmt.Sprintf("totals: got %+v, want %+v", totals, wantTotals), nil
	}
	return "", nil
}

func deref3(m map[string]*nodeRuns) map[string]nodeRuns {
	out := map[string]nodeRuns{}
	for k, v := range m {
		out[k] = *v
	}
	return out
}
