package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// The chat lead templates for Salesforce, Zoho CRM and Klaviyo, end to
// end: a credential pointing at the vendor's contract mock (Prism on
// ../shared/contracts), the flow made from the template with that
// account filled in as "Use this template" does, the template's example
// posted to its webhook; the run completes and every request the vendor
// got passed its spec.

// vendorCall is one request a vendor mock answered.
type vendorCall struct {
	method, path, body string
	status             int
	violations         string
}

// specRecorder forwards the vendor clients' requests (to the Prism mock)
// and keeps each with Prism's answer.
type specRecorder struct {
	mu    sync.Mutex
	calls []vendorCall
}

func (r *specRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.calls = append(r.calls, vendorCall{method: req.Method, path: req.URL.Path, body: string(body), status: resp.StatusCode,
		violations: resp.Header.Get("sl-violations")})
	r.mu.Unlock()
	return resp, nil
}

// find returns the calls of method whose path ends with suffix.
func (r *specRecorder) find(method, suffix string) []vendorCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []vendorCall
	for _, c := range r.calls {
		if c.method == method && strings.HasSuffix(c.path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

// check fails on any request that broke the spec, and on any answer
// that is not 2xx but for the paths in notInSpec: operations the shared
// spec lacks (who connected, shown in Settings only), checked by the
// connector's own contract tests.
func (r *specRecorder) check(t *testing.T, notInSpec ...string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("the vendor mock got no request")
	}
	for _, c := range r.calls {
		if c.violations != "" {
			t.Errorf("%s %s broke the vendor's spec: %s", c.method, c.path, c.violations)
		}
		skip := false
		for _, p := range notInSpec {
			skip = skip || strings.HasSuffix(c.path, p)
		}
		if !skip && (c.status < 200 || c.status > 299) {
			t.Errorf("%s %s answered %d, want 2xx", c.method, c.path, c.status)
		}
	}
}

// vendorTemplateBundle is a server whose vendor clients go through rec.
func vendorTemplateBundle(t *testing.T) (*testBundle, *specRecorder) {
	t.Helper()
	rec := &specRecorder{}
	b := setup(t, withUser, withVendors, func(o *setupOptions) { o.vendorClient = &http.Client{Transport: rec} })
	return b, rec
}

// shippedTemplate returns a shipped template by id.
func shippedTemplate(t *testing.T, id string) flows.Template {
	t.Helper()
	ts, err := flows.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		if tpl.ID == id {
			return tpl
		}
	}
	t.Fatalf("no template %s", id)
	return flows.Template{}
}

// useTemplate creates the template's draft with the credential filled in
// for kind on the steps its about file lists (as the editor's "Use this
// template" does with the one saved connection of that kind), checks it
// has no problem left, publishes it and returns its webhook path.
func useTemplate(t *testing.T, b *testBundle, tpl flows.Template, kind, credID string) string {
	t.Helper()
	var doc map[string]any
	raw, _ := json.Marshal(tpl.Flow)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	for _, c := range tpl.About.Credentials {
		if c.Kind == kind {
			for _, id := range c.Nodes {
				steps[id] = true
			}
		}
	}
	if len(steps) == 0 {
		t.Fatalf("%s names no %s account in its about file", tpl.ID, kind)
	}
	path, filled := "", 0
	for _, n := range doc["nodes"].([]any) {
		node := n.(map[string]any)
		params, _ := node["params"].(map[string]any)
		if node["type"] == "trigger.webhook" {
			path, _ = params["path"].(string)
		}
		if !steps[node["id"].(string)] {
			continue
		}
		for k, v := range params {
			if v == kind { // the template's placeholder
				params[k] = credID
				filled++
			}
		}
	}
	if filled != len(steps) {
		t.Fatalf("filled %d placeholders for %d steps", filled, len(steps))
	}
	body, _ := json.Marshal(doc)
	var created struct{ Problems []flows.Problem }
	b.api(t, "POST", "/api/v1/flows", string(body)).must(t, http.StatusCreated).json(t, &created)
	if len(created.Problems) != 0 {
		t.Fatalf("the draft made from %s has problems: %+v", tpl.ID, created.Problems)
	}
	b.api(t, "POST", "/api/v1/flows/"+tpl.ID+"/publish", "").must(t, http.StatusOK)
	return path
}

