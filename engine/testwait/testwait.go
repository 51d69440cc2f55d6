// Package testwait bounds the waits of slow tests (processes, browsers,
// load and fault tests) by progress instead of a fixed wall-clock limit,
// so that a loaded machine makes them slower, never red.
//
// A wait that can watch a count (runs finished, webhooks accepted) fails
// only when that count has not grown for a stall period. A single step
// that reports no progress (a process starting, a browser step) gets a
// limit multiplied by Scale. It imports nothing of ours, so any test may
// use it.
package testwait

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvScale names the variable that sets the factor by hand, e.g.
// JOURNEY_TEST_TIME_SCALE=5 on a slow or shared machine.
const EnvScale = "JOURNEY_TEST_TIME_SCALE"

// maxAutoScale caps the factor taken from the load average, so that a hung
// step still fails within a bounded time.
const maxAutoScale = 10

// Scale is the factor applied to every limit: JOURNEY_TEST_TIME_SCALE when
// it holds a number of at least 1; otherwise the one-minute load average
// per CPU (read from /proc/loadavg) when above 1, capped at 10; otherwise 1.
// It is read at each call, so a limit set while the machine gets busier
// grows with it.
func Scale() float64 {
	if v, err := strconv.ParseFloat(strings.TrimSpace(os.Getenv(EnvScale)), 64); err == nil && v >= 1 {
		return v
	}
	return loadScale()
}

func loadScale() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 1
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 1
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 1
	}
	return min(max(1, load/float64(runtime.NumCPU())), maxAutoScale)
}

// Scaled returns d multiplied by Scale.
func Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Scale())
}

// Progress tells a wait that still advances from one that is stuck. Each
// call of Stalled reports the current count; the wait is stalled when the
// count has not exceeded its highest value for the stall period (scaled).
// A count that drops (the database is down and answers nothing) and comes
// back is not progress. The zero value is not usable; use NewProgress.
type Progress struct {
	stall time.Duration
	best  int64
	since time.Time
	seen  bool
}

// NewProgress starts watching; the stall period runs from now.
func NewProgress(stall time.Duration) *Progress {
	return &Progress{stall: stall, since: time.Now()}
}

// Stalled records n and reports whether no count above the best so far
// has been seen for the stall period multiplied by Scale.
func (p *Progress) Stalled(n int64) bool {
	if !p.seen || n > p.best {
		p.best, p.seen, p.since = n, true, time.Now()
		return false
	}
	return time.Since(p.since) > Scaled(p.stall)
}

// Idle returns how long the count has not grown.
func (p *Progress) Idle() time.Duration { return time.Since(p.since) }

// Until calls check every poll until it reports done, and returns true; it
// returns false once the progress check reports has not grown for the
// stall period (scaled).
func Until(poll, stall time.Duration, check func() (progress int64, done bool)) bool {
	p := NewProgress(stall)
	for {
		n, done := check()
		if done {
			return true
		}
		if p.Stalled(n) {
			return false
		}
		time.Sleep(poll)
	}
}

// WhileProgressing returns a context that ends when parent ends or when
// progress has not grown for the stall period (scaled), checked every
// poll. Call cancel to release it.
func WhileProgressing(parent context.Context, poll, stall time.Duration, progress func() int64) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancelCtx := context.WithCancel(parent)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := NewProgress(stall)
		tick := time.NewTicker(poll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if p.Stalled(progress()) {
					cancelCtx()
					return
				}
			}
		}
	}()
	return ctx, func() { cancelCtx(); wg.Wait() }
}
