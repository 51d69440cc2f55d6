package activecampaign_test

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
	"github.com/journeyhq/journey/nodes/connectors/activecampaign"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

// mock serves the shared minimal ActiveCampaign spec; extra serves the
// operations it lacks (testdata/activecampaign_missing_ops.yaml, written
// from ActiveCampaign's API reference).
var (
	mock  = connectorstest.NewMock("activecampaign")
	extra = connectorstest.NewSpecMock("activecampaign-extra", "testdata/activecampaign_missing_ops.yaml")
)

func TestMain(m *testing.M) { connectorstest.Main(m, mock, extra) }

func TestAgainstContract(t *testing.T) {
	c := &activecampaign.Client{BaseURL: mock.URL(t), Token: "tok", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	id, _, err := c.SyncContact(ctx, activecampaign.Contact{Email: "ana.lima@example.com", FirstName: "Ana", LastName: "Lima", Phone: "+5511987654321",
		FieldValues: map[string]string{"1": "chatbot"}})
	if err != nil || id == "" {
		t.Fatalf("SyncContact = %q, %v", id, err)
	}
	if err := c.SetListStatus(ctx, "2", id, activecampaign.StatusActive); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := c.SetListStatus(ctx, "2", id, activecampaign.StatusUnsubscribed); err != nil {
		t.Fatalf("unsubscribe: %v", err)
	}
	if err := c.AddTag(ctx, id, "20"); err != nil {
		t.Fatalf("AddTag: %v", err)
	}
	deal, err := c.CreateDeal(ctx, activecampaign.Deal{Title: "Ana Lima - chat", ContactID: id, ValueCents: 150000, Currency: "BRL", Pipeline: "1", Owner: "1"})
	if err != nil || deal == "" {
		t.Fatalf("CreateDeal = %q, %v", deal, err)
	}
	if _, err := c.CreateDeal(ctx, activecampaign.Deal{Title: "By stage", ContactID: id, Stage: "3"}); err != nil {
		t.Fatalf("CreateDeal by stage: %v", err)
	}
	note, err := c.AddNote(ctx, activecampaign.RelContact, id, "Customer: hi\nBot: hello")
	if err != nil || note == "" {
		t.Fatalf("AddNote = %q, %v", note, err)
	}
}

func TestAgainstContractMissingOperations(t *testing.T) {
	c := &activecampaign.Client{BaseURL: extra.URL(t), Token: "tok", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	id, err := c.FindContact(ctx, "ana.lima@example.com")
	if err != nil || id != "113" {
		t.Fatalf("FindContact = %q, %v", id, err)
	}
	tag, err := c.FindTag(ctx, "Hot-Lead")
	if err != nil || tag != "20" {
		t.Fatalf("FindTag = %q, %v", tag, err)
	}
	tag, err = c.EnsureTag(ctx, "vip") // the mock knows only hot-lead: vip is created
	if err != nil || tag != "21" {
		t.Fatalf("EnsureTag = %q, %v", tag, err)
	}
	if err := c.RemoveTag(ctx, "113", "20"); err != nil {
		t.Fatalf("RemoveTag: %v", err)
	}
	task, err := c.CreateTask(ctx, activecampaign.Task{Title: "Call back", Note: "Asked for a quote", ContactID: "113",
		Due: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), Type: "1", Assignee: "2"})
	if err != nil || task == "" {
		t.Fatalf("CreateTask = %q, %v", task, err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestMocksCheckTheBody proves the contract tests can fail: a list
// status other than 1 or 2, and a tag without its type, are refused.
func TestMocksCheckTheBody(t *testing.T) {
	for _, tc := range []struct{ base, path, body string }{
		{mock.URL(t), "/contactLists", `{"contactList":{"list":"2","contact":"113","status":3}}`},
		{extra.URL(t), "/tags", `{"tag":{"tag":"vip"}}`},
	} {
		req, _ := http.NewRequest(http.MethodPost, tc.base+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Api-Token", "tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.Header.Get("sl-violations") == "" {
			t.Errorf("%s %s got %d, violations %q", tc.path, tc.body, resp.StatusCode, resp.Header.Get("sl-violations"))
		}
	}
}

// fake is an in-memory ActiveCampaign: one contact, tags by name.
type fake struct {
	mu       sync.Mutex
	calls    []string
	srv      *httptest.Server
	contact  string            // id of the known contact ("" = none)
	tags     map[string]string // name -> id
	links    map[string]string // contactTag id -> tag id
	syncCode int
}

func newFake(t *testing.T) *fake {
	f := &fake{contact: "113", tags: map[string]string{"hot-lead": "20", "cold": "22"}, links: map[string]string{"1051": "22"}, syncCode: 200}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		if q.Header.Get("Api-Token") != "tok" {
			t.Errorf("Api-Token %q", q.Header.Get("Api-Token"))
		}
		if !strings.HasPrefix(q.URL.Path, "/api/3/") {
			t.Errorf("path %s is not under /api/3", q.URL.Path)
		}
		b, _ := io.ReadAll(q.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		path := strings.TrimPrefix(q.URL.Path, "/api/3")
		f.calls = append(f.calls, strings.TrimSpace(q.Method+" "+strings.TrimPrefix(q.URL.RequestURI(), "/api/3")+" "+string(b)))
		w.Header().Set("Content-Type", "application/json")
		write := func(code int, v any) { w.WriteHeader(code); _ = json.NewEncoder(w).Encode(v) }
		switch {
		case path == "/contact/sync":
			if f.contact == "" {
				f.contact = "200"
				write(201, map[string]any{"contact": map[string]any{"id": f.contact}})
				return
			}
			write(f.syncCode, map[string]any{"contact": map[string]any{"id": f.contact}})
		case path == "/contacts" && q.Method == http.MethodGet:
			var cs []any
			if f.contact != "" {
				cs = append(cs, map[string]any{"id": f.contact, "email": q.URL.Query().Get("email")})
			}
			write(200, map[string]any{"contacts": cs})
		case path == "/tags" && q.Method == http.MethodGet:
			var ts []any
			for name, id := range f.tags {
				if strings.Contains(name, strings.ToLower(q.URL.Query().Get("search"))) {
					ts = append(ts, map[string]any{"id": id, "tag": name, "tagType": "contact"})
				}
			}
			write(200, map[string]any{"tags": ts})
		case path == "/tags":
			var in struct {
				Tag struct{ Tag string } `json:"tag"`
			}
			_ = json.Unmarshal(b, &in)
			f.tags[in.Tag.Tag] = "30"
			write(201, map[string]any{"tag": map[string]any{"id": "30"}})
		case path == "/contactTags":
			write(201, map[string]any{"contactTag": map[string]any{"id": "1060"}})
		case strings.HasSuffix(path, "/contactTags"):
			var links []any
			for id, tag := range f.links {
				links = append(links, map[string]any{"id": id, "tag": tag})
			}
			write(200, map[string]any{"contactTags": links})
		case strings.HasPrefix(path, "/contactTags/"):
			delete(f.links, strings.TrimPrefix(path, "/contactTags/"))
			write(200, map[string]any{})
		case path == "/contactLists":
			write(201, map[string]any{"contactList": map[string]any{"id": "210"}})
		case path == "/deals":
			write(201, map[string]any{"deal": map[string]any{"id": "45"}})
		case path == "/dealTasks":
			write(201, map[string]any{"dealTask": map[string]any{"id": "9"}})
		case path == "/notes":
			write(201, map[string]any{"note": map[string]any{"id": "88"}})
		case path == "/users/me":
			write(200, map[string]any{"user": map[string]any{"id": "1"}})
		default:
			write(404, map[string]any{"message": "No Result found"})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) account(t *testing.T, values map[string]string) nodes.Account {
	t.Helper()
	c, ok := nodes.ConnectorFor(activecampaign.Kind)
	if !ok {
		t.Fatal("activecampaign is not registered")
	}
	v := map[string]string{"api_token": "tok", "account_url": f.srv.URL}
	for k, x := range values {
		v[k] = x
	}
	acc, err := c.Open(v, nodes.ConnectorEnv{HTTPClient: f.srv.Client()})
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
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return call[:i] + strings.TrimSpace(b.String())
}

func (f *fake) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = canon(c)
	}
	return out
}

func TestSubscribeSyncsThenSetsActive(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	acc := f.account(t, nil)
	id, err := acc.Lists.Subscribe(context.Background(), "k", "2", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana"}, nodes.JoinOptions{})
	if err != nil || id != "113" {
		t.Fatalf("%q %v", id, err)
	}
	want := []string{`POST /contact/sync {"contact":{"email":"ana@example.com","firstName":"Ana"}}`,
		`POST /contactLists {"contactList":{"contact":"113","list":"2","status":1}}`}
	if got := f.got(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s", strings.Join(got, "\n"))
	}
	for _, consent := range []string{nodes.ConsentListOnly, nodes.ConsentDoubleOptIn} {
		if _, err := acc.Lists.Subscribe(context.Background(), "k", "2", nodes.ContactInput{Email: "ana@example.com"}, nodes.JoinOptions{Consent: consent}); !nodes.IsPermanent(err) {
			t.Errorf("consent %s: %v", consent, err)
		}
	}
	if len(f.got()) != 2 {
		t.Fatalf("a refused consent called ActiveCampaign: %q", f.got())
	}
}

func TestRemoveUnsubscribesFromTheList(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	acc := f.account(t, nil)
	if err := acc.Lists.Remove(context.Background(), "k", "2", "ana@example.com"); err != nil {
		t.Fatal(err)
	}
	got := f.got()
	if len(got) != 2 || got[0] != "GET /contacts?email=ana%40example.com" || got[1] != `POST /contactLists {"contactList":{"contact":"113","list":"2","status":2}}` {
		t.Fatalf("calls %q", got)
	}
	f2 := newFake(t)
	f2.contact = ""
	if err := f2.account(t, nil).Lists.Remove(context.Background(), "k", "2", "nobody@example.com"); err != nil || len(f2.got()) != 1 {
		t.Fatalf("unknown contact: %v, calls %q", err, f2.got())
	}
}

func TestTagsFoundOrCreatedByName(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	acc := f.account(t, nil)
	if err := acc.Tags.Tag(context.Background(), "k", "", "ana@example.com", []string{"Hot-Lead", "vip"}, []string{"cold", "never-had"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`POST /contact/sync {"contact":{"email":"ana@example.com"}}`,
		`GET /tags?search=Hot-Lead`,
		`POST /contactTags {"contactTag":{"contact":"113","tag":"20"}}`,
		`GET /tags?search=vip`,
		`POST /tags {"tag":{"tag":"vip","tagType":"contact"}}`,
		`POST /contactTags {"contactTag":{"contact":"113","tag":"30"}}`,
		`GET /tags?search=cold`,
		`GET /contacts/113/contactTags`,
		`DELETE /contactTags/1051`,
		`GET /tags?search=never-had`,
	}
	if got := f.got(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s", strings.Join(got, "\n"))
	}
	if len(f.links) != 0 {
		t.Fatalf("cold is still linked: %v", f.links)
	}
}

func TestCRM(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.contact = ""
	acc := f.account(t, map[string]string{"pipeline_id": "4", "task_type_id": "5"})
	ctx := context.Background()
	ref, err := acc.CRM.Upsert(ctx, "k", nodes.ContactInput{Email: "ana@example.com", LastName: "Lima", Phone: "+34612345678", Fields: map[string]any{"7": 3}})
	if err != nil || ref.ID != "200" || !ref.Created {
		t.Fatalf("%+v %v", ref, err)
	}
	if _, err := acc.CRM.Upsert(ctx, "k", nodes.ContactInput{Email: "ana@example.com", Fields: map[string]any{"plan": "pro"}}); !nodes.IsPermanent(err) ||
		!strings.Contains(err.Error(), "numeric id") {
		t.Fatalf("named field: %v", err)
	}
	if _, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{ContactID: "200", Title: "Chat", Value: 1234.565, Currency: "EUR", Stage: "new", Owner: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{ContactID: "200", Title: "Chat", Stage: "9", Owner: "3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.CRM.AddNote(ctx, "k", nodes.NoteInput{ContactID: "200", Body: "Customer: <hi>", Source: "chat"}); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	if _, err := acc.CRM.CreateTask(ctx, "k", nodes.TaskInput{ContactID: "200", Title: "Call", Notes: "Quote", Owner: "maria@example.com", DueAt: due}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.CRM.CreateTask(ctx, "k", nodes.TaskInput{Title: "Alone"}); !nodes.IsPermanent(err) || !strings.Contains(err.Error(), "belongs to a contact") {
		t.Fatalf("task without contact: %v", err)
	}
	want := []string{
		`POST /contact/sync {"contact":{"email":"ana@example.com","fieldValues":[{"field":"7","value":"3"}],"lastName":"Lima","phone":"+34612345678"}}`,
		`POST /deals {"deal":{"contact":"200","currency":"eur","group":"4","status":0,"title":"Chat","value":123457}}`,
		`POST /deals {"deal":{"contact":"200","currency":"usd","owner":"3","stage":"9","status":0,"title":"Chat","value":0}}`,
		`POST /notes {"note":{"note":"Customer: <hi>\n\nSource: chat","relid":"200","reltype":"Subscriber"}}`,
		`POST /dealTasks {"dealTask":{"dealTasktype":"5","duedate":"2026-03-03T09:00:00Z","note":"Quote\n\nOwner: maria@example.com","ownerType":"contact","relid":"200","status":0,"title":"Call"}}`,
	}
	if got := f.got(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls\n%s", strings.Join(got, "\n"))
	}
}

func TestConnectionTestAndURL(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c, _ := nodes.ConnectorFor(activecampaign.Kind)
	if err := c.Test(context.Background(), f.account(t, map[string]string{"account_url": f.srv.URL + "/api/3/"})); err != nil {
		t.Fatal(err)
	}
	if got := f.got(); len(got) != 1 || got[0] != "GET /users/me" {
		t.Fatalf("calls %q", got)
	}
	if activecampaign.APIRoot(" https://acme.api-us1.com/ ") != "https://acme.api-us1.com/api/3" {
		t.Fatal(activecampaign.APIRoot("https://acme.api-us1.com/"))
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &activecampaign.Client{BaseURL: base, Token: "tok", HTTPClient: hc}
		_, _, err := c.SyncContact(ctx, activecampaign.Contact{Email: "a@example.com"})
		return err
	}
	failures := append(connectorstest.StandardFailures(
		`{"errors":[{"title":"Contact Email Address is not valid.","detail":"","code":"email_invalid","source":{"pointer":"/data/attributes/email"}}]}`, "Contact Email Address is not valid.",
		`{"message":"You are not authorized to access this resource"}`, "not authorized"),
		connectorstest.Failure{Name: "403 (a wrong key) is permanent", Status: 403, Body: `{"message":"You are not authorized to access this resource"}`, Want: "permanent", WantMessage: "not authorized"},
		connectorstest.Failure{Name: "404 is permanent", Status: 404, Body: `{"message":"No Result found for List with id 99"}`, Want: "permanent", WantMessage: "No Result found"},
		connectorstest.Failure{Name: "409 is permanent", Status: 409, Body: `{"errors":[{"title":"Duplicate","detail":"already exists"}]}`, Want: "permanent", WantMessage: "already exists"},
		connectorstest.Failure{Name: "422 is permanent", Status: 422, Body: `{"errors":[{"title":"The deal title was not provided.","code":"field_missing"}]}`, Want: "permanent", WantMessage: "deal title was not provided"},
		connectorstest.Failure{Name: "503 is retried", Status: 503, Body: `down`, Want: "retry"},
	)
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}
