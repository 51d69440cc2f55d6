package engine_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// sandboxSendFlow upserts the contact from a webhook and sends on
// WhatsApp, then SMS, then email: the contacts have no phone, so WhatsApp
// and SMS are skipped (each recorded with its reason) and email goes to
// the sandbox outbox.
const sandboxSendFlow = `{
  "id": "bench-send", "name": "Bench send",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "bench-send"}, "position": {"x":0,"y":0}},
    {"id": "contact", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}", "first_name": "{{ trigger.name }}"}, "position": {"x":0,"y":0}},
    {"id": "send", "type": "message.send", "params": {"channels": ["whatsapp", "sms", "email"],
      "subject": "Hi {{ contact.first_name }}", "body": "Hi {{ contact.first_name }}, your order has shipped."}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "hook", "to": "contact"}, {"from": "contact", "to": "send"}]
}`

// BenchmarkSandboxSendRuns measures completed runs per second of a flow
// with message.send over three channels in the sandbox, on SQLite: webhook
// ingestion, the contact upsert, and three message records a run.
//
//	go test ./engine -run '^$' -bench SandboxSendRuns -benchtime 20000x -count 3
func BenchmarkSandboxSendRuns(b *testing.B) {
	eng, store, _ := benchEngine(b, []byte(sandboxSendFlow), true)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]any{"email": fmt.Sprintf("buyer%d@example.com", i), "name": "ana"})
	}
	b.ResetTimer()
	ingested, elapsed := ingestAndDrain(b, eng, "bench-send", bodies)
	b.StopTimer()
	var done, sandboxed, skipped int64
	_ = storagetest.Count(store.Reader(), &done, &storage.Run{}, "status = ?", storage.RunCompleted)
	_ = storagetest.Count(store.Reader(), &sandboxed, &storage.Message{}, "status = ?", storage.MessageSandboxed)
	_ = storagetest.Count(store.Reader(), &skipped, &storage.Message{}, "status = ?", storage.MessageSkipped)
	if int(done) != b.N || int(sandboxed) != b.N || int(skipped) != 2*b.N {
		b.Fatalf("completed %d runs, %d sandboxed and %d skipped messages, of %d runs", done, sandboxed, skipped, b.N)
	}
	reportRunRates(b, ingested, elapsed)
}
