package main

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: 2^subBits buckets per power of
// two, so a recorded latency is off by less than 1/128 (under 1 %).
const subBits = 7

// histogram counts latencies in log-linear buckets, like HdrHistogram: a
// fixed 64 KiB however many requests are recorded, so a long run cannot
// grow the load tool's memory.
type histogram struct {
	counts [64 << subBits]uint64
	total  uint64
	max    time.Duration
}

// bucket returns the index of a value in nanoseconds: values below
// 2^subBits have a bucket each, larger ones keep their top subBits+1 bits.
func bucket(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	shift := bits.Len64(v) - 1 - subBits
	return (shift+1)<<subBits + int(v>>shift) - 1<<subBits
}

// bucketTop is the largest value that falls in bucket i, so a percentile
// is never reported lower than it was.
func bucketTop(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	shift := i>>subBits - 1
	low := uint64(i&(1<<subBits-1)+1<<subBits) << shift
	return low + (uint64(1)<<shift - 1)
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucket(uint64(d))]++
	h.total++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// percentile returns the latency below or at which p percent of the
// recorded requests fall (0 when nothing was recorded).
func (h *histogram) percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.total))
	if float64(rank) < p/100*float64(h.total) || rank == 0 {
		rank++ // the nearest-rank method rounds up
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketTop(i)), h.max)
		}
	}
	return h.max
}
