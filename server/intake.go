package server

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"
)

// Webhook intake defaults (see Config.HookConcurrency and HookRate).
const (
	// DefaultHookConcurrency is how many /hooks/* requests are decoded and
	// stored at once; a request's decoding costs a few times its body, so
	// this bounds the memory of a flood.
	DefaultHookConcurrency = 32
	// DefaultHookRate is how many /hooks/* requests a minute one client
	// address may send (bursts of the same size are allowed).
	DefaultHookRate = 6000
	// hookBodyBudget bounds the bytes of bodies being decoded at once:
	// decoded JSON costs several times its text (up to ~7x for many small
	// fields), so eight 1 MiB bodies at a time, or hundreds of small
	// ones. The others wait their turn, up to hookQueueWait.
	hookBodyBudget = 8 << 20
	// hookMinWeight is what a small body counts for.
	hookMinWeight = 16 << 10
	// hookQueueWait is how long a request waits for the body budget
	// before it is answered 429.
	hookQueueWait = 10 * time.Second
)

// hookIntake bounds /hooks/*: at most `slots` requests in flight and a
// token bucket per client address. Over either limit the answer is 429
// with Retry-After, before the body is decoded.
type hookIntake struct {
	slots    chan struct{} // nil: no concurrency limit
	budget   *semaphore.Weighted
	wait     time.Duration // hookQueueWait
	perMin   int           // 0: no rate limit
	clientIP func(*fiber.Ctx) string
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newHookIntake(concurrency, perMinute int, clientIP func(*fiber.Ctx) string, now func() time.Time) *hookIntake {
	h := &hookIntake{perMin: perMinute, clientIP: clientIP, now: now, buckets: map[string]*tokenBucket{},
		budget: semaphore.NewWeighted(hookBodyBudget), wait: hookQueueWait}
	if concurrency > 0 {
		h.slots = make(chan struct{}, concurrency)
	}
	return h
}

// handler is the /hooks middleware.
func (h *hookIntake) handler(c *fiber.Ctx) error {
	if wait, ok := h.take(h.clientIP(c)); !ok {
		return tooMany(c, wait, "This address sends webhooks faster than %d a minute; wait and send again.", h.perMin)
	}
	if h.slots != nil {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			return tooMany(c, time.Second, "The server is busy with %d webhooks at once; send again in a moment.", cap(h.slots))
		}
	}
	weight := int64(min(max(len(c.Body()), hookMinWeight), hookBodyBudget))
	ctx, cancel := context.WithTimeout(c.UserContext(), h.wait)
	defer cancel()
	if err := h.budget.Acquire(ctx, weight); err != nil {
		return tooMany(c, time.Second, "The server is busy reading other large webhooks (%d MiB at once); send again in a moment.", hookBodyBudget>>20)
	}
	defer h.budget.Release(weight)
	return c.Next()
}

// take spends one token of client's bucket; when there is none it returns
// how long until there is.
func (h *hookIntake) take(client string) (time.Duration, bool) {
	if h.perMin <= 0 {
		return 0, true
	}
	now := h.now()
	perSec := float64(h.perMin) / 60
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.buckets[client]
	if b == nil {
		h.makeRoom(now, perSec)
		b = &tokenBucket{tokens: float64(h.perMin), last: now}
		h.buckets[client] = b
	}
	b.tokens = math.Min(float64(h.perMin), b.tokens+now.Sub(b.last).Seconds()*perSec)
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / perSec * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// makeRoom bounds the buckets' memory: full buckets are forgotten (a new
// one starts full), and under a flood of addresses all are.
func (h *hookIntake) makeRoom(now time.Time, perSec float64) {
	if len(h.buckets) < maxTrackedClients {
		return
	}
	for k, b := range h.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*perSec >= float64(h.perMin) {
			delete(h.buckets, k)
		}
	}
	if len(h.buckets) >= maxTrackedClients {
		clear(h.buckets)
	}
}

// tooMany answers 429 with Retry-After in whole seconds (at least 1).
func tooMany(c *fiber.Ctx, wait time.Duration, format string, n int) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return &apiError{Status: fiber.StatusTooManyRequests, Code: codeTooManyRequests, Message: fmt.Sprintf(format, n)}
}
