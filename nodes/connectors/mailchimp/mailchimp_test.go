package mailchimp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/mailchimp"
)

var mock = connectorstest.NewMock("mailchimp")

func TestMain(m *testing.M) { connectorstest.Main(m, mock) }

func TestAgainstContract(t *testing.T) {
	c := &mailchimp.Client{BaseURL: mock.URL(t), APIKey: "abc123-us6", HTTPClient: connectorstest.ContractClient(t)}
	id, err := c.UpsertMember(context.Background(), "57afe96172", mailchimp.Member{
		Email: "Ana.Lima@example.com", StatusIfNew: mailchimp.StatusPending, MergeFields: map[string]any{"FNAME": "Ana"},
		Tags: []string{"chatbot-lead"}, IdempotencyKey: "r:n:1",
	})
	if err != nil || id == "" {
		t.Fatalf("UpsertMember = %q %v", id, err)
	}
	if err := c.SetTags(context.Background(), "57afe96172", "ana.lima@example.com", []string{"vip"}, []string{"cold"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Unsubscribe(context.Background(), "57afe96172", "ana.lima@example.com"); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveUnsubscribesAndConsentMapsToStatus(t *testing.T) {
	t.Parallel()
	var reqs []string
	notMember := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs = append(reqs, r.Method+" "+r.URL.Path+" "+string(b))
		if notMember {
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"title":"Resource Not Found","status":404,"detail":"The requested resource could not be found."}`))
			return
		}
		_, _ = w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	c, _ := nodes.ConnectorFor(mailchimp.Kind)
	acc, err := c.Open(map[string]string{"api_key": "k-us6", "base_url": srv.URL, "list_id": "L1"}, nodes.ConnectorEnv{HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := acc.Lists.Remove(ctx, "k", "", "Ana@Example.com"); err != nil {
		t.Fatal(err)
	}
	h := mailchimp.SubscriberHash("ana@example.com")
	if len(reqs) != 1 || reqs[0] != "PATCH /lists/L1/members/"+h+` {"status":"unsubscribed"}` {
		t.Fatalf("requests %q", reqs)
	}
	notMember = true
	if err := acc.Lists.Remove(ctx, "k", "L2", "ana@example.com"); err != nil {
		t.Fatalf("someone not on the audience: %v", err)
	}
	notMember = false
	for consent, status := range map[string]string{"": "subscribed", nodes.ConsentSubscribe: "subscribed",
		nodes.ConsentListOnly: "transactional", nodes.ConsentDoubleOptIn: "pending"} {
		reqs = nil
		if _, err := acc.Lists.Subscribe(ctx, "k", "", nodes.ContactInput{Email: "ana@example.com"}, nodes.JoinOptions{Consent: consent}); err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || !strings.Contains(reqs[0], `"status_if_new":"`+status+`"`) {
			t.Errorf("consent %q: %q", consent, reqs)
		}
	}
}

func TestSubscriberHash(t *testing.T) {
	t.Parallel()
	// Mailchimp's docs example: md5 of the lower-cased address.
	if got := mailchimp.SubscriberHash(" Ana.Lima@Example.com "); got != mailchimp.SubscriberHash("ana.lima@example.com") || len(got) != 32 {
		t.Fatalf("hash %s", got)
	}
	if got := mailchimp.SubscriberHash("urist.mcvankab@freddiesjokes.com"); got != "62eeb292278cc15f5817cb78f7790b08" {
		t.Fatalf("hash %s", got)
	}
}

func TestUpsertRequests(t *testing.T) {
	t.Parallel()
	var reqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); !ok || pw != "k-us6" {
			t.Errorf("basic auth missing")
		}
		b, _ := io.ReadAll(r.Body)
		reqs = append(reqs, r.Method+" "+r.URL.Path+" "+string(b))
		if strings.HasSuffix(r.URL.Path, "/tags") {
			w.WriteHeader(204)
			return
		}
		_, _ = w.Write([]byte(`{"id":"x","status":"subscribed"}`))
	}))
	defer srv.Close()
	c := &mailchimp.Client{BaseURL: srv.URL, APIKey: "k-us6", HTTPClient: srv.Client()}
	if _, err := c.UpsertMember(context.Background(), "L1", mailchimp.Member{Email: "Ana@Example.com", Tags: []string{"a", " "}}); err != nil {
		t.Fatal(err)
	}
	h := mailchimp.SubscriberHash("ana@example.com")
	if len(reqs) != 2 || !strings.HasPrefix(reqs[0], "PUT /lists/L1/members/"+h+" ") || !strings.HasPrefix(reqs[1], "POST /lists/L1/members/"+h+"/tags ") {
		t.Fatalf("requests %q", reqs)
	}
	var put map[string]any
	_ = json.Unmarshal([]byte(strings.SplitN(reqs[0], " ", 3)[2]), &put)
	if put["status_if_new"] != "subscribed" || put["status"] != nil || put["email_address"] != "Ana@Example.com" {
		t.Errorf("put body %v (status must not be forced: an unsubscribed member stays unsubscribed)", put)
	}
	if !strings.HasSuffix(reqs[1], `{"tags":[{"name":"a","status":"active"}]}`) {
		t.Errorf("tags body %s", reqs[1])
	}
}

func TestDataCenterFromKey(t *testing.T) {
	t.Parallel()
	c := &mailchimp.Client{APIKey: "nodc"}
	if _, err := c.UpsertMember(context.Background(), "L", mailchimp.Member{Email: "a@b.co"}); !nodes.IsPermanent(connectors.NodeError(err)) {
		t.Fatalf("key without data center: %v", err)
	}
	for _, e := range []string{"", "nope", "a b@c.d"} {
		c := &mailchimp.Client{APIKey: "k-us6"}
		if _, err := c.UpsertMember(context.Background(), "L", mailchimp.Member{Email: e}); !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("email %q: %v", e, err)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &mailchimp.Client{BaseURL: base, APIKey: "k-us6", HTTPClient: hc}
		_, err := c.UpsertMember(ctx, "L", mailchimp.Member{Email: "a@example.com"})
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"Forgotten Email Not Subscribed","status":400,"detail":"a@example.com was permanently deleted and cannot be re-imported.","instance":"x"}`,
		"was permanently deleted",
		`{"title":"API Key Invalid","status":401,"detail":"Your API key may be invalid, or you've attempted to access the wrong datacenter.","instance":"y"}`, "Your API key may be invalid"))
}
