package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
)

// groupCommit runs the small write transactions of concurrent requests
// (webhooks, events) together: whoever arrives while a commit is under way
// queues, and the next commit takes the whole queue. One commit then
// serves many requests, and none waits behind more than one batch. Each
// request runs in its own savepoint, so one request's error undoes only
// its own writes.
type groupCommit struct {
	store   *storage.Store
	mu      sync.Mutex
	queue   []*pendingWrite
	leading bool
}

type pendingWrite struct {
	fn   func(tx *gorm.DB) error
	done chan error
}

// maxGroup bounds how many requests share one transaction.
const maxGroup = 256

// write runs fn in a transaction shared with other concurrent callers and
// returns fn's error (or the transaction's).
func (g *groupCommit) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	p := &pendingWrite{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.leading {
		g.mu.Unlock()
		select {
		case err := <-p.done:
			return err
		case <-ctx.Done():
			// The write may still commit; the caller only stops waiting.
			return ctx.Err()
		}
	}
	g.leading = true
	for len(g.queue) > 0 {
		n := min(len(g.queue), maxGroup)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(context.WithoutCancel(ctx), batch)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	return <-p.done
}

func (g *groupCommit) commit(ctx context.Context, batch []*pendingWrite) {
	errs := make([]error, len(batch))
	err := g.store.Write(ctx, func(tx *gorm.DB) error {
		for i, p := range batch {
			if err := storage.Savepoint(tx, "req"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			errs[i] = p.fn(tx)
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
