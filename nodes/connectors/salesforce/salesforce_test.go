package salesforce_test

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/journeyhq/journey/nodes/connectors/oauth"
	"github.com/journeyhq/journey/nodes/connectors/salesforce"
)

var (
	mock = connectorstest.NewMock("salesforce")
	// extra serves the operations the shared spec lacks, from our own
	// testdata/salesforce_extra.yaml.
	extra = connectorstest.NewSpecMock("salesforce-extra", "testdata/salesforce_extra.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

// TestAgainstExtraContract runs the operations missing from the shared
// spec (contact create and update by id, userinfo, the authorization-code
// grant with PKCE) against Prism with our own minimal spec.
func TestAgainstExtraContract(t *testing.T) {
	base := extra.URL(t)
	hc := connectorstest.ContractClient(t)
	c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "00Dtoken", Base: base, Vendor: "Salesforce"}, HTTPClient: hc}
	ctx := context.Background()
	id, err := c.Create(ctx, salesforce.ObjectContact, map[string]any{"LastName": "[not provided]", "FirstName": "Ana", "Email": "ana@example.com"})
	if err != nil || id == "" {
		t.Fatalf("create contact = %q, %v", id, err)
	}
	if err := c.Update(ctx, salesforce.ObjectContact, id, map[string]any{"Phone": "+5511987654321"}); err != nil {
		t.Fatalf("update contact: %v", err)
	}
	if who, err := c.Identity(ctx); err != nil || who != "ana@acme.com" {
		t.Fatalf("identity = %q, %v", who, err)
	}
	cfg, err := oauth.ConfigFor("Salesforce", salesforce.OAuth, map[string]string{"client_id": "3MVG9example", "client_secret": "EXAMPLESECRET", "login_url": base},
		"https://journeys.example.com/oauth/callback", hc)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(ctx, "aPrxexampleCode", oauth.NewVerifier())
	if err != nil || tok.RefreshToken == "" || tok.Extra["instance_url"] != "https://example.my.salesforce.com" {
		t.Fatalf("exchange = %+v, %v", tok, err)
	}
}

// TestAgainstContract runs every operation the spec has against the
// Prism mock: each request must pass its validation (2xx, no
// sl-violations). Creating and updating contacts by id is not in the
// shared spec (it only has the upsert by external id); those requests are
// checked by TestUpsertContactCreates below.
func TestAgainstContract(t *testing.T) {
	base := mock.URL(t)
	hc := connectorstest.ContractClient(t)
	c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "00Dtoken", Base: base, Vendor: "Salesforce"}, HTTPClient: hc}
	crm := salesforce.NewCRM(c)
	ctx := context.Background()

	// The mock's query answers with its first example (a lead found), so
	// the upsert updates it and adds it to the campaign.
	ref, err := crm.Upsert(ctx, "r:n:1", nodes.ContactInput{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima",
		Phone: "+5511987654321", SaveAs: nodes.RecordLead, Campaign: "7015e000000Cmp1AAC", Fields: map[string]any{"LeadSource": "Chatbot"}})
	if err != nil || ref.ID != "00Q5e00000AbCdEEAV" || ref.Created {
		t.Fatalf("Upsert lead = %+v, %v", ref, err)
	}
	if id, err := c.Create(ctx, salesforce.ObjectLead, map[string]any{"LastName": "Lima", "Company": "[not provided]", "Email": "ana.lima@example.com"}); err != nil || id == "" {
		t.Fatalf("create lead = %q, %v", id, err)
	}
	if id, err := crm.CreateDeal(ctx, "r:d:1", nodes.DealInput{ContactID: "0035e00000XyZaBAAV", Title: "Ana - chat", Value: 1500, Owner: "0055e000001ExamAAA"}); err != nil || id == "" {
		t.Fatalf("CreateDeal = %q, %v", id, err)
	}
	if id, err := crm.CreateTask(ctx, "r:t:1", nodes.TaskInput{ContactID: ref.ID, Title: "Call Ana back", Notes: "Asked for a quote", Owner: "Maria",
		DueAt: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}); err != nil || id == "" {
		t.Fatalf("CreateTask = %q, %v", id, err)
	}
	if id, err := crm.AddNote(ctx, "r:o:1", nodes.NoteInput{ContactID: ref.ID, Body: "Chat transcript\nVisitor: hi", Source: "chatbot"}); err != nil || id == "" {
		t.Fatalf("AddNote = %q, %v", id, err)
	}
	if err := c.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// The refresh-token grant at the token endpoint.
	cfg := oauth.Config{Vendor: "Salesforce", ClientID: "3MVG9example", ClientSecret: "EXAMPLESECRET", TokenURL: base + "/services/oauth2/token",
		HTTPClient: hc, Keep: []string{"instance_url"}}
	tok, err := cfg.Refresh(ctx, "5Aep861example")
	if err != nil || tok.AccessToken == "" || tok.Extra["instance_url"] != "https://example.my.salesforce.com" {
		t.Fatalf("Refresh = %+v, %v", tok, err)
	}
}

