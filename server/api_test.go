package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// helloFlow is a small valid flow.
const helloFlow = `{"id":"hello","name":"Hello","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"hello"},"position":{"x":0,"y":0}},
 {"id":"greet","type":"list.add","params":{"list":"greeted"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"greet"}]}`

// brokenFlow has three problems on two nodes and an edge to a missing node.
const brokenFlow = `{"id":"broken","name":"Broken","nodes":[
 {"id":"start","type":"trigger.webhook","params":{},"position":{"x":0,"y":0}},
 {"id":"check","type":"logic.if","params":{"condition":"contact.score >"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"check"},{"from":"check","port":"yes","to":"ghost"}]}`

// brokenProblems are in every answer listing brokenFlow's problems.
var brokenProblems = []string{`"code":"invalid_flow"`, `"node_id":"start"`, `"node_id":"check"`, "ghost",
	`"missing_param"`, `"bad_expression"`, `"missing_node"`}

func createFlow(doc string) func(t *testing.T, b *testBundle) {
	return func(t *testing.T, b *testBundle) {
		b.api(t, "POST", "/api/v1/flows", doc).must(t, http.StatusCreated)
	}
}

func validateOnly(doc string) func(t *testing.T, b *testBundle) {
	return func(t *testing.T, b *testBundle) {
		b.api(t, "POST", "/api/v1/flows/validate", doc).must(t, http.StatusOK)
	}
}

func publishFlow(doc, id string) func(t *testing.T, b *testBundle) {
	return func(t *testing.T, b *testBundle) {
		createFlow(doc)(t, b)
		b.api(t, "POST", "/api/v1/flows/"+id+"/publish", "").must(t, http.StatusOK)
	}
}

