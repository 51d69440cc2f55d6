package nodes

import (
	"errors"
	"testing"
)

func TestTidyEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "  Ana.Lopez@Example.COM ", want: "ana.lopez@example.com"},
		{in: "a+tag@sub.example.co.uk", want: "a+tag@sub.example.co.uk"},
		{in: "", want: ""},
		{in: "ana", bad: true},
		{in: "ana@", bad: true},
		{in: "@example.com", bad: true},
		{in: "ana@localhost", bad: true},
		{in: "ana@example..com", bad: true},
		{in: "ana@example.com.", bad: true},
		{in: "Ana <ana@example.com>", bad: true},
		{in: "ana lopez@example.com", bad: true},
		{in: "a@b@example.com", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := TidyEmail(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrInvalidEmail) {
					t.Fatalf("TidyEmail(%q) = %q, %v; want ErrInvalidEmail", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TidyEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestTidyPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, region, want string
		bad              bool
	}{
		{in: "(201) 555-0123", region: "US", want: "+12015550123"},
		{in: "+34 612 34 56 78", region: "US", want: "+34612345678"},
		{in: "0034 612 345 678", region: "", want: "+34612345678"},
		{in: "612 345 678", region: "es", want: "+34612345678"},
		{in: "", region: "US", want: ""},
		{in: "12", region: "US", bad: true},
		{in: "not a phone", region: "US", bad: true},
		{in: "+1 000 000 0000", region: "US", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := TidyPhone(tt.in, tt.region)
			if tt.bad {
				if !errors.Is(err, ErrInvalidPhone) {
					t.Fatalf("TidyPhone(%q) = %q, %v; want ErrInvalidPhone", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TidyPhone(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
			}
		})
	}
}

func TestTidyName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"mARÍA o'neil", "María O'Neil"},
		{"  ana   lópez ", "Ana López"},
		{"JEAN-PIERRE", "Jean-Pierre"},
		{"van der berg", "van der Berg"},
		{"Jan van der Berg", "Jan van der Berg"},
		{"McDonald", "McDonald"},
		{"DeVito", "DeVito"},
		{"d’angelo", "D’Angelo"},
		{"de", "De"},
		{"ÉMILE ZOLA", "Émile Zola"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := TidyName(tt.in); got != tt.want {
				t.Fatalf("TidyName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitFullName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, first, last string }{
		{"Ana María López", "Ana", "María López"},
		{"Cher", "Cher", ""},
		{"  ", "", ""},
	}
	for _, tt := range tests {
		first, last := SplitFullName(tt.in)
		if first != tt.first || last != tt.last {
			t.Fatalf("SplitFullName(%q) = %q, %q; want %q, %q", tt.in, first, last, tt.first, tt.last)
		}
	}
}

func TestToAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want float64
		ok   bool
	}{
		{nil, 0, true},
		{490, 490, true},
		{int64(12), 12, true},
		{12.5, 12.5, true},
		{"1,200.50", 1200.5, true},
		{"$300", 300, true},
		{"€ 99", 99, true},
		{"", 0, true},
		{"lots", 0, false},
		{true, 0, false},
		{[]any{1}, 0, false},
	}
	for _, tt := range tests {
		got, err := toAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Fatalf("toAmount(%#v) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, errNotAmount) {
			t.Fatalf("toAmount(%#v) error %v is not errNotAmount", tt.in, err)
		}
	}
}
