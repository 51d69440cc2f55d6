package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// nulFlow saves the contact from the webhook, so the fields reach the
// contacts table as well as the run.
const nulFlow = `{"id":"nul","name":"Nul","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"nul"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","params":{"email":"{{ trigger.email }}","first_name":"{{ trigger.name }}"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"save"}]}`

// TestWebhookNULCharacter: PostgreSQL text cannot hold a NUL character; a
// webhook whose fields (or keys, or query) carry one is stored without it,
// on both databases, instead of failing with a 500.
func TestWebhookNULCharacter(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOptions) { o.postgres = db == "postgres" })
			publishFlow(nulFlow, "nul")(t, b)
			body := `{"email":"nul@example.com","name":"An\u0000a","k\u0000ey":["x\u0000"],"ok":"back\\u0000slash"}`
			var out struct{ Runs []string }
			b.request(t, "POST", "/hooks/nul", body).must(t, http.StatusAccepted).json(t, &out)
			if len(out.Runs) != 1 {
				t.Fatalf("runs %v, want one", out.Runs)
			}
			run, err := storage.GetRun(b.store.Reader(), out.Runs[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"name":"Ana"`, `"key":["x"]`, `"ok":"back\\u0000slash"`} {
				if !strings.Contains(strings.ReplaceAll(run.Trigger, " ", ""), want) {
					t.Fatalf("stored trigger %s lacks %s", run.Trigger, want)
				}
			}
			var c storage.Contact
			if err := storagetest.First(b.store.Reader(), &c, storagetest.Where("email = ?", "nul@example.com")); err != nil || c.FirstName != "Ana" {
				t.Fatalf("contact %+v (%v); want first name Ana", c, err)
			}
		})
	}
}

// TestWebhookBodyStoredOnce: the trigger step records a reference to the
// run's trigger instead of a second copy of the body; the run detail still
// shows the payload as the step's output.
func TestWebhookBodyStoredOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(helloFlow, "hello")(t, b)
	body := `{"email":"once@example.com","transcript":"` + strings.Repeat("hello ", 1000) + `"}`
	var out struct{ Runs []string }
	b.request(t, "POST", "/hooks/hello", body).must(t, http.StatusAccepted).json(t, &out)
	if len(out.Runs) != 1 {
		t.Fatalf("runs %v, want one", out.Runs)
	}
	steps, err := storage.RunSteps(b.store.Reader(), out.Runs[0])
	if err != nil || len(steps) == 0 || steps[0].NodeID != "start" {
		t.Fatalf("steps %+v (%v)", steps, err)
	}
	if steps[0].Output != storage.StepOutputIsTrigger {
		t.Fatalf("the trigger step stored %d bytes of output; want a reference to the run's trigger", len(steps[0].Output))
	}
	var detail struct {
		Steps []struct {
			NodeID string         `json:"node_id"`
			Output map[string]any `json:"output"`
		} `json:"steps"`
	}
	b.api(t, "GET", "/api/v1/runs/"+out.Runs[0], "").must(t, http.StatusOK).json(t, &detail)
	if len(detail.Steps) == 0 || detail.Steps[0].Output["email"] != "once@example.com" {
		t.Fatalf("run detail steps %+v; want the trigger step's output to be the payload", detail.Steps)
	}
}

// TestWebhookBodyLimitPerJourney: a journey accepts webhook bodies up to
// 256 KB unless its settings allow more (up to 1 MiB); a larger body is a
// 413 that says the limit and the setting, and starts nothing.
func TestWebhookBodyLimitPerJourney(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(helloFlow, "hello")(t, b)
	big := strings.Replace(helloFlow, `"id":"hello","name":"Hello"`, `"id":"big","name":"Big","settings":{"max_body_bytes":1048576}`, 1)
	publishFlow(strings.Replace(big, `"path":"hello"`, `"path":"big"`, 1), "big")(t, b)
	body := `{"email":"big@example.com","text":"` + strings.Repeat("x", 300<<10) + `"}`

	r := b.request(t, "POST", "/hooks/hello", body)
	if r.must(t, http.StatusRequestEntityTooLarge); !strings.Contains(r.body, "at most 262144 bytes") || !strings.Contains(r.body, "max_body_bytes") {
		t.Fatalf("answer %s; want the limit and the setting named", r.body)
	}
	b.request(t, "POST", "/hooks/big", body).must(t, http.StatusAccepted)
	var n int64
	_ = storagetest.Count(b.store.Reader(), &n, &storage.Run{}, "")
	if n != 1 {
		t.Fatalf("%d runs, want 1 (the refused body starts nothing)", n)
	}

	tooBig := strings.Replace(helloFlow, `"id":"hello","name":"Hello"`, `"id":"huge","name":"Huge","settings":{"max_body_bytes":2097152}`, 1)
	r = b.api(t, "POST", "/api/v1/flows/validate", tooBig)
	if !strings.Contains(r.body, "settings.max_body_bytes") {
		t.Fatalf("validation of a 2 MiB limit: %d %s; want a problem on settings.max_body_bytes", r.status, r.body)
	}
}

// TestHookRateFollowsTheClientAddress: behind a trusted proxy the webhook
// rate limit counts each client named by X-Forwarded-For, not the proxy;
// a client over its rate gets 429 with Retry-After.
func TestHookRateFollowsTheClientAddress(t *testing.T) {
	t.Parallel()
	// app.Test's requests come from 0.0.0.0: that is the proxy here.
	b := setup(t, func(o *setupOptions) { o.trustedProxies, o.hookRate = "0.0.0.0", 2 })
	publishFlow(helloFlow, "hello")(t, b)
	for range 2 {
		b.request(t, "POST", "/hooks/hello", `{}`, "X-Forwarded-For", "203.0.113.9").must(t, http.StatusAccepted)
	}
	r := b.request(t, "POST", "/hooks/hello", `{}`, "X-Forwarded-For", "203.0.113.9")
	if r.must(t, http.StatusTooManyRequests); r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "2 a minute") {
		t.Fatalf("answer %s, Retry-After %q; want a sentence with the rate and a Retry-After", r.body, r.header.Get("Retry-After"))
	}
	b.request(t, "POST", "/hooks/hello", `{}`, "X-Forwarded-For", "198.51.100.4").must(t, http.StatusAccepted)
}
