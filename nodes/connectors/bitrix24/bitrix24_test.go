package bitrix24_test

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
	"github.com/journeyhq/journey/nodes/connectors/bitrix24"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

// The shared contract (../shared/contracts) has crm.lead.add,
// crm.contact.add, crm.deal.add, tasks.task.add, crm.timeline.comment.add
// and crm.duplicate.findbycomm; profile and the contact and lead updates
// are not in it, so testdata/bitrix24_extra.yaml describes them and a
// second mock serves it.
var (
	mock  = connectorstest.NewMock("bitrix24")
	extra = connectorstest.NewSpecMock("bitrix24-extra", "testdata/bitrix24_extra.yaml")
)

const code = "abc123def456"

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

// router sends each method to the mock that describes it, adding a
// Prefer header where the test picks a documented answer.
type router struct {
	shared, extra *url.URL
	next          http.RoundTripper
	mu            sync.Mutex
	prefer        map[string]string // method → Prefer
	// local answers a method here instead of a mock (a result no
	// example of the spec gives).
	local map[string]string
	seen  []string
}

func newRouter(t *testing.T, check bool) *router {
	s, _ := url.Parse(mock.URL(t))
	e, _ := url.Parse(extra.URL(t))
	next := http.DefaultTransport
	if check {
		next = connectorstest.ContractClient(t).Transport
	}
	return &router{shared: s, extra: e, next: next, prefer: map[string]string{}, local: map[string]string{}}
}

func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	method := strings.TrimSuffix(req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:], ".json")
	target := r.shared
	switch method {
	case "profile", "crm.contact.update", "crm.lead.update":
		target = r.extra
	}
	req.URL.Scheme, req.URL.Host, req.Host = target.Scheme, target.Host, target.Host
	r.mu.Lock()
	if p := r.prefer[method]; p != "" {
		req.Header.Set("Prefer", p)
	}
	r.seen = append(r.seen, method)
	body, isLocal := r.local[method]
	r.mu.Unlock()
	if isLocal {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
	return r.next.RoundTrip(req)
}

