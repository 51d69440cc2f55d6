package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/journeyhq/journey/storage"
)

// DefaultMaxBacklog is the --max-backlog of serve (Config.MaxBacklog).
const DefaultMaxBacklog = 10000

// backlogRefresh is how old the count of due jobs may be before a webhook
// counts them again. Between counts the backlog can grow by what is
// accepted meanwhile (about 500 webhooks at 5,000 a second): the limit is
// a bound, not an exact figure.
const backlogRefresh = 100 * time.Millisecond

// BacklogRetryAfter is the Retry-After of a webhook refused because the
// engine is behind: the backlog sits at the limit, so a little completed
// work makes room again.
const BacklogRetryAfter = time.Second

// BacklogError refuses a webhook while more jobs are due than
// Config.MaxBacklog: accepting it would only lengthen the queue that every
// accepted run waits in (503, Retry-After: BacklogRetryAfter).
type BacklogError struct {
	Due, Limit int64
}

func (e *BacklogError) Error() string {
	return fmt.Sprintf("The server is behind: %d steps are waiting to run, more than its limit of %d; "+
		"nothing of this request was stored, send it again in a moment.", e.Due, e.Limit)
}

// backlog estimates the due jobs that no worker holds. This instance's
// webhooks add the jobs they make due and its claims take away what they
// take, so one instance sees its own backlog at once; every
// backlogRefresh a webhook counts the jobs in the database instead (the
// others use the last estimate meanwhile), which brings in what other
// instances did and delays that fell due. Without webhooks nothing is
// counted.
type backlog struct {
	limit int64 // 0: no limit, nothing counted
	due   atomic.Int64
	// countedAt is the wall-clock time of the last count (unix ns).
	countedAt atomic.Int64
	counting  sync.Mutex
}

// checkBacklog returns a *BacklogError when the engine is too far behind
// to accept more webhooks.
func (e *Engine) checkBacklog() error {
	b := &e.backlog
	if b.limit <= 0 {
		return nil
	}
	if time.Since(time.Unix(0, b.countedAt.Load())) >= backlogRefresh && b.counting.TryLock() {
		if time.Since(time.Unix(0, b.countedAt.Load())) >= backlogRefresh {
			// A failed count keeps the last estimate: the database's
			// trouble shows in the webhook's own transaction anyway.
			if n, err := storage.CountDueJobs(e.store.Reader(), e.clock.Now()); err == nil {
				b.due.Store(n)
			}
			b.countedAt.Store(time.Now().UnixNano())
		}
		b.counting.Unlock()
	}
	if due := b.due.Load() + e.dispatch.pending(); due > b.limit {
		return &BacklogError{Due: due, Limit: b.limit}
	}
	return nil
}

// madeDue records n jobs due at once, committed by this instance.
func (b *backlog) madeDue(n int64) {
	if b.limit > 0 {
		b.due.Add(n)
	}
}

// claimed records a claim of n jobs. A claim that found fewer jobs than
// it could take left no due job unclaimed: webhooks are accepted again at
// once, not after the next count.
func (b *backlog) claimed(n int, full bool) {
	if b.limit <= 0 {
		return
	}
	if !full {
		b.due.Store(0)
		return
	}
	if b.due.Add(-int64(n)) < 0 {
		b.due.Store(0)
	}
}
