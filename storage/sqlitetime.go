//go:build cgo

package storage

import (
	"database/sql/driver"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteTimeLayout is how mattn/go-sqlite3 writes a time.Time it binds.
var sqliteTimeLayout = sqlite3.SQLiteTimestampFormats[0]

// bindTimesAsText replaces the time.Time arguments of a statement with
// the text the driver would bind for them, formatted by sqliteTime: the
// SQLite writer binds a dozen times a run, and time.Format reads its
// layout each time (what that cost is in the README's Benchmarks).
func bindTimesAsText(args []driver.NamedValue) {
	for i := range args {
		if t, ok := args[i].Value.(time.Time); ok {
			args[i].Value = sqliteTime(t)
		}
	}
}

// sqliteTime is t.Format(sqliteTimeLayout) ("2006-01-02
// 15:04:05.999999999-07:00") for the times the engine stores, in UTC and
// years 1-9999, computed from the Unix time; any other goes through
// time.Format.
func sqliteTime(t time.Time) string {
	secs := t.Unix()
	if t.Location() != time.UTC || secs < minSQLiteTime || secs > maxSQLiteTime {
		return t.Format(sqliteTimeLayout)
	}
	days, daySecs := secs/86400, int(secs%86400)
	if daySecs < 0 {
		days, daySecs = days-1, daySecs+86400
	}
	year, month, day := civil(days)
	var b [35]byte // "2006-01-02 15:04:05.999999999+00:00"
	digits(b[0:4], year)
	b[4] = '-'
	digits(b[5:7], month)
	b[7] = '-'
	digits(b[8:10], day)
	b[10] = ' '
	digits(b[11:13], daySecs/3600)
	b[13] = ':'
	digits(b[14:16], daySecs/60%60)
	b[16] = ':'
	digits(b[17:19], daySecs%60)
	n := 19
	if ns := t.Nanosecond(); ns != 0 {
		b[19] = '.'
		digits(b[20:29], ns)
		n = 29
		for b[n-1] == '0' { // .999999999 drops trailing zeros
			n--
		}
	}
	n += copy(b[n:], "+00:00")
	return string(b[:n])
}

// The Unix times of 0001-01-01 (the zero time.Time) and 9999-12-31
// 23:59:59 UTC.
const (
	minSQLiteTime = -62135596800
	maxSQLiteTime = 253402300799
)

// civil is the proleptic Gregorian date of days since 1970-01-01, for
// days from year 0's March 1st on (Howard Hinnant's civil_from_days).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// digits writes v into b as len(b) decimal digits, zero-padded.
func digits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}
