package hubspot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/hubspot"
)

var mock = connectorstest.NewMock("hubspot")

func TestMain(m *testing.M) { connectorstest.Main(m, mock) }

func TestAgainstContract(t *testing.T) {
	c := &hubspot.Client{BaseURL: mock.URL(t), AccessToken: "pat-na1-abc", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	id, _, err := c.UpsertContact(ctx, hubspot.Contact{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321", IdempotencyKey: "r:n:1"})
	if err != nil || id == "" {
		t.Fatalf("UpsertContact = %q, %v", id, err)
	}
	deal, err := c.CreateDeal(ctx, hubspot.Deal{Name: "Ana - chat", Pipeline: "default", Stage: "appointmentscheduled", Amount: "1500", ContactID: id})
	if err != nil || deal == "" {
		t.Fatalf("CreateDeal = %q, %v", deal, err)
	}
	note, err := c.CreateNote(ctx, hubspot.Note{Body: "Chat closed", At: time.Date(2026, 3, 2, 10, 17, 0, 0, time.UTC), ContactID: id, DealID: deal})
	if err != nil || note == "" {
		t.Fatalf("CreateNote = %q, %v", note, err)
	}
}

func record(t *testing.T, status int, answer string) (*httptest.Server, *map[string]any, *string) {
	var body map[string]any
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("auth header %q", r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	return srv, &body, &path
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestUpsertContactRequest(t *testing.T) {
	t.Parallel()
	srv, body, path := record(t, 200, `{"status":"COMPLETE","results":[{"id":"51","new":true,"properties":{}}]}`)
	c := &hubspot.Client{BaseURL: srv.URL, AccessToken: "tok", HTTPClient: srv.Client()}
	id, created, err := c.UpsertContact(context.Background(), hubspot.Contact{Email: " Ana@Example.com ", FirstName: "Ana", Properties: map[string]string{"lifecyclestage": "lead"}})
	if err != nil || id != "51" || !created {
		t.Fatalf("%q %v %v", id, created, err)
	}
	if *path != "/crm/v3/objects/contacts/batch/upsert" {
		t.Errorf("path %s", *path)
	}
	want := `{"inputs":[{"id":"Ana@Example.com","idProperty":"email","properties":{"email":"Ana@Example.com","firstname":"Ana","lifecyclestage":"lead"}}]}`
	if got := asJSON(*body); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestUpsertContactPartialFailureIsPermanent(t *testing.T) {
	t.Parallel()
	srv, _, _ := record(t, 207, `{"status":"COMPLETE","numErrors":1,"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Email address x is invalid"}],"results":[]}`)
	c := &hubspot.Client{BaseURL: srv.URL, AccessToken: "tok", HTTPClient: srv.Client()}
	_, _, err := c.UpsertContact(context.Background(), hubspot.Contact{Email: "x@example.com"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "Email address x is invalid") {
		t.Fatalf("%v", err)
	}
}

func TestDealNoteTaskAssociations(t *testing.T) {
	t.Parallel()
	srv, body, path := record(t, 201, `{"id":"9001","properties":{}}`)
	c := &hubspot.Client{BaseURL: srv.URL, AccessToken: "tok", HTTPClient: srv.Client()}
	ctx := context.Background()
	if id, err := c.CreateDeal(ctx, hubspot.Deal{Name: "D", Amount: "10", ContactID: "51"}); err != nil || id != "9001" {
		t.Fatal(id, err)
	}
	if got := asJSON(*body); got != `{"associations":[{"to":{"id":"51"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":3}]}],"properties":{"amount":"10","dealname":"D"}}` {
		t.Errorf("deal body %s", got)
	}
	due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if _, err := c.CreateTask(ctx, hubspot.Task{Subject: "Call Ana", Due: due, Priority: "HIGH", ContactID: "51"}); err != nil {
		t.Fatal(err)
	}
	if *path != "/crm/v3/objects/tasks" || !strings.Contains(asJSON(*body), `"hs_task_subject":"Call Ana"`) || !strings.Contains(asJSON(*body), `"associationTypeId":204`) ||
		!strings.Contains(asJSON(*body), `"hs_timestamp":"2026-12-01T09:00:00Z"`) {
		t.Errorf("task %s %s", *path, asJSON(*body))
	}
	if _, err := c.CreateNote(ctx, hubspot.Note{Body: "hi", DealID: "9001"}); err != nil || !strings.Contains(asJSON(*body), `"associationTypeId":214`) {
		t.Errorf("note %v %s", err, asJSON(*body))
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	c := &hubspot.Client{BaseURL: "http://127.0.0.1:1", AccessToken: "tok"}
	ctx := context.Background()
	errs := []error{}
	_, _, err := c.UpsertContact(ctx, hubspot.Contact{Email: "not an email"})
	errs = append(errs, err)
	_, err = c.CreateDeal(ctx, hubspot.Deal{})
	errs = append(errs, err)
	_, err = c.CreateNote(ctx, hubspot.Note{Body: "x"})
	errs = append(errs, err)
	_, err = c.CreateTask(ctx, hubspot.Task{Subject: "x"})
	errs = append(errs, err)
	for i, err := range errs {
		if !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%d: want permanent input error, got %v", i, err)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &hubspot.Client{BaseURL: base, AccessToken: "tok", HTTPClient: hc}
		_, err := c.CreateDeal(ctx, hubspot.Deal{Name: "x"})
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"status":"error","message":"Property \"favorite_color\" does not exist","correlationId":"9a","category":"VALIDATION_ERROR"}`, `Property "favorite_color" does not exist`,
		`{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`, "Authentication credentials not found."))
}

// recordingTB captures Errorf so the contract check itself can be tested.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestContractCheckCatchesViolations(t *testing.T) {
	base := mock.URL(t)
	rec := &recordingTB{TB: t}
	// A note without the required hs_timestamp breaks the spec.
	req, _ := http.NewRequest("POST", base+"/crm/v3/objects/notes", strings.NewReader(`{"properties":{"hs_note_body":"x"}}`))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := connectorstest.ContractClient(rec).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.errs) == 0 || !strings.Contains(strings.Join(rec.errs, "\n"), "broke the vendor spec") {
		t.Fatalf("the contract check did not flag an invalid request: %v", rec.errs)
	}
}