// postExample posts the template's example to its webhook, runs every
// job and returns the run with its steps.
func postExample(t *testing.T, b *testBundle, tpl flows.Template, path string) runView {
	t.Helper()
	example, _ := json.Marshal(tpl.About.Example)
	b.request(t, "POST", "/hooks/"+path, string(example)).must(t, http.StatusAccepted)
	b.drain(t)
	var runs struct{ Runs []struct{ ID string } }
	b.api(t, "GET", "/api/v1/runs?flow="+tpl.ID, "").must(t, http.StatusOK).json(t, &runs)
	if len(runs.Runs) != 1 {
		t.Fatalf("%d runs of %s, want 1", len(runs.Runs), tpl.ID)
	}
	var run runView
	b.api(t, "GET", "/api/v1/runs/"+runs.Runs[0].ID, "").must(t, http.StatusOK).json(t, &run)
	return run
}

type runView struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Steps  []struct {
		NodeID string          `json:"node_id"`
		Status string          `json:"status"`
		Port   string          `json:"port"`
		Output json.RawMessage `json:"output"`
		Error  string          `json:"error"`
	} `json:"steps"`
}

// path is the nodes the run went through, in order.
func (r runView) path() string {
	var ids []string
	for _, s := range r.Steps {
		ids = append(ids, s.NodeID)
	}
	return strings.Join(ids, " ")
}

// salesperson creates a user for the Assign owner team and gives them an
// owner id in the account (empty: none).
func salesperson(t *testing.T, b *testBundle, email, credID, ownerID string) {
	t.Helper()
	var u struct{ User struct{ ID string } }
	b.api(t, "POST", "/api/v1/users", `{"email":"`+email+`","password":"a long password","role":"editor"}`).must(t, http.StatusCreated).json(t, &u)
	patch := `{"name":"Maria Lopez"}`
	if ownerID != "" {
		patch = `{"name":"Maria Lopez","owner_ids":{"` + credID + `":"` + ownerID + `"}}`
	}
	b.api(t, "PATCH", "/api/v1/users/"+u.User.ID, patch).must(t, http.StatusOK)
}

// connectOAuth creates an OAuth credential of kind with fields and runs
// Settings' Connect against the in-test authorization server.
func connectOAuth(t *testing.T, b *testBundle, kind string, fields map[string]string, authz *oauthtest.Server) string {
	t.Helper()
	me := signIn(t, b)
	f, _ := json.Marshal(fields)
	var created struct{ Credential struct{ ID string } }
	b.request(t, "POST", "/api/v1/credentials", `{"name":"Acme","kind":"`+kind+`","fields":`+string(f)+`}`, me...).
		must(t, http.StatusCreated).json(t, &created)
	var started struct {
		URL string `json:"url"`
	}
	b.request(t, "POST", "/api/v1/credentials/"+created.Credential.ID+"/connect", "", me...).must(t, http.StatusOK).json(t, &started)
	code, state, _ := authz.Issue(started.URL)
	back := b.request(t, "GET", "/oauth/callback?"+url.Values{"code": {code}, "state": {state}}.Encode(), "", me...).must(t, http.StatusSeeOther)
	if loc := back.header.Get("Location"); !strings.Contains(loc, "connected=") {
		t.Fatalf("Connect ended at %s", loc)
	}
	return created.Credential.ID
}

// sandboxSlack returns the texts of the Slack posts kept in the outbox.
func sandboxSlack(t *testing.T, b *testBundle) []string {
	t.Helper()
	var ms []storage.Message
	if err := storagetest.Find(b.store.Reader(), &ms, storagetest.Where("channel = ?", "slack")); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.BodyText)
	}
	return out
}

