package nodes

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ClockTime is a wall-clock time of day, such as 09:30. "24:00" is allowed
// as the end of a window that runs to midnight.
type ClockTime struct {
	Hour   int
	Minute int
}

// ParseClockTime parses "HH:MM" (or "H:MM") from 00:00 to 24:00.
func ParseClockTime(s string) (ClockTime, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || len(mm) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return ClockTime{}, fmt.Errorf("%q is not a time of day like 09:30", s)
	}
	return ClockTime{Hour: h, Minute: m}, nil
}

// String formats c as "HH:MM".
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// minutes is c as minutes since midnight.
func (c ClockTime) minutes() int { return c.Hour*60 + c.Minute }

// MarshalJSON writes c as "HH:MM".
func (c ClockTime) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// UnmarshalJSON reads "HH:MM".
func (c *ClockTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a time of day must be text like \"09:30\"")
	}
	t, err := ParseClockTime(s)
	if err != nil {
		return err
	}
	*c = t
	return nil
}

// weekdayNames are the values of a weekdays param, Sunday first as in
// time.Weekday.
var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekday parses "mon", "Monday", "tue", ... (case-insensitive).
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) >= 3 {
		for i, n := range weekdayNames {
			if strings.HasPrefix(s, n) {
				return time.Weekday(i), nil
			}
		}
	}
	return 0, fmt.Errorf("%q is not a day of the week like mon or tue", s)
}

// NextInWindow returns the earliest instant at or after now that lies in
// the window: on one of days (all days when empty), between from and to in
// loc's wall-clock time. When now is inside the window it returns now. The
// result is in loc.
//
// A window whose to is not after from crosses midnight (22:00–06:00); its
// part after midnight belongs to the day it started on, so with days =
// [mon], Tuesday 03:00 is inside. from == to means the whole day.
//
// Daylight saving changes are handled as a person would expect: a from that
// does not exist that day (skipped by spring-forward) starts the window at
// the first valid instant after it; a from that happens twice (fall-back)
// starts it at the first occurrence.
func NextInWindow(now time.Time, loc *time.Location, days []time.Weekday, from, to ClockTime) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	allowed := [7]bool{}
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			allowed[d] = true
		}
	}
	if len(days) == 0 {
		allowed = [7]bool{true, true, true, true, true, true, true}
	}
	local := now.In(loc)
	y, m, d := local.Date()
	endNextDay := to.minutes() <= from.minutes()
	// Yesterday's window may still be open (crossing midnight); a week and
	// a day ahead always holds an allowed day.
	for off := -1; off <= 8; off++ {
		day := time.Date(y, m, d+off, 0, 0, 0, 0, time.UTC)
		if !allowed[day.Weekday()] {
			continue
		}
		start := wallTime(loc, day, from)
		endDay := day
		if endNextDay {
			endDay = day.AddDate(0, 0, 1)
		}
		end := wallTime(loc, endDay, to)
		if !end.After(start) || !end.After(now) {
			continue
		}
		if start.After(now) {
			return start
		}
		return local
	}
	return local // no allowed day: cannot happen with a non-empty list
}

// wallTime is the instant the wall clock in loc shows c on the calendar
// date of day (whose zone is ignored). A time skipped by a daylight saving
// change gives the first instant after the gap; a time that happens twice
// gives the first occurrence.
func wallTime(loc *time.Location, day time.Time, c ClockTime) time.Time {
	y, m, d := day.Date()
	// The wall time as seconds, as if it were UTC.
	wall := time.Date(y, m, d, 0, c.minutes(), 0, 0, time.UTC).Unix()
	// Every offset in effect around that wall time is a candidate; keep the
	// earliest instant whose own offset agrees.
	var best time.Time
	for _, probe := range []int64{wall - 86400, wall, wall + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		t := time.Unix(wall-int64(off), 0).In(loc)
		if _, got := t.Zone(); got != off {
			continue
		}
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap: read the wall time with the offset from before the change;
	// that lands after the change, in the new zone, which begins at the
	// first valid instant after the gap.
	_, before := time.Unix(wall-86400, 0).In(loc).Zone()
	start, _ := time.Unix(wall-int64(before), 0).In(loc).ZoneBounds()
	return start.In(loc)
}