// TestContractErrors takes the spec's documented error answers (Prism's
// Prefer header) down the client's error path.
func TestContractErrors(t *testing.T) {
	base := mock.URL(t)
	for _, tc := range []struct {
		prefer, want string
		permanent    bool
	}{
		{"code=400", "REQUIRED_FIELD_MISSING", true},
		{"code=401", "", true}, // a fixed token cannot be refreshed
	} {
		t.Run(tc.prefer, func(t *testing.T) {
			hc := &http.Client{Transport: preferTransport(tc.prefer)}
			c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "00Dtoken", Base: base, Vendor: "Salesforce"}, HTTPClient: hc}
			_, err := c.Create(context.Background(), salesforce.ObjectLead, map[string]any{"LastName": "Lima", "Company": "X"})
			if err == nil || nodes.IsPermanent(connectors.NodeError(err)) != tc.permanent || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	// Prefer: the campaign member duplicate example is success for us.
	hc := &http.Client{Transport: preferTransport("code=400, example=duplicate")}
	c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "00Dtoken", Base: base, Vendor: "Salesforce"}, HTTPClient: hc}
	if err := c.AddToCampaign(context.Background(), "7015e000000Cmp1AAC", "00Q5e00000AbCdEEAV"); err != nil {
		t.Fatalf("an existing campaign member must not fail the step: %v", err)
	}
}

type preferTransport string

func (p preferTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Prefer", string(p))
	return http.DefaultTransport.RoundTrip(r)
}

// recorded is one request a fake org saw.
type recorded struct {
	Method, Path, Query string
	Body                map[string]any
}

// fakeOrg answers queries with found (ids by object), creates with
// sequential ids, updates with 204; it records every request.
type fakeOrg struct {
	mu    sync.Mutex
	found map[string]string
	reqs  []recorded
	srv   *httptest.Server
	// dupCampaign answers CampaignMember creates with DUPLICATE_VALUE.
	dupCampaign bool
}

