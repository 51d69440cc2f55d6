package channels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/mailchimp"
	"github.com/journeyhq/journey/nodes/connectors/zendesksell"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// recorder is a fake vendor API: it answers each "METHOD /path" with a
// canned status and body and records what it got.
type recorder struct {
	mu      sync.Mutex
	answers map[string]answer
	calls   []call
	// failFirst answers the first n calls of a route with 503.
	failFirst map[string]int
}

type answer struct {
	status int
	body   string
	header map[string]string
}

type call struct {
	method, path, query string
	header              http.Header
	body                map[string]any
	raw                 string
}

func (r *recorder) serve(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		r.mu.Lock()
		r.calls = append(r.calls, call{method: req.Method, path: req.URL.Path, query: req.URL.RawQuery, header: req.Header.Clone(), body: body, raw: string(raw)})
		route := req.Method + " " + req.URL.Path
		a, ok := r.answers[route]
		if r.failFirst[route] > 0 {
			r.failFirst[route]--
			a, ok = answer{status: 503, body: `{"message":"try later"}`}, true
		}
		r.mu.Unlock()
		if !ok {
			a = answer{status: 404, body: `{"message":"no such route in the fake"}`}
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (r *recorder) find(method, path string) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []call
	for _, c := range r.calls {
		if c.method == method && c.path == path {
			out = append(out, c)
		}
	}
	return out
}

// accountsBundle is an engine whose channels service has the vendor
// accounts wired as main wires them.
type accountsBundle struct {
	ctx   context.Context
	store *storage.Store
	svc   *channels.Service
	eng   *engine.Engine
}

// stepClock is a clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func setupAccounts(t *testing.T, allowPrivate bool) *accountsBundle {
	return setupAccountsWith(t, allowPrivate, engine.SystemClock{})
}

func setupAccountsWith(t *testing.T, allowPrivate bool, clock engine.Clock) *accountsBundle {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "app.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	accounts, web := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: allowPrivate})
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{7}, 32), PublicURL: publicURL,
		Connectors: channels.VendorConnectors(publicURL, true), Accounts: accounts, HTTP: web})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Channels: svc, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &accountsBundle{ctx: ctx, store: store, svc: svc, eng: eng}
}

func (b *accountsBundle) credential(t *testing.T, name, kind string, fields map[string]any) string {
	t.Helper()
	v, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: name, Kind: kind, Fields: fields})
	if err != nil {
		t.Fatalf("create %s credential: %v", kind, err)
	}
	return v.ID
}

// flowNode is one step of a linear test flow.
type flowNode struct {
	id, typ string
	params  map[string]any
}

// runChain publishes signup → nodes (in order, through "out"), sends a
// signup event for ana@example.com, drains the engine and returns the
// run's steps by node id (last attempt wins).
func (b *accountsBundle) runChain(t *testing.T, steps ...flowNode) (storage.Run, map[string]storage.Step) {
	t.Helper()
	f := &flows.Flow{ID: "chain", Name: "Chain"}
	f.Nodes = append(f.Nodes, flows.Node{ID: "start", Type: nodes.TypeEventTrigger, Params: json.RawMessage(`{"event_type":"signup"}`)})
	prev := "start"
	for _, s := range steps {
		raw, _ := json.Marshal(s.params)
		f.Nodes = append(f.Nodes, flows.Node{ID: s.id, Type: s.typ, Params: raw})
		f.Edges = append(f.Edges, flows.Edge{From: prev, To: s.id})
		prev = s.id
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatalf("import: %v", err)
	}
	res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ana@example.com"},
		Data: map[string]any{"first_name": "Ana"}})
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("ingest = %+v, %v", res, err)
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	run, err := storage.GetRun(b.store.Reader(), res.Started[0])
	if err != nil {
		t.Fatal(err)
	}
	all, err := storage.RunSteps(b.store.Reader(), run.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]storage.Step{}
	for _, s := range all {
		out[s.NodeID] = s
	}
	return *run, out
}

