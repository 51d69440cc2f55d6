package engine

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/journeyhq/journey/storage"
)

// groupCommit runs the small write transactions of concurrent requests
// (webhooks, events, vendor calls' results) together: whoever arrives
// while a commit is under way queues, and the next commit takes the whole
// queue (on PostgreSQL, up to groupCommitsAtOnce batches commit at once).
// One commit then serves many requests, and none waits behind more than one batch: the
// batches are committed by a goroutine of their own, so a request returns
// as soon as its batch commits instead of staying to commit the batches
// that queued after it. When a request of a batch fails, the batch rolls
// back and each of its requests runs again alone, in a transaction of its
// own, so one request's error undoes only its own writes.
//
// A caller whose context ends while its request is still queued gets the
// context's error at once and its request never runs. Once a batch has
// taken the request, the caller waits for the batch's answer, so a nil
// error always means the writes committed and an error that they did not.
type groupCommit struct {
	store *storage.Store
	mu    sync.Mutex
	queue []*pendingWrite
	// later holds requests that may wait while others are queued (see
	// writeLater).
	later []*pendingWrite
	// drainers counts the goroutines committing batches; at most
	// parallel (at least one) run at once.
	drainers int
	parallel int
}

type pendingWrite struct {
	// ctx is the caller's: a request whose context has ended before its
	// turn in a batch is not run.
	ctx context.Context
	// fn is told whether it runs again, alone, after its batch failed
	// (see writeOptimistic).
	fn func(tx storage.Tx, again bool) error
	// optimistic runs again even when it failed alone.
	optimistic bool
	// emails are the real contacts' emails fn looks up (knownContact):
	// a batch reads them all with one query first.
	emails []string
	done   chan error
}

// groupCommitsAtOnce is how many shared transactions may be under way at
// once: one on SQLite, whose one writer takes them in turn; on PostgreSQL
// a batch spends most of its time waiting for the database's answers,
// and the next batch need not wait for it (the README's Benchmarks
// compare one, two and four).
func groupCommitsAtOnce(s *storage.Store) int {
	if s.SingleWriter() {
		return 1
	}
	return 2
}

// maxGroup bounds how many requests share one transaction.
const maxGroup = 256

// A small batch about to start waits a few turns of the scheduler (at most
// gatherFor) for requests that are on their way, parsed and about to
// queue. Fewer, larger transactions write fewer pages per request, since
// the batch shares the pages its rows land on (a plain take-what-is-queued
// cost more CPU per run; see the README's Benchmarks). A lone
// request gives up nothing: with no other goroutine to run, a turn returns
// at once.
const (
	gatherTurns = 8
	gatherSize  = 16
	gatherFor   = 100 * time.Microsecond
)

// write runs fn in a transaction shared with other concurrent callers and
// returns fn's error (or the transaction's).
func (g *groupCommit) write(ctx context.Context, fn func(tx storage.Tx) error) error {
	return g.queueWrite(ctx, func(tx storage.Tx, _ bool) error { return fn(tx) }, false, false)
}

// writeOptimistic is write for a request with a fast way and a safe way:
// fn runs with again false first; when it fails (or another request of its
// batch does), it runs again alone, in a new transaction, with again true.
// emails are the contacts fn looks up by email (see pendingWrite).
func (g *groupCommit) writeOptimistic(ctx context.Context, fn func(tx storage.Tx, again bool) error, emails ...string) error {
	return g.queueWrite(ctx, fn, true, false, emails...)
}

// writeLater is writeOptimistic for a request nobody waits on (a vendor
// call's result): it is committed once no other request is queued, or
// when maxGroup such requests wait. A webhook's answer then waits for the
// webhooks ahead of it, not for results, which fill the moments the
// writer has nothing else to do.
func (g *groupCommit) writeLater(ctx context.Context, fn func(tx storage.Tx, again bool) error) error {
	return g.queueWrite(ctx, fn, true, true)
}

