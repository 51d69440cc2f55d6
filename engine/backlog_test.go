package engine_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// callFlow calls a stub vendor with the webhook's email: each accepted
// webhook leaves one vendor call due, inline or not.
const callFlow = `{
  "id": "call", "name": "Call",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "chat"}, "position": {"x":0,"y":0}},
    {"id": "crm", "type": "test.vendor", "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "crm"}]
}`

// recordEmails is a test.vendor call that records the emails it was
// called with.
func recordEmails(mu *sync.Mutex, got *[]string) func(in *nodes.Input) {
	return func(in *nodes.Input) {
		email, _ := in.Env.Trigger["email"].(string)
		mu.Lock()
		*got = append(*got, email)
		mu.Unlock()
	}
}

// TestWebhooksRefusedWhileTheBacklogIsOverTheLimit: with MaxBacklog 3,
// webhooks are accepted until more than 3 vendor calls wait, then refused
// with a BacklogError that stores nothing; once the workers caught up,
// webhooks are accepted again, and every accepted one reaches the vendor
// once.
func TestWebhooksRefusedWhileTheBacklogIsOverTheLimit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		var mu sync.Mutex
		var called []string
		b := setup(t, setupOpts{db: db, reg: vendorRegistry(recordEmails(&mu, &called)), maxBacklog: 3})
		b.publish(t, callFlow)
		send := func(email string) error {
			_, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "chat", Body: []byte(`{"email":"` + email + `"}`)})
			return err
		}
		var accepted []string
		for i := range 4 {
			email := fmt.Sprintf("lead%d@example.com", i)
			if err := send(email); err != nil {
				t.Fatalf("webhook %d of 4 (limit 3): %v", i+1, err)
			}
			accepted = append(accepted, email)
		}
		err := send("refused@example.com")
		var behind *engine.BacklogError
		if !errors.As(err, &behind) {
			t.Fatalf("a webhook with 4 calls waiting (limit 3): got %v, want a BacklogError", err)
		}
		if behind.Due != 4 || behind.Limit != 3 || !strings.Contains(err.Error(), "send it again in a moment") {
			t.Fatalf("error %+v: %q", behind, err)
		}
		if n := b.count(t, &storage.Run{}, ""); n != 4 {
			t.Fatalf("%d runs after 4 accepted and 1 refused webhooks", n)
		}

		b.drain(t)
		if err := send("later@example.com"); err != nil {
			t.Fatalf("a webhook once the backlog drained: %v", err)
		}
		accepted = append(accepted, "later@example.com")
		b.drain(t)

		mu.Lock()
		defer mu.Unlock()
		sort.Strings(called)
		sort.Strings(accepted)
		if fmt.Sprint(called) != fmt.Sprint(accepted) {
			t.Fatalf("the vendor was called for %v, want each accepted lead once: %v", called, accepted)
		}
		if n := b.count(t, &storage.Run{}, "status = ?", storage.RunCompleted); n != 5 {
			t.Fatalf("%d completed runs, want 5", n)
		}
	})
}

// TestNoBacklogLimitByDefault: without MaxBacklog nothing is refused.
func TestNoBacklogLimitByDefault(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var called []string
	b := setup(t, setupOpts{db: "sqlite+inline", reg: vendorRegistry(recordEmails(&mu, &called))})
	b.publish(t, callFlow)
	for i := range 20 {
		b.hook(t, "chat", map[string]any{"email": fmt.Sprintf("lead%d@example.com", i)})
	}
	b.drain(t)
	if len(called) != 20 {
		t.Fatalf("%d calls, want 20", len(called))
	}
}