func TestCRMStepsWriteToHubSpot(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor mock is on loopback
	api := &recorder{answers: map[string]answer{
		"POST /crm/v3/objects/contacts/batch/upsert": {200, `{"status":"COMPLETE","results":[{"id":"501","new":true,"properties":{}}]}`, nil},
		"POST /crm/v3/objects/deals":                 {201, `{"id":"701","properties":{}}`, nil},
		"POST /crm/v3/objects/notes":                 {201, `{"id":"801","properties":{}}`, nil},
		"POST /crm/v3/objects/tasks":                 {201, `{"id":"901","properties":{}}`, nil},
	}}
	srv := api.serve(t)
	hs := b.credential(t, "Sales HubSpot", channels.KindHubSpot, map[string]any{"access_token": "pat-SECRET", "base_url": srv.URL})

	run, steps := b.runChain(t,
		flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "first_name": "{{ event.data.first_name }}", "target": hs}},
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"title": "Chat lead", "value": "1200", "currency": "EUR", "target": hs}},
		flowNode{"note", nodes.TypeAddNote, map[string]any{"body": "Customer: hi <there>\nAgent: hello", "source": "chatbot", "target": hs}},
		flowNode{"task", nodes.TypeCreateTask, map[string]any{"title": "Call Ana back", "due_in": "1d", "target": hs}},
	)
	if run.Status != storage.RunCompleted {
		t.Fatalf("run %s; steps %+v", run.Status, steps)
	}
	ups := api.find("POST", "/crm/v3/objects/contacts/batch/upsert")
	if len(ups) != 1 || ups[0].header.Get("Authorization") != "Bearer pat-SECRET" ||
		!strings.Contains(ups[0].raw, `"idProperty":"email"`) || !strings.Contains(ups[0].raw, `"firstname":"Ana"`) {
		t.Fatalf("upsert calls = %+v", ups)
	}
	deals := api.find("POST", "/crm/v3/objects/deals")
	if len(deals) != 1 || !strings.Contains(deals[0].raw, `"amount":"1200"`) || !strings.Contains(deals[0].raw, `"id":"501"`) {
		t.Fatalf("the deal was not created for HubSpot contact 501: %+v", deals)
	}
	notes := api.find("POST", "/crm/v3/objects/notes")
	if len(notes) != 1 || !strings.Contains(notes[0].raw, `hi \u0026lt;there\u0026gt;\u003cbr\u003eAgent`) || !strings.Contains(notes[0].raw, `"id":"501"`) {
		t.Fatalf("note calls = %+v", notes)
	}
	if tasks := api.find("POST", "/crm/v3/objects/tasks"); len(tasks) != 1 || !strings.Contains(tasks[0].raw, `"hs_task_subject":"Call Ana back"`) {
		t.Fatalf("task calls = %+v", tasks)
	}
	if !strings.Contains(steps["deal"].Output, `"deal_id":"701"`) {
		t.Fatalf("deal step output = %s", steps["deal"].Output)
	}
	// The built-in store keeps one contact; nothing was written there by
	// the HubSpot steps.
	var deals2 int64
	_ = storagetest.Count(b.store.Reader(), &deals2, "deals", "")
	if deals2 != 0 {
		t.Fatalf("%d built-in deals, want 0 (the target is HubSpot)", deals2)
	}
	if strings.Contains(steps["save"].Output, "pat-SECRET") || strings.Contains(steps["save"].Input, "pat-SECRET") {
		t.Fatal("the token shows in the run detail")
	}
}