func TestAPIScenarios(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		// Decoding.
		{name: "malformed JSON is a 400 with line and column", method: "POST", url: "/api/v1/flows",
			body: "{\n  \"id\": \"x\",\n  \"name\": }", status: 400,
			contains: []string{`"code":"bad_request"`, `"line":3`, `"column"`}},
		{name: "unknown field in a flow is a 400", method: "POST", url: "/api/v1/flows",
			body: `{"id":"x","name":"X","nodes":[],"edges":[],"colour":"red"}`, status: 400,
			contains: []string{`"code":"bad_request"`, "colour"}},
		{name: "empty flow body is a 400", method: "POST", url: "/api/v1/flows", status: 400,
			contains: []string{"empty"}},
		{name: "malformed event JSON is a 400", method: "POST", url: "/api/v1/events",
			body: `{"type": "chat.finished",`, status: 400, contains: []string{`"code":"bad_request"`, `"line":1`}},
		{name: "unknown event field is a 400", method: "POST", url: "/api/v1/events",
			body: `{"type":"chat.finished","contact":{"email":"a@b.co"},"when":"now"}`, status: 400,
			contains: []string{"when"}},
		{name: "bad occurred_at is a 400", method: "POST", url: "/api/v1/events",
			body: `{"type":"chat.finished","contact":{"email":"a@b.co"},"occurred_at":"yesterday"}`, status: 400,
			contains: []string{"occurred_at"}},
		{name: "event without contact is a 400 from the engine", method: "POST", url: "/api/v1/events",
			body: `{"type":"chat.finished"}`, status: 400, contains: []string{"contact.email"}},
		{name: "event with a bad type is a 400", method: "POST", url: "/api/v1/events",
			body: `{"type":"Chat Finished!","contact":{"email":"a@b.co"}}`, status: 400, contains: []string{"not valid"}},
		{name: "event is accepted", method: "POST", url: "/api/v1/events",
			body:   `{"id":"e1","type":"chat.finished","contact":{"email":"Ada@Example.com"},"data":{"score":80},"occurred_at":"2025-01-31T09:30:00Z"}`,
			status: 202, contains: []string{`"event_id"`, `"contact_id"`, `"duplicate":false`, `"resumed_runs":[]`, `"started_runs":[]`}},

		// Flows.
		{name: "create flow returns the flow and no problems", method: "POST", url: "/api/v1/flows", body: helloFlow,
			status: 201, contains: []string{`"id":"hello"`, `"status":"draft"`, `"problems":[]`}},
		{name: "an invalid draft is saved with its problems", method: "POST", url: "/api/v1/flows", body: brokenFlow,
			status: 201, contains: []string{`"id":"broken"`, `"node_id":"start"`, `"node_id":"check"`}},
		{name: "a flow without a usable id is refused", method: "POST", url: "/api/v1/flows",
			body: `{"id":"Not A Slug","name":"X","nodes":[],"edges":[]}`, status: 422, contains: []string{`"bad_id"`}},
		{name: "create with a taken id is a 409", before: createFlow(helloFlow), method: "POST", url: "/api/v1/flows",
			body: helloFlow, status: 409, contains: []string{`"code":"conflict"`, "hello"}},
		{name: "list flows shows status and today's runs", before: createFlow(helloFlow), method: "GET", url: "/api/v1/flows",
			status: 200, contains: []string{`"id":"hello"`, `"status":"draft"`, `"runs_today":{}`, `"runs_today_total":0`, `"updated_at"`}},
		{name: "get flow returns the definition and problems", before: createFlow(brokenFlow), method: "GET", url: "/api/v1/flows/broken",
			status: 200, contains: []string{`"definition":{`, `"nodes":[`, `"problems":[{`, `"node_id":"check"`}},
		{name: "get unknown flow is a 404", method: "GET", url: "/api/v1/flows/nope", status: 404,
			contains: []string{`"code":"not_found"`, "nope"}},
		{name: "put with a different id is a 400", before: createFlow(helloFlow), method: "PUT", url: "/api/v1/flows/hello",
			body: strings.Replace(helloFlow, `"id":"hello"`, `"id":"other"`, 1), status: 400, contains: []string{"other"}},
		{name: "put without id takes it from the address", before: createFlow(helloFlow), method: "PUT", url: "/api/v1/flows/hello",
			body: strings.Replace(helloFlow, `"id":"hello","name":"Hello"`, `"name":"Hello again"`, 1), status: 200,
			contains: []string{`"name":"Hello again"`, `"id":"hello"`}},
		{name: "put to an unknown flow is a 404", method: "PUT", url: "/api/v1/flows/hello", body: helloFlow, status: 404},
		{name: "publish invalid draft is a 422 listing every problem", before: createFlow(brokenFlow), method: "POST",
			url: "/api/v1/flows/broken/publish", status: 422, contains: brokenProblems},
		{name: "publish valid draft returns the version", before: createFlow(helloFlow), method: "POST",
			url: "/api/v1/flows/hello/publish", status: 200, contains: []string{`"version":1`}},
		{name: "pause an active flow", before: publishFlow(helloFlow, "hello"), method: "POST",
			url: "/api/v1/flows/hello/pause", status: 200, contains: []string{`"status":"paused"`}},
		{name: "pause a draft is a 409", before: createFlow(helloFlow), method: "POST",
			url: "/api/v1/flows/hello/pause", status: 409, contains: []string{`"code":"conflict"`}},
		{name: "import invalid flow is a 422 listing every problem", method: "POST", url: "/api/v1/flows/import",
			body: brokenFlow, status: 422, contains: brokenProblems},
		{name: "import wrapped invalid flow is a 422", method: "POST", url: "/api/v1/flows/import",
			body: `{"flow":` + brokenFlow + `,"publish":true}`, status: 422, contains: brokenProblems},
		{name: "import and publish", method: "POST", url: "/api/v1/flows/import",
			body: `{"flow":` + helloFlow + `,"publish":true}`, status: 201, contains: []string{`"id":"hello"`, `"version":1`}},
		{name: "import as draft", method: "POST", url: "/api/v1/flows/import", body: helloFlow, status: 201,
			contains: []string{`"id":"hello"`, `"version":0`}},
		{name: "export is an attachment", before: createFlow(helloFlow), method: "GET", url: "/api/v1/flows/hello/export",
			status: 200, contains: []string{`"id": "hello"`}, notContains: []string{`"version"`},
			header: []string{"Content-Disposition", `attachment; filename="hello.json"`}},
		{name: "validate lists a document's problems and stores nothing", method: "POST", url: "/api/v1/flows/validate",
			body: brokenFlow, status: 200, contains: brokenProblems[1:]},
		{name: "validate a good document", method: "POST", url: "/api/v1/flows/validate", body: helloFlow, status: 200,
			contains: []string{`"problems":[]`}},
		{name: "validate malformed JSON is a 400", method: "POST", url: "/api/v1/flows/validate", body: `{"id":`, status: 400},
		{name: "a validated flow is not stored", before: validateOnly(brokenFlow), method: "GET", url: "/api/v1/flows/broken", status: 404},
		{name: "delete flow", before: createFlow(helloFlow), method: "DELETE", url: "/api/v1/flows/hello", status: 204},
		{name: "delete unknown flow is a 404", method: "DELETE", url: "/api/v1/flows/hello", status: 404},
		{name: "templates are listed", method: "GET", url: "/api/v1/templates", status: 200,
			contains: []string{`"id":"chat-lead-qualification"`, `"definition":{`, `"about":{"starts":"Your chatbot POSTs`, `"kind":"twilio"`}},

		// Node types and expressions.
		{name: "node types are listed with categories", method: "GET", url: "/api/v1/node-types", status: 200,
			contains: []string{`"categories"`, `"type":"trigger.webhook"`, `"category":"trigger"`, `"params"`}},
		{name: "list choices", method: "GET", url: "/api/v1/node-types/list.add/options/list", status: 200,
			contains: []string{`"source":"lists"`, `"options":[]`}},
		{name: "deal stage choices", method: "GET", url: "/api/v1/node-types/crm.create_deal/options/stage", status: 200,
			contains: []string{`"value":"qualified"`, `"value":"won"`}},
		{name: "event choices say what happened, then the events this server received", before: func(t *testing.T, b *testBundle) {
			b.api(t, "POST", "/api/v1/events", `{"type":"order.placed","contact":{"email":"a@b.co"}}`).must(t, http.StatusAccepted)
			b.api(t, "POST", "/api/v1/events", `{"type":"email.opened","contact":{"email":"a@b.co"}}`).must(t, http.StatusAccepted)
		}, method: "GET", url: "/api/v1/node-types/trigger.event/options/event_type", status: 200,
			contains: []string{`"source":"event_types"`,
				`{"value":"email.opened","label":"Email opened","description":"The contact opened an email.","group":"Email"}`,
				`{"value":"sms.undelivered","label":"SMS not delivered"`,
				`{"value":"email.sent","label":"Email sent"`,
				`{"value":"order.placed","label":"order.placed","description":"An event your own systems sent to this server.","group":"Seen on this server"}`},
			notContains: []string{`"message.received"`, `"webhook.received"`, `"value":"email.opened","label":"email.opened"`}},
		{name: "choices of an unknown type are a 404", method: "GET", url: "/api/v1/node-types/nope.nope/options/list", status: 404},
		{name: "choices of a param without any are a 404", method: "GET", url: "/api/v1/node-types/trigger.webhook/options/path", status: 404},
		{name: "a bad condition has located problems", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"contact.score >","returns":"bool"}`, status: 200,
			contains: []string{`"ok":false`, `"code":"bad_expression"`, `"column"`}},
		{name: "a good template is ok", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"Hi {{ contact.first_name }}","template":true}`, status: 200,
			contains: []string{`"ok":true`, `"problems":[]`}},
		{name: "a bad returns is a 400", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"1","returns":"int"}`, status: 400},

		// Runs, contacts and the rest.
		{name: "runs list", method: "GET", url: "/api/v1/runs?limit=10", status: 200, contains: []string{`"runs":[]`, `"total":0`}},
		{name: "runs with a bad status are a 400", method: "GET", url: "/api/v1/runs?status=bogus", status: 400},
		{name: "runs with a bad limit are a 400", method: "GET", url: "/api/v1/runs?limit=-1", status: 400},
		{name: "unknown run is a 404", method: "GET", url: "/api/v1/runs/nope", status: 404},
		{name: "cancel unknown run is a 404", method: "POST", url: "/api/v1/runs/nope/cancel", status: 404},
		{name: "retry unknown run is a 404", method: "POST", url: "/api/v1/runs/nope/retry", status: 404},
		{name: "contacts list", method: "GET", url: "/api/v1/contacts?search=ada", status: 200, contains: []string{`"contacts":[]`}},
		{name: "unknown contact is a 404", method: "GET", url: "/api/v1/contacts/nope", status: 404},
		{name: "erase unknown contact is a 404", method: "DELETE", url: "/api/v1/contacts/nope", status: 404},
		{name: "deals list", method: "GET", url: "/api/v1/deals?stage=won", status: 200, contains: []string{`"deals":[]`}},
		{name: "tasks with a bad done are a 400", method: "GET", url: "/api/v1/tasks?done=maybe", status: 400},
		{name: "tasks list", method: "GET", url: "/api/v1/tasks?done=false", status: 200, contains: []string{`"tasks":[]`}},
		{name: "lists", method: "GET", url: "/api/v1/lists", status: 200, contains: []string{`"lists":[]`}},
		{name: "members of an unknown list are a 404", method: "GET", url: "/api/v1/lists/nope/members", status: 404},
		{name: "unknown API address is a JSON 404", method: "GET", url: "/api/v1/nope", status: 404,
			contains: []string{`"code":"not_found"`}},
		{name: "unknown API method is a JSON error", method: "PATCH", url: "/api/v1/flows", status: 405,
			contains: []string{`"error"`}},

		// Auth and tokens.
		{name: "no credentials is a 401", public: true, method: "GET", url: "/api/v1/flows", status: 401,
			contains: []string{`"code":"unauthorized"`}},
		{name: "wrong password is a 401", public: true, user: true, method: "POST", url: "/api/v1/auth/login",
			body: `{"email":"` + testEmail + `","password":"wrong password"}`, status: 401,
			contains: []string{`"code":"unauthorized"`}, notContains: []string{"password_hash"}},
		{name: "setup once a user exists is a 409", public: true, user: true, method: "POST", url: "/api/v1/auth/setup",
			body: `{"email":"second@example.com","password":"long enough"}`, status: 409},
		{name: "setup status", public: true, user: true, method: "GET", url: "/api/v1/auth/setup", status: 200,
			contains: []string{`"needed":false`}},
		{name: "me with a token", method: "GET", url: "/api/v1/auth/me", status: 200, contains: []string{`"token"`, `"name":"tests"`}},
		{name: "create token shows its value once", method: "POST", url: "/api/v1/tokens", body: `{"name":"ci"}`,
			status: 201, contains: []string{`"token":"jrn_`, `"name":"ci"`}},
		{name: "token without a name is a 400", method: "POST", url: "/api/v1/tokens", body: `{"name":" "}`, status: 400},
		{name: "tokens list never shows values", method: "GET", url: "/api/v1/tokens", status: 200,
			contains: []string{`"name":"tests"`}, notContains: []string{"jrn_", "hash"}},
		{name: "delete unknown token is a 404", method: "DELETE", url: "/api/v1/tokens/nope", status: 404},

		// Public routes.
		{name: "unknown hook path is a 404", public: true, method: "POST", url: "/hooks/nobody-listens",
			body: `{"a":1}`, status: 404, contains: []string{`"code":"not_found"`}},
		{name: "hook body that is not JSON is a 400", before: publishFlow(helloFlow, "hello"), public: true,
			method: "POST", url: "/hooks/hello", body: `{"a":`, status: 400, contains: []string{`"code":"bad_request"`}},
		{name: "hook starts a run", before: publishFlow(helloFlow, "hello"), public: true,
			method: "POST", url: "/hooks/hello", body: `{"a":1}`, status: 202, contains: []string{`"runs":["`}},
		{name: "healthz", public: true, method: "GET", url: "/healthz", status: 200, contains: []string{`"status":"ok"`}},
		{name: "metrics", public: true, method: "GET", url: "/metrics", status: 200,
			contains: []string{"journey_jobs_due 0", `journey_build_info{version="test"} 1`}},
		{name: "the root says the editor is not built", public: true, method: "GET", url: "/", status: 200,
			contains: []string{"editor is not built"}, header: []string{"Content-Type", "text/html"}},
		{name: "tracking addresses never fall back to the editor", public: true, method: "GET", url: "/t/abc", status: 404,
			contains: []string{`"code":"not_found"`}},
		{name: "a request id is returned", public: true, method: "GET", url: "/healthz", status: 200,
			header: []string{"X-Request-Id", "-"}},
	})
}
