package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Duration is a length of time written like "90s", "48h", "3d" or "1d12h".
// In JSON it is a string; it marshals back to the shortest such form.
type Duration time.Duration

// MaxDurationLen is the longest duration text ParseDuration accepts.
const MaxDurationLen = 64

// Day and Week are the calendar-free units ParseDuration understands:
// a day is always 24 hours and a week 7 days.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// durationUnits are the units of a duration, largest first.
var durationUnits = [...]struct {
	name string
	size time.Duration
}{
	{"w", Week},
	{"d", Day},
	{"h", time.Hour},
	{"m", time.Minute},
	{"s", time.Second},
}

// ErrBadDuration matches (errors.Is) every error of ParseDuration.
var ErrBadDuration = errors.New("bad duration")

// DurationError says why a text is not a duration.
type DurationError struct {
	// Input is the text that was parsed (cut to MaxDurationLen).
	Input string
	// Reason is a plain sentence fragment, e.g. `it uses the unknown unit "x"`.
	Reason string
}

func (e *DurationError) Error() string {
	return fmt.Sprintf("%q is not a duration: %s", e.Input, e.Reason)
}

// Is reports whether target is ErrBadDuration.
func (e *DurationError) Is(target error) bool { return target == ErrBadDuration }

func badDuration(s, reason string, args ...any) error {
	if len(s) > MaxDurationLen {
		s = s[:MaxDurationLen] + "..."
	}
	return &DurationError{Input: s, Reason: fmt.Sprintf(reason, args...)}
}

// ParseDuration parses "90s", "15m", "48h", "3d", "2w", and combinations
// like "1d12h". Each part is a whole number followed by a unit: s, m, h,
// d (24 hours) or w (7 days); units go from largest to smallest and appear
// once each. "0" alone is zero. Negative values are refused.
func ParseDuration(s string) (time.Duration, error) {
	if len(s) > MaxDurationLen {
		return 0, badDuration(s, "it is longer than %d characters", MaxDurationLen)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, badDuration(s, "it is empty")
	case s == "0":
		return 0, nil
	case s[0] == '-':
		return 0, badDuration(s, "it is negative")
	}
	var total time.Duration
	last := -1 // index in durationUnits of the previous unit
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, badDuration(s, "write a whole number followed by a unit, like \"3d\" or \"48h\"")
		}
		digits := rest[:i]
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit := rest[:j]
		rest = rest[j:]
		if unit == "" {
			return 0, badDuration(s, "a number has no unit; add s, m, h, d or w")
		}
		u := unitIndex(unit)
		if u < 0 && strings.ContainsAny(unit, " \t") {
			return 0, badDuration(s, "write it without spaces, like \"30d\" or \"1d12h\"")
		}
		if u < 0 {
			return 0, badDuration(s, "%q is not a unit; use s, m, h, d or w", unit)
		}
		if u <= last {
			return 0, badDuration(s, "list each unit once, from largest to smallest, like \"1d12h\"")
		}
		last = u
		n, ok := parseCount(digits)
		size := durationUnits[u].size
		if !ok || n > int64(math.MaxInt64/size) {
			return 0, badDuration(s, "it is too long a time")
		}
		part := time.Duration(n) * size
		if total > math.MaxInt64-part {
			return 0, badDuration(s, "it is too long a time")
		}
		total += part
	}
	return total, nil
}

// unitIndex returns the index of name in durationUnits, or -1.
func unitIndex(name string) int {
	for i, u := range durationUnits {
		if u.name == name {
			return i
		}
	}
	return -1
}

// parseCount parses a run of ASCII digits, reporting false on overflow.
func parseCount(digits string) (int64, bool) {
	var n int64
	for i := 0; i < len(digits); i++ {
		d := int64(digits[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// String writes d with the largest units first ("3d", "1d12h", "1m30s").
// Zero is "0s". A duration with a fraction of a second, which ParseDuration
// never produces, falls back to Go's notation.
func (d Duration) String() string {
	v := time.Duration(d)
	if v == 0 {
		return "0s"
	}
	if v%time.Second != 0 || v == math.MinInt64 {
		return v.String()
	}
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
		v = -v
	}
	for _, u := range durationUnits {
		if n := v / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			v -= n * u.size
		}
	}
	return b.String()
}

// MarshalJSON writes d as a string like "3d".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a string like "3d"; "" and null mean zero.
func (d *Duration) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return badDuration(string(data), "write it as text, like \"3d\" or \"48h\"")
	}
	if s == "" {
		*d = 0
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Interface guards.
var (
	_ json.Marshaler   = Duration(0)
	_ json.Unmarshaler = (*Duration)(nil)
	_ fmt.Stringer     = Duration(0)
)