func TestRetriedVendorStepKeepsItsKey(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Now().UTC()}
	b := setupAccountsWith(t, true, clock) // the vendor mock is on loopback
	api := &recorder{failFirst: map[string]int{"POST /crm/v3/objects/deals": 1}, answers: map[string]answer{
		"POST /crm/v3/objects/contacts/batch/upsert": {200, `{"status":"COMPLETE","results":[{"id":"501","new":false}]}`, nil},
		"POST /crm/v3/objects/deals":                 {201, `{"id":"701"}`, nil},
	}}
	srv := api.serve(t)
	hs := b.credential(t, "HubSpot", channels.KindHubSpot, map[string]any{"access_token": "pat-x", "base_url": srv.URL})
	run, steps := b.runChain(t,
		flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "target": hs}},
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"target": hs}},
	)
	if run.Status == storage.RunCompleted || steps["deal"].Status != "retrying" || !strings.Contains(steps["deal"].Error, "try later") {
		t.Fatalf("after a 503: run %s, deal step %+v", run.Status, steps["deal"])
	}
	clock.add(time.Hour)
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := storage.GetRun(b.store.Reader(), run.ID)
	deals := api.find("POST", "/crm/v3/objects/deals")
	if after.Status != storage.RunCompleted || len(deals) != 2 {
		t.Fatalf("run %s after the retry, %d deal calls", after.Status, len(deals))
	}
	if k := deals[0].header.Get("Idempotency-Key"); k == "" || k != deals[1].header.Get("Idempotency-Key") {
		t.Fatalf("the retry changed the idempotency key: %q then %q", k, deals[1].header.Get("Idempotency-Key"))
	}
	if n := len(api.find("POST", "/crm/v3/objects/contacts/batch/upsert")); n != 1 {
		t.Fatalf("%d upserts, want 1 (the contact id is kept in the run's vars)", n)
	}
}

func TestHubSpotRefusalFailsTheStepWithItsMessage(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor mock is on loopback
	api := &recorder{answers: map[string]answer{
		"POST /crm/v3/objects/contacts/batch/upsert": {400, `{"status":"error","message":"Property values were not valid: plan","category":"VALIDATION_ERROR"}`, nil},
	}}
	srv := api.serve(t)
	hs := b.credential(t, "HubSpot", channels.KindHubSpot, map[string]any{"access_token": "pat-x", "base_url": srv.URL})
	run, steps := b.runChain(t, flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "target": hs}})
	if run.Status != storage.RunFailed || steps["save"].Status != "failed" || steps["save"].Attempt != 1 ||
		!strings.Contains(steps["save"].Error, "Property values were not valid") {
		t.Fatalf("run %s, step %+v; want failed at once with HubSpot's message", run.Status, steps["save"])
	}
	if n := len(api.find("POST", "/crm/v3/objects/contacts/batch/upsert")); n != 1 {
		t.Fatalf("%d calls, want 1 (a 400 is not retried)", n)
	}
}

func TestPipedriveFindsThePersonBeforeCreating(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor mock is on loopback
	api := &recorder{answers: map[string]answer{
		"GET /api/v2/persons/search": {200, `{"success":true,"data":{"items":[{"result_score":1,"item":{"id":42,"name":"Ana"}}]}}`, nil},
		"POST /api/v2/deals":         {200, `{"success":true,"data":{"id":77}}`, nil},
		"POST /v1/activities":        {200, `{"success":true,"data":{"id":88}}`, nil},
		"POST /v1/notes":             {200, `{"success":true,"data":{"id":99}}`, nil},
	}}
	srv := api.serve(t)
	pd := b.credential(t, "Pipedrive", channels.KindPipedrive, map[string]any{"api_token": "pd-SECRET", "base_url": srv.URL})
	run, steps := b.runChain(t,
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"title": "Lead", "value": "300", "target": pd}},
		flowNode{"task", nodes.TypeCreateTask, map[string]any{"title": "Call back", "target": pd}},
		flowNode{"note", nodes.TypeAddNote, map[string]any{"body": "Transcript", "target": pd}},
	)
	if run.Status != storage.RunCompleted {
		t.Fatalf("run %s, steps %+v", run.Status, steps)
	}
	if got := api.find("POST", "/api/v2/persons"); len(got) != 0 {
		t.Fatalf("a person was created although the search found one: %+v", got)
	}
	search := api.find("GET", "/api/v2/persons/search")
	if len(search) != 1 || !strings.Contains(search[0].query, "term=ana%40example.com") || search[0].header.Get("X-Api-Token") != "pd-SECRET" {
		t.Fatalf("search = %+v", search)
	}
	deals := api.find("POST", "/api/v2/deals")
	if len(deals) != 1 || deals[0].body["person_id"] != float64(42) || deals[0].body["value"] != float64(300) {
		t.Fatalf("deal = %+v", deals)
	}
	// The person id found for the deal is kept for the next steps: one
	// search for the whole run.
	if acts := api.find("POST", "/v1/activities"); len(acts) != 1 || acts[0].body["person_id"] != float64(42) {
		t.Fatalf("activity = %+v", acts)
	}
	if notes := api.find("POST", "/v1/notes"); len(notes) != 1 || notes[0].body["person_id"] != float64(42) {
		t.Fatalf("note = %+v", notes)
	}
}

