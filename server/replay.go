package server

import (
	"sync"
	"time"
)

// ReplayWindow is how far a signed callback's timestamp may be from now,
// and how long its one-time token (Mailgun) or signature (generic
// webhooks) is remembered: a captured request cannot be sent again.
const ReplayWindow = 5 * time.Minute

// maxRememberedTokens bounds the replay guard's memory.
const maxRememberedTokens = 100_000

// replayGuard remembers one-time values for ReplayWindow. It lives in
// memory: with several instances behind a load balancer, a replay that
// reaches another instance inside the window is caught only by the
// timestamp check.
type replayGuard struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]time.Time // value -> when it may be forgotten
}

func newReplayGuard(now func() time.Time) *replayGuard {
	return &replayGuard{now: now, seen: map[string]time.Time{}}
}

// first remembers value and reports whether it was new. A full guard
// forgets expired values first; if it is still full the value is refused
// (refusing a fresh callback is safer than forgetting live ones: the
// vendor sends it again).
func (g *replayGuard) first(value string) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if until, ok := g.seen[value]; ok && now.Before(until) {
		return false
	}
	if len(g.seen) >= maxRememberedTokens {
		for k, until := range g.seen {
			if !now.Before(until) {
				delete(g.seen, k)
			}
		}
		if len(g.seen) >= maxRememberedTokens {
			return false
		}
	}
	g.seen[value] = now.Add(ReplayWindow)
	return true
}

// forget drops value again: the request that used it was not processed,
// so the sender's retry must be accepted.
func (g *replayGuard) forget(value string) {
	g.mu.Lock()
	delete(g.seen, value)
	g.mu.Unlock()
}
