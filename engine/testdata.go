package engine

import (
	"context"
	"time"

	"github.com/journeyhq/journey/storage"
)

// TestDataAge is how long test runs and their test data are kept when
// nobody removes them (see Sweeper).
const TestDataAge = 24 * time.Hour

// testDeleteBatch bounds the test runs one transaction deletes, so that
// the writer is never held for long.
const testDeleteBatch = 200

// DeleteFlowTests removes every test run of a flow, whatever its status,
// with what the tests made: their steps, messages, deals, tasks, notes,
// and the test contacts no other run uses (with their tags, list
// memberships and events). Real runs and records are never touched. It
// returns how many test runs it removed; a missing flow has none.
func (e *Engine) DeleteFlowTests(ctx context.Context, flowID string) (int, error) {
	total := 0
	for {
		var n int
		err := e.store.Write(ctx, func(tx storage.Tx) error {
			ids, err := storage.FlowTestRunIDs(tx, flowID, testDeleteBatch)
			if err != nil {
				return err
			}
			n, err = storage.DeleteTestRuns(tx, ids)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < testDeleteBatch {
			return total, nil
		}
	}
}
