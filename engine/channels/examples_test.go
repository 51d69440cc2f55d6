package channels_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// TestEveryReferenceExampleRuns runs each example of the node reference
// (nodes/REFERENCE.md comes from the same declarations) in a journey on
// the sandbox: a step's example runs for a contact, a trigger's example
// starts a run from what it names. So no example names a parameter that
// does not exist, an expression that fails, or an event the product
// never records.
func TestEveryReferenceExampleRuns(t *testing.T) {
	t.Parallel()
	for _, typ := range nodes.Builtin().All() {
		for i, ex := range typ.Spec.Examples {
			t.Run(fmt.Sprintf("%s/%d %s", typ.Spec.Type, i, ex.Title), func(t *testing.T) {
				t.Parallel()
				b := setupOutageWith(t, "sqlite://"+filepath.Join(t.TempDir(), "app.db"), exampleWeb{})
				// An example's account id stands for the reader's own: the
				// run uses the sandbox instead.
				p := maps.Clone(ex.Params)
				for _, spec := range typ.Spec.Params {
					if spec.Kind == flows.KindCredential {
						delete(p, spec.Name)
					}
				}
				params, err := json.Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				if typ.Spec.Trigger {
					runTriggerExample(t, b, typ.Spec.Type, params)
					return
				}
				runStepExample(t, b, typ.Spec.Type, params)
			})
		}
	}
}

// exampleContact is who example journeys run for.
var exampleContact = storage.ContactRef{Email: "ana@example.com", Phone: "+4915112345678"}

// exampleData is the trigger payload example steps may read: what a
// chat, a form or a shop would send.
var exampleData = map[string]any{"order_id": "A-1", "first_name": "Ana", "name": "Ana García", "email": "ana@example.com",
	"phone": "+34 612 345 678", "company": "Acme", "score": 90, "transcript": "Hi, I want a demo.",
	"appointment_at": "2026-03-04T10:00:00Z", "plan": "starter", "message": "Can I get a demo?"}

// exampleWeb answers every http.request with 200 and an empty JSON object,
// so examples that call a backend run without leaving the machine.
type exampleWeb struct{}

func (exampleWeb) Call(context.Context, nodes.HTTPRequest) (nodes.HTTPResponse, error) {
	return nodes.HTTPResponse{Status: 200, Body: "{}", JSON: map[string]any{}}, nil
}

func runStepExample(t *testing.T, b *outageBundle, typ string, params json.RawMessage) {
	t.Helper()
	f := &flows.Flow{ID: "example", Name: "Example", Nodes: []flows.Node{
		{ID: "start", Type: nodes.TypeEventTrigger, Params: json.RawMessage(`{"event_type":"example.go"}`)},
		{ID: "step", Type: typ, Params: params},
	}, Edges: []flows.Edge{{From: "start", To: "step"}}}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "example.go", Contact: exampleContact, Data: exampleData})
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("ingest = %+v, %v", res, err)
	}
	// Waits in examples end within a week (or by a timeout).
	for range 10 {
		if _, err := b.eng.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		b.clock.add(24 * time.Hour)
	}
	run, err := storage.GetRun(b.store.Reader(), res.Started[0])
	if err != nil {
		t.Fatal(err)
	}
	if run.Status == storage.RunFailed {
		t.Fatalf("the example's run failed: %s", run.Error)
	}
}

func runTriggerExample(t *testing.T, b *outageBundle, typ string, params json.RawMessage) {
	t.Helper()
	// A contact known for long, inactive since: who a segment finds.
	b.ingest(t, "signup", nil)
	b.clock.add(100 * 24 * time.Hour)
	f := &flows.Flow{ID: "example", Name: "Example", Nodes: []flows.Node{{ID: "start", Type: typ, Params: params}}}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	var p map[string]any
	_ = json.Unmarshal(params, &p)
	str := func(k string) string { v, _ := p[k].(string); return v }
	switch typ {
	case nodes.TypeWebhookTrigger:
		body := `{"email": "ana@example.com", "name": "Ana García", "message": "Can I get a demo?"}`
		if preset := str("preset"); preset != "" {
			body = sampleBody(t, preset) // the platform's sample, which its preset reads
		} else if strings.HasPrefix(str("path"), "intercom") {
			body = sampleBody(t, "intercom")
		}
		res, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: str("path"), Body: []byte(body),
			Verify: func(string) bool { return true }}) // the signature is not what the example shows
		if err != nil {
			t.Fatalf("webhook: %v", err)
		}
		if len(res.Runs) == 0 {
			t.Fatalf("the webhook started no run")
		}
	case nodes.TypeEventTrigger:
		b.ingest(t, str("event_type"), map[string]any{"url": "https://example.com/pricing"})
	case nodes.TypeAbsenceTrigger:
		b.ingest(t, str("event"), nil)
		within, err := flows.ParseDuration(str("within"))
		if err != nil {
			t.Fatal(err)
		}
		b.clock.add(time.Duration(within) + time.Hour)
	case nodes.TypeScheduleTrigger:
		b.clock.add(8 * 24 * time.Hour) // past the next tick
	case nodes.TypeManualTrigger:
		if _, err := b.eng.TestRun(b.ctx, "example", exampleData); err != nil {
			t.Fatalf("test run: %v", err)
		}
	default:
		t.Fatalf("no way to start %s here yet: add one", typ)
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	var runs []storage.Run
	if err := storagetest.Find(b.store.Reader(), &runs, storagetest.Where("flow_id = ?", "example")); err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		t.Fatalf("the example started no run")
	}
	for _, r := range runs {
		if r.Status != storage.RunCompleted {
			t.Fatalf("a run of the example is %s: %s", r.Status, r.Error)
		}
	}
}

func (b *outageBundle) ingest(t *testing.T, typ string, data map[string]any) {
	t.Helper()
	if _, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: typ, Contact: exampleContact, Data: data}); err != nil {
		t.Fatalf("ingest %s: %v", typ, err)
	}
}

// sampleBody is the first sample webhook body of a chat preset.
func sampleBody(t *testing.T, preset string) string {
	t.Helper()
	all, err := chatpresets.Samples()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Preset == preset {
			return string(s.Body)
		}
	}
	t.Fatalf("no sample body for %s", preset)
	return ""
}
