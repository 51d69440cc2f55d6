package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// CancelRun stops a run that is running or waiting.
func (e *Engine) CancelRun(ctx context.Context, runID string) error {
	return e.store.Write(ctx, func(tx storage.Tx) error {
		return e.cancelRun(tx, runID, "Cancelled by a user.")
	})
}

func (e *Engine) cancelRun(tx storage.Tx, runID, reason string) error {
	run, err := storage.GetRun(tx, runID)
	if err != nil {
		return err
	}
	if isFinal(run.Status) {
		return fmt.Errorf("the run has already ended (%s): %w", run.Status, ErrConflict)
	}
	if err := storage.DeleteRunWork(tx, runID); err != nil {
		return err
	}
	now := e.clock.Now()
	run.Status, run.Error, run.Tokens, run.EndedAt, run.UpdatedAt = storage.RunCancelled, reason, 0, &now, now
	if err := storage.SaveRun(tx, run); err != nil {
		return err
	}
	e.cfg.Metrics.RunEnded(run.FlowID, storage.RunCancelled)
	return nil
}

// RetryRun restarts a failed run at the step that failed, with the same
// idempotency key, so effects that did happen are not repeated.
func (e *Engine) RetryRun(ctx context.Context, runID string) error {
	err := e.store.Write(ctx, func(tx storage.Tx) error {
		run, err := storage.GetRun(tx, runID)
		if err != nil {
			return err
		}
		if run.Status != storage.RunFailed {
			return fmt.Errorf("only a failed run can be retried; this one is %s: %w", run.Status, ErrConflict)
		}
		last, err := storage.LastFailedStep(tx, runID)
		if err != nil {
			return fmt.Errorf("the failed step of run %s: %w", runID, err)
		}
		now := e.clock.Now()
		id := run.ID
		if _, err := storage.InsertJob(tx, &storage.Job{RunID: &id, NodeID: last.NodeID, Kind: storage.JobStep,
			Payload: mustJSON(stepPayload{Visit: last.Visit}), DueAt: now, CreatedAt: now}); err != nil {
			return err
		}
		run.Status, run.Error, run.Tokens, run.EndedAt, run.UpdatedAt = storage.RunRunning, "", 1, nil, now
		return storage.SaveRun(tx, run)
	})
	if err == nil {
		e.Wake()
	}
	return err
}

// TestRun runs the current draft once with a sample trigger payload (for
// a webhook trigger, the request body it encodes to); see TestRunWith.
func (e *Engine) TestRun(ctx context.Context, flowID string, payload map[string]any) (string, error) {
	return e.TestRunWith(ctx, flowID, TestInput{Body: []byte(mustJSON(orEmpty(payload)))})
}

// TestInput is what a test run starts with.
type TestInput struct {
	// Body is, for a webhook trigger, the raw request body, read as a
	// real request's (preset, field mapping); for other triggers, the
	// sample payload as a JSON object (empty: none).
	Body []byte
	// Headers and Query are the webhook request's, for field mappings.
	Headers map[string]string
	Query   map[string]string
	// Choices say what happens at decision steps (see TestChoice).
	Choices TestChoices
}

// TestRunWith runs the current draft once. The draft is saved as a test
// snapshot (a negative version number) so that the run is pinned like any
// other. It returns the run id.
func (e *Engine) TestRunWith(ctx context.Context, flowID string, in TestInput) (string, error) {
	var runID string
	err := e.store.Write(ctx, func(tx storage.Tx) error {
		sf, err := storage.GetFlow(tx, flowID)
		if err != nil {
			return err
		}
		f, err := flows.Decode([]byte(sf.Draft))
		if err != nil {
			return err
		}
		if _, problems := flows.Compile(f, e.reg); len(problems) > 0 {
			return &flows.ProblemsError{Problems: problems}
		}
		// A draft imported without its accounts can still be tried.
		if err := e.sandboxMissingAccounts(tx, f); err != nil {
			return err
		}
		low, err := storage.MinVersion(tx, flowID)
		if err != nil {
			return err
		}
		f.Version = min(low, 0) - 1
		def, err := flows.Encode(f)
		if err != nil {
			return err
		}
		if err := storage.InsertVersion(tx, &storage.FlowVersion{FlowID: flowID, Version: f.Version,
			Definition: string(def), PublishedAt: e.clock.Now()}); err != nil {
			return err
		}
		cf, err := e.compiled(tx, flowID, f.Version)
		if err != nil {
			return err
		}
		if err := in.Choices.check(cf); err != nil {
			return err
		}
		trigger := cf.Triggers[0]
		payload, err := e.testPayload(trigger, in)
		if err != nil {
			return err
		}
		contactID := e.knownContact(tx, payload.trigger, true)
		if contactID == "" && startsFromContact(trigger.Node.Type) {
			// A journey that starts from a contact's event needs one: the
			// test runs against a test contact made from the sample.
			if contactID, err = testContact(tx, payload.trigger, e.clock.Now()); err != nil {
				return err
			}
		}
		runID, err = e.startRun(tx, startRequest{cf: cf, node: trigger.Node.ID, contactID: contactID,
			trigger: payload.trigger, triggerJSON: payload.triggerJSON, test: true, choices: in.Choices.expand(cf)})
		return err
	})
	if err == nil {
		e.Wake()
	}
	return runID, err
}

// startsFromContact reports whether a trigger type starts runs for a
// contact of the store (a contact's event), not from a request's data.
func startsFromContact(typ string) bool {
	return typ == nodes.TypeEventTrigger || typ == nodes.TypeAbsenceTrigger
}

// testContact finds or creates the test contact of a test run from the
// sample's email, phone and names; "" when the sample names nobody.
func testContact(tx storage.Tx, sample map[string]any, now time.Time) (string, error) {
	str := func(k string) string { v, _ := sample[k].(string); return strings.TrimSpace(v) }
	in := storage.ContactInput{Email: strings.ToLower(str("email")), FirstName: str("first_name"), LastName: str("last_name"),
		Company: str("company"), Test: true}
	if p := str("phone"); strings.HasPrefix(p, "+") {
		in.Phone = p
	}
	if in.FirstName == "" && in.LastName == "" {
		in.FirstName, in.LastName, _ = strings.Cut(str("name"), " ")
	}
	if in.Email == "" && in.Phone == "" {
		return "", nil
	}
	id, _, err := storage.UpsertContact(tx, "", in, now)
	return id, err
}