func (g *groupCommit) queueWrite(ctx context.Context, fn func(tx storage.Tx, again bool) error, optimistic, later bool,
	emails ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pendingWrite{ctx: ctx, fn: fn, optimistic: optimistic, emails: emails, done: make(chan error, 1)}
	g.mu.Lock()
	if later {
		g.later = append(g.later, p)
	} else {
		g.queue = append(g.queue, p)
	}
	if g.drainers < max(g.parallel, 1) {
		g.drainers++
		go g.drain(context.WithoutCancel(ctx))
	}
	g.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
	}
	g.mu.Lock()
	for _, q := range []*[]*pendingWrite{&g.queue, &g.later} {
		if i := slices.Index(*q, p); i >= 0 {
			*q = slices.Delete(*q, i, i+1)
			g.mu.Unlock()
			return ctx.Err()
		}
	}
	g.mu.Unlock()
	// A batch has taken it: its answer says whether it committed.
	return <-p.done
}

// drain commits the queues batch by batch until they are empty.
func (g *groupCommit) drain(ctx context.Context) {
	g.mu.Lock()
	for len(g.queue)+len(g.later) > 0 {
		g.gather()
		n := min(len(g.queue), maxGroup)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if n == 0 || len(g.later) >= maxGroup {
			m := min(len(g.later), maxGroup)
			batch = append(batch, g.later[:m]...)
			g.later = g.later[m:]
		}
		g.mu.Unlock()
		g.commit(ctx, batch)
		g.mu.Lock()
	}
	g.drainers--
	g.mu.Unlock()
}

// gather lets the queue grow before a batch starts; g.mu is held.
func (g *groupCommit) gather() {
	var start time.Time
	for i := 0; i < gatherTurns && len(g.queue) < gatherSize; i++ {
		if i == 0 {
			start = time.Now()
		} else if time.Since(start) > gatherFor {
			return
		}
		g.mu.Unlock()
		runtime.Gosched()
		g.mu.Lock()
	}
}

func (g *groupCommit) commit(ctx context.Context, batch []*pendingWrite) {
	// Every request in one transaction: if every request succeeds (the
	// common case), one commit serves them all.
	errs := make([]error, len(batch))
	failed := -1
	err := g.store.Write(ctx, func(tx storage.Tx) error {
		failed = -1
		if err := readContactsAhead(tx, batch); err != nil {
			return err // each request runs again alone, reading its own
		}
		for i, p := range batch {
			if errs[i] = p.ctx.Err(); errs[i] != nil {
				continue // its caller gave up before its turn: not run
			}
			if errs[i] = p.fn(tx, false); errs[i] != nil {
				failed = i
				return errs[i]
			}
		}
		return nil
	})
	// When the transaction failed outside the requests (reading ahead, a
	// held write at its end, see storage's heldRows, or the commit),
	// whose request it was is not known: each runs again alone too.
	endFailed := err != nil && failed < 0
	if (failed < 0 && !endFailed) || (len(batch) == 1 && !batch[0].optimistic) {
		if err != nil && failed >= 0 {
			err = nil // reported once, as the request's own error
		}
		for i, p := range batch {
			// errs[i] is nil, the context error of a request not run, or
			// a lone request's own error.
			p.done <- errors.Join(err, errs[i])
		}
		return
	}
	// One request failed and rolled the batch back: each runs again alone.
	for i, p := range batch {
		if errs[i] = p.ctx.Err(); errs[i] != nil {
			p.done <- errs[i]
			continue
		}
		p.done <- g.store.Write(ctx, func(tx storage.Tx) error { return p.fn(tx, true) })
	}
}

// readContactsAhead reads the contacts that the batch's requests look up
// by email with one query, when more than one request looks one up: a
// webhook's lookup was a round trip of its own in the shared transaction.
func readContactsAhead(tx storage.Tx, batch []*pendingWrite) error {
	var emails []string
	asking := 0
	for _, p := range batch {
		if len(p.emails) > 0 && p.ctx.Err() == nil {
			emails = append(emails, p.emails...)
			asking++
		}
	}
	if asking < 2 {
		return nil
	}
	return storage.ReadContactIDsAhead(tx, emails)
}