func TestMailchimpListAndTagsKeyTheMemberByEmailHash(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor mock is on loopback
	hash := mailchimp.SubscriberHash("ana@example.com")
	api := &recorder{answers: map[string]answer{
		"PUT /lists/aud1/members/" + hash:            {200, `{"id":"` + hash + `","email_address":"ana@example.com","status":"subscribed"}`, nil},
		"POST /lists/aud1/members/" + hash + "/tags": {204, ``, nil},
	}}
	srv := api.serve(t)
	mc := b.credential(t, "Mailchimp", channels.KindMailchimp, map[string]any{"api_key": "abc-us6", "list_id": "aud1", "base_url": srv.URL})
	run, steps := b.runChain(t,
		flowNode{"list", nodes.TypeAddToList, map[string]any{"list": "aud1", "target": mc}},
		flowNode{"tag", nodes.TypeTag, map[string]any{"add": []string{"hot-lead"}, "remove": []string{"cold"}, "target": mc}},
	)
	if run.Status != storage.RunCompleted {
		t.Fatalf("run %s, steps %+v", run.Status, steps)
	}
	puts := api.find("PUT", "/lists/aud1/members/"+hash)
	if len(puts) != 1 || puts[0].body["email_address"] != "ana@example.com" || puts[0].body["status_if_new"] != "subscribed" {
		t.Fatalf("member upsert = %+v", puts)
	}
	tags := api.find("POST", "/lists/aud1/members/"+hash+"/tags")
	if len(tags) != 1 || !strings.Contains(tags[0].raw, `{"name":"hot-lead","status":"active"}`) || !strings.Contains(tags[0].raw, `{"name":"cold","status":"inactive"}`) {
		t.Fatalf("tags = %+v", tags)
	}
}

func TestPublishRefusesATargetOfTheWrongKind(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, false)
	slackID := b.credential(t, "Team Slack", channels.KindSlack, map[string]any{"webhook_url": "https://hooks.slack.com/services/T/B/X"})
	f := &flows.Flow{ID: "wrong", Name: "Wrong", Nodes: []flows.Node{
		{ID: "start", Type: nodes.TypeEventTrigger, Params: json.RawMessage(`{"event_type":"signup"}`)},
		{ID: "deal", Name: "Big deal", Type: nodes.TypeCreateDeal, Params: json.RawMessage(`{"target":"` + slackID + `"}`)},
		{ID: "ping", Type: nodes.TypeSlack, Params: json.RawMessage(`{"credential":"no-such-id","text":"hi"}`)},
	}, Edges: []flows.Edge{{From: "start", To: "deal"}, {From: "deal", To: "ping"}}}
	// Imported as a draft that says which accounts to choose (see
	// engine/credentials.go); publishing it is refused with the problems.
	if v, err := b.eng.Import(b.ctx, f, true); err != nil || v != 0 {
		t.Fatalf("import = v%d, %v; want a draft", v, err)
	}
	_, err := b.eng.Publish(b.ctx, "wrong")
	var pe *flows.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("publish = %v, want the credential problems", err)
	}
	var wrong, missing bool
	for _, p := range pe.Problems {
		if p.NodeID == "deal" && p.Param == "target" && p.Code == flows.CodeMissingCredential &&
			strings.Contains(p.Message, `"Big deal"`) && strings.Contains(p.Message, `"hubspot" or "pipedrive"`) && strings.Contains(p.Message, "slack account") {
			wrong = true
		}
		if p.NodeID == "ping" && p.Param == "credential" && p.Code == flows.CodeMissingCredential {
			missing = true
		}
	}
	if !wrong || !missing {
		t.Fatalf("problems = %+v", pe.Problems)
	}
	// A draft keeps the problems too, and publishing it is refused.
	problems, _, err := b.eng.SaveDraft(b.ctx, f, engine.DraftOptions{})
	if err != nil || len(problems) != 2 {
		t.Fatalf("save draft = %+v, %v", problems, err)
	}
	if _, err := b.eng.Publish(b.ctx, "wrong"); err == nil {
		t.Fatal("a flow sending a deal to a Slack account was published")
	}
}

