package server

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// headerRequestID carries the request id in both directions.
const headerRequestID = "X-Request-Id"

// localRequestID is the c.Locals key of the request id.
const localRequestID = "journey.request_id"

// safeRequestID is what an incoming X-Request-Id (from a proxy) must look
// like to be reused; anything else is replaced, so logs stay clean.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID gives every request an id, echoed in X-Request-Id and logged
// with any failure.
func requestID(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if safeRequestID.MatchString(id) {
		id = strings.Clone(id) // Fiber reuses the header buffer
	} else {
		id = uuid.NewString()
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

// requestIDOf returns the request's id ("-" before the middleware ran,
// e.g. for a body that was refused while being read).
func requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	return "-"
}

// attemptLimiter slows password guessing: at most max sign-in or setup
// attempts per window per client address (fixed windows, in memory, per
// instance).
type attemptLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	// clientIP names the client (default: the peer's address).
	clientIP func(*fiber.Ctx) string

	mu      sync.Mutex
	windows map[string]*attemptWindow
}

type attemptWindow struct {
	start time.Time
	n     int
}

// maxTrackedClients bounds the limiter's memory; expired windows are
// dropped when it is reached.
const maxTrackedClients = 10_000

func newAttemptLimiter(max int, window time.Duration, now func() time.Time) *attemptLimiter {
	return &attemptLimiter{max: max, window: window, now: now, windows: map[string]*attemptWindow{}}
}

// allow counts an attempt by key and reports whether it is within limits.
func (l *attemptLimiter) allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if w == nil && len(l.windows) >= maxTrackedClients {
			for k, old := range l.windows {
				if now.Sub(old.start) >= l.window {
					delete(l.windows, k)
				}
			}
			if len(l.windows) >= maxTrackedClients {
				clear(l.windows) // under a flood, forget rather than grow
			}
		}
		w = &attemptWindow{start: now}
		l.windows[key] = w
	}
	w.n++
	return w.n <= l.max
}

// handler answers 429 once a client exceeds its attempts.
func (l *attemptLimiter) handler(c *fiber.Ctx) error {
	key := strings.Clone(c.IP()) // the key outlives the request
	if l.clientIP != nil {
		key = l.clientIP(c)
	}
	if !l.allow(key) {
		return fiber.ErrTooManyRequests
	}
	return c.Next()
}