func TestSalesforceTemplateEndToEnd(t *testing.T) {
	t.Parallel()
	mock := connectorstest.NewMock("salesforce")
	base := mock.URL(t)
	t.Cleanup(mock.Stop)
	b, rec := vendorTemplateBundle(t)
	authz := oauthtest.New(t, "cid", "csecret")
	authz.Extra["instance_url"] = base // the org's API is the contract mock
	cred := connectOAuth(t, b, "salesforce", map[string]string{"client_id": "cid", "client_secret": "csecret", "login_url": authz.URL}, authz)
	const owner = "0055e000001ExamAAA"
	salesperson(t, b, "maria@example.com", cred, owner)

	tpl := shippedTemplate(t, "chat-lead-salesforce")
	run := postExample(t, b, tpl, useTemplate(t, b, tpl, "salesforce", cred))
	if run.Status != "completed" {
		t.Fatalf("run %s (%s): %+v", run.Status, run.Error, run.Steps)
	}
	if p := run.path(); p != "chat_finished save_lead save_transcript is_hot assign_owner tell_owner create_deal call_back" {
		t.Fatalf("the run went %s", p)
	}
	rec.check(t, "/services/oauth2/userinfo")
	// The mock finds the lead by email (its example), so it is updated.
	if q, upd := rec.find("GET", "/query"), rec.find("PATCH", "/sobjects/Lead/00Q5e00000AbCdEEAV"); len(q) == 0 || len(upd) != 1 ||
		!strings.Contains(upd[0].body, `"FirstName":"Ana"`) {
		t.Fatalf("lead look-up %+v, update %+v", q, upd)
	}
	opps := rec.find("POST", "/sobjects/Opportunity")
	if len(opps) != 1 || !strings.Contains(opps[0].body, `"Name":"Chat lead: Ana Ruiz"`) || !strings.Contains(opps[0].body, `"StageName":"Qualification"`) ||
		!strings.Contains(opps[0].body, `"OwnerId":"`+owner+`"`) {
		t.Fatalf("opportunities %+v", opps)
	}
	tasks := rec.find("POST", "/sobjects/Task")
	if len(tasks) != 2 || !strings.Contains(tasks[0].body, "I would like a demo") || !strings.Contains(tasks[1].body, `"Subject":"Call back within 1 hour"`) ||
		!strings.Contains(tasks[1].body, `"OwnerId":"`+owner+`"`) || !strings.Contains(tasks[1].body, `"WhoId":"00Q5e00000AbCdEEAV"`) {
		t.Fatalf("tasks (the transcript, the call-back) %+v", tasks)
	}
	if posts := sandboxSlack(t, b); len(posts) != 1 || !strings.Contains(posts[0], "Maria Lopez, a hot lead from the chat is yours: Ana Ruiz") {
		t.Fatalf("Slack posts %q", posts)
	}
	if strings.Contains(b.logs.String(), authz.LastAccess) {
		t.Fatal("the access token reached the logs")
	}
}

// Zoho CRM, with nobody in the team: the lead takes the "nobody" path,
// sales hears it on Slack, and the deal and task are still made (with no
// owner).
func TestZohoTemplateEndToEnd(t *testing.T) {
	t.Parallel()
	mock := connectorstest.NewMock("zoho")
	base := mock.URL(t)
	t.Cleanup(mock.Stop)
	b, rec := vendorTemplateBundle(t)
	authz := oauthtest.New(t, "cid", "csecret")
	authz.AuthorizePath, authz.TokenPath = "/oauth/v2/auth", "/oauth/v2/token"
	authz.Extra["api_domain"] = base
	cred := connectOAuth(t, b, "zoho", map[string]string{"client_id": "cid", "client_secret": "csecret", "accounts_url": authz.URL}, authz)

	tpl := shippedTemplate(t, "chat-lead-zoho")
	run := postExample(t, b, tpl, useTemplate(t, b, tpl, "zoho", cred))
	if run.Status != "completed" {
		t.Fatalf("run %s (%s): %+v", run.Status, run.Error, run.Steps)
	}
	if p := run.path(); p != "chat_finished save_lead save_transcript is_hot assign_owner tell_nobody create_deal call_back" {
		t.Fatalf("the run went %s", p)
	}
	rec.check(t, "/users")
	if ups := rec.find("POST", "/Leads/upsert"); len(ups) != 1 || !strings.Contains(ups[0].body, `"Email":"ana@example.com"`) {
		t.Fatalf("lead upserts %+v", ups)
	}
	deals := rec.find("POST", "/Deals")
	if len(deals) != 1 || !strings.Contains(deals[0].body, `"Deal_Name":"Chat lead: Ana Ruiz"`) || !strings.Contains(deals[0].body, `"Stage":"Qualification"`) ||
		strings.Contains(deals[0].body, "Owner") {
		t.Fatalf("deals %+v", deals)
	}
	if notes, tasks := rec.find("POST", "/Notes"), rec.find("POST", "/Tasks"); len(notes) != 1 || len(tasks) != 1 ||
		!strings.Contains(notes[0].body, "I would like a demo") || !strings.Contains(tasks[0].body, "Call back within 1 hour") {
		t.Fatalf("notes %+v, tasks %+v", notes, tasks)
	}
	if posts := sandboxSlack(t, b); len(posts) != 1 || !strings.Contains(posts[0], "Nobody in the sales team is available for a hot lead from the chat: Ana Ruiz") {
		t.Fatalf("Slack posts %q", posts)
	}
}

