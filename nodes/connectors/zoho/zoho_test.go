package zoho_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
	"github.com/journeyhq/journey/nodes/connectors/zoho"
)

var (
	mock = connectorstest.NewMock("zoho")
	// extra serves the operations the shared spec lacks, from our own
	// testdata/zoho_extra.yaml.
	extra = connectorstest.NewSpecMock("zoho-extra", "testdata/zoho_extra.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

// TestAgainstExtraContract runs the operations missing from the shared
// spec (contacts upsert and search, the current user, the
// authorization-code grant) against Prism with our own minimal spec.
func TestAgainstExtraContract(t *testing.T) {
	base := extra.URL(t)
	hc := connectorstest.ContractClient(t)
	c := &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "1000.tok", Base: base, Vendor: "Zoho CRM"}, HTTPClient: hc}
	ctx := context.Background()
	ref, err := zoho.NewCRM(c).Upsert(ctx, "k", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana"})
	if err != nil || ref.ID != "Contacts/5725767000001234567" || !ref.Created {
		t.Fatalf("Upsert contact = %+v, %v", ref, err)
	}
	if who, err := c.CurrentUser(ctx); err != nil || who != "ana@acme.com" {
		t.Fatalf("CurrentUser = %q, %v", who, err)
	}
	cfg, err := oauth.ConfigFor("Zoho CRM", zoho.OAuth, map[string]string{"client_id": "1000.cid", "client_secret": "secret", "accounts_url": base},
		"https://journeys.example.com/oauth/callback", hc)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(ctx, "1000.code", oauth.NewVerifier())
	if err != nil || tok.RefreshToken == "" || tok.Extra["api_domain"] != "https://www.zohoapis.com" {
		t.Fatalf("Exchange = %+v, %v", tok, err)
	}
}

type preferTransport string

func (p preferTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if p != "" {
		r.Header.Set("Prefer", string(p))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestAgainstContract runs the operations of the shared Zoho spec against
// Prism: every request must pass its validation (2xx, no sl-violations).
// Contacts (upsert, search) and users?type=CurrentUser are not in that
// spec; they are checked by the request tests below.
func TestAgainstContract(t *testing.T) {
	base := mock.URL(t)
	hc := connectorstest.ContractClient(t)
	c := &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "1000.tok", Base: base, Vendor: "Zoho CRM"}, HTTPClient: hc}
	crm := zoho.NewCRM(c)
	ctx := context.Background()
	ref, err := crm.Upsert(ctx, "k", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321",
		Company: "Acme", SaveAs: nodes.RecordLead, Fields: map[string]any{"Lead_Source": "Chat"}})
	if err != nil || ref.ID != "Leads/5725767000001234001" {
		t.Fatalf("Upsert lead = %+v, %v", ref, err)
	}
	// Without a last name the lead is looked up first (the mock finds it).
	if ref, err := crm.Upsert(ctx, "k", nodes.ContactInput{Email: "ana.lima@example.com", SaveAs: nodes.RecordLead}); err != nil || ref.ID == "" {
		t.Fatalf("Upsert lead without a last name = %+v, %v", ref, err)
	}
	if id, err := c.Insert(ctx, zoho.ModuleLeads, map[string]any{"Last_Name": "Lima", "Email": "ana.lima@example.com"}); err != nil || id == "" {
		t.Fatalf("Insert = %q, %v", id, err)
	}
	if id, err := crm.CreateDeal(ctx, "k", nodes.DealInput{ContactID: "Contacts/5725767000001234567", Title: "Ana - chat", Value: 1500, Owner: "5725767000000411001"}); err != nil || id == "" {
		t.Fatalf("CreateDeal = %q, %v", id, err)
	}
	if id, err := crm.CreateTask(ctx, "k", nodes.TaskInput{ContactID: ref.ID, Title: "Call Ana", DueAt: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), Owner: "Maria"}); err != nil || id == "" {
		t.Fatalf("CreateTask = %q, %v", id, err)
	}
	if id, err := crm.AddNote(ctx, "k", nodes.NoteInput{ContactID: ref.ID, Body: "Chat transcript\nVisitor: hi", Source: "chatbot"}); err != nil || id == "" {
		t.Fatalf("AddNote = %q, %v", id, err)
	}
	cfg := oauth.Config{Vendor: "Zoho CRM", ClientID: "1000.cid", ClientSecret: "secret", TokenURL: base + "/oauth/v2/token", HTTPClient: hc, Keep: []string{"api_domain"}}
	tok, err := cfg.Refresh(ctx, "1000.refresh")
	if err != nil || tok.AccessToken == "" || tok.Extra["api_domain"] != "https://www.zohoapis.com" || tok.ExpiresIn != time.Hour {
		t.Fatalf("Refresh = %+v, %v", tok, err)
	}
}

