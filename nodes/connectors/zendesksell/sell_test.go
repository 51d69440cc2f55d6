package zendesksell_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/zendesksell"
)

// The shared contract (../shared/contracts) has leads, contacts with
// upsert, deals, tasks and notes; users/self, the lead search and the
// lead update are not in it, so testdata/sell_extra.yaml describes them
// and a second mock serves it.
var (
	mock  = connectorstest.NewMock("zendesksell")
	extra = connectorstest.NewSpecMock("zendesksell-extra", "testdata/sell_extra.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

// router sends each request to the mock that describes its operation,
// adding a Prefer header where the test picks a documented answer, and
// checks it against that spec (no sl-violations, 2xx unless expected).
type router struct {
	shared, extra *url.URL
	next          http.RoundTripper
	mu            sync.Mutex
	prefer        map[string]string // "METHOD /path" → Prefer
	seen          []string
}

func newRouter(t *testing.T, check bool) *router {
	s, _ := url.Parse(mock.URL(t))
	e, _ := url.Parse(extra.URL(t))
	next := http.DefaultTransport
	if check {
		next = connectorstest.ContractClient(t).Transport
	}
	return &router{shared: s, extra: e, next: next, prefer: map[string]string{}}
}

func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	route := req.Method + " " + req.URL.Path
	target := r.shared
	if req.URL.Path == "/v2/users/self" || (req.Method == http.MethodGet && req.URL.Path == "/v2/leads") || strings.HasPrefix(req.URL.Path, "/v2/leads/") {
		target = r.extra
	}
	req.URL.Scheme, req.URL.Host, req.Host = target.Scheme, target.Host, target.Host
	r.mu.Lock()
	if p := r.prefer[route]; p != "" {
		req.Header.Set("Prefer", p)
	}
	r.seen = append(r.seen, route)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *router) client() *zendesksell.Client {
	return &zendesksell.Client{BaseURL: "http://sell.invalid", AccessToken: "sell-token-abc", HTTPClient: &http.Client{Transport: r, Timeout: 30 * time.Second}}
}

func TestAgainstContract(t *testing.T) {
	r := newRouter(t, true)
	c := r.client()
	ctx := context.Background()

	cid, _, err := c.UpsertContact(ctx, zendesksell.Person{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321",
		OwnerID: "7", CustomFields: map[string]any{"Consent": "yes"}, IdempotencyKey: "r:n:1"})
	if err != nil || cid != "2002" {
		t.Fatalf("UpsertContact = %q, %v", cid, err)
	}
	// The mock's search finds lead 1001: it is updated.
	lid, created, err := c.UpsertLead(ctx, zendesksell.Person{Email: "ana.lima@example.com", FirstName: "Ana", Company: "Lima Ltda", CustomFields: map[string]any{"Plan": "pro"}})
	if err != nil || lid != "1001" || created {
		t.Fatalf("UpsertLead (found) = %q %v %v", lid, created, err)
	}
	// Nobody found: the lead is created.
	r.prefer["GET /v2/leads"] = "example=none"
	lid, created, err = c.UpsertLead(ctx, zendesksell.Person{Email: "nobody@example.com", FirstName: "Bo"})
	if err != nil || lid != "1001" || !created {
		t.Fatalf("UpsertLead (new) = %q %v %v", lid, created, err)
	}
	deal, err := c.CreateDeal(ctx, zendesksell.Deal{Name: "Ana Lima - chat", ContactID: cid, Value: 1500, Currency: "brl", StageID: "10", OwnerID: "7"})
	if err != nil || deal != "3003" {
		t.Fatalf("CreateDeal = %q, %v", deal, err)
	}
	task, err := c.CreateTask(ctx, zendesksell.Task{Content: "Call Ana back", Due: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC), OwnerID: "7",
		ResourceType: zendesksell.ResourceContact, ResourceID: cid})
	if err != nil || task != "4004" {
		t.Fatalf("CreateTask = %q, %v", task, err)
	}
	if task, err := c.CreateTask(ctx, zendesksell.Task{Content: "Review today's chats"}); err != nil || task == "" {
		t.Fatalf("CreateTask without a person = %q, %v", task, err)
	}
	note, err := c.CreateNote(ctx, zendesksell.Note{Content: "Customer: hi\nAgent: hello", ResourceType: zendesksell.ResourceLead, ResourceID: "1001"})
	if err != nil || note != "5005" {
		t.Fatalf("CreateNote = %q, %v", note, err)
	}
	if who, err := c.Self(ctx); err != nil || !strings.Contains(who, "maria@example.com") {
		t.Fatalf("Self = %q, %v", who, err)
	}
	want := []string{"POST /v2/contacts/upsert", "GET /v2/leads", "PUT /v2/leads/1001", "GET /v2/leads", "POST /v2/leads",
		"POST /v2/deals", "POST /v2/tasks", "POST /v2/tasks", "POST /v2/notes", "GET /v2/users/self"}
	if strings.Join(r.seen, ",") != strings.Join(want, ",") {
		t.Fatalf("calls %v, want %v", r.seen, want)
	}
}