func TestHTTPRequestStep(t *testing.T) {
	t.Parallel()
	api := &recorder{answers: map[string]answer{
		"POST /leads":  {201, `{"id":"L-1","ok":true}`, map[string]string{"X-Request-Id": "req-9", "Set-Cookie": "session=SECRET"}},
		"POST /broken": {422, `{"message":"email is already a lead"}`, nil},
		"POST /busy":   {429, `{"message":"slow down"}`, map[string]string{"Retry-After": "120"}},
	}}
	srv := api.serve(t)

	t.Run("a private address is refused unless allowed", func(t *testing.T) {
		t.Parallel()
		b := setupAccounts(t, false)
		run, steps := b.runChain(t, flowNode{"call", nodes.TypeHTTPRequest, map[string]any{"url": srv.URL + "/leads"}})
		if run.Status != storage.RunFailed || !strings.Contains(steps["call"].Error, "--http-allow-private") || steps["call"].Attempt != 1 {
			t.Fatalf("run %s, step %+v", run.Status, steps["call"])
		}
	})
	t.Run("posts the JSON body with the account's auth and keeps the answer", func(t *testing.T) {
		t.Parallel()
		b := setupAccounts(t, true)
		cred := b.credential(t, "Backend", channels.KindHTTP, map[string]any{"base_url": srv.URL, "auth_header": "X-Api-Key", "auth_value": "k-SECRET"})
		run, steps := b.runChain(t, flowNode{"call", nodes.TypeHTTPRequest, map[string]any{
			"method": "POST", "url": "/leads", "credential": cred,
			"headers": []map[string]any{{"name": "X-Source", "value": "journey {{ contact.email }}"}},
			"body":    `{"email": "{{ contact.email }}", "note": "{{ event.data.first_name }} said \"hi\"", "score": {{ contact.score }}}`,
		}})
		if run.Status != storage.RunCompleted {
			t.Fatalf("run %s, step %+v", run.Status, steps["call"])
		}
		var got []call
		for _, c := range api.find("POST", "/leads") {
			if c.header.Get("X-Api-Key") == "k-SECRET" {
				got = append(got, c)
			}
		}
		if len(got) != 1 || got[0].body["email"] != "ana@example.com" || got[0].body["score"] != float64(0) ||
			got[0].header.Get("X-Source") != "journey ana@example.com" || got[0].header.Get("Idempotency-Key") == "" {
			t.Fatalf("calls = %+v", got)
		}
		out := steps["call"].Output
		if !strings.Contains(out, `"status":201`) || !strings.Contains(out, `"id":"L-1"`) || !strings.Contains(out, `"X-Request-Id":"req-9"`) ||
			strings.Contains(out, "SECRET") {
			t.Fatalf("output = %s", out)
		}
	})
	t.Run("a 429 is tried again no sooner than Retry-After", func(t *testing.T) {
		t.Parallel()
		b := setupAccounts(t, true)
		before := time.Now()
		run, steps := b.runChain(t, flowNode{"call", nodes.TypeHTTPRequest, map[string]any{"url": srv.URL + "/busy"}})
		if run.Status == storage.RunFailed || steps["call"].Status != "retrying" || !strings.Contains(steps["call"].Error, "slow down") {
			t.Fatalf("run %s, step %+v", run.Status, steps["call"])
		}
		var job storage.Job
		if err := storagetest.First(b.store.Reader(), &job, storagetest.Where("run_id = ? AND node_id = ?", run.ID, "call")); err != nil {
			t.Fatal(err)
		}
		if job.DueAt.Before(before.Add(119*time.Second)) || job.Attempts != 1 {
			t.Fatalf("retry due %v (attempts %d), want at least 120s after %v", job.DueAt, job.Attempts, before)
		}
	})
	t.Run("a 4xx follows failed with the service's message", func(t *testing.T) {
		t.Parallel()
		b := setupAccounts(t, true)
		f := &flows.Flow{ID: "f", Name: "F", Nodes: []flows.Node{
			{ID: "start", Type: nodes.TypeEventTrigger, Params: json.RawMessage(`{"event_type":"signup"}`)},
			{ID: "call", Type: nodes.TypeHTTPRequest, Params: json.RawMessage(`{"url":"` + srv.URL + `/broken"}`)},
			{ID: "after", Type: nodes.TypeTag, Params: json.RawMessage(`{"add":["http-failed"]}`)},
		}, Edges: []flows.Edge{{From: "start", To: "call"}, {From: "call", Port: "failed", To: "after"}}}
		if _, err := b.eng.Import(b.ctx, f, true); err != nil {
			t.Fatal(err)
		}
		res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "bo@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.eng.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		steps, _ := storage.RunSteps(b.store.Reader(), res.Started[0])
		var call, after *storage.Step
		for i := range steps {
			switch steps[i].NodeID {
			case "call":
				call = &steps[i]
			case "after":
				after = &steps[i]
			}
		}
		if call == nil || call.Status != "failed" || call.Port != "failed" || !strings.Contains(call.Error, "email is already a lead") || after == nil {
			t.Fatalf("steps = %+v", steps)
		}
	})
}

