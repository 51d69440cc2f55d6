package storage

import (
	"sync"
	"time"
)

// openWrites remembers when each open write transaction began, so health
// checks can tell a writer that has been busy too long (on SQLite every
// other write waits for it).
type openWrites struct {
	mu    sync.Mutex
	next  uint64
	began map[uint64]time.Time
	// now is the clock (time.Now when nil; tests set it).
	now func() time.Time
}

func (o *openWrites) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	return time.Now()
}

// begin notes a transaction that begins now and returns its ticket.
func (o *openWrites) begin() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.began == nil {
		o.began = map[uint64]time.Time{}
	}
	o.next++
	o.began[o.next] = o.clock()
	return o.next
}

// end forgets the transaction of ticket.
func (o *openWrites) end(ticket uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.began, ticket)
}

// oldest returns how long the oldest open transaction has been open.
func (o *openWrites) oldest() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first time.Time
	for _, t := range o.began {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	if first.IsZero() {
		return 0
	}
	return o.clock().Sub(first)
}

// WriterBusyFor reports how long the oldest write transaction still open
// has been open (0 when none is): on SQLite, how long every other write
// has been kept waiting.
func (s *Store) WriterBusyFor() time.Duration { return s.open.oldest() }