// TestContractAnswers takes the spec's other documented answers (Prism's
// Prefer header) down the client's paths.
func TestContractAnswers(t *testing.T) {
	base := mock.URL(t)
	ctx := context.Background()
	client := func(prefer string) *zoho.Client {
		return &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "1000.tok", Base: base, Vendor: "Zoho CRM"}, HTTPClient: &http.Client{Transport: preferTransport(prefer)}}
	}
	if id, err := client("code=204").FindByEmail(ctx, zoho.ModuleLeads, "nobody@example.com"); err != nil || id != "" {
		t.Fatalf("no match: %q %v", id, err)
	}
	_, err := client("code=400").Insert(ctx, zoho.ModuleDeals, map[string]any{"Deal_Name": "x", "Stage": "y"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "required field not found (field Last_Name)") {
		t.Fatalf("400: %v", err)
	}
	_, err = client("code=401").Insert(ctx, zoho.ModuleDeals, map[string]any{"Deal_Name": "x", "Stage": "y"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "cannot be refreshed") {
		t.Fatalf("401: %v", err)
	}
	cfg := oauth.Config{Vendor: "Zoho CRM", ClientID: "1000.cid", ClientSecret: "secret", TokenURL: base + "/oauth/v2/token",
		HTTPClient: &http.Client{Transport: preferTransport("example=invalidCode")}}
	var re *oauth.RefusedError
	if _, err := cfg.Refresh(ctx, "1000.revoked"); !errors.As(err, &re) {
		t.Fatalf("200 with invalid_code must be a refusal: %v", err)
	}
}

type recorded struct {
	Method, Path, Query, Auth string
	Body                      map[string]any
}

// fakeOrg answers like Zoho and records the requests.
type fakeOrg struct {
	mu   sync.Mutex
	reqs []recorded
	srv  *httptest.Server
	// found answers searches with this id ("" → 204).
	found string
}

func newFakeOrg(t *testing.T) *fakeOrg {
	o := &fakeOrg{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &rec.Body)
		o.mu.Lock()
		o.reqs = append(o.reqs, rec)
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/search"):
			if o.found == "" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			_, _ = w.Write([]byte(`{"data":[{"id":"` + o.found + `"}],"info":{"count":1}}`))
		case strings.HasSuffix(r.URL.Path, "/users"):
			_, _ = w.Write([]byte(`{"users":[{"email":"ana@acme.com","full_name":"Ana"}]}`))
		case strings.HasSuffix(r.URL.Path, "/upsert"):
			_, _ = w.Write([]byte(`{"data":[{"code":"SUCCESS","status":"success","message":"record added","action":"insert","details":{"id":"5725767000009999001"}}]}`))
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"data":[{"code":"SUCCESS","status":"success","message":"record added","details":{"id":"5725767000009999002"}}]}`))
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *fakeOrg) client() *zoho.Client {
	return &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "tok", Base: o.srv.URL, Vendor: "Zoho CRM"}, HTTPClient: o.srv.Client()}
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestUpsertContactRequest(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t)
	ref, err := zoho.NewCRM(org.client()).Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana",
		Company: "Acme", Fields: map[string]any{"Plan__c": "pro", "Empty": ""}})
	if err != nil || ref.ID != "Contacts/5725767000009999001" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	if len(org.reqs) != 2 || org.reqs[0].Path != "/crm/v7/Contacts/search" || org.reqs[0].Query != "email=ana%40example.com" {
		t.Fatalf("requests %+v", org.reqs)
	}
	u := org.reqs[1]
	if u.Path != "/crm/v7/Contacts/upsert" || u.Auth != "Zoho-oauthtoken tok" ||
		asJSON(u.Body) != `{"data":[{"Email":"ana@example.com","First_Name":"Ana","Last_Name":"[not provided]","Plan__c":"pro"}],"duplicate_check_fields":["Email"],"trigger":["workflow"]}` {
		t.Fatalf("upsert %s %s", u.Path, asJSON(u.Body))
	}
	// Found: the existing last name is kept.
	org.found = "5725767000001234001"
	if _, err := zoho.NewCRM(org.client()).Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", SaveAs: nodes.RecordLead}); err != nil {
		t.Fatal(err)
	}
	if last := org.reqs[len(org.reqs)-1]; last.Path != "/crm/v7/Leads/upsert" || strings.Contains(asJSON(last.Body), "Last_Name") {
		t.Fatalf("update of a found lead %s %s", last.Path, asJSON(last.Body))
	}
}

func TestTaskNoteDealLinks(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t)
	crm := zoho.NewCRM(org.client())
	ctx := context.Background()
	if _, err := crm.CreateTask(ctx, "k", nodes.TaskInput{ContactID: "Contacts/5725767000001234567", Title: "Call", Owner: "5725767000000411001"}); err != nil {
		t.Fatal(err)
	}
	if got := asJSON(org.reqs[0].Body); got != `{"data":[{"Owner":{"id":"5725767000000411001"},"Status":"Not Started","Subject":"Call","Who_Id":{"id":"5725767000001234567"}}],"trigger":["workflow"]}` {
		t.Errorf("task %s", got)
	}
	if _, err := crm.AddNote(ctx, "k", nodes.NoteInput{ContactID: "Leads/5725767000001234001", Body: "Transcript\nhi"}); err != nil {
		t.Fatal(err)
	}
	if got := asJSON(org.reqs[1].Body); got != `{"data":[{"Note_Content":"Transcript\nhi","Note_Title":"Transcript","Parent_Id":{"id":"5725767000001234001","module":{"api_name":"Leads"}}}]}` {
		t.Errorf("note %s", got)
	}
	if _, err := crm.CreateDeal(ctx, "k", nodes.DealInput{ContactID: "Leads/5725767000001234001", Title: "Ana", Stage: "new"}); err != nil {
		t.Fatal(err)
	}
	if d := org.reqs[2].Body["data"].([]any)[0].(map[string]any); d["Stage"] != "Qualification" || d["Contact_Name"] != nil {
		t.Errorf("deal %s", asJSON(d))
	}
}

func TestRecordErrorInsideA2xxIsAnError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[{"code":"INVALID_DATA","details":{"api_name":"Email"},"message":"invalid data","status":"error"}]}`))
	}))
	t.Cleanup(srv.Close)
	c := &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "tok", Base: srv.URL, Vendor: "Zoho CRM"}, HTTPClient: srv.Client()}
	_, _, err := c.Upsert(context.Background(), zoho.ModuleLeads, map[string]any{"Email": "x"})
	if !nodes.IsPermanent(connectors.NodeError(err)) || !strings.Contains(err.Error(), "invalid data (field Email)") {
		t.Fatalf("%v", err)
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	crm := zoho.NewCRM(newFakeOrg(t).client())
	ctx := context.Background()
	var errs []error
	_, err := crm.Upsert(ctx, "k", nodes.ContactInput{Email: "not an email"})
	errs = append(errs, err)
	_, err = crm.Upsert(ctx, "k", nodes.ContactInput{Email: "a@example.com", LastName: "L", Fields: map[string]any{"bad name": 1}})
	errs = append(errs, err)
	_, err = crm.CreateDeal(ctx, "k", nodes.DealInput{})
	errs = append(errs, err)
	_, err = crm.CreateTask(ctx, "k", nodes.TaskInput{})
	errs = append(errs, err)
	_, err = crm.AddNote(ctx, "k", nodes.NoteInput{Body: "x"})
	errs = append(errs, err)
	for i, err := range errs {
		if !nodes.IsPermanent(err) {
			t.Errorf("%d: want permanent, got %v", i, err)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &zoho.Client{Auth: oauth.StaticAuth{AccessToken: "tok", Base: base, Vendor: "Zoho CRM"}, HTTPClient: hc}
		_, err := c.Insert(ctx, zoho.ModuleTasks, map[string]any{"Subject": "x"})
		return err
	}
	failures := connectorstest.StandardFailures(
		`{"data":[{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Subject"},"message":"required field not found","status":"error"}]}`, "required field not found (field Subject)",
		`{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`, "cannot be refreshed")
	failures = append(failures,
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: `{"code":"INVALID_URL_PATTERN","details":{},"message":"Please check if the URL trying to access is a correct one","status":"error"}`,
			Want: "permanent", WantMessage: "URL trying to access"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `{"code":"DUPLICATE_DATA","details":{},"message":"duplicate data","status":"error"}`, Want: "permanent", WantMessage: "duplicate data"},
		connectorstest.Failure{Name: "503 is retried", Status: 503, Body: `{}`, Want: "retry"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

func TestDataCentres(t *testing.T) {
	t.Parallel()
	for dc, want := range map[string]string{"": "https://accounts.zoho.com/oauth/v2/token", "eu": "https://accounts.zoho.eu/oauth/v2/token",
		"com.au": "https://accounts.zoho.com.au/oauth/v2/token", "jp": "https://accounts.zoho.jp/oauth/v2/token", "in": "https://accounts.zoho.in/oauth/v2/token"} {
		_, tok, err := zoho.OAuth.Endpoints(map[string]string{"data_centre": dc})
		if err != nil || tok != want {
			t.Errorf("%q: %s %v", dc, tok, err)
		}
	}
	if _, _, err := zoho.OAuth.Endpoints(map[string]string{"data_centre": "evil.example"}); err == nil {
		t.Error("an unknown data centre was accepted")
	}
}

// memorySecrets is a credential's stored values with UpdateSecrets.
type memorySecrets struct {
	mu     sync.Mutex
	values map[string]string
}

func (m *memorySecrets) update(ctx context.Context, fn func(map[string]string) (map[string]string, error)) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changes, err := fn(oauth.Apply(m.values, nil))
	if err != nil {
		return nil, err
	}
	m.values = oauth.Apply(m.values, changes)
	return oauth.Apply(m.values, nil), nil
}

// TestOAuthRefreshAndRevocation: an expired token is refreshed once and
// the call tried again; a revoked grant asks for renewal in plain words.
func TestOAuthRefreshAndRevocation(t *testing.T) {
	t.Parallel()
	authz := oauthtest.New(t, "1000.cid", "secret")
	authz.AuthorizePath, authz.TokenPath = "/oauth/v2/auth", "/oauth/v2/token"
	authz.Extra["api_domain"] = "self"
	authz.SetExpiresIn(3600, 3600)
	var tasks atomic.Int32
	authz.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tasks.Add(1)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"data":[{"code":"SUCCESS","status":"success","message":"record added","details":{"id":"5725767000009999002"}}]}`))
	})
	values := map[string]string{"client_id": "1000.cid", "client_secret": "secret", "accounts_url": authz.URL}
	cfg, err := oauth.ConfigFor("Zoho CRM", zoho.OAuth, values, "https://journeys.example.com/oauth/callback", authz.Client())
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth.NewVerifier()
	u := cfg.AuthCodeURL("st", verifier)
	if !strings.Contains(u, "access_type=offline") || !strings.Contains(u, "scope=ZohoCRM.modules.ALL%2CZohoCRM.users.READ") {
		t.Fatalf("authorize URL %s", u)
	}
	code, _, _ := authz.Issue(u)
	tok, err := cfg.Exchange(context.Background(), code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	store := &memorySecrets{values: oauth.Apply(values, tok.Secrets(time.Now()))}
	c, _ := nodes.ConnectorFor(zoho.Kind)
	open := func() nodes.CRMTarget {
		acc, err := c.Open(store.values, nodes.ConnectorEnv{HTTPClient: authz.Client(), UpdateSecrets: store.update})
		if err != nil {
			t.Fatal(err)
		}
		return acc.CRM
	}
	authz.Expire()
	if _, err := open().CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"}); err != nil || tasks.Load() != 1 {
		t.Fatalf("after expiry: %v (%d tasks)", err, tasks.Load())
	}
	if _, refreshes := authz.Counts(); refreshes != 1 {
		t.Fatalf("%d refreshes", refreshes)
	}
	authz.Revoke()
	_, err = open().CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"})
	if !errors.Is(err, oauth.ErrRenew) || !nodes.IsPermanent(err) ||
		!strings.Contains(err.Error(), "The Zoho CRM connection needs to be renewed: open Settings, Credentials and press Connect again.") {
		t.Fatalf("revoked: %v", err)
	}
}