// TestAccountFailures checks how each vendor client, as the steps use
// it, classifies failures: 400 and 401 end the step with the vendor's
// message, 429 waits for Retry-After, 500 and timeouts are retried.
func TestAccountFailures(t *testing.T) {
	t.Parallel()
	ci := nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana"}
	cases := []struct {
		kind     string
		values   func(base string) map[string]string
		call     func(ctx context.Context, acc nodes.Account) error
		failures []connectorstest.Failure
	}{
		{
			kind:   channels.KindHubSpot,
			values: func(base string) map[string]string { return map[string]string{"base_url": base, "access_token": "t"} },
			call: func(ctx context.Context, acc nodes.Account) error {
				_, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{Title: "Deal", ContactID: "1"})
				return err
			},
			failures: connectorstest.StandardFailures(`{"status":"error","message":"Property dealname is invalid","category":"VALIDATION_ERROR"}`, "Property dealname is invalid",
				`{"status":"error","message":"Authentication credentials not found","category":"INVALID_AUTHENTICATION"}`, "Authentication credentials not found"),
		},
		{
			kind:   channels.KindPipedrive,
			values: func(base string) map[string]string { return map[string]string{"base_url": base, "api_token": "t"} },
			call: func(ctx context.Context, acc nodes.Account) error {
				_, err := acc.CRM.Upsert(ctx, "k", ci)
				return err
			},
			failures: connectorstest.StandardFailures(`{"success":false,"error":"Bad term"}`, "Bad term",
				`{"success":false,"error":"unauthorized access","errorCode":401}`, "unauthorized access"),
		},
		{
			kind: channels.KindMailchimp,
			values: func(base string) map[string]string {
				return map[string]string{"base_url": base, "api_key": "k-us6", "list_id": "l"}
			},
			call: func(ctx context.Context, acc nodes.Account) error {
				_, err := acc.Lists.Subscribe(ctx, "k", "", ci, nodes.JoinOptions{})
				return err
			},
			failures: connectorstest.StandardFailures(`{"title":"Invalid Resource","status":400,"detail":"Forgotten Email Not Subscribed"}`, "Forgotten Email Not Subscribed",
				`{"title":"API Key Invalid","status":401,"detail":"Your API key may be invalid"}`, "Your API key may be invalid"),
		},
		{
			kind:   channels.KindSlack,
			values: func(base string) map[string]string { return map[string]string{"webhook_url": base + "/services/T/B/X"} },
			call: func(ctx context.Context, acc nodes.Account) error {
				return acc.Slack.PostSlack(ctx, nodes.SlackMessage{Text: "hi"})
			},
			failures: connectorstest.StandardFailures(`invalid_payload`, "Slack could not read the message", `invalid_token`, "no longer valid"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			connectorstest.RunFailures(t, func(ctx context.Context, base string, hc *http.Client) error {
				accounts, _ := channels.VendorAccounts(channels.AccountOptions{VendorClient: hc})
				acc, err := accounts[tc.kind](tc.values(base), nil)
				if err != nil {
					return err
				}
				return tc.call(ctx, acc)
			}, func(err error) error { return err }, tc.failures)
		})
	}
	t.Run("http", func(t *testing.T) {
		t.Parallel()
		connectorstest.RunFailures(t, func(ctx context.Context, base string, hc *http.Client) error {
			_, web := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
			_, err := web.Call(ctx, nodes.HTTPRequest{Method: "POST", URL: base + "/x", Body: json.RawMessage(`{}`), Timeout: hc.Timeout})
			return err
		}, func(err error) error { return err }, connectorstest.StandardFailures(
			`{"error":{"message":"email is required"}}`, "email is required", `{"message":"bad token"}`, "bad token"))
	})
}

