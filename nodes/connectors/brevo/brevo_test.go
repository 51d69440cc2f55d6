package brevo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/brevo"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

// mock serves the shared trimmed Brevo spec; extra serves the operations
// it lacks (testdata/brevo_missing_ops.yaml, written from Brevo's API
// reference).
var (
	mock  = connectorstest.NewMock("brevo")
	extra = connectorstest.NewSpecMock("brevo-extra", "testdata/brevo_missing_ops.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

func TestAgainstContract(t *testing.T) {
	c := &brevo.Client{BaseURL: mock.URL(t), APIKey: "xkeysib-abc", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	if _, err := c.UpsertContact(ctx, brevo.Contact{Email: "ana.lima@example.com", ExtID: "chat-42",
		Attributes: map[string]any{"FIRSTNAME": "Ana", "LASTNAME": "Lima", "SMS": "+5511987654321"}, ListIDs: []int64{7}}); err != nil {
		t.Fatalf("UpsertContact: %v", err)
	}
}

func TestAgainstContractMissingOperations(t *testing.T) {
	c := &brevo.Client{BaseURL: extra.URL(t), APIKey: "xkeysib-abc", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	if err := c.DoubleOptIn(ctx, "ana.lima@example.com", []int64{7}, 12, "https://example.com/thanks", map[string]any{"FIRSTNAME": "Ana"}); err != nil {
		t.Fatalf("DoubleOptIn: %v", err)
	}
	if err := c.RemoveFromList(ctx, 7, "ana.lima@example.com"); err != nil {
		t.Fatalf("RemoveFromList: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestMockChecksTheBody proves the contract test can fail: the mock
// refuses a list id that is not a number.
func TestMockChecksTheBody(t *testing.T) {
	base := mock.URL(t)
	req, _ := http.NewRequest(http.MethodPost, base+"/v3/contacts", strings.NewReader(`{"email":"a@example.com","listIds":["seven"]}`))
	req.Header.Set("api-key", "xkeysib-abc")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.Header.Get("sl-violations") == "" {
		t.Fatalf("a bad list id got %d, violations %q", resp.StatusCode, resp.Header.Get("sl-violations"))
	}
}

type recorder struct {
	mu     sync.Mutex
	calls  []string
	srv    *httptest.Server
	status int    // answer status (0: 201)
	answer string // answer body
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		if q.Header.Get("api-key") != "xkeysib-k" {
			t.Errorf("api-key header %q", q.Header.Get("api-key"))
		}
		b, _ := io.ReadAll(q.Body)
		r.mu.Lock()
		r.calls = append(r.calls, strings.TrimSpace(q.Method+" "+q.URL.Path+" "+string(b)))
		status, answer := r.status, r.answer
		r.mu.Unlock()
		if status == 0 {
			status = 201
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) account(t *testing.T, values map[string]string) nodes.Account {
	t.Helper()
	c, ok := nodes.ConnectorFor(brevo.Kind)
	if !ok {
		t.Fatal("brevo is not registered")
	}
	v := map[string]string{"api_key": "xkeysib-k", "base_url": r.srv.URL}
	for k, x := range values {
		v[k] = x
	}
	acc, err := c.Open(v, nodes.ConnectorEnv{HTTPClient: r.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func canon(call string) string {
	i := strings.Index(call, "{")
	if i < 0 {
		return call
	}
	var m any
	_ = json.Unmarshal([]byte(call[i:]), &m)
	b, _ := json.Marshal(m)
	return call[:i] + string(b)
}

func TestDirectAddUpsertsWithTheList(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, map[string]string{"first_name_attribute": "prenom"})
	id, err := acc.Lists.Subscribe(context.Background(), "k", "7", nodes.ContactInput{Email: "Ana@Example.com", FirstName: "Ana", Phone: "+34612345678"}, nodes.JoinOptions{})
	if err != nil || id != "ana@example.com" {
		t.Fatalf("%q %v", id, err)
	}
	// No SMS attribute: Brevo refuses a phone another contact has.
	want := `POST /v3/contacts {"attributes":{"PRENOM":"Ana"},"email":"Ana@Example.com","listIds":[7],"updateEnabled":true}`
	if len(r.calls) != 1 || canon(r.calls[0]) != want {
		t.Fatalf("calls %q", r.calls)
	}
	if strings.Contains(r.calls[0], "emailBlacklisted") {
		t.Fatal("an add must not lift an unsubscribe")
	}
}

func TestDoubleOptInSendsTheConfirmation(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	how := nodes.JoinOptions{Consent: nodes.ConsentDoubleOptIn, ConfirmTemplate: "12", ConfirmRedirect: "https://example.com/thanks"}
	if _, err := acc.Lists.Subscribe(context.Background(), "k", "9", nodes.ContactInput{Email: "ana@example.com", LastName: "Lima"}, how); err != nil {
		t.Fatal(err)
	}
	want := `POST /v3/contacts/doubleOptinConfirmation {"attributes":{"LASTNAME":"Lima"},"email":"ana@example.com","includeListIds":[9],` +
		`"redirectionUrl":"https://example.com/thanks","templateId":12}`
	if len(r.calls) != 1 || canon(r.calls[0]) != want {
		t.Fatalf("calls %q", r.calls)
	}
	_, err := acc.Lists.Subscribe(context.Background(), "k", "9", nodes.ContactInput{Email: "ana@example.com"}, nodes.JoinOptions{Consent: nodes.ConsentDoubleOptIn})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "Confirmation email template") {
		t.Fatalf("double opt-in without template: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	ctx := context.Background()
	_, err := acc.Lists.Subscribe(ctx, "k", "9", nodes.ContactInput{Email: "a@b.co"}, nodes.JoinOptions{Consent: nodes.ConsentListOnly})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "without mailing them") {
		t.Fatalf("list only: %v", err)
	}
	_, err = acc.Lists.Subscribe(ctx, "k", "newsletter", nodes.ContactInput{Email: "a@b.co"}, nodes.JoinOptions{})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "lists are numbered") {
		t.Fatalf("list name: %v", err)
	}
	if err := acc.Lists.Remove(ctx, "k", "", "a@b.co"); !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "choose a Brevo list") {
		t.Fatalf("no list: %v", err)
	}
	if len(r.calls) != 0 {
		t.Fatalf("calls %q", r.calls)
	}
	c, _ := nodes.ConnectorFor(brevo.Kind)
	if err := c.Fields[0].Check("xsmtpsib-123"); err == nil {
		t.Fatal("an SMTP key passed the check")
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	r.answer = `{"contacts":{"success":["ana@example.com"],"failure":[]}}`
	acc := r.account(t, nil)
	if err := acc.Lists.Remove(context.Background(), "k", "7", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 1 || canon(r.calls[0]) != `POST /v3/contacts/lists/7/contacts/remove {"emails":["ana@example.com"]}` {
		t.Fatalf("calls %q", r.calls)
	}
	// Not on the list: Brevo's 400 means there is nothing to do.
	r.status, r.answer = 400, `{"code":"invalid_parameter","message":"Contact already removed from list and/or does not exist"}`
	if err := acc.Lists.Remove(context.Background(), "k", "7", "ana@example.com"); err != nil {
		t.Fatalf("not on the list: %v", err)
	}
	// A missing list is an error.
	r.status, r.answer = 404, `{"code":"document_not_found","message":"List ID does not exist"}`
	if err := acc.Lists.Remove(context.Background(), "k", "7", "ana@example.com"); !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "List ID does not exist") {
		t.Fatalf("missing list: %v", err)
	}
}

func TestUpsertMapsTheContact(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	r.answer = `{"id":122}`
	acc := r.account(t, nil)
	ref, err := acc.People.Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana", ExternalID: "chat-42",
		Fields: map[string]any{"plan": "pro"}})
	if err != nil || ref.ID != "ana@example.com" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	want := `POST /v3/contacts {"attributes":{"FIRSTNAME":"Ana","PLAN":"pro"},"email":"ana@example.com","ext_id":"chat-42","updateEnabled":true}`
	if canon(r.calls[0]) != want {
		t.Fatalf("calls %q", r.calls)
	}
	r.status, r.answer = 204, ""
	if ref, err := acc.People.Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com"}); err != nil || ref.Created {
		t.Fatalf("update: %+v %v", ref, err)
	}
}

func TestConnectionTest(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	r.status, r.answer = 200, `{"email":"owner@example.com"}`
	c, _ := nodes.ConnectorFor(brevo.Kind)
	if err := c.Test(context.Background(), r.account(t, nil)); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 1 || r.calls[0] != "GET /v3/account" {
		t.Fatalf("calls %q", r.calls)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &brevo.Client{BaseURL: base, APIKey: "xkeysib-k", HTTPClient: hc}
		_, err := c.UpsertContact(ctx, brevo.Contact{Email: "a@example.com", ListIDs: []int64{7}})
		return err
	}
	failures := append(connectorstest.StandardFailures(
		`{"code":"duplicate_parameter","message":"Unable to update contact, SMS Number already associated with another Contact"}`, "SMS Number already associated",
		`{"code":"unauthorized","message":"Key not found"}`, "Key not found"),
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: `{"code":"document_not_found","message":"List ID does not exist"}`, Want: "permanent", WantMessage: "List ID does not exist"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `{"code":"duplicate_request","message":"Contact already exist"}`, Want: "permanent", WantMessage: "Contact already exist"},
		connectorstest.Failure{Name: "502 is retried", Status: 502, Body: `Bad gateway`, Want: "retry"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

// TestExtraMockChecksTheBody proves the testdata spec is enforced too: a
// double opt-in without its template is refused.
func TestExtraMockChecksTheBody(t *testing.T) {
	base := extra.URL(t)
	req, _ := http.NewRequest(http.MethodPost, base+"/v3/contacts/doubleOptinConfirmation",
		strings.NewReader(`{"email":"a@example.com","includeListIds":[7],"redirectionUrl":"https://example.com/thanks"}`))
	req.Header.Set("api-key", "xkeysib-abc")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.Header.Get("sl-violations") == "" {
		t.Fatalf("a double opt-in without template got %d, violations %q", resp.StatusCode, resp.Header.Get("sl-violations"))
	}
}