func newFakeOrg(t *testing.T, found map[string]string) *fakeOrg {
	o := &fakeOrg{found: found}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("auth header %q", r.Header.Get("Authorization"))
		}
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query().Get("q")}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &rec.Body)
		o.mu.Lock()
		o.reqs = append(o.reqs, rec)
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/query"):
			var recs []map[string]any
			for obj, id := range o.found {
				if strings.Contains(rec.Query, "FROM "+obj+" ") {
					recs = append(recs, map[string]any{"Id": id})
				}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"totalSize": len(recs), "done": true, "records": append([]map[string]any{}, recs...)})
		case r.Method == http.MethodPatch:
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/CampaignMember") && o.dupCampaign:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`[{"message":"Already a campaign member.","errorCode":"DUPLICATE_VALUE","fields":[]}]`))
		case r.Method == http.MethodPost:
			prefix := map[string]string{"Lead": "00Q", "Contact": "003", "Opportunity": "006", "Task": "00T", "CampaignMember": "00v"}[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"` + prefix + `5e00000AbCdEEAV","success":true,"errors":[]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`))
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *fakeOrg) client() *salesforce.Client {
	return &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "tok", Base: o.srv.URL, Vendor: "Salesforce"}, HTTPClient: o.srv.Client()}
}

func asJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestUpsertLeadCreatesWhenNotFound(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, nil)
	ref, err := salesforce.NewCRM(org.client()).Upsert(context.Background(), "k", nodes.ContactInput{Email: "o'neil@example.com", FirstName: "Ana",
		SaveAs: nodes.RecordLead, Campaign: "7015e000000Cmp1AAC", Fields: map[string]any{"Lead_Source__c": "chat", "Empty__c": ""}})
	if err != nil || ref.ID != "00Q5e00000AbCdEEAV" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	if len(org.reqs) != 3 {
		t.Fatalf("requests %+v", org.reqs)
	}
	q := org.reqs[0]
	if q.Path != "/services/data/v62.0/query" || q.Query != `SELECT Id FROM Lead WHERE Email = 'o\'neil@example.com' AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1` {
		t.Errorf("query %+v", q)
	}
	if got := asJSON(org.reqs[1].Body); org.reqs[1].Path != "/services/data/v62.0/sobjects/Lead" ||
		got != `{"Company":"[not provided]","Email":"o'neil@example.com","FirstName":"Ana","LastName":"[not provided]","Lead_Source__c":"chat"}` {
		t.Errorf("create %s %s", org.reqs[1].Path, got)
	}
	if got := asJSON(org.reqs[2].Body); got != `{"CampaignId":"7015e000000Cmp1AAC","LeadId":"00Q5e00000AbCdEEAV"}` {
		t.Errorf("campaign member %s", got)
	}
}

func TestUpsertContactFindsThenUpdates(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, map[string]string{"Contact": "0035e00000XyZaBAAV"})
	org.dupCampaign = true
	ref, err := salesforce.NewCRM(org.client()).Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", LastName: "Lima",
		Company: "Acme", Campaign: "7015e000000Cmp1AAC"})
	if err != nil || ref.ID != "0035e00000XyZaBAAV" || ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	if !strings.Contains(org.reqs[0].Query, "FROM Contact WHERE Email = 'ana@example.com' ORDER BY") {
		t.Errorf("query %q", org.reqs[0].Query)
	}
	// Email matched already; a contact has no Company field.
	if u := org.reqs[1]; u.Method != http.MethodPatch || u.Path != "/services/data/v62.0/sobjects/Contact/0035e00000XyZaBAAV" || asJSON(u.Body) != `{"LastName":"Lima"}` {
		t.Errorf("update %+v", u)
	}
	if len(org.reqs) != 3 || asJSON(org.reqs[2].Body) != `{"CampaignId":"7015e000000Cmp1AAC","ContactId":"0035e00000XyZaBAAV"}` {
		t.Errorf("campaign %+v", org.reqs)
	}
}

func TestUpsertContactCreates(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, map[string]string{"Lead": "00Q5e00000AbCdEEAV"}) // a lead is not a contact
	ref, err := salesforce.NewCRM(org.client()).Upsert(context.Background(), "k", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana"})
	if err != nil || ref.ID != "0035e00000AbCdEEAV" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	if c := org.reqs[1]; c.Path != "/services/data/v62.0/sobjects/Contact" || asJSON(c.Body) != `{"Email":"ana@example.com","FirstName":"Ana","LastName":"[not provided]"}` {
		t.Errorf("create %+v", c)
	}
}

func TestDealTaskNoteBodies(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, nil)
	crm := salesforce.NewCRM(org.client())
	ctx := context.Background()
	if _, err := crm.CreateDeal(ctx, "k", nodes.DealInput{ContactID: "00Q5e00000AbCdEEAV", Title: "Ana", Stage: "new", Value: 99.5, Owner: "Maria"}); err != nil {
		t.Fatal(err)
	}
	d := org.reqs[0].Body
	if d["StageName"] != "Prospecting" || d["Amount"] != 99.5 || d["OwnerId"] != nil || d["ContactId"] != nil ||
		!strings.Contains(d["Description"].(string), "00Q5e00000AbCdEEAV") {
		t.Errorf("opportunity %s", asJSON(d))
	}
	if _, err := time.Parse(time.DateOnly, d["CloseDate"].(string)); err != nil {
		t.Errorf("close date %v", d["CloseDate"])
	}
	if _, err := crm.CreateTask(ctx, "k", nodes.TaskInput{ContactID: "0035e00000XyZaBAAV", Title: "Call", Owner: "0055e000001ExamAAA",
		DueAt: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if got := asJSON(org.reqs[1].Body); got != `{"ActivityDate":"2026-12-01","OwnerId":"0055e000001ExamAAA","Priority":"Normal","Status":"Not Started","Subject":"Call","WhoId":"0035e00000XyZaBAAV"}` {
		t.Errorf("task %s", got)
	}
	if _, err := crm.AddNote(ctx, "k", nodes.NoteInput{ContactID: "0035e00000XyZaBAAV", Body: "Transcript\nhi", Source: "chat"}); err != nil {
		t.Fatal(err)
	}
	n := org.reqs[2].Body
	if n["Subject"] != "Note: Transcript" || n["Status"] != "Completed" || n["Description"] != "Transcript\nhi\n\nSource: chat" || n["WhoId"] != "0035e00000XyZaBAAV" {
		t.Errorf("note %s", asJSON(n))
	}
}

func TestRefusesBadInput(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, nil)
	crm := salesforce.NewCRM(org.client())
	ctx := context.Background()
	var errs []error
	_, err := crm.Upsert(ctx, "k", nodes.ContactInput{Email: "not an email"})
	errs = append(errs, err)
	_, err = crm.Upsert(ctx, "k", nodes.ContactInput{Email: "a@example.com", Fields: map[string]any{"bad name": 1}})
	errs = append(errs, err)
	_, err = crm.Upsert(ctx, "k", nodes.ContactInput{Email: "a@example.com", Campaign: "summer sale"})
	errs = append(errs, err)
	_, err = crm.CreateDeal(ctx, "k", nodes.DealInput{})
	errs = append(errs, err)
	_, err = crm.CreateTask(ctx, "k", nodes.TaskInput{})
	errs = append(errs, err)
	_, err = crm.AddNote(ctx, "k", nodes.NoteInput{})
	errs = append(errs, err)
	for i, err := range errs {
		if !nodes.IsPermanent(err) {
			t.Errorf("%d: want a permanent error, got %v", i, err)
		}
	}
}

func TestSOQLQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`a'b`: `'a\'b'`, `a\b`: `'a\\b'`, "a\nb": `'a\nb'`, `x' OR Name != '`: `'x\' OR Name != \''`} {
		if got := salesforce.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "tok", Base: base, Vendor: "Salesforce"}, HTTPClient: hc}
		_, err := c.Create(ctx, salesforce.ObjectTask, map[string]any{"Subject": "x"})
		return err
	}
	failures := connectorstest.StandardFailures(
		`[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]`, "Required fields are missing: [LastName]",
		`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, "cannot be refreshed")
	failures = append(failures,
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: `[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`,
			Want: "permanent", WantMessage: "The requested resource does not exist"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `[{"errorCode":"DUPLICATE_VALUE","message":"duplicate value found"}]`,
			Want: "permanent", WantMessage: "duplicate value found"},
		connectorstest.Failure{Name: "503 is retried", Status: 503, Body: `[{"errorCode":"SERVER_UNAVAILABLE","message":"try later"}]`, Want: "retry"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

// tokenServer is an in-test authorization server: it refreshes tokens
// (counting refreshes) unless revoked, and names the org at instanceURL.
type tokenServer struct {
	mu        sync.Mutex
	refreshes int
	revoked   bool
	next      string
	srv       *httptest.Server
}

func newTokenServer(t *testing.T, instanceURL func() string) *tokenServer {
	ts := &tokenServer{next: "tok"}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ts.mu.Lock()
		defer ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "refresh-1" || r.PostForm.Get("client_secret") != "shh" {
			t.Errorf("token request %v", r.PostForm)
		}
		if ts.revoked {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"expired access/refresh token"}`))
			return
		}
		ts.refreshes++
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": ts.next, "instance_url": instanceURL(), "token_type": "Bearer"})
	}))
	t.Cleanup(ts.srv.Close)
	return ts
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

func openAccount(t *testing.T, values map[string]string, store *memorySecrets, hc *http.Client) nodes.CRMTarget {
	t.Helper()
	c, ok := nodes.ConnectorFor(salesforce.Kind)
	if !ok {
		t.Fatal("salesforce is not registered")
	}
	acc, err := c.Open(values, nodes.ConnectorEnv{HTTPClient: hc, UpdateSecrets: store.update})
	if err != nil {
		t.Fatal(err)
	}
	return acc.CRM
}

// TestRefreshOnceAfter401 is a stale token: the org answers 401 once, the
// client refreshes (stored for the next steps) and tries again.
func TestRefreshOnceAfter401(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, nil)
	var orgURL string
	stale := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer old" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
			return
		}
		org.srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(stale.Close)
	orgURL = stale.URL
	ts := newTokenServer(t, func() string { return orgURL })
	values := map[string]string{"client_id": "cid", "client_secret": "shh", "login_url": ts.srv.URL,
		oauth.SecretAccessToken: "old", oauth.SecretRefreshToken: "refresh-1", oauth.ExtraPrefix + "instance_url": orgURL}
	store := &memorySecrets{values: oauth.Apply(values, nil)}
	crm := openAccount(t, values, store, stale.Client())
	if _, err := crm.CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"}); err != nil {
		t.Fatal(err)
	}
	if ts.refreshes != 1 || store.values[oauth.SecretAccessToken] != "tok" {
		t.Fatalf("refreshes %d, stored %v", ts.refreshes, store.values[oauth.SecretAccessToken])
	}
	// A second 401 after the refresh is not refreshed again.
	ts.next = "old"
	store.values[oauth.SecretAccessToken] = "old"
	crm = openAccount(t, store.values, store, stale.Client())
	_, err := crm.CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"})
	var he *connectors.HTTPError
	if !errors.As(err, &he) || he.Status != 401 || ts.refreshes != 2 || !nodes.IsPermanent(err) {
		t.Fatalf("err %v, refreshes %d", err, ts.refreshes)
	}
}

// TestRevokedConnectionNeedsRenewal: a refresh refused (invalid_grant)
// fails the step permanently with the plain sentence and marks the
// credential, so later steps fail at once without calling anyone.
func TestRevokedConnectionNeedsRenewal(t *testing.T) {
	t.Parallel()
	org := newFakeOrg(t, nil)
	ts := newTokenServer(t, func() string { return org.srv.URL })
	ts.revoked = true
	values := map[string]string{"client_id": "cid", "client_secret": "shh", "login_url": ts.srv.URL,
		oauth.SecretRefreshToken: "refresh-1", oauth.SecretExpiresAt: "2020-01-01T00:00:00Z", oauth.SecretAccessToken: "gone"}
	store := &memorySecrets{values: oauth.Apply(values, nil)}
	crm := openAccount(t, values, store, org.srv.Client())
	_, err := crm.CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"})
	want := "The Salesforce connection needs to be renewed: open Settings, Credentials and press Connect again."
	if err == nil || !nodes.IsPermanent(err) || !errors.Is(err, oauth.ErrRenew) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v", err)
	}
	if store.values[oauth.SecretRenew] == "" || store.values[oauth.SecretAccessToken] != "" {
		t.Fatalf("the credential is not marked: %v", store.values)
	}
	ts.mu.Lock()
	ts.revoked = false
	ts.mu.Unlock()
	crm = openAccount(t, store.values, store, org.srv.Client())
	if _, err := crm.CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"}); !errors.Is(err, oauth.ErrRenew) || ts.refreshes != 0 {
		t.Fatalf("a marked connection must not refresh: %v (%d refreshes)", err, ts.refreshes)
	}
	if len(org.reqs) != 0 {
		t.Fatalf("the org was called: %+v", org.reqs)
	}
}

// TestNotConnected: a credential saved but never connected.
func TestNotConnected(t *testing.T) {
	t.Parallel()
	store := &memorySecrets{values: map[string]string{}}
	crm := openAccount(t, map[string]string{"client_id": "cid", "client_secret": "shh"}, store, http.DefaultClient)
	_, err := crm.CreateTask(context.Background(), "k", nodes.TaskInput{Title: "Call"})
	if !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "not connected yet") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthorizeEndpoints(t *testing.T) {
	t.Parallel()
	a, tok, err := salesforce.OAuth.Endpoints(map[string]string{"login_url": "https://test.salesforce.com/"})
	if err != nil || a != "https://test.salesforce.com/services/oauth2/authorize" || tok != "https://test.salesforce.com/services/oauth2/token" {
		t.Fatalf("%s %s %v", a, tok, err)
	}
	a, _, _ = salesforce.OAuth.Endpoints(map[string]string{})
	if u, _ := url.Parse(a); u.Host != "login.salesforce.com" {
		t.Fatalf("default %s", a)
	}
}

// recordingTB captures Errorf so the contract check itself is tested.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) { r.errs = append(r.errs, format) }

// TestExtraContractCatchesViolations: our own spec is enforced (a contact
// without LastName is flagged), so the test above can fail.
func TestExtraContractCatchesViolations(t *testing.T) {
	base := extra.URL(t)
	rec := &recordingTB{TB: t}
	c := &salesforce.Client{Auth: oauth.StaticAuth{AccessToken: "00Dtoken", Base: base, Vendor: "Salesforce"}, HTTPClient: connectorstest.ContractClient(rec)}
	_, err := c.Create(context.Background(), salesforce.ObjectContact, map[string]any{"FirstName": "Ana"})
	if len(rec.errs) == 0 {
		t.Fatalf("a contact without LastName passed the contract check (the call returned %v)", err)
	}
}
