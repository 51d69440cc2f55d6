package engine

import (
	"context"

	"github.com/journeyhq/journey/storage"
)

// EventRecorder stores contact events for the outbox: in a transaction of
// the outbox's own (IngestEventsWith), or in one already open, such as the
// step's (IngestEventTx).
type EventRecorder interface {
	IngestEventsWith(ctx context.Context, fn func(tx storage.Tx, ingest EventWriter) error) error
	IngestEventTx(ctx context.Context, tx storage.Tx, in EventInput) (EventResult, error)
}

// EventsUser is an outbox that records contact events of its own (the
// channel.sent events). New hands it the engine.
type EventsUser interface {
	UseEvents(EventRecorder)
}

// IngestEventTx stores an event as IngestEvent does, inside tx: it commits
// or rolls back with the caller's writes. Runs it resumes are due at once
// and are picked up by the worker's next batch.
func (e *Engine) IngestEventTx(ctx context.Context, tx storage.Tx, in EventInput) (EventResult, error) {
	in, now, err := e.prepareEvent(in)
	if err != nil {
		return EventResult{}, err
	}
	return e.ingestEvent(ctx, tx, in, now)
}

var _ EventRecorder = (*Engine)(nil)
