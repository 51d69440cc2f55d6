package nodes

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return tm
}

func clock(t *testing.T, s string) ClockTime {
	t.Helper()
	c, err := ParseClockTime(s)
	if err != nil {
		t.Fatalf("clock %s: %v", s, err)
	}
	return c
}

func TestNextInWindow(t *testing.T) {
	t.Parallel()
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	all := []time.Weekday{}
	mon := []time.Weekday{time.Monday}
	// 2026-11-23 is a Monday; Madrid is UTC+1 then.
	tests := []struct {
		name     string
		zone     string
		now      string
		days     []time.Weekday
		from, to string
		want     string
	}{
		{"inside the window continues now", "Europe/Madrid", "2026-11-24T10:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-24T10:00:00+01:00"},
		{"at the opening instant continues now", "Europe/Madrid", "2026-11-24T09:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-24T09:00:00+01:00"},
		{"before the window waits for it the same day", "Europe/Madrid", "2026-11-24T07:30:00+01:00", weekdays, "09:00", "17:00", "2026-11-24T09:00:00+01:00"},
		{"at the closing instant waits for the next day", "Europe/Madrid", "2026-11-24T17:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-25T09:00:00+01:00"},
		{"after the window waits for the next allowed day", "Europe/Madrid", "2026-11-24T18:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-25T09:00:00+01:00"},
		{"friday evening skips the weekend", "Europe/Madrid", "2026-11-27T18:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-30T09:00:00+01:00"},
		{"saturday skips to monday", "Europe/Madrid", "2026-11-28T12:00:00+01:00", weekdays, "09:00", "17:00", "2026-11-30T09:00:00+01:00"},
		{"now given in another zone is read in the contact's", "America/New_York", "2026-11-24T13:00:00Z", weekdays, "09:00", "17:00", "2026-11-24T09:00:00-05:00"},
		{"no days means every day", "Europe/Madrid", "2026-11-28T12:00:00+01:00", all, "09:00", "17:00", "2026-11-28T12:00:00+01:00"},
		{"same from and to means all day", "Europe/Madrid", "2026-11-28T03:00:00+01:00", mon, "00:00", "00:00", "2026-11-30T00:00:00+01:00"},
		{"window to midnight", "Europe/Madrid", "2026-11-23T23:59:00+01:00", mon, "20:00", "24:00", "2026-11-23T23:59:00+01:00"},

		{"across midnight: late evening of an allowed day is inside", "Europe/Madrid", "2026-11-23T23:00:00+01:00", mon, "22:00", "06:00", "2026-11-23T23:00:00+01:00"},
		{"across midnight: after midnight belongs to the starting day", "Europe/Madrid", "2026-11-24T03:00:00+01:00", mon, "22:00", "06:00", "2026-11-24T03:00:00+01:00"},
		{"across midnight: early monday belongs to sunday, which is not allowed", "Europe/Madrid", "2026-11-23T05:00:00+01:00", mon, "22:00", "06:00", "2026-11-23T22:00:00+01:00"},
		{"across midnight: before the evening start", "Europe/Madrid", "2026-11-23T21:00:00+01:00", mon, "22:00", "06:00", "2026-11-23T22:00:00+01:00"},
		{"across midnight: after the morning end waits a week", "Europe/Madrid", "2026-11-24T07:00:00+01:00", mon, "22:00", "06:00", "2026-11-30T22:00:00+01:00"},

		{"Madrid spring-forward: a start that does not exist opens at 03:00", "Europe/Madrid", "2026-03-29T00:00:00+01:00", all, "02:30", "05:00", "2026-03-29T03:00:00+02:00"},
		{"Madrid spring-forward: next morning uses summer time", "Europe/Madrid", "2026-03-28T18:00:00+01:00", all, "09:00", "17:00", "2026-03-29T09:00:00+02:00"},
		{"Madrid spring-forward: a window inside the gap is skipped", "Europe/Madrid", "2026-03-29T00:00:00+01:00", all, "02:00", "02:30", "2026-03-30T02:00:00+02:00"},
		{"Madrid fall-back: an ambiguous start takes the first occurrence", "Europe/Madrid", "2026-10-25T00:00:00+02:00", all, "02:30", "04:00", "2026-10-25T02:30:00+02:00"},
		{"Madrid fall-back: the second 02:45 is inside", "Europe/Madrid", "2026-10-25T02:45:00+01:00", all, "02:30", "04:00", "2026-10-25T02:45:00+01:00"},
		{"Madrid fall-back: next morning uses winter time", "Europe/Madrid", "2026-10-24T18:00:00+02:00", all, "09:00", "17:00", "2026-10-25T09:00:00+01:00"},
		{"New York spring-forward: a start that does not exist opens at 03:00", "America/New_York", "2026-03-08T00:00:00-05:00", all, "02:30", "05:00", "2026-03-08T03:00:00-04:00"},
		{"New York spring-forward: a window across midnight ends in summer time", "America/New_York", "2026-03-08T04:00:00-04:00", all, "22:00", "06:00", "2026-03-08T04:00:00-04:00"},
		{"New York fall-back: an ambiguous start takes the first occurrence", "America/New_York", "2026-11-01T00:00:00-04:00", all, "01:30", "03:00", "2026-11-01T01:30:00-04:00"},
		{"New York fall-back: after the window waits for the next day", "America/New_York", "2026-11-01T03:30:00-05:00", all, "01:30", "03:00", "2026-11-02T01:30:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := mustLoad(t, tt.zone)
			got := NextInWindow(mustTime(t, tt.now), loc, tt.days, clock(t, tt.from), clock(t, tt.to))
			want := mustTime(t, tt.want)
			if !got.Equal(want) {
				t.Fatalf("NextInWindow(%s, %s, %v, %s-%s) = %s, want %s", tt.now, tt.zone, tt.days, tt.from, tt.to,
					got.In(loc).Format(time.RFC3339), want.In(loc).Format(time.RFC3339))
			}
			if got.Location() != loc {
				t.Fatalf("result is in %s, want %s", got.Location(), loc)
			}
		})
	}
}

func TestNextInWindowNilLocationIsUTC(t *testing.T) {
	t.Parallel()
	now := mustTime(t, "2026-11-24T07:00:00Z")
	got := NextInWindow(now, nil, nil, clock(t, "09:00"), clock(t, "17:00"))
	if want := mustTime(t, "2026-11-24T09:00:00Z"); !got.Equal(want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestParseClockTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"09:00", "09:00", true},
		{"9:30", "09:30", true},
		{"23:59", "23:59", true},
		{"24:00", "24:00", true},
		{"24:30", "", false},
		{"25:00", "", false},
		{"09:60", "", false},
		{"09:5", "", false},
		{"nine", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseClockTime(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseClockTime(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && got.String() != tt.want {
				t.Fatalf("ParseClockTime(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseWeekday(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Weekday{"mon": time.Monday, "Sunday": time.Sunday, "SAT": time.Saturday, " tue ": time.Tuesday} {
		got, err := ParseWeekday(in)
		if err != nil || got != want {
			t.Fatalf("ParseWeekday(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "mo", "xyz"} {
		if _, err := ParseWeekday(in); err == nil {
			t.Fatalf("ParseWeekday(%q) succeeded, want an error", in)
		}
	}
}