// Klaviyo: the chat said yes to marketing email, so the person is
// subscribed (consent recorded) to the list; the hot lead's deal and task
// are in this app, owned by the salesperson.
func TestKlaviyoTemplateEndToEnd(t *testing.T) {
	t.Parallel()
	mock := connectorstest.NewMock("klaviyo")
	base := mock.URL(t)
	t.Cleanup(mock.Stop)
	b, rec := vendorTemplateBundle(t)
	var created struct{ Credential struct{ ID string } }
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Klaviyo","kind":"klaviyo","fields":{"api_key":"pk_test_SECRET","base_url":"`+base+`"}}`).
		must(t, http.StatusCreated).json(t, &created)
	cred := created.Credential.ID
	salesperson(t, b, "maria@example.com", cred, "")

	tpl := shippedTemplate(t, "chat-lead-klaviyo")
	if tpl.About.Example["marketing_consent"] != true {
		t.Fatalf("the example should say yes to marketing email: %v", tpl.About.Example)
	}
	run := postExample(t, b, tpl, useTemplate(t, b, tpl, "klaviyo", cred))
	if run.Status != "completed" {
		t.Fatalf("run %s (%s): %+v", run.Status, run.Error, run.Steps)
	}
	if p := run.path(); p != "chat_finished save_lead save_transcript said_yes subscribe is_hot assign_owner tell_owner create_deal call_back" {
		t.Fatalf("the run went %s", p)
	}
	rec.check(t)
	subs := rec.find("POST", "/api/profile-subscription-bulk-create-jobs")
	if len(subs) != 1 || !strings.Contains(subs[0].body, `"email":"ana@example.com"`) || !strings.Contains(subs[0].body, `"YOUR_LIST_ID"`) ||
		!strings.Contains(subs[0].body, `"consent":"SUBSCRIBED"`) {
		t.Fatalf("subscriptions %+v; all calls %+v", subs, rec.calls)
	}
	var deals []storage.Deal
	if err := storagetest.Find(b.store.Reader(), &deals, storagetest.Query{}); err != nil {
		t.Fatal(err)
	}
	if len(deals) != 1 || deals[0].Title != "Chat lead: Ana Ruiz" || deals[0].Owner != "maria@example.com" {
		t.Fatalf("deals %+v", deals)
	}
	if strings.Contains(b.logs.String(), "pk_test_SECRET") {
		t.Fatal("the API key reached the logs")
	}
}

// Made from the template file as it is (imported, or with no saved
// connection of the kind), the draft says on each Salesforce step, in
// plain words, to choose the account, and cannot be published yet.
func TestTemplatePlaceholderAsksForTheAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tpl := shippedTemplate(t, "chat-lead-salesforce")
	body, _ := json.Marshal(tpl.Flow)
	var created struct{ Problems []flows.Problem }
	b.api(t, "POST", "/api/v1/flows", string(body)).must(t, http.StatusCreated).json(t, &created)
	got := map[string]string{}
	for _, p := range created.Problems {
		got[p.NodeID] = p.Message
	}
	for _, id := range []string{"save_lead", "save_transcript", "create_deal", "call_back"} {
		if !strings.Contains(got[id], `needs your Salesforce account for "Save to": choose it here (add one under Settings, Credentials if there is none yet)`) {
			t.Errorf("step %s: %q", id, got[id])
		}
	}
	if len(got) != 4 {
		t.Errorf("problems on %d steps, want the 4 Salesforce ones: %+v", len(got), created.Problems)
	}
	if res := b.api(t, "POST", "/api/v1/flows/chat-lead-salesforce/publish", ""); res.status < 400 || !strings.Contains(res.body, "needs your Salesforce account") {
		t.Fatalf("publish answered %d: %s", res.status, res.body)
	}
}