// The connector's CRM steps against the mocks: a lead's id carries its
// kind, so its note and task are attached to the lead.
func TestConnectorAgainstContract(t *testing.T) {
	r := newRouter(t, true)
	conn, ok := nodes.ConnectorFor(zendesksell.Kind)
	if !ok {
		t.Fatal("zendesksell is not registered")
	}
	acc, err := conn.Open(map[string]string{"access_token": "sell-token-abc", "base_url": "http://sell.invalid"},
		nodes.ConnectorEnv{HTTPClient: &http.Client{Transport: r}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := conn.Test(ctx, acc); err != nil {
		t.Fatalf("Test: %v", err)
	}
	lead, err := acc.CRM.Upsert(ctx, "r:u:1", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", SaveAs: nodes.RecordLead})
	if err != nil || lead.ID != "lead:1001" {
		t.Fatalf("lead upsert = %+v, %v", lead, err)
	}
	if id, err := acc.CRM.AddNote(ctx, "r:n:1", nodes.NoteInput{ContactID: lead.ID, Body: "Asked for a quote", Source: "chatbot"}); err != nil || id != "5005" {
		t.Fatalf("note = %q, %v", id, err)
	}
	if id, err := acc.CRM.CreateTask(ctx, "r:t:1", nodes.TaskInput{ContactID: lead.ID, Title: "Call back", Owner: "7", DueAt: time.Now().Add(time.Hour)}); err != nil || id != "4004" {
		t.Fatalf("task = %q, %v", id, err)
	}
	_, err = acc.CRM.CreateDeal(ctx, "r:d:1", nodes.DealInput{ContactID: lead.ID, Title: "Quote"})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "save them as a contact") {
		t.Fatalf("a deal for a lead: %v", err)
	}
	contact, err := acc.CRM.Upsert(ctx, "r:u:2", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", SaveAs: nodes.RecordContact})
	if err != nil || contact.ID != "2002" {
		t.Fatalf("contact upsert = %+v, %v", contact, err)
	}
	if id, err := acc.CRM.CreateDeal(ctx, "r:d:2", nodes.DealInput{ContactID: contact.ID, Title: "Quote", Stage: "new", Value: 99.5, Currency: "EUR", Owner: "maria@example.com"}); err != nil || id != "3003" {
		t.Fatalf("deal = %q, %v", id, err)
	}
}

// Documented error answers of the mock take the documented path.
func TestContractErrors(t *testing.T) {
	r := newRouter(t, false)
	c := r.client()
	ctx := context.Background()
	r.prefer["POST /v2/contacts/upsert"] = "code=409"
	_, _, err := c.UpsertContact(ctx, zendesksell.Person{Email: "ana.lima@example.com", LastName: "Lima"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Multiple contacts match") || !strings.Contains(err.Error(), "409") {
		t.Fatalf("409: %v", err)
	}
	r.prefer["POST /v2/deals"] = "code=401"
	_, err = c.CreateDeal(ctx, zendesksell.Deal{Name: "x", ContactID: "2002"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "expired or invalid access token") {
		t.Fatalf("401: %v", err)
	}
	r.prefer["POST /v2/notes"] = "code=422"
	_, err = c.CreateNote(ctx, zendesksell.Note{Content: "x", ResourceType: "lead", ResourceID: "1"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "last_name: must be present") {
		t.Fatalf("422: %v", err)
	}
	if strings.Contains(err.Error(), "sell-token-abc") {
		t.Fatal("the token shows in an error")
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &zendesksell.Client{BaseURL: base, AccessToken: "tok", HTTPClient: hc}
		_, err := c.CreateDeal(ctx, zendesksell.Deal{Name: "x", ContactID: "2002"})
		return err
	}
	failures := connectorstest.StandardFailures(
		`{"errors":[{"error":{"code":"invalid_payload","message":"The payload could not be parsed","details":"Payload must be a JSON object"}}],"meta":{"type":"errors","http_status":"400 Bad Request"}}`, "The payload could not be parsed",
		`{"errors":[{"error":{"code":"unauthorized","message":"Unauthorized","details":"Missing, malformed, expired or invalid access token"}}],"meta":{"type":"errors"}}`, "invalid access token")
	failures = append(failures,
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: `{"errors":[{"error":{"code":"not_found","message":"Resource not found"}}],"meta":{"type":"errors"}}`, Want: "permanent", WantMessage: "Resource not found"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `{"errors":[{"error":{"code":"conflict","message":"Multiple contacts match the provided filters"}}],"meta":{"type":"errors"}}`, Want: "permanent", WantMessage: "Multiple contacts match"},
		connectorstest.Failure{Name: "429 without Retry-After is retried", Status: 429, Body: `{"errors":[{"error":{"code":"too_many_requests","message":"Rate limit exceeded"}}]}`, Want: "retry", WantMessage: "Rate limit exceeded"},
		connectorstest.Failure{Name: "503 with Retry-After waits", Status: 503, Header: map[string]string{"Retry-After": "7"}, Body: `<html>down</html>`, Want: "retry-after"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

// stub is a fake Sell that answers routes and records the bodies.
type stub struct {
	mu      sync.Mutex
	answers map[string][]string // route → answers in turn (the last repeats)
	status  map[string][]int
	calls   []stubCall
}

type stubCall struct {
	route, query string
	header       http.Header
	data         map[string]any
}

func (s *stub) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(raw, &body)
		route := r.Method + " " + r.URL.Path
		s.mu.Lock()
		n := 0
		for _, c := range s.calls {
			if c.route == route {
				n++
			}
		}
		s.calls = append(s.calls, stubCall{route: route, query: r.URL.RawQuery, header: r.Header.Clone(), data: body.Data})
		answers, statuses := s.answers[route], s.status[route]
		s.mu.Unlock()
		status, answer := 404, `{"errors":[{"error":{"code":"not_found","message":"no such route in the stub"}}]}`
		if len(answers) > 0 {
			answer, status = answers[min(n, len(answers)-1)], 200
		}
		if len(statuses) > 0 {
			status = statuses[min(n, len(statuses)-1)]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (s *stub) client(srv *httptest.Server) *zendesksell.Client {
	return &zendesksell.Client{BaseURL: srv.URL, AccessToken: "tok-secret", HTTPClient: srv.Client()}
}

func TestUpsertContactWithoutALastNameCreatesWithAStandIn(t *testing.T) {
	t.Parallel()
	s := &stub{
		answers: map[string][]string{"POST /v2/contacts/upsert": {
			`{"errors":[{"error":{"code":"missing","message":"last_name: must be present","field":"/data/last_name"}}],"meta":{"type":"errors"}}`,
			`{"data":{"id":77,"created_at":"2026-03-02T13:15:30Z","updated_at":"2026-03-02T13:15:30Z"},"meta":{"type":"contact"}}`,
		}},
		status: map[string][]int{"POST /v2/contacts/upsert": {422, 200}},
	}
	srv := s.serve(t)
	id, created, err := s.client(srv).UpsertContact(context.Background(), zendesksell.Person{Email: "ana@example.com", FirstName: "Ana",
		CustomFields: map[string]any{"Plan": "pro", "Seats": 3.0}})
	if err != nil || id != "77" || !created {
		t.Fatalf("%q %v %v", id, created, err)
	}
	if len(s.calls) != 2 {
		t.Fatalf("%d calls, want 2", len(s.calls))
	}
	first, second := s.calls[0].data, s.calls[1].data
	if _, ok := first["last_name"]; ok || first["first_name"] != "Ana" {
		t.Errorf("the first try must not invent a last name (it would overwrite one on update): %v", first)
	}
	if second["last_name"] != "Ana" || second["first_name"] != nil || second["email"] != "ana@example.com" {
		t.Errorf("the second try creates with the first name as last name: %v", second)
	}
	cf, _ := second["custom_fields"].(map[string]any)
	if cf["Plan"] != "pro" || cf["Seats"] != 3.0 {
		t.Errorf("custom fields = %v", second["custom_fields"])
	}
	if q := s.calls[0].query; q != "email=ana%40example.com" {
		t.Errorf("upsert filter = %q", q)
	}
	h := s.calls[0].header
	if h.Get("Authorization") != "Bearer tok-secret" || h.Get("User-Agent") == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
}

func TestUpsertContactUpdateIsNotCreated(t *testing.T) {
	t.Parallel()
	s := &stub{answers: map[string][]string{"POST /v2/contacts/upsert": {
		`{"data":{"id":5,"created_at":"2025-01-02T10:00:00Z","updated_at":"2026-03-02T13:15:30Z"},"meta":{"type":"contact"}}`}}}
	srv := s.serve(t)
	id, created, err := s.client(srv).UpsertContact(context.Background(), zendesksell.Person{Email: "ana@example.com", LastName: "Lima", OwnerID: "12"})
	if err != nil || id != "5" || created {
		t.Fatalf("%q %v %v", id, created, err)
	}
	if s.calls[0].data["owner_id"] != 12.0 {
		t.Errorf("owner = %v", s.calls[0].data["owner_id"])
	}
}

func TestUpsertLeadSearchesFirst(t *testing.T) {
	t.Parallel()
	s := &stub{answers: map[string][]string{
		"GET /v2/leads":    {`{"items":[],"meta":{"type":"collection","count":0}}`, `{"items":[{"data":{"id":31},"meta":{"type":"lead"}}],"meta":{"count":1}}`},
		"POST /v2/leads":   {`{"data":{"id":31},"meta":{"type":"lead"}}`},
		"PUT /v2/leads/31": {`{"data":{"id":31},"meta":{"type":"lead"}}`},
	}}
	srv := s.serve(t)
	c := s.client(srv)
	ctx := context.Background()
	p := zendesksell.Person{Email: "bo@example.com", Company: "Bo & Co", IdempotencyKey: "r:n:1"}
	id, created, err := c.UpsertLead(ctx, p)
	if err != nil || id != "31" || !created {
		t.Fatalf("first: %q %v %v", id, created, err)
	}
	// The retry finds the lead it created.
	id, created, err = c.UpsertLead(ctx, p)
	if err != nil || id != "31" || created {
		t.Fatalf("retry: %q %v %v", id, created, err)
	}
	var routes []string
	for _, c := range s.calls {
		routes = append(routes, c.route)
	}
	if strings.Join(routes, ",") != "GET /v2/leads,POST /v2/leads,GET /v2/leads,PUT /v2/leads/31" {
		t.Fatalf("calls %v", routes)
	}
	if q, _ := url.ParseQuery(s.calls[0].query); q.Get("email") != "bo@example.com" {
		t.Errorf("search %q", s.calls[0].query)
	}
	// A company is enough for Sell to create a lead: no stand-in name.
	if d := s.calls[1].data; d["organization_name"] != "Bo & Co" || d["last_name"] != nil {
		t.Errorf("create %v", d)
	}
}

func TestTaskAndNoteBodies(t *testing.T) {
	t.Parallel()
	s := &stub{answers: map[string][]string{"POST /v2/tasks": {`{"data":{"id":4}}`}, "POST /v2/notes": {`{"data":{"id":5}}`}}}
	srv := s.serve(t)
	conn, _ := nodes.ConnectorFor(zendesksell.Kind)
	acc, err := conn.Open(map[string]string{"access_token": "tok-secret", "base_url": srv.URL}, nodes.ConnectorEnv{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	due := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	if _, err := acc.CRM.CreateTask(ctx, "k", nodes.TaskInput{ContactID: "lead:9", Title: "Call", Notes: "About the quote", Owner: "maria", DueAt: due}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.CRM.AddNote(ctx, "k", nodes.NoteInput{ContactID: "8", Body: "Customer: <hi>", Source: "chatbot"}); err != nil {
		t.Fatal(err)
	}
	task, note := s.calls[0].data, s.calls[1].data
	if task["content"] != "Call\n\nAbout the quote\n\nOwner: maria" || task["due_date"] != "2026-12-01T08:30:00Z" ||
		task["resource_type"] != "lead" || task["resource_id"] != 9.0 || task["owner_id"] != nil {
		t.Errorf("task %v", task)
	}
	if note["content"] != "Customer: <hi>\n\nSource: chatbot" || note["resource_type"] != "contact" || note["resource_id"] != 8.0 {
		t.Errorf("note %v", note)
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	c := &zendesksell.Client{BaseURL: "http://127.0.0.1:1", AccessToken: "tok"}
	ctx := context.Background()
	_, _, e1 := c.UpsertContact(ctx, zendesksell.Person{Email: "nope"})
	_, e2 := c.CreateDeal(ctx, zendesksell.Deal{Name: "x", ContactID: "abc"})
	_, e3 := c.CreateNote(ctx, zendesksell.Note{Content: "x"})
	_, e4 := c.CreateTask(ctx, zendesksell.Task{})
	_, e5 := c.CreateDeal(ctx, zendesksell.Deal{Name: "x"})
	_, _, e6 := (&zendesksell.Client{}).UpsertLead(ctx, zendesksell.Person{Email: "a@example.com"})
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%d: %v", i+1, err)
		}
	}
}
