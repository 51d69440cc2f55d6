package klaviyo_test

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
	"github.com/journeyhq/journey/nodes/connectors/klaviyo"
)

// mock serves the shared trimmed Klaviyo spec; extra serves the
// operations it lacks (testdata/klaviyo_missing_ops.yaml, written from
// Klaviyo's API reference).
var (
	mock  = connectorstest.NewMock("klaviyo")
	extra = connectorstest.NewSpecMock("klaviyo-extra", "testdata/klaviyo_missing_ops.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

func TestAgainstContract(t *testing.T) {
	c := &klaviyo.Client{BaseURL: mock.URL(t), APIKey: "pk_abc123", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	id, _, err := c.UpsertProfile(ctx, klaviyo.Profile{Email: "ana.lima@example.com", Phone: "+5511987654321", FirstName: "Ana", LastName: "Lima",
		Organization: "Acme", TimeZone: "America/Sao_Paulo", ExternalID: "chat-42", Properties: map[string]any{"plan": "pro", "seats": 3}})
	if err != nil || id == "" {
		t.Fatalf("UpsertProfile = %q, %v", id, err)
	}
	if _, _, err := c.UpsertProfile(ctx, klaviyo.Profile{Email: "ana.lima@example.com",
		AppendProps: map[string][]string{"tags": {"hot-lead"}}, UnappendProps: map[string][]string{"tags": {"cold"}}}); err != nil {
		t.Fatalf("tags as a property: %v", err)
	}
	if err := c.Subscribe(ctx, "Y6nRLr", "ana.lima@example.com", "Journey"); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if err := c.AddToList(ctx, "Y6nRLr", id); err != nil {
		t.Fatalf("AddToList: %v", err)
	}
	if err := c.CreateEvent(ctx, klaviyo.Event{Email: "ana.lima@example.com", Metric: "Chat lead captured",
		Properties: map[string]any{"score": 72, "channel": "whatsapp"}, Value: 49.9, Time: time.Date(2026, 3, 2, 10, 17, 0, 0, time.UTC), UniqueID: "run1:n3:1"}); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
}

func TestTrackEventIsRecordedOnce(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	at := time.Date(2026, 3, 2, 10, 17, 5, 0, time.FixedZone("x", 3600))
	if err := acc.Events.TrackEvent(context.Background(), "run1:n3:1", nodes.VendorEvent{Email: "ana@example.com", Name: "Chat lead captured",
		Properties: map[string]any{"score": 72}, Time: at}); err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"attributes":{"metric":{"data":{"attributes":{"name":"Chat lead captured"},"type":"metric"}},"profile":{"data":{"attributes":` +
		`{"email":"ana@example.com"},"type":"profile"}},"properties":{"score":72},"time":"2026-03-02T09:17:05Z","unique_id":"run1:n3:1"},"type":"event"}}`
	if len(r.calls) != 1 || !strings.HasPrefix(r.calls[0], "POST /api/events ") || asJSON(body(r.calls[0])) != want {
		t.Fatalf("calls %q", r.calls)
	}
}

func TestAgainstContractMissingOperations(t *testing.T) {
	c := &klaviyo.Client{BaseURL: extra.URL(t), APIKey: "pk_abc123", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	id, err := c.FindProfile(ctx, "ana.lima@example.com")
	if err != nil || id == "" {
		t.Fatalf("FindProfile = %q, %v", id, err)
	}
	if err := c.RemoveFromList(ctx, "Y6nRLr", id); err != nil {
		t.Fatalf("RemoveFromList: %v", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestMockChecksTheRevisionHeader proves the contract test can fail: the
// mock refuses a call without the revision header (Klaviyo's trap).
func TestMockChecksTheRevisionHeader(t *testing.T) {
	base := mock.URL(t)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/lists/Y6nRLr/relationships/profiles",
		strings.NewReader(`{"data":[{"type":"profile","id":"01GDDKASAP8TKDDA2GRZDSVP4H"}]}`))
	req.Header.Set("Authorization", "Klaviyo-API-Key pk_abc123")
	req.Header.Set("Content-Type", "application/vnd.api+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.Header.Get("sl-violations") == "" {
		t.Fatalf("a call without the revision header got %d, violations %q", resp.StatusCode, resp.Header.Get("sl-violations"))
	}
}

// recorder is a fake Klaviyo that records calls and answers by path.
type recorder struct {
	mu    sync.Mutex
	calls []string // "METHOD path body"
	srv   *httptest.Server
	// found is the profile id GET /api/profiles returns ("" = none).
	found string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{found: "P1"}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		if q.Header.Get("Authorization") != "Klaviyo-API-Key pk_k" || q.Header.Get("Revision") != klaviyo.Revision {
			t.Errorf("auth %q revision %q", q.Header.Get("Authorization"), q.Header.Get("Revision"))
		}
		if q.Method != http.MethodGet && q.Header.Get("Content-Type") != "application/vnd.api+json" {
			t.Errorf("content type %q", q.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(q.Body)
		r.mu.Lock()
		r.calls = append(r.calls, strings.TrimSpace(q.Method+" "+q.URL.RequestURI()+" "+string(b)))
		r.mu.Unlock()
		switch {
		case q.URL.Path == "/api/profile-import":
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"data":{"type":"profile","id":"P1","attributes":{}}}`))
		case q.URL.Path == "/api/profiles":
			if r.found == "" {
				_, _ = w.Write([]byte(`{"data":[]}`))
				return
			}
			_, _ = w.Write([]byte(`{"data":[{"type":"profile","id":"` + r.found + `"}]}`))
		case q.URL.Path == "/api/profile-subscription-bulk-create-jobs":
			w.WriteHeader(202)
		default:
			w.WriteHeader(204)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) account(t *testing.T, values map[string]string) nodes.Account {
	t.Helper()
	c, ok := nodes.ConnectorFor(klaviyo.Kind)
	if !ok {
		t.Fatal("klaviyo is not registered")
	}
	v := map[string]string{"api_key": "pk_k", "base_url": r.srv.URL}
	for k, x := range values {
		v[k] = x
	}
	acc, err := c.Open(v, nodes.ConnectorEnv{HTTPClient: r.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func body(call string) map[string]any {
	i := strings.Index(call, "{")
	var m map[string]any
	if i >= 0 {
		_ = json.Unmarshal([]byte(call[i:]), &m)
	}
	return m
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestListOnlyAddsMembershipWithoutConsent(t *testing.T) {
	t.Parallel()
	for _, consent := range []string{"", nodes.ConsentListOnly} {
		r := newRecorder(t)
		acc := r.account(t, nil)
		id, err := acc.Lists.Subscribe(context.Background(), "k", " DEF ", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana", Phone: "+34612345678"}, nodes.JoinOptions{Consent: consent})
		if err != nil || id != "P1" {
			t.Fatalf("consent %q: %q %v", consent, id, err)
		}
		if len(r.calls) != 2 || !strings.HasPrefix(r.calls[0], "POST /api/profile-import ") ||
			r.calls[1] != `POST /api/lists/DEF/relationships/profiles {"data":[{"type":"profile","id":"P1"}]}` {
			t.Fatalf("consent %q: calls %q", consent, r.calls)
		}
		if got := asJSON(body(r.calls[0])); got != `{"data":{"attributes":{"email":"ana@example.com","first_name":"Ana"},"type":"profile"}}` {
			t.Fatalf("profile %s (no phone: Klaviyo refuses one another profile has)", got)
		}
		for _, c := range r.calls {
			if strings.Contains(c, "SUBSCRIBED") || strings.Contains(c, "subscription") {
				t.Fatalf("consent %q recorded consent: %s", consent, c)
			}
		}
	}
}

func TestSubscribeRecordsConsent(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	if _, err := acc.Lists.Subscribe(context.Background(), "k", " L9 ", nodes.ContactInput{Email: "ana@example.com"}, nodes.JoinOptions{Consent: nodes.ConsentSubscribe}); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 2 || !strings.HasPrefix(r.calls[1], "POST /api/profile-subscription-bulk-create-jobs ") {
		t.Fatalf("calls %q", r.calls)
	}
	want := `{"data":{"attributes":{"custom_source":"Journey","historical_import":false,"profiles":{"data":[{"attributes":{"email":"ana@example.com",` +
		`"subscriptions":{"email":{"marketing":{"consent":"SUBSCRIBED"}}}},"type":"profile"}]}},"relationships":{"list":{"data":{"id":"L9","type":"list"}}},` +
		`"type":"profile-subscription-bulk-create-job"}}`
	if got := asJSON(body(r.calls[1])); got != want {
		t.Fatalf("subscription body\n got %s\nwant %s", got, want)
	}
}

func TestRefusedConsentAndMissingList(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	_, err := acc.Lists.Subscribe(context.Background(), "k", "L", nodes.ContactInput{Email: "a@b.co"}, nodes.JoinOptions{Consent: nodes.ConsentDoubleOptIn})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "list's own setting") {
		t.Fatalf("double opt-in: %v", err)
	}
	_, err = acc.Lists.Subscribe(context.Background(), "k", "", nodes.ContactInput{Email: "a@b.co"}, nodes.JoinOptions{})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "choose a Klaviyo list") {
		t.Fatalf("no list: %v", err)
	}
	if len(r.calls) != 0 {
		t.Fatalf("calls %q", r.calls)
	}
}

func TestRemoveFindsTheProfileFirst(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	if err := acc.Lists.Remove(context.Background(), "k", "L1", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 2 || !strings.HasPrefix(r.calls[0], "GET /api/profiles?") || !strings.Contains(r.calls[0], "equals%28email%2C%22ana%40example.com%22%29") ||
		r.calls[1] != `DELETE /api/lists/L1/relationships/profiles {"data":[{"type":"profile","id":"P1"}]}` {
		t.Fatalf("calls %q", r.calls)
	}
	// Someone Klaviyo does not know is not on the list: nothing to do.
	r2 := newRecorder(t)
	r2.found = ""
	if err := r2.account(t, nil).Lists.Remove(context.Background(), "k", "L1", "nobody@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(r2.calls) != 1 {
		t.Fatalf("calls %q", r2.calls)
	}
}

func TestTagsArePropertyValues(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, map[string]string{"tags_property": "labels"})
	if err := acc.Tags.Tag(context.Background(), "k", "", "ana@example.com", []string{"vip"}, []string{"cold"}); err != nil {
		t.Fatal(err)
	}
	want := `{"data":{"attributes":{"email":"ana@example.com"},"meta":{"patch_properties":{"append":{"labels":["vip"]},"unappend":{"labels":["cold"]}}},"type":"profile"}}`
	if len(r.calls) != 1 || asJSON(body(r.calls[0])) != want {
		t.Fatalf("calls %q", r.calls)
	}
}

func TestUpsertMapsTheContact(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	acc := r.account(t, nil)
	ref, err := acc.People.Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", Phone: "+34612345678", FirstName: "Ana",
		Company: "Acme", TimeZone: "Europe/Madrid", Fields: map[string]any{"plan": "pro"}})
	if err != nil || ref.ID != "P1" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	want := `{"data":{"attributes":{"email":"ana@example.com","first_name":"Ana","location":{"timezone":"Europe/Madrid"},"organization":"Acme",` +
		`"phone_number":"+34612345678","properties":{"plan":"pro"}},"type":"profile"}}`
	if got := asJSON(body(r.calls[0])); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
}

func TestConnectionTestAndKeyCheck(t *testing.T) {
	t.Parallel()
	r := newRecorder(t)
	c, _ := nodes.ConnectorFor(klaviyo.Kind)
	if err := c.Test(context.Background(), r.account(t, nil)); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 1 || !strings.HasPrefix(r.calls[0], "GET /api/lists?") {
		t.Fatalf("calls %q", r.calls)
	}
	if err := c.Fields[0].Check("AbC123"); err == nil || !strings.Contains(err.Error(), "pk_") {
		t.Fatalf("a public key passed: %v", err)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &klaviyo.Client{BaseURL: base, APIKey: "pk_k", HTTPClient: hc}
		_, _, err := c.UpsertProfile(ctx, klaviyo.Profile{Email: "a@example.com"})
		return err
	}
	errBody := func(status, code, detail string) string {
		return `{"errors":[{"id":"x","status":` + status + `,"code":"` + code + `","title":"t","detail":"` + detail + `","source":{"pointer":"/data/attributes/email"}}]}`
	}
	failures := append(connectorstest.StandardFailures(
		errBody("400", "invalid", "Invalid email address"), "Invalid email address (/data/attributes/email)",
		errBody("401", "not_authenticated", "Incorrect authentication credentials."), "Incorrect authentication credentials."),
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: errBody("404", "not_found", "A list with id X does not exist."), Want: "permanent", WantMessage: "does not exist"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: errBody("409", "duplicate_profile", "A profile already exists with one of these identifiers."), Want: "permanent", WantMessage: "already exists"},
		connectorstest.Failure{Name: "503 with Retry-After waits", Status: 503, Header: map[string]string{"Retry-After": "7"}, Body: `{}`, Want: "retry-after"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

func TestInvalidInputIsRefusedBeforeCalling(t *testing.T) {
	t.Parallel()
	c := &klaviyo.Client{BaseURL: "http://127.0.0.1:1", APIKey: "pk_k"}
	for _, err := range []error{
		func() error {
			_, _, err := c.UpsertProfile(context.Background(), klaviyo.Profile{Email: "not an email"})
			return err
		}(),
		func() error { _, _, err := c.UpsertProfile(context.Background(), klaviyo.Profile{}); return err }(),
		c.Subscribe(context.Background(), "", "a@b.co", ""),
		c.AddToList(context.Background(), "L"),
		(&klaviyo.Client{}).Ping(context.Background()),
	} {
		if !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("want a permanent input error, got %v", err)
		}
	}
}

// TestExtraMockChecksTheBody proves the testdata spec is enforced too: a
// removal naming no profile is refused.
func TestExtraMockChecksTheBody(t *testing.T) {
	base := extra.URL(t)
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/lists/Y6nRLr/relationships/profiles", strings.NewReader(`{"data":[]}`))
	req.Header.Set("Authorization", "Klaviyo-API-Key pk_abc123")
	req.Header.Set("Revision", klaviyo.Revision)
	req.Header.Set("Content-Type", "application/vnd.api+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || resp.Header.Get("sl-violations") == "" {
		t.Fatalf("a removal of no profile got %d, violations %q", resp.StatusCode, resp.Header.Get("sl-violations"))
	}
}
