package server

import (
	"fmt"
	"testing"
)

// Textbook cases of the pooled two-proportion z-test (z and the two-sided
// confidence 1-p; e.g. 100/1000 vs 130/1000 gives z = 2.103, p = 0.0355).
func TestTwoProportionZ(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		c1, n1, c2, n2 int64
		z, conf        string
		enough         bool
	}{
		{"10% vs 13% of 1000 each", 100, 1000, 130, 1000, "2.1027", "0.9645", true},
		{"equal rates", 200, 1000, 200, 1000, "0.0000", "0.0000", true},
		{"variant worse, not significant", 50, 500, 40, 500, "-1.1050", "0.7308", true},
		{"3% vs 4.5%, 92% confidence", 30, 1000, 45, 1000, "1.7655", "0.9225", true},
		{"control clearly better", 320, 1000, 250, 1000, "-3.4674", "0.9995", true},
		{"too few conversions", 2, 20, 4, 20, "0.8856", "0.6242", false},
		{"no conversions at all", 0, 100, 0, 100, "0.0000", "0.0000", false},
		{"empty variant", 10, 100, 0, 0, "0.0000", "0.0000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := twoProportionZ(tc.c1, tc.n1, tc.c2, tc.n2)
			if z, c := fmt.Sprintf("%.4f", got.Z), fmt.Sprintf("%.4f", got.Confidence); z != tc.z || c != tc.conf || got.Enough != tc.enough {
				t.Errorf("z %s confidence %s enough %v, want %s %s %v", z, c, got.Enough, tc.z, tc.conf, tc.enough)
			}
		})
	}
}

// The minimum sample per path is 5 conversions at the control's rate.
func TestMinSamplePerPath(t *testing.T) {
	t.Parallel()
	for rate, want := range map[float64]int64{0.1: 50, 0.02: 250, 0.5: 10, 0.9: 50, 0: 0, 1: 0, 0.03: 167} {
		if got := minSamplePerPath(rate); got != want {
			t.Errorf("rate %v: %d, want %d", rate, got, want)
		}
	}
}

// The verdict in plain words, with the control first.
func TestJudgeVerdict(t *testing.T) {
	t.Parallel()
	v := func(name string, n, c int64) variantResult {
		return variantResult{Name: name, Entries: n, Conversions: c}
	}
	for _, tc := range []struct {
		name   string
		vs     []variantResult
		winner string
		want   string
	}{
		{"variant wins", []variantResult{v("a", 1000, 100), v("b", 1000, 130)}, "b", "Path b converts better, 96% confidence."},
		{"control wins", []variantResult{v("a", 1000, 320), v("b", 1000, 250)}, "a", "Path a converts better, 99% confidence."},
		{"too close", []variantResult{v("a", 1000, 30), v("b", 1000, 45)}, "", "No clear winner yet: path b is ahead with 92% confidence (a winner needs 95%)."},
		{"small sample", []variantResult{v("a", 40, 4), v("b", 40, 3)}, "", "Not enough data yet: each path needs about 50 contacts and at least 5 conversions."},
		{"best of three", []variantResult{v("a", 1000, 100), v("b", 1000, 105), v("c", 1000, 140)}, "c", "Path c converts better, 99% confidence."},
		{"one path", []variantResult{v("a", 10, 1)}, "", "Not enough data yet."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := judge("split", "Split", tc.vs)
			if e.Winner != tc.winner || e.Verdict != tc.want {
				t.Errorf("winner %q verdict %q, want %q %q", e.Winner, e.Verdict, tc.winner, tc.want)
			}
		})
	}
}
