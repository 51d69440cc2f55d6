package server

import (
	"context"
	"sync"
	"time"

	"github.com/journeyhq/journey/storage"
)

// ReplayWindow is how far a signed callback's timestamp may be from now,
// and how long its one-time token (Mailgun) or signature (generic
// webhooks) is remembered: a captured request cannot be sent again.
const ReplayWindow = 5 * time.Minute

// maxRememberedTokens bounds the replay guard's memory.
const maxRememberedTokens = 100_000

// replayGuard remembers one-time values for ReplayWindow: in memory on
// SQLite (one instance), in the shared database on PostgreSQL, so that a
// replay sent to another instance inside the window is refused too.
type replayGuard struct {
	now func() time.Time
	// store, when set, keeps the values in the database (PostgreSQL).
	store *storage.Store
	mu    sync.Mutex
	seen  map[string]time.Time // value -> when it may be forgotten
}

func newReplayGuard(now func() time.Time, store *storage.Store) *replayGuard {
	g := &replayGuard{now: now, seen: map[string]time.Time{}}
	if store != nil && !store.SingleWriter() {
		g.store = store
	}
	return g
}

// first remembers value and reports whether it was new. A full guard
// forgets expired values first; if it is still full the value is refused
// (refusing a fresh callback is safer than forgetting live ones: the
// vendor sends it again).
func (g *replayGuard) first(ctx context.Context, value string) bool {
	now := g.now()
	if g.store != nil {
		var fresh bool
		err := g.store.Write(ctx, func(tx storage.Tx) error {
			var err error
			fresh, err = storage.ClaimReplayToken(tx, value, now, now.Add(ReplayWindow))
			return err
		})
		// A database that cannot tell refuses: the vendor sends it again.
		return err == nil && fresh
	}
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
func (g *replayGuard) forget(ctx context.Context, value string) {
	if g.store != nil {
		_ = g.store.Write(ctx, func(tx storage.Tx) error { return storage.ForgetReplayToken(tx, value) })
		return
	}
	g.mu.Lock()
	delete(g.seen, value)
	g.mu.Unlock()
}