// TestAccountsAgainstContracts runs the CRM and list steps' clients
// against the vendors' specs served by Prism: every request must be valid
// (2xx and no sl-violations).
func TestAccountsAgainstContracts(t *testing.T) {
	ctx := context.Background()
	ci := nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321"}
	for _, v := range []struct {
		kind   string
		values func(base string) map[string]string
	}{
		{channels.KindHubSpot, func(base string) map[string]string {
			return map[string]string{"base_url": base, "access_token": "pat-na1-abc"}
		}},
		{channels.KindPipedrive, func(base string) map[string]string {
			return map[string]string{"base_url": base, "api_token": "pd-token"}
		}},
		{zendesksell.Kind, func(base string) map[string]string {
			return map[string]string{"base_url": base, "access_token": "sell-token"}
		}},
	} {
		t.Run(v.kind, func(t *testing.T) {
			mock := connectorstest.NewMock(v.kind)
			t.Cleanup(mock.Stop)
			accounts, _ := channels.VendorAccounts(channels.AccountOptions{VendorClient: connectorstest.ContractClient(t)})
			acc, err := accounts[v.kind](v.values(mock.URL(t)), nil)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := acc.CRM.Upsert(ctx, "r:n:1", ci)
			if err != nil || ref.ID == "" {
				t.Fatalf("upsert = %+v, %v", ref, err)
			}
			deal, err := acc.CRM.CreateDeal(ctx, "r:d:1", nodes.DealInput{ContactID: ref.ID, Title: "Ana – chat", Stage: "new", Value: 1500, Currency: "EUR"})
			if err != nil || deal == "" {
				t.Fatalf("deal = %q, %v", deal, err)
			}
			note, err := acc.CRM.AddNote(ctx, "r:o:1", nodes.NoteInput{ContactID: ref.ID, Body: "Customer: hi\nAgent: hello", Source: "chatbot"})
			if err != nil || note == "" {
				t.Fatalf("note = %q, %v", note, err)
			}
		})
	}
	t.Run(channels.KindMailchimp, func(t *testing.T) {
		mock := connectorstest.NewMock(channels.KindMailchimp)
		t.Cleanup(mock.Stop)
		accounts, _ := channels.VendorAccounts(channels.AccountOptions{VendorClient: connectorstest.ContractClient(t)})
		acc, err := accounts[channels.KindMailchimp](map[string]string{"base_url": mock.URL(t), "api_key": "abc-us6", "list_id": "57afe96172"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := acc.Lists.Subscribe(ctx, "r:l:1", "", ci, nodes.JoinOptions{}); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		if err := acc.Tags.Tag(ctx, "r:t:1", "", ci.Email, []string{"hot-lead"}, []string{"cold"}); err != nil {
			t.Fatalf("tags: %v", err)
		}
	})
}
