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
// years 0-9999, written digit by digit; any other goes through
// time.Format.
func sqliteTime(t time.Time) string {
	if t.Location() != time.UTC {
		return t.Format(sqliteTimeLayout)
	}
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(sqliteTimeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [35]byte // "2006-01-02 15:04:05.999999999+00:00"
	digits(b[0:4], year)
	b[4] = '-'
	digits(b[5:7], int(month))
	b[7] = '-'
	digits(b[8:10], day)
	b[10] = ' '
	digits(b[11:13], hour)
	b[13] = ':'
	digits(b[14:16], minute)
	b[16] = ':'
	digits(b[17:19], sec)
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

// digits writes v into b as len(b) decimal digits, zero-padded.
func digits(b []byte, v int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}
