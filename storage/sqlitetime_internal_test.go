//go:build cgo

package storage

import (
	"database/sql/driver"
	"math/rand/v2"
	"testing"
	"time"
)

// TestSQLiteTimeIsWhatTheDriverWrites: a time bound as sqliteTime's text
// must be stored exactly as the driver stores a time.Time, or rows
// written before and after would compare and sort differently.
func TestSQLiteTimeIsWhatTheDriverWrites(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	times := []time.Time{
		{},
		time.Date(2026, 12, 7, 23, 59, 58, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120_000_000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.UTC),
		time.Date(999, 1, 2, 3, 4, 5, 100, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 1, 12, 0, 0, 500, madrid),
		time.Date(2026, 7, 1, 12, 0, 0, 500, time.FixedZone("GMT", 0)),
		time.Now(),
		time.Now().UTC(),
	}
	// Every UTC second from year 0 to 9999 is written digit by digit.
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		times = append(times, time.Unix(first+rnd.Int64N(last-first+1), rnd.Int64N(3)*rnd.Int64N(1e9)).UTC())
	}
	times = append(times, time.Unix(first, 0).UTC(), time.Unix(last, 999_999_999).UTC(),
		time.Unix(first-1, 0).UTC(), time.Unix(last+1, 0).UTC(), time.Unix(-1, 0).UTC(),
		time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), time.Date(2000, 3, 1, 0, 0, 0, 0, time.UTC))
	for _, tm := range times {
		if got, want := sqliteTime(tm), tm.Format(sqliteTimeLayout); got != want {
			t.Errorf("sqliteTime(%v) = %q, want %q", tm, got, want)
		}
	}
	args := []driver.NamedValue{{Ordinal: 1, Value: times[3]}, {Ordinal: 2, Value: "x"}, {Ordinal: 3, Value: nil}}
	bindTimesAsText(args)
	if args[0].Value != "2026-01-02 03:04:05.12+00:00" || args[1].Value != "x" || args[2].Value != nil {
		t.Errorf("bindTimesAsText: %v", args)
	}
}
