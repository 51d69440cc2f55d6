package channels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/storage"
)

// sentBodies wraps a transport and keeps the body of every request, by
// "METHOD path".
type sentBodies struct {
	next http.RoundTripper
	mu   sync.Mutex
	got  map[string][]string
}

func (s *sentBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	s.mu.Lock()
	key := req.Method + " " + req.URL.Path
	s.got[key] = append(s.got[key], string(body))
	s.mu.Unlock()
	return s.next.RoundTrip(req)
}

// find returns the bodies sent with method to a path containing part.
func (s *sentBodies) find(method, part string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, v := range s.got {
		if strings.HasPrefix(k, method+" ") && strings.Contains(k, part) {
			out = append(out, v...)
		}
	}
	return out
}

// The chat-lead template with HubSpot as the CRM and Mailchimp as the
// nurture list, against the vendors' contract mocks: saving the lead in
// HubSpot also saves the built-in contact, so the deal title has the name
// and, for a cold lead, the Mailchimp step finds the email.
func TestVendorTargetChatLeadTemplate(t *testing.T) {
	hsMock := connectorstest.NewMock(channels.KindHubSpot)
	t.Cleanup(hsMock.Stop)
	mcMock := connectorstest.NewMock(channels.KindMailchimp)
	t.Cleanup(mcMock.Stop)

	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "app.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	client := connectorstest.ContractClient(t)
	sent := &sentBodies{next: client.Transport, got: map[string][]string{}}
	client.Transport = sent
	accounts, web := channels.VendorAccounts(channels.AccountOptions{VendorClient: client})
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{7}, 32), PublicURL: publicURL,
		Connectors: channels.VendorConnectors(publicURL, true), Accounts: accounts, HTTP: web})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Channels: svc})
	if err != nil {
		t.Fatal(err)
	}
	b := &accountsBundle{ctx: ctx, store: store, svc: svc, eng: eng}
	hs := b.credential(t, "Sales HubSpot", channels.KindHubSpot, map[string]any{"access_token": "pat-na1-abc", "base_url": hsMock.URL(t)})
	mc := b.credential(t, "Newsletter", channels.KindMailchimp, map[string]any{"api_key": "abc-us6", "base_url": mcMock.URL(t), "list_id": "57afe96172"})

	f := chatLeadTemplate(t)
	for i, n := range f.Nodes {
		var p map[string]any
		_ = json.Unmarshal(n.Params, &p)
		switch n.Type {
		case nodes.TypeUpsertContact, nodes.TypeAddNote, nodes.TypeCreateDeal, nodes.TypeCreateTask:
			p["target"] = hs
		case nodes.TypeAddToList:
			p["target"], p["list"] = mc, "57afe96172"
		default:
			continue
		}
		f.Nodes[i].Params, _ = json.Marshal(p)
	}
	if _, err := eng.Import(ctx, f, true); err != nil {
		t.Fatalf("import: %v", err)
	}

	for _, lead := range []struct {
		body, email string
		hot         bool
	}{
		{`{"email":"Ana.Lima@Example.com","name":"Ana Lima","phone":"+5511987654321","company":"Lima Ltda","score":80,"transcript":"Customer: hi"}`, "ana.lima@example.com", true},
		{`{"email":"bo@example.com","name":"Bo Berg","score":10,"transcript":"Customer: just looking"}`, "bo@example.com", false},
	} {
		res, err := eng.IngestWebhook(ctx, engine.HookRequest{Path: "chat-finished", Body: []byte(lead.body)})
		if err != nil || len(res.Runs) != 1 {
			t.Fatalf("webhook: %+v %v", res, err)
		}
		if _, err := eng.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		run, err := storage.GetRun(store.Reader(), res.Runs[0])
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != storage.RunCompleted {
			steps, _ := storage.RunSteps(store.Reader(), run.ID)
			t.Fatalf("%s: run %s: %+v", lead.email, run.Status, steps)
		}
		// The built-in contact is the run's contact, with the lead's fields.
		if run.ContactID == nil {
			t.Fatalf("%s: the run has no contact", lead.email)
		}
		c, err := storage.GetContact(store.Reader(), *run.ContactID)
		if err != nil || deref(c.Email) != lead.email {
			t.Fatalf("%s: built-in contact %+v, %v", lead.email, c, err)
		}
	}
	deals := sent.find("POST", "/crm/v3/objects/deals")
	if len(deals) != 1 || !strings.Contains(deals[0], "Chat lead: Ana Lima") {
		t.Fatalf("HubSpot deals sent: %v; want one titled with the lead's name", deals)
	}
	members := sent.find("PUT", "/lists/57afe96172/members/")
	if len(members) != 1 || !strings.Contains(members[0], "bo@example.com") {
		t.Fatalf("Mailchimp members sent: %v; want the cold lead's email", members)
	}
}

// chatLeadTemplate is the shipped chat-lead-qualification template.
func chatLeadTemplate(t *testing.T) *flows.Flow {
	t.Helper()
	ts, err := flows.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range ts {
		if tpl.ID == "chat-lead-qualification" {
			return tpl.Flow
		}
	}
	t.Fatal("no chat-lead-qualification template")
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
