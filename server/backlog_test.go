package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
)

// crmFlow hands each webhook's lead to a stub vendor step.
const crmFlow = `{"id":"crm","name":"CRM","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"chat-finished"},"position":{"x":0,"y":0}},
 {"id":"deal","type":"test.crm","position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"deal"}]}`

// TestWebhooksGet503WhileTheEngineIsBehind: with a backlog limit of 2,
// the third waiting vendor call makes the next webhook a 503 with
// Retry-After and a plain message, storing nothing; once the workers have
// caught up, webhooks are accepted again, and every accepted lead reaches
// the vendor exactly once.
func TestWebhooksGet503WhileTheEngineIsBehind(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var called []string
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.crm", Category: flows.CategoryIntegration, Title: "CRM",
			Description: "Records the lead.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}}},
		Remote: true,
		Handler: nodes.HandlerFunc(func(_ context.Context, in *nodes.Input) (nodes.Result, error) {
			email, _ := in.Env.Trigger["email"].(string)
			mu.Lock()
			called = append(called, email)
			mu.Unlock()
			return nodes.Result{}, nil
		}),
	})
	b := setup(t, func(o *setupOptions) { o.registry, o.maxBacklog = reg, 2 })
	publishFlow(crmFlow, "crm")(t, b)
	hook := func(email string) response {
		return b.request(t, "POST", "/hooks/chat-finished", `{"email":"`+email+`"}`)
	}
	var accepted []string
	for i := range 3 {
		email := fmt.Sprintf("lead%d@example.com", i)
		hook(email).must(t, http.StatusAccepted)
		accepted = append(accepted, email)
	}
	r := hook("refused@example.com").must(t, http.StatusServiceUnavailable)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	r.json(t, &body)
	if body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "3 steps are waiting to run, more than its limit of 2") ||
		!strings.Contains(body.Error.Message, "send it again in a moment") {
		t.Fatalf("error %+v; want the backlog, the limit and what to do, in plain words", body.Error)
	}
	var runs struct{ Total int }
	b.api(t, "GET", "/api/v1/runs?limit=1", "").must(t, http.StatusOK).json(t, &runs)
	if runs.Total != 3 {
		t.Fatalf("%d runs; the refused webhook must start none", runs.Total)
	}

	b.drain(t)
	hook("later@example.com").must(t, http.StatusAccepted)
	accepted = append(accepted, "later@example.com")
	b.drain(t)
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(called)
	sort.Strings(accepted)
	if fmt.Sprint(called) != fmt.Sprint(accepted) {
		t.Fatalf("the vendor got %v; want each accepted lead once: %v", called, accepted)
	}
}
