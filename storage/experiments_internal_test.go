package storage

import (
	"testing"
	"time"
)

// The median time to convert: the middle value, or the mean of the middle
// two for an even count, whatever order the rows come in.
func TestMedian(t *testing.T) {
	t.Parallel()
	m := time.Minute
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5 * m}, 5 * m},
		{[]time.Duration{9 * m, 1 * m, 3 * m}, 3 * m},
		{[]time.Duration{4 * m, 1 * m, 10 * m, 2 * m}, 3 * m},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
