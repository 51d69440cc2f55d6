package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
)

// withPresets gives the bundle's engine the chat platform presets, as
// main wires them.
func withPresets(o *setupOptions) {
	reg := nodes.Builtin()
	reg.SetWebhookPresets(chatpresets.WebhookPresets())
	o.registry = reg
}

// quickTest makes POST /flows/:id/test answer at once; the test drains
// the jobs itself.
func quickTest(o *setupOptions) { o.testWait = time.Millisecond }

// hookFlow is a chat journey: the webhook (preset and mapping as given),
// remembered fields, and a condition whose paths both lead somewhere.
func hookFlow(preset string, mapping map[string]string, condition string) string {
	trigger := map[string]any{"path": "chat-done"}
	if preset != "" {
		trigger["preset"] = preset
	}
	if mapping != nil {
		trigger["mapping"] = mapping
	}
	doc := map[string]any{
		"id": "chat", "name": "Chat", "settings": map[string]any{"reentry": map[string]any{"policy": "always"}},
		"nodes": []any{
			map[string]any{"id": "hook", "type": "trigger.webhook", "name": "Chat finished", "params": trigger},
			map[string]any{"id": "remember", "type": "data.set", "name": "Remember the chat", "params": map[string]any{
				"values": map[string]any{"who": "trigger.email", "said": "trigger.transcript", "where": "trigger.channel"}}},
			map[string]any{"id": "check", "type": "logic.if", "name": "Lead score is at least 50",
				"params": map[string]any{"condition": condition}},
			map[string]any{"id": "hot", "type": "data.set", "name": "Hot lead", "params": map[string]any{
				"values": map[string]any{"hot": "true"}}},
			map[string]any{"id": "cold", "type": "data.set", "name": "Cold lead", "params": map[string]any{
				"values": map[string]any{"hot": "false"}}},
		},
		"edges": []any{
			map[string]any{"from": "hook", "to": "remember"},
			map[string]any{"from": "remember", "to": "check"},
			map[string]any{"from": "check", "port": "yes", "to": "hot"},
			map[string]any{"from": "check", "port": "no", "to": "cold"},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// outcome is what a test or a real request did: the status and body of
// the answer, and the run it started, normalised.
type outcome struct {
	status int
	errMsg string
	run    string
}

// testOnce creates the journey in a fresh server, tests it with body and
// runs the test to its end.
func testOnce(t *testing.T, flow, body string, headers map[string]string) outcome {
	t.Helper()
	b := setup(t, withPresets, quickTest)
	b.api(t, "POST", "/api/v1/flows", flow).must(t, http.StatusCreated)
	req, _ := json.Marshal(map[string]any{"raw_body": body, "headers": headers})
	if json.Valid([]byte(body)) {
		req, _ = json.Marshal(map[string]any{"body": json.RawMessage(body), "headers": headers})
	}
	res := b.api(t, "POST", "/api/v1/flows/chat/test", string(req))
	if res.status != http.StatusOK {
		return outcome{status: res.status, errMsg: errorMessage(t, res)}
	}
	var run struct{ ID string }
	res.json(t, &run)
	return outcome{status: res.status, run: b.finishedRun(t, run.ID)}
}

// hookOnce publishes the journey in a fresh server and sends body to its
// webhook as a chat platform would.
func hookOnce(t *testing.T, flow, body string, headers map[string]string) outcome {
	t.Helper()
	b := setup(t, withPresets)
	b.api(t, "POST", "/api/v1/flows", flow).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/chat/publish", "").must(t, http.StatusOK)
	var pairs []string
	for k, v := range headers {
		pairs = append(pairs, k, v)
	}
	res := b.request(t, "POST", "/hooks/chat-done", body, pairs...)
	if res.status != http.StatusAccepted {
		return outcome{status: res.status, errMsg: errorMessage(t, res)}
	}
	var started struct{ Runs []string }
	res.json(t, &started)
	if len(started.Runs) != 1 {
		t.Fatalf("the webhook started %d runs: %s", len(started.Runs), res.body)
	}
	return outcome{status: http.StatusOK, run: b.finishedRun(t, started.Runs[0])}
}

func errorMessage(t *testing.T, res response) string {
	t.Helper()
	var e struct{ Error struct{ Message string } }
	res.json(t, &e)
	return e.Error.Message
}

// finishedRun runs every due job and returns the run as GET /runs/:id
// shows it, without what differs between two runs of the same journey:
// ids, times, the version, the test flag.
func (b *testBundle) finishedRun(t *testing.T, id string) string {
	t.Helper()
	b.drain(t)
	var run map[string]any
	b.api(t, "GET", "/api/v1/runs/"+id, "").must(t, http.StatusOK).json(t, &run)
	for _, k := range []string{"id", "version", "test", "started_at", "updated_at", "ended_at", "flow_id"} {
		delete(run, k)
	}
	if run["contact_id"] != nil {
		run["contact_id"] = "<id>"
	}
	steps, _ := run["steps"].([]any)
	for _, s := range steps {
		step := s.(map[string]any)
		delete(step, "started_at")
		delete(step, "finished_at")
	}
	out, _ := json.MarshalIndent(run, "", " ")
	return uuidRE.ReplaceAllString(string(out), "<id>")
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestWebhookTestBehavesAsARealRequest: for every preset's sample bodies,
// a mapping, and the bodies a real request refuses, testing the journey
// with a body and sending the same body to its webhook do the same thing.
func TestWebhookTestBehavesAsARealRequest(t *testing.T) {
	t.Parallel()
	samples, err := chatpresets.Samples()
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name, flow, body string
		headers          map[string]string
		// check, when set, says more about what both did.
		check func(t *testing.T, o outcome)
	}
	var cases []tc
	for _, s := range samples {
		cases = append(cases, tc{name: s.Preset + ": " + s.Title, flow: hookFlow(s.Preset, nil, `trigger.closed == true`), body: string(s.Body)})
	}
	intercom := sampleBody(t, samples, "intercom", "lead_score")
	cases = append(cases,
		tc{name: "intercom: a condition on a field the body does not carry (the issue's failing case)",
			flow: hookFlow("intercom", nil, `trigger.score >= 50`), body: sampleBody(t, samples, "intercom", "no lead score")},
		tc{name: "intercom: the lead score attribute is trigger.score", body: intercom,
			flow: hookFlow("intercom", nil, `trigger.score >= 50`),
			check: func(t *testing.T, o outcome) {
				if !strings.Contains(o.run, `"port": "yes"`) {
					t.Errorf("the lead score 72 should take the yes path: %s", o.run)
				}
			}},
		tc{name: "intercom with a mapping of a custom attribute", body: intercom,
			flow: hookFlow("intercom", map[string]string{"team": `trigger.body.data.custom_attributes["Team size"]`}, `trigger.team == "11-50" && trigger.score >= 50`),
			check: func(t *testing.T, o outcome) {
				if !strings.Contains(o.run, `"port": "yes"`) || !strings.Contains(o.run, `"team": "11-50"`) {
					t.Errorf("the mapped team size and the lead score should take the yes path: %s", o.run)
				}
			}},
		tc{name: "a mapping without a preset", body: `{"contact":{"email":"Ana@Example.com"},"score":"12"}`,
			flow: hookFlow("", map[string]string{"email": "lower(trigger.body.contact.email)", "score": "int(trigger.body.score)"}, `trigger.score >= 50`),
			check: func(t *testing.T, o outcome) {
				if !strings.Contains(o.run, `"port": "no"`) || !strings.Contains(o.run, `"email": "ana@example.com"`) {
					t.Errorf("the mapped fields should be used: %s", o.run)
				}
			}},
		tc{name: "a mapping of a header", body: `{"email":"cy@example.com"}`, headers: map[string]string{"X-Lead-Score": "64"},
			flow: hookFlow("", map[string]string{"email": "trigger.body.email", "score": `int(trigger.headers["x-lead-score"])`}, `trigger.score >= 50`),
			check: func(t *testing.T, o outcome) {
				if !strings.Contains(o.run, `"port": "yes"`) {
					t.Errorf("the header's score 64 should take the yes path: %s", o.run)
				}
			}},
		tc{name: "no preset, no mapping: the body is the payload", body: `{"email":"bo@example.com","score":70}`,
			flow: hookFlow("", nil, `trigger.score >= 50`)},
		tc{name: "not an Intercom payload", body: sampleBody(t, samples, "crisp", ""),
			flow: hookFlow("intercom", nil, `true`), check: wantRefused(http.StatusBadRequest, "not a intercom webhook")},
		tc{name: "not JSON", body: `{"topic": conversation`,
			flow: hookFlow("generic", nil, `true`), check: wantRefused(http.StatusBadRequest, "not valid JSON")},
		tc{name: "a mapping that fails on this body", body: `{"tags":[]}`,
			flow:  hookFlow("", map[string]string{"first_tag": "trigger.body.tags[3]"}, `true`),
			check: wantRefused(http.StatusBadRequest, "could not be applied")},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			test, live := testOnce(t, c.flow, c.body, c.headers), hookOnce(t, c.flow, c.body, c.headers)
			if test != live {
				t.Fatalf("the test and the real request differ.\ntest (%d %s):\n%s\nreal (%d %s):\n%s",
					test.status, test.errMsg, test.run, live.status, live.errMsg, live.run)
			}
			if c.check != nil {
				c.check(t, test)
			}
		})
	}
}

func wantRefused(status int, msg string) func(t *testing.T, o outcome) {
	return func(t *testing.T, o outcome) {
		t.Helper()
		if o.status != status || !strings.Contains(o.errMsg, msg) {
			t.Errorf("got %d %q, want %d with %q", o.status, o.errMsg, status, msg)
		}
	}
}

// sampleBody is the first sample of preset whose title mentions word.
func sampleBody(t *testing.T, samples []chatpresets.Sample, preset, word string) string {
	t.Helper()
	for _, s := range samples {
		if s.Preset == preset && strings.Contains(s.Title, word) {
			return string(s.Body)
		}
	}
	t.Fatalf("no %s sample mentions %q", preset, word)
	return ""
}
