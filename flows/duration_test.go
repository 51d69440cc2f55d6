package flows

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Duration
	}{
		{"seconds", "90s", 90 * time.Second},
		{"minutes", "15m", 15 * time.Minute},
		{"hours", "48h", 48 * time.Hour},
		{"days are 24 hours", "3d", 72 * time.Hour},
		{"weeks are 7 days", "2w", 14 * Day},
		{"days and hours combine", "1d12h", 36 * time.Hour},
		{"hours and minutes combine", "1h30m", 90 * time.Minute},
		{"every unit at once", "1w1d1h1m1s", Week + Day + time.Hour + time.Minute + time.Second},
		{"bare zero is zero", "0", 0},
		{"zero with a unit is zero", "0s", 0},
		{"surrounding spaces are ignored", " 3d ", 72 * time.Hour},
		{"leading zeros are fine", "007m", 7 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDurationRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, reason string
	}{
		{"empty text", "", "it is empty"},
		{"only spaces", "   ", "it is empty"},
		{"negative values", "-3d", "negative"},
		{"unknown units", "3y", `"y" is not a unit`},
		{"milliseconds", "90ms", `"ms" is not a unit`},
		{"a number without unit", "90", "has no unit"},
		{"a unit without number", "h", "whole number followed by a unit"},
		{"fractions", "1.5h", `"." is not a unit`},
		{"spaces inside", "2 days", "without spaces"},
		{"units out of order", "30m1h", "from largest to smallest"},
		{"a repeated unit", "1h1h", "from largest to smallest"},
		{"overflow of one part", "99999999999999999999s", "too long a time"},
		{"overflow of the sum", "15250w1000000h", "too long a time"},
		{"overlong input", strings.Repeat("1", 65) + "s", "longer than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseDuration(tt.in)
			if err == nil {
				t.Fatalf("ParseDuration(%q) succeeded, want an error", tt.in)
			}
			if !errors.Is(err, ErrBadDuration) {
				t.Errorf("error %v does not match ErrBadDuration", err)
			}
			var de *DurationError
			if !errors.As(err, &de) || !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("ParseDuration(%q) = %v, want a reason containing %q", tt.in, err, tt.reason)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"whole days", 72 * time.Hour, "3d"},
		{"days and hours", 36 * time.Hour, "1d12h"},
		{"seconds carry into minutes", 90 * time.Second, "1m30s"},
		{"weeks first", 10 * Day, "1w3d"},
		{"negative keeps its sign", -2 * time.Hour, "-2h"},
		{"fractions use Go notation", 1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Duration(tt.in).String(); got != tt.want {
				t.Fatalf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	t.Parallel()
	type holder struct {
		D Duration `json:"d"`
	}
	tests := []struct {
		name    string
		in      string
		want    Duration
		wantErr bool
	}{
		{"a string duration", `{"d":"1d12h"}`, Duration(36 * time.Hour), false},
		{"an empty string is zero", `{"d":""}`, 0, false},
		{"null leaves zero", `{"d":null}`, 0, false},
		{"a number is refused", `{"d":90}`, 0, true},
		{"a bad string is refused", `{"d":"2 dayz"}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h holder
			err := json.Unmarshal([]byte(tt.in), &h)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && h.D != tt.want {
				t.Fatalf("Unmarshal(%s) = %v, want %v", tt.in, h.D, tt.want)
			}
		})
	}
	t.Run("marshals to the short form", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(holder{D: Duration(90 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != `{"d":"1m30s"}` {
			t.Fatalf("Marshal = %s", b)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "15m", "48h", "3d", "2w", "1d12h", "1h30m", "0", "", "-1h", "2 dayz", "99999999999999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		text := Duration(d).String()
		back, err := ParseDuration(text)
		if err != nil {
			t.Fatalf("ParseDuration(%q) = %v, but its String %q does not parse: %v", s, d, text, err)
		}
		if back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v", s, d, text, back)
		}
	})
}
