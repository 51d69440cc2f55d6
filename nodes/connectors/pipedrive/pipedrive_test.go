package pipedrive_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/pipedrive"
)

var mock = connectorstest.NewMock("pipedrive")

func TestMain(m *testing.M) { connectorstest.Main(m, mock) }

func TestAgainstContract(t *testing.T) {
	c := &pipedrive.Client{BaseURL: mock.URL(t), APIToken: "abc123", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	// The mock always finds the sample person, so this exercises the search.
	pid, created, err := c.FindOrCreatePerson(ctx, pipedrive.Person{Name: "Jane Doe", Email: "jane@pipedrive.com", Phone: "+372555"})
	if err != nil || pid == "" || created {
		t.Fatalf("FindOrCreatePerson = %q %v %v", pid, created, err)
	}
	if created, err := c.CreatePerson(ctx, pipedrive.Person{Name: "Ana", Email: "ana@example.com", Phone: "+4915"}); err != nil || created == "" {
		t.Fatalf("CreatePerson = %q %v", created, err)
	}
	v := 1500.0
	deal, err := c.CreateDeal(ctx, pipedrive.Deal{Title: "Jane - chat", PersonID: pid, Value: &v, Currency: "eur", IdempotencyKey: "r:n:1"})
	if err != nil || deal == "" {
		t.Fatalf("CreateDeal = %q %v", deal, err)
	}
	note, err := c.CreateNote(ctx, pipedrive.Note{Content: "<p>Chat closed</p>", PersonID: pid, DealID: deal})
	if err != nil || note == "" {
		t.Fatalf("CreateNote = %q %v", note, err)
	}
}

type recorder struct {
	mu       sync.Mutex
	requests []string
}

func (r *recorder) server(t *testing.T, answers map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("x-api-token") != "tok" || strings.Contains(req.URL.RawQuery, "tok") {
			t.Errorf("token must travel in the header only: %v %s", req.Header, req.URL)
		}
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path+" "+string(b))
		r.mu.Unlock()
		_, _ = w.Write([]byte(answers[req.Method+" "+req.URL.Path]))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCreatesPersonWhenSearchFindsNone(t *testing.T) {
	t.Parallel()
	var rec recorder
	srv := rec.server(t, map[string]string{
		"GET /api/v2/persons/search": `{"success":true,"data":{"items":[]}}`,
		"POST /api/v2/persons":       `{"success":true,"data":{"id":42,"name":"ana@example.com"}}`,
	})
	c := &pipedrive.Client{BaseURL: srv.URL, APIToken: "tok", HTTPClient: srv.Client()}
	id, created, err := c.FindOrCreatePerson(context.Background(), pipedrive.Person{Email: "ana@example.com"})
	if err != nil || id != "42" || !created {
		t.Fatalf("%q %v %v", id, created, err)
	}
	if len(rec.requests) != 2 || !strings.Contains(rec.requests[1], `"name":"ana@example.com"`) || !strings.Contains(rec.requests[1], `"emails":[{"label":"work","primary":true,"value":"ana@example.com"}]`) {
		t.Errorf("requests %q", rec.requests)
	}
}

func TestDealAndActivityBodies(t *testing.T) {
	t.Parallel()
	var rec recorder
	srv := rec.server(t, map[string]string{
		"POST /api/v2/deals":  `{"success":true,"data":{"id":7}}`,
		"POST /v1/activities": `{"success":true,"data":{"id":8}}`,
	})
	c := &pipedrive.Client{BaseURL: srv.URL, APIToken: "tok", HTTPClient: srv.Client()}
	ctx := context.Background()
	v := 99.5
	if id, err := c.CreateDeal(ctx, pipedrive.Deal{Title: "T", PersonID: "42", Value: &v, Currency: "usd", StageID: "3"}); err != nil || id != "7" {
		t.Fatal(id, err)
	}
	if id, err := c.CreateActivity(ctx, pipedrive.Activity{Subject: "Call", Type: "call", Due: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), PersonID: "42"}); err != nil || id != "8" {
		t.Fatal(id, err)
	}
	var deal, act map[string]any
	_ = json.Unmarshal([]byte(strings.SplitN(rec.requests[0], " ", 3)[2]), &deal)
	_ = json.Unmarshal([]byte(strings.SplitN(rec.requests[1], " ", 3)[2]), &act)
	if deal["person_id"] != 42.0 || deal["value"] != 99.5 || deal["currency"] != "USD" || deal["stage_id"] != 3.0 {
		t.Errorf("deal %v", deal)
	}
	if act["due_date"] != "2026-12-01" || act["due_time"] != "09:30" || act["type"] != "call" || act["person_id"] != 42.0 {
		t.Errorf("activity %v", act)
	}
}

func TestUnsuccessfulEnvelopeIsAnError(t *testing.T) {
	t.Parallel()
	var rec recorder
	srv := rec.server(t, map[string]string{"POST /v1/notes": `{"success":false,"error":"Deal not found"}`})
	c := &pipedrive.Client{BaseURL: srv.URL, APIToken: "tok", HTTPClient: srv.Client()}
	_, err := c.CreateNote(context.Background(), pipedrive.Note{Content: "x", DealID: "5"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Deal not found") {
		t.Fatal(err)
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	c := &pipedrive.Client{BaseURL: "http://127.0.0.1:1", APIToken: "tok"}
	ctx := context.Background()
	_, _, e1 := c.FindOrCreatePerson(ctx, pipedrive.Person{Email: "nope"})
	_, e2 := c.CreateDeal(ctx, pipedrive.Deal{Title: "x", PersonID: "abc"})
	_, e3 := c.CreateNote(ctx, pipedrive.Note{Content: "x"})
	_, e4 := c.CreateActivity(ctx, pipedrive.Activity{})
	for i, err := range []error{e1, e2, e3, e4} {
		if !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%d: %v", i, err)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &pipedrive.Client{BaseURL: base, APIToken: "tok", HTTPClient: hc}
		_, err := c.CreateDeal(ctx, pipedrive.Deal{Title: "x"})
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"success":false,"error":"Title is required","error_info":"Please check developers.pipedrive.com"}`, "Title is required",
		`{"success":false,"error":"unauthorized access","errorCode":401}`, "unauthorized access"))
}