func (r *router) client(t *testing.T) *bitrix24.Client {
	c, err := bitrix24.New("https://portal.bitrix24.invalid/rest/1/"+code+"/", &http.Client{Transport: r, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAgainstContract(t *testing.T) {
	r := newRouter(t, true)
	c := r.client(t)
	ctx := context.Background()

	// The mock finds contacts 275 and 2297 with the email: the oldest is
	// updated.
	id, created, err := c.UpsertContact(ctx, bitrix24.Person{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321",
		OwnerID: "1", Fields: map[string]any{"uf_crm_plan": "pro"}})
	if err != nil || id != "275" || created {
		t.Fatalf("UpsertContact (found) = %q %v %v", id, created, err)
	}
	r.prefer["crm.duplicate.findbycomm"] = "example=none"
	id, created, err = c.UpsertContact(ctx, bitrix24.Person{Email: "bo@example.com", FirstName: "Bo", Phone: "+4915112345678", Fields: map[string]any{"UF_CRM_PLAN": "pro"}})
	if err != nil || id != "3465" || !created {
		t.Fatalf("UpsertContact (new) = %q %v %v", id, created, err)
	}
	lead, created, err := c.UpsertLead(ctx, bitrix24.Person{Email: "bo@example.com", FirstName: "Bo", Company: "Bo & Co", Fields: map[string]any{"UTM_SOURCE": "chatbot"}})
	if err != nil || lead != "3465" || !created {
		t.Fatalf("UpsertLead (new) = %q %v %v", lead, created, err)
	}
	deal, err := c.CreateDeal(ctx, bitrix24.Deal{Title: "Ana Lima - chat", EntityType: bitrix24.EntityContact, EntityID: "275", Value: 1500, Currency: "brl", StageID: "NEW", OwnerID: "1"})
	if err != nil || deal != "3465" {
		t.Fatalf("CreateDeal = %q, %v", deal, err)
	}
	if deal, err := c.CreateDeal(ctx, bitrix24.Deal{Title: "Bo - chat", EntityType: bitrix24.EntityLead, EntityID: lead}); err != nil || deal == "" {
		t.Fatalf("CreateDeal for a lead = %q, %v", deal, err)
	}
	task, err := c.CreateTask(ctx, bitrix24.Task{Title: "Call Ana back", Description: "About the quote", Deadline: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC),
		EntityType: bitrix24.EntityContact, EntityID: "275"})
	if err != nil || task != "3711" {
		t.Fatalf("CreateTask = %q, %v", task, err)
	}
	note, err := c.AddComment(ctx, bitrix24.Comment{EntityType: bitrix24.EntityLead, EntityID: lead, Text: "Customer: hi\nAgent: hello", IdempotencyKey: "r:n:1"})
	if err != nil || note != "3465" {
		t.Fatalf("AddComment = %q, %v", note, err)
	}
	if who, err := c.Profile(ctx); err != nil || who != "Maria Sales" {
		t.Fatalf("Profile = %q, %v", who, err)
	}
	// No example of the spec finds a lead: the search is answered here,
	// so the lead's update reaches the mock.
	r.local["crm.duplicate.findbycomm"] = `{"result":{"LEAD":[12,7]},"time":{}}`
	lead, created, err = c.UpsertLead(ctx, bitrix24.Person{Email: "bo@example.com", LastName: "Bo", Company: "Bo & Co"})
	if err != nil || lead != "7" || created {
		t.Fatalf("UpsertLead (found) = %q %v %v", lead, created, err)
	}
	want := "crm.duplicate.findbycomm,crm.contact.update,crm.duplicate.findbycomm,crm.contact.add,crm.duplicate.findbycomm,crm.lead.add," +
		"crm.deal.add,crm.deal.add,tasks.task.add,crm.timeline.comment.add,profile,crm.duplicate.findbycomm,crm.lead.update"
	if got := strings.Join(r.seen, ","); got != want {
		t.Fatalf("calls %s, want %s", got, want)
	}
}

// The connector's CRM steps and its connection test against the mocks.
func TestConnectorAgainstContract(t *testing.T) {
	r := newRouter(t, true)
	conn, ok := nodes.ConnectorFor(bitrix24.Kind)
	if !ok {
		t.Fatal("bitrix24 is not registered")
	}
	acc, err := conn.Open(map[string]string{"webhook_url": "https://portal.bitrix24.invalid/rest/1/" + code + "/"},
		nodes.ConnectorEnv{HTTPClient: &http.Client{Transport: r}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := conn.Test(ctx, acc); err != nil {
		t.Fatalf("Test: %v", err)
	}
	r.prefer["crm.duplicate.findbycomm"] = "example=none"
	lead, err := acc.CRM.Upsert(ctx, "r:u:1", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", SaveAs: nodes.RecordLead})
	if err != nil || lead.ID != "lead:3465" || !lead.Created {
		t.Fatalf("lead upsert = %+v, %v", lead, err)
	}
	if id, err := acc.CRM.AddNote(ctx, "r:n:1", nodes.NoteInput{ContactID: lead.ID, Body: "Asked for a quote", Source: "chatbot"}); err != nil || id == "" {
		t.Fatalf("note = %q, %v", id, err)
	}
	if id, err := acc.CRM.CreateTask(ctx, "r:t:1", nodes.TaskInput{ContactID: lead.ID, Title: "Call back", Owner: "maria", DueAt: time.Now().Add(time.Hour)}); err != nil || id != "3711" {
		t.Fatalf("task = %q, %v", id, err)
	}
	if id, err := acc.CRM.CreateDeal(ctx, "r:d:1", nodes.DealInput{ContactID: lead.ID, Title: "Quote", Stage: "new", Value: 99.5, Currency: "EUR", Owner: "1"}); err != nil || id == "" {
		t.Fatalf("deal = %q, %v", id, err)
	}
}

// Documented error answers of the mock take the documented path.
func TestContractErrors(t *testing.T) {
	r := newRouter(t, false)
	c := r.client(t)
	ctx := context.Background()
	r.prefer["crm.timeline.comment.add"] = "code=400"
	_, err := c.AddComment(ctx, bitrix24.Comment{EntityType: bitrix24.EntityContact, EntityID: "275", Text: "hello"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Not found.") {
		t.Fatalf("400: %v", err)
	}
	r.prefer["crm.deal.add"] = "code=401"
	_, err = c.CreateDeal(ctx, bitrix24.Deal{Title: "x"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Wrong authorization data") || !strings.Contains(err.Error(), "webhook") {
		t.Fatalf("401: %v", err)
	}
	r.prefer["tasks.task.add"] = "code=400"
	_, err = c.CreateTask(ctx, bitrix24.Task{Title: "x"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Task title is not specified") || strings.Contains(err.Error(), "<br>") {
		t.Fatalf("task 400: %v", err)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c, err := bitrix24.New(base+"/rest/1/"+code+"/", hc)
		if err != nil {
			return err
		}
		_, err = c.CreateDeal(ctx, bitrix24.Deal{Title: "x"})
		if err != nil && strings.Contains(err.Error(), code) {
			t.Errorf("the webhook code shows in %q", err)
		}
		return err
	}
	failures := connectorstest.StandardFailures(
		`{"error":"","error_description":"Parameter 'fields' must be array."}`, "Parameter 'fields' must be array.",
		`{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}`, "Wrong authorization data")
	failures = append(failures,
		connectorstest.Failure{Name: "403 without the crm permission is permanent", Status: 403, Body: `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the webhook token"}`,
			Want: "permanent", WantMessage: "tick CRM"},
		connectorstest.Failure{Name: "404 unknown method is permanent", Status: 404, Body: `{"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"}`, Want: "permanent", WantMessage: "Method not found!"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `{"error":"CONFLICT","error_description":"Conflict"}`, Want: "permanent", WantMessage: "Conflict"},
		connectorstest.Failure{Name: "503 QUERY_LIMIT_EXCEEDED is retried", Status: 503, Body: `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, Want: "retry", WantMessage: "Too many requests"},
		connectorstest.Failure{Name: "200 with QUERY_LIMIT_EXCEEDED is retried", Status: 200, Body: `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, Want: "retry", WantMessage: "QUERY_LIMIT_EXCEEDED"},
		connectorstest.Failure{Name: "400 with QUERY_LIMIT_EXCEEDED is retried", Status: 400, Body: `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, Want: "retry", WantMessage: "Too many requests"},
		connectorstest.Failure{Name: "200 with another error is permanent", Status: 200, Body: `{"error":"ERROR_CORE","error_description":"Deal title is empty<br>"}`, Want: "permanent", WantMessage: "Deal title is empty"},
		connectorstest.Failure{Name: "200 with an empty error code is permanent", Status: 200, Body: `{"error":"","error_description":"Parameter 'fields' must be array."}`, Want: "permanent", WantMessage: "must be array"},
		connectorstest.Failure{Name: "200 without a result is retried", Status: 200, Body: `{"time":{}}`, Want: "retry", WantMessage: "no result"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

func TestWebhookURLStaysSecret(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{
		"https://your.bitrix24.com/rest/1/" + code + "/",
		"https://your.bitrix24.com/rest/1/" + code,
		"https://your.bitrix24.com/rest/12/" + code + "/profile.json",
		" https://b24-x.bitrix24.de/rest/7/" + code + "/crm.lead.add ",
	} {
		if _, err := bitrix24.ParseWebhook(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "your.bitrix24.com/rest/1/" + code, "ftp://your.bitrix24.com/rest/1/" + code + "/", "https://your.bitrix24.com/1/" + code + "/",
		"https://your.bitrix24.com/rest/one/" + code + "/", "https://u:p@your.bitrix24.com/rest/1/" + code + "/",
		"https://your.bitrix24.com/rest/1/" + code + "/?auth=x", "https://your.bitrix24.com/rest/1/", "http://[::1/rest/1/" + code,
	} {
		_, err := bitrix24.ParseWebhook(bad)
		if err == nil {
			t.Errorf("%q was accepted", bad)
		} else if strings.Contains(err.Error(), code) {
			t.Errorf("the error repeats the code: %v", err)
		}
	}
	conn, _ := nodes.ConnectorFor(bitrix24.Kind)
	if conn.Fields[0].Name != "webhook_url" || !conn.Fields[0].Secret || conn.Fields[0].Check("https://x.bitrix24.com/rest/1/"+code+"/") != nil {
		t.Fatalf("the webhook URL must be a checked secret field: %+v", conn.Fields[0])
	}
	// A portal that cannot be reached: the error names Bitrix24, not the URL.
	c, err := bitrix24.New("http://127.0.0.1:1/rest/1/"+code+"/", &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateDeal(context.Background(), bitrix24.Deal{Title: "x"})
	if err == nil || strings.Contains(err.Error(), code) || strings.Contains(err.Error(), "127.0.0.1:1/rest") {
		t.Fatalf("unreachable portal: %v", err)
	}
}

// stub is a fake portal answering methods in turn and recording params.
type stub struct {
	mu      sync.Mutex
	answers map[string][]string
	calls   []stubCall
}

type stubCall struct {
	method string
	params map[string]any
}

func (s *stub) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/rest/9/"+code+"/") || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		method := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/9/"+code+"/"), ".json")
		raw, _ := io.ReadAll(r.Body)
		var params map[string]any
		_ = json.Unmarshal(raw, &params)
		s.mu.Lock()
		n := 0
		for _, c := range s.calls {
			if c.method == method {
				n++
			}
		}
		s.calls = append(s.calls, stubCall{method: method, params: params})
		answers := s.answers[method]
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if len(answers) == 0 {
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `{"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"}`)
			return
		}
		_, _ = io.WriteString(w, answers[min(n, len(answers)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/rest/9/" + code + "/"
}

func (s *stub) account(t *testing.T) nodes.Account {
	conn, _ := nodes.ConnectorFor(bitrix24.Kind)
	acc, err := conn.Open(map[string]string{"webhook_url": s.serve(t)}, nodes.ConnectorEnv{})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func fields(c stubCall) map[string]any { f, _ := c.params["fields"].(map[string]any); return f }

func TestUpsertFindsByEmailBeforeAdding(t *testing.T) {
	t.Parallel()
	s := &stub{answers: map[string][]string{
		"crm.duplicate.findbycomm": {`{"result":[],"time":{}}`, `{"result":{"CONTACT":[90,41]},"time":{}}`},
		"crm.contact.add":          {`{"result":41,"time":{}}`},
		"crm.contact.update":       {`{"result":true,"time":{}}`},
	}}
	acc := s.account(t)
	ctx := context.Background()
	in := nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana", Phone: "+34612345678", Fields: map[string]any{"uf_crm_plan": "pro", "SOURCE_DESCRIPTION": "chat"}}
	ref, err := acc.CRM.Upsert(ctx, "k", in)
	if err != nil || ref.ID != "41" || !ref.Created {
		t.Fatalf("first = %+v, %v", ref, err)
	}
	// The retry finds the contact (the oldest of two) and updates it.
	ref, err = acc.CRM.Upsert(ctx, "k", in)
	if err != nil || ref.ID != "41" || ref.Created {
		t.Fatalf("retry = %+v, %v", ref, err)
	}
	if len(s.calls) != 4 {
		t.Fatalf("calls %+v", s.calls)
	}
	find := s.calls[0].params
	if find["type"] != "EMAIL" || find["entity_type"] != "CONTACT" || find["values"].([]any)[0] != "ana@example.com" {
		t.Errorf("search %v", find)
	}
	add := fields(s.calls[1])
	email, _ := add["EMAIL"].([]any)
	phone, _ := add["PHONE"].([]any)
	if add["NAME"] != "Ana" || len(email) != 1 || email[0].(map[string]any)["VALUE"] != "ana@example.com" || len(phone) != 1 ||
		add["UF_CRM_PLAN"] != "pro" || add["SOURCE_DESCRIPTION"] != "chat" {
		t.Errorf("add %v", add)
	}
	upd := s.calls[3].params
	if upd["id"] != "41" || fields(s.calls[3])["EMAIL"] != nil || fields(s.calls[3])["PHONE"] != nil || fields(s.calls[3])["UF_CRM_PLAN"] != "pro" {
		t.Errorf("an update must not add the email or phone again: %v", upd)
	}
}

func TestLeadStepsCarryTheLead(t *testing.T) {
	t.Parallel()
	s := &stub{answers: map[string][]string{
		"crm.duplicate.findbycomm": {`{"result":{"LEAD":[12]},"time":{}}`},
		"crm.lead.update":          {`{"result":true,"time":{}}`},
		"crm.deal.add":             {`{"result":5,"time":{}}`},
		"tasks.task.add":           {`{"result":{"task":{"id":"77"}},"time":{}}`},
		"crm.timeline.comment.add": {`{"result":8,"time":{}}`},
	}}
	acc := s.account(t)
	ctx := context.Background()
	ref, err := acc.CRM.Upsert(ctx, "k", nodes.ContactInput{Email: "ana@example.com", Company: "Lima Ltda", SaveAs: nodes.RecordLead})
	if err != nil || ref.ID != "lead:12" || ref.Created {
		t.Fatalf("upsert = %+v, %v", ref, err)
	}
	if _, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{ContactID: ref.ID, Title: "Quote", Stage: "qualified", Value: 10, Currency: "usd", Owner: "3"}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	if id, err := acc.CRM.CreateTask(ctx, "k", nodes.TaskInput{ContactID: ref.ID, Title: "Call", Notes: "Quote", Owner: "maria", DueAt: due}); err != nil || id != "77" {
		t.Fatalf("task = %q, %v", id, err)
	}
	if id, err := acc.CRM.AddNote(ctx, "k", nodes.NoteInput{ContactID: ref.ID, Body: "Transcript", Source: "chatbot"}); err != nil || id != "8" {
		t.Fatalf("note = %q, %v", id, err)
	}
	if f := fields(s.calls[1]); s.calls[1].method != "crm.lead.update" || f["COMPANY_TITLE"] != "Lima Ltda" {
		t.Errorf("update %+v", s.calls[1])
	}
	deal := fields(s.calls[2])
	if deal["LEAD_ID"] != 12.0 || deal["STAGE_ID"] != nil || deal["CURRENCY_ID"] != "USD" || deal["ASSIGNED_BY_ID"] != 3.0 || deal["OPPORTUNITY"] != 10.0 {
		t.Errorf("deal %v (a stage that is no Bitrix24 stage id is left out)", deal)
	}
	task := fields(s.calls[3])
	if task["RESPONSIBLE_ID"] != 9.0 || task["UF_CRM_TASK"].([]any)[0] != "L_12" || task["DEADLINE"] != "2026-12-01T09:00:00Z" ||
		task["DESCRIPTION"] != "Quote\n\nOwner: maria" {
		t.Errorf("task %v (no numeric owner: the webhook's user 9 does it)", task)
	}
	note := fields(s.calls[4])
	if note["ENTITY_TYPE"] != "lead" || note["ENTITY_ID"] != 12.0 || note["COMMENT"] != "Transcript\n\nSource: chatbot" {
		t.Errorf("comment %v", note)
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	c, err := bitrix24.New("http://127.0.0.1:1/rest/1/"+code+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _, e1 := c.UpsertContact(ctx, bitrix24.Person{Email: "nope"})
	_, e2 := c.CreateDeal(ctx, bitrix24.Deal{Title: "x", EntityType: bitrix24.EntityContact, EntityID: "abc"})
	_, e3 := c.AddComment(ctx, bitrix24.Comment{EntityType: bitrix24.EntityContact, EntityID: "1", Text: " "})
	_, e4 := c.CreateTask(ctx, bitrix24.Task{})
	_, e5 := c.AddComment(ctx, bitrix24.Comment{EntityType: "company", EntityID: "1", Text: "x"})
	_, e6 := bitrix24.New("https://x.bitrix24.com/", nil)
	_, e7 := (&bitrix24.Client{}).Profile(ctx)
	for i, err := range []error{e1, e2, e3, e4, e5, e6, e7} {
		if !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%d: %v", i+1, err)
		}
	}
	// A custom field that is no Bitrix24 field id is refused before any call.
	s := &stub{answers: map[string][]string{"crm.duplicate.findbycomm": {`{"result":[],"time":{}}`}}}
	acc := s.account(t)
	_, err = acc.CRM.Upsert(ctx, "k", nodes.ContactInput{Email: "a@example.com", Fields: map[string]any{"Lead score": 3}})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "not a Bitrix24 field id") {
		t.Fatalf("custom field: %v", err)
	}
	if len(s.calls) != 0 {
		t.Fatalf("calls %+v, want none", s.calls)
	}
}
