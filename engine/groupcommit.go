package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/journeyhq/journey/storage"
)

// groupCommit runs the small write transactions of concurrent requests
// (webhooks, events) together: whoever arrives while a commit is under way
// queues, and the next commit takes the whole queue. One commit then
// serves many requests, and none waits behind more than one batch: the
// batches are committed by a goroutine of their own, so a request returns
// as soon as its batch commits instead of staying to commit the batches
// that queued after it. Each request runs in its own savepoint only when
// one of the batch fails, so one request's error undoes only its own writes.
//
// A caller whose context ends while its request is still queued gets the
// context's error at once and its request never runs. Once a batch has
// taken the request, the caller waits for the batch's answer, so a nil
// error always means the writes committed and an error that they did not.
type groupCommit struct {
	store    *storage.Store
	mu       sync.Mutex
	queue    []*pendingWrite
	draining bool
}

type pendingWrite struct {
	// ctx is the caller's: a request whose context has ended before its
	// turn in a batch is not run.
	ctx context.Context
	// fn is told whether it runs in its own savepoint after another part
	// of its batch failed (see writeOptimistic).
	fn   func(tx storage.Tx, isolated bool) error
	done chan error
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
	return g.writeOptimistic(ctx, func(tx storage.Tx, _ bool) error { return fn(tx) })
}

// writeOptimistic is write for a request with a fast way that may fail
// after writing and a safe way: fn runs with isolated false first; when it
// returns an error wrapping errIsolate (or another request of its batch
// fails), it runs again in a new transaction, in a savepoint of its own,
// with isolated true.
func (g *groupCommit) writeOptimistic(ctx context.Context, fn func(tx storage.Tx, isolated bool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p := &pendingWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.draining {
		g.draining = true
		go g.drain(context.WithoutCancel(ctx))
	}
	g.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
	}
	g.mu.Lock()
	if i := slices.Index(g.queue, p); i >= 0 {
		g.queue = slices.Delete(g.queue, i, i+1)
		g.mu.Unlock()
		return ctx.Err()
	}
	g.mu.Unlock()
	// A batch has taken it: its answer says whether it committed.
	return <-p.done
}

// drain commits the queue batch by batch until it is empty.
func (g *groupCommit) drain(ctx context.Context) {
	g.mu.Lock()
	for len(g.queue) > 0 {
		g.gather()
		n := min(len(g.queue), maxGroup)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(ctx, batch)
		g.mu.Lock()
	}
	g.draining = false
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
	// Optimistically without savepoints: if every request succeeds (the
	// common case), that saves three statements a request. A lone request
	// needs none anyway: its error rolls back only its own transaction.
	errs := make([]error, len(batch))
	err := g.store.Write(ctx, func(tx storage.Tx) error {
		for i, p := range batch {
			if errs[i] = p.ctx.Err(); errs[i] != nil {
				continue // its caller gave up before its turn: not run
			}
			errs[i] = p.fn(tx, false)
			if errs[i] != nil {
				if len(batch) == 1 {
					return errs[i]
				}
				return fmt.Errorf("%w: %w", errIsolate, errs[i])
			}
		}
		return nil
	})
	if len(batch) == 1 && !errors.Is(err, errIsolate) {
		if err != nil && errs[0] != nil {
			err = nil // reported once, as the request's own error
		}
		batch[0].done <- errors.Join(err, errs[0])
		return
	}
	if !errors.Is(err, errIsolate) {
		for i, p := range batch {
			// errs[i] is nil, or the context error of a request not run.
			p.done <- errors.Join(err, errs[i])
		}
		return
	}
	clear(errs)
	err = g.store.Write(ctx, func(tx storage.Tx) error {
		for i, p := range batch {
			if errs[i] = p.ctx.Err(); errs[i] != nil {
				continue
			}
			if err := storage.Savepoint(tx, "req"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			errs[i] = p.fn(tx, true)
			if errs[i] != nil {
				if err := storage.RollbackToSavepoint(tx, "req"); err != nil {
					return fmt.Errorf("rollback request: %w", err)
				}
			}
			if err := release(tx, "req"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, p := range batch {
		p.done <- errors.Join(err, errs[i])
	}
}
