package nodes_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// fakeAccounts is the outbox plus vendor accounts by credential id.
type fakeAccounts struct {
	*nodestest.Channels
	accounts map[string]nodes.Account
}

func (f *fakeAccounts) Account(_ context.Context, id string) (nodes.Account, error) {
	a, ok := f.accounts[id]
	if !ok {
		return nodes.Account{}, nodes.Permanentf("the account %q no longer exists", id)
	}
	return a, nil
}

// fakeLists records list calls.
type fakeLists struct {
	subscribed []string // list + " " + email
	joins      []nodes.JoinOptions
	removed    []string // list + " " + email
	tagged     []string // list + " " + email + " +add -remove"
	err        error
}

func (l *fakeLists) Subscribe(_ context.Context, _, list string, in nodes.ContactInput, how nodes.JoinOptions) (string, error) {
	l.subscribed = append(l.subscribed, list+" "+in.Email)
	l.joins = append(l.joins, how)
	return "member-1", l.err
}

func (l *fakeLists) Remove(_ context.Context, _, list, email string) error {
	l.removed = append(l.removed, list+" "+email)
	return l.err
}

func (l *fakeLists) Tag(_ context.Context, _, list, email string, add, remove []string) error {
	l.tagged = append(l.tagged, list+" "+email+" +"+strings.Join(add, ",")+" -"+strings.Join(remove, ","))
	return l.err
}

// fakeEvents records tracked events.
type fakeEvents struct {
	got  []nodes.VendorEvent
	keys []string
	err  error
}

func (e *fakeEvents) TrackEvent(_ context.Context, key string, ev nodes.VendorEvent) error {
	e.got = append(e.got, ev)
	e.keys = append(e.keys, key)
	return e.err
}

// fakeHTTP records requests and answers with resp/err.
type fakeHTTP struct {
	got  []nodes.HTTPRequest
	resp nodes.HTTPResponse
	err  error
}

func (h *fakeHTTP) Call(_ context.Context, r nodes.HTTPRequest) (nodes.HTTPResponse, error) {
	h.got = append(h.got, r)
	return h.resp, h.err
}

type fakeSlack struct {
	got []nodes.SlackMessage
	err error
}

func (s *fakeSlack) PostSlack(_ context.Context, m nodes.SlackMessage) error {
	s.got = append(s.got, m)
	return s.err
}

// vendorBundle is a testBundle whose runs reach fake vendor accounts:
// "hs" (HubSpot), "mc" (Mailchimp), "api" (HTTP), "team" (Slack) and the
// credential-less HTTP client.
type vendorBundle struct {
	*testBundle
	crm    *nodestest.Contacts
	lists  *fakeLists
	events *fakeEvents
	web    *fakeHTTP
	slack  *fakeSlack
	accts  *fakeAccounts
}

func setupVendors(t *testing.T) *vendorBundle {
	t.Helper()
	b := &vendorBundle{testBundle: setup(t), crm: nodestest.NewContacts(), lists: &fakeLists{}, events: &fakeEvents{}, web: &fakeHTTP{}, slack: &fakeSlack{}}
	b.accts = &fakeAccounts{Channels: nodestest.NewChannels(func() time.Time { return testNow }), accounts: map[string]nodes.Account{
		"hs":   {ID: "hs", Name: "Sales HubSpot", Kind: "hubspot", CRM: b.crm},
		"mc":   {ID: "mc", Name: "Newsletter", Kind: "mailchimp", Lists: b.lists, Tags: b.lists},
		"kl":   {ID: "kl", Name: "Klaviyo", Kind: "klaviyo", Lists: b.lists, People: b.crm, Tags: b.lists, Events: b.events},
		"bv":   {ID: "bv", Name: "Brevo", Kind: "brevo", Lists: b.lists, People: b.crm},
		"api":  {ID: "api", Name: "Backend", Kind: "http", HTTP: b.web},
		"team": {ID: "team", Name: "Team Slack", Kind: "slack", Slack: b.slack},
		"":     {HTTP: b.web},
	}}
	return b
}

// runRemote runs a node as the engine runs a remote one: no contact store.
func (b *vendorBundle) runRemote(t *testing.T, typ string, params map[string]any) (nodes.Result, error) {
	t.Helper()
	n := b.compile(t, typ, params)
	rt, _ := b.reg.Lookup(typ, 1)
	in := &nodes.Input{Node: n, Env: b.env, RunID: "run1", Visit: 1, Attempt: 1, Key: "run1:n:1", Channels: b.accts}
	return rt.Handler.Run(context.Background(), in)
}

func TestVendorTargetsMakeStepsRemote(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		typ    string
		params map[string]any
		remote bool
	}{
		{nodes.TypeUpsertContact, map[string]any{"email": "a@b.co"}, false},
		{nodes.TypeUpsertContact, map[string]any{"email": "a@b.co", "target": "builtin"}, false},
		{nodes.TypeUpsertContact, map[string]any{"email": "a@b.co", "target": "cred-1"}, true},
		{nodes.TypeAddNote, map[string]any{"body": "x", "target": "cred-1"}, true},
		{nodes.TypeAddToList, map[string]any{"list": "l", "target": "cred-1"}, true},
		{nodes.TypeTag, map[string]any{"add": []string{"x"}}, false},
		{nodes.TypeRemoveFromList, map[string]any{"list": "l"}, false},
		{nodes.TypeRemoveFromList, map[string]any{"list": "l", "target": "cred-1"}, true},
		{nodes.TypeHTTPRequest, map[string]any{"url": "https://example.com"}, true},
		{nodes.TypeSlack, map[string]any{"credential": "c", "text": "hi"}, true},
		{nodes.TypeSlack, map[string]any{"text": "hi"}, false},
		// Message steps call a vendor only through an account; in the
		// sandbox they record inside the step's transaction.
		{nodes.TypeSend, map[string]any{"channels": []string{"sms", "email"}, "subject": "s", "body": "b"}, false},
		{nodes.TypeSend, map[string]any{"channels": []string{"sms", "email"}, "subject": "s", "body": "b", "sms_credential": "cred-1"}, true},
		{nodes.TypeEmail, map[string]any{"subject": "s", "body": "b"}, false},
		{nodes.TypeEmail, map[string]any{"subject": "s", "body": "b", "credential": "cred-1"}, true},
	} {
		n := b.compile(t, tc.typ, tc.params)
		rt, _ := b.reg.Lookup(tc.typ, 1)
		if got := rt.RemoteFor(n); got != tc.remote {
			t.Errorf("%s %v: RemoteFor = %v, want %v", tc.typ, tc.params, got, tc.remote)
		}
	}
}

func TestUpsertContactToHubSpot(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.env.Trigger = map[string]any{"email": " Ana@Example.COM ", "name": "ana lópez", "phone": "612 34 56 78"}
	res, err := b.runRemote(t, nodes.TypeUpsertContact, map[string]any{
		"email": "{{ trigger.email }}", "name": "{{ trigger.name }}", "phone": "{{ trigger.phone }}", "default_region": "ES", "target": "hs"})
	if err != nil {
		t.Fatal(err)
	}
	cs := b.crm.Contacts()
	if len(cs) != 1 || cs[0].Email != "ana@example.com" || cs[0].FirstName != "Ana" || cs[0].LastName != "López" || cs[0].Phone != "+34612345678" {
		t.Fatalf("HubSpot got %+v, want the tidied contact", cs)
	}
	if res.ContactID != "" {
		t.Fatalf("a HubSpot upsert must not change the run's built-in contact, got %q", res.ContactID)
	}
	if res.Vars["hubspot_contact_id"] != cs[0].ID || res.Output["saved_to"] != "Sales HubSpot" {
		t.Fatalf("result = %+v", res)
	}
	if len(b.store.Contacts()) != 0 {
		t.Fatal("the built-in store was written")
	}
}

func TestVendorUpsertNeedsAnEmail(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	wantProblem(t, b.problems(t, nodes.TypeUpsertContact, map[string]any{"phone": "{{ trigger.phone }}", "target": "hs"}),
		"email", "find contacts by their email")
	b.env.Trigger = map[string]any{"phone": "+34612345678"}
	_, err := b.runRemote(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}", "phone": "{{ trigger.phone }}", "target": "hs"})
	wantPermanent(t, err, "needs an email")
}

func TestVendorDealUsesTheVendorContact(t *testing.T) {
	t.Parallel()
	t.Run("the id a vendor upsert kept in the vars", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		vendorID := b.crm.Add(nodestest.Contact{Email: "ana@example.com"})
		b.env.Vars["hubspot_contact_id"] = vendorID
		res, err := b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"title": "Big one", "value": "trigger.amount", "target": "hs"})
		if err != nil {
			t.Fatal(err)
		}
		ds := b.crm.Deals()
		if len(ds) != 1 || ds[0].ContactID != vendorID || ds[0].Title != "Big one" || len(b.crm.Calls()) != 1 {
			t.Fatalf("deals = %+v, contacts %+v", ds, b.crm.Contacts())
		}
		if res.Output["target"] != "hs" || res.Vars != nil {
			t.Fatalf("result = %+v", res)
		}
	})
	t.Run("else the built-in contact, found by email", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		b.withContact(nodestest.Contact{Email: "ana@example.com", FirstName: "Ana"})
		res, err := b.runRemote(t, nodes.TypeAddNote, map[string]any{"body": "Customer: hi", "target": "hs"})
		if err != nil {
			t.Fatal(err)
		}
		cs, notes := b.crm.Contacts(), b.crm.Notes()
		if len(cs) != 1 || cs[0].Email != "ana@example.com" || len(notes) != 1 || notes[0].ContactID != cs[0].ID {
			t.Fatalf("contacts %+v, notes %+v", cs, notes)
		}
		if res.Vars["hubspot_contact_id"] != cs[0].ID {
			t.Fatalf("the found id is not kept for later steps: %+v", res.Vars)
		}
		// The upsert and the note carry distinct keys derived from the step's.
		keys := map[string]bool{}
		for _, c := range b.crm.Calls() {
			keys[c.Key] = true
		}
		if !keys["run1:n:1"] || !keys["run1:n:1:contact"] {
			t.Fatalf("keys = %v", keys)
		}
	})
	t.Run("no contact to go by", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		_, err := b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"target": "hs"})
		wantPermanent(t, err, "put a 'Create or update contact' step saving to Sales HubSpot")
	})
	t.Run("a task may stand alone", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		if _, err := b.runRemote(t, nodes.TypeCreateTask, map[string]any{"title": "Check the inbox", "target": "hs"}); err != nil {
			t.Fatal(err)
		}
		if ts := b.crm.Tasks(); len(ts) != 1 || ts[0].ContactID != "" {
			t.Fatalf("tasks = %+v", ts)
		}
	})
}

func TestVendorErrorsKeepTheirRetrySemantics(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.env.Vars["hubspot_contact_id"] = b.crm.Add(nodestest.Contact{Email: "ana@example.com"})
	wait := &nodes.RetryAfterError{Err: errors.New("HubSpot answered 429"), After: 7 * time.Second}
	b.crm.FailNext("CreateDeal", wait)
	_, err := b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"target": "hs"})
	var ra *nodes.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second || nodes.IsPermanent(err) {
		t.Fatalf("err = %v, want the vendor's Retry-After kept", err)
	}
	b.crm.FailNext("CreateDeal", nodes.Permanentf("HubSpot answered 400: Property dealname is invalid"))
	_, err = b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"target": "hs"})
	wantPermanent(t, err, "Property dealname is invalid")
}

func TestTargetOfTheWrongKindFailsTheStep(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.env.Trigger = map[string]any{"email": "a@b.co"}
	_, err := b.runRemote(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}", "target": "mc"})
	wantPermanent(t, err, `"Save to" must be `)
	wantPermanent(t, err, `HubSpot`)
	wantPermanent(t, err, `; "Newsletter" is a Mailchimp account`)
	_, err = b.runRemote(t, nodes.TypeAddToList, map[string]any{"list": "aud", "target": "hs"})
	wantPermanent(t, err, "Mailchimp")
	wantPermanent(t, err, `"Sales HubSpot" is a HubSpot account`)
	// Brevo keeps people and lists but has no tags.
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	_, err = b.runRemote(t, nodes.TypeTag, map[string]any{"add": []string{"vip"}, "target": "bv"})
	wantPermanent(t, err, `"Brevo" is a`)
	if len(b.lists.tagged) != 0 {
		t.Fatalf("tagged %v", b.lists.tagged)
	}
}

func TestEmailPlatformKeepsContactsWithoutACRM(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.env.Trigger = map[string]any{"email": "ana@example.com", "name": "Ana Lima"}
	res, err := b.runRemote(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}", "name": "{{ trigger.name }}", "target": "kl"})
	if err != nil {
		t.Fatal(err)
	}
	cs := b.crm.Contacts()
	if len(cs) != 1 || cs[0].Email != "ana@example.com" || res.Vars["klaviyo_contact_id"] != cs[0].ID || res.Output["saved_to"] != "Klaviyo" {
		t.Fatalf("contacts %+v, result %+v", cs, res)
	}
	// A deal cannot go to an account without a CRM.
	_, err = b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"title": "x", "target": "kl"})
	wantPermanent(t, err, `"Klaviyo" is a Klaviyo account`)
	if len(b.crm.Deals()) != 0 {
		t.Fatal("a deal was created")
	}
}

func TestVendorListRemoveAndConsent(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	res, err := b.runRemote(t, nodes.TypeAddToList, map[string]any{"list": "L1", "target": "kl", "consent": "double_opt_in",
		"confirm_template": 12, "confirm_redirect": " https://example.com/thanks "})
	if err != nil {
		t.Fatal(err)
	}
	want := nodes.JoinOptions{Consent: nodes.ConsentDoubleOptIn, ConfirmTemplate: "12", ConfirmRedirect: "https://example.com/thanks"}
	if len(b.lists.joins) != 1 || b.lists.joins[0] != want || res.Output["consent"] != "double_opt_in" {
		t.Fatalf("joins %+v, output %+v", b.lists.joins, res.Output)
	}
	res, err = b.runRemote(t, nodes.TypeRemoveFromList, map[string]any{"list": " L1 ", "target": "kl"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(b.lists.removed, "|") != "L1 ana@example.com" || res.Output["added"] != false || res.Output["target"] != "kl" {
		t.Fatalf("removed %v, output %+v", b.lists.removed, res.Output)
	}
	b.lists.err = nodes.Permanentf("Klaviyo answered 404: list not found")
	_, err = b.runRemote(t, nodes.TypeRemoveFromList, map[string]any{"list": "L2", "target": "kl"})
	wantPermanent(t, err, "list not found")
	if len(b.store.Calls()) != 0 {
		t.Fatal("the built-in store was written")
	}
}

func TestTrackEventInAnEmailPlatform(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	params := map[string]any{"target": "kl", "event": "Chat lead {{ trigger.kind }}",
		"properties": map[string]any{"score": "trigger.score", "empty": "trigger.missing"}, "value": `"$49.90"`}
	wantProblem(t, b.problems(t, nodes.TypeTrackEvent, map[string]any{"target": "kl"}), "event", "")
	b.env.Trigger = map[string]any{"kind": "captured", "score": 72}
	_, err := b.runRemote(t, nodes.TypeTrackEvent, params)
	wantPermanent(t, err, "the contact has no email")
	// Without an account the event goes nowhere, and the step says so.
	res, err := b.runRemote(t, nodes.TypeTrackEvent, map[string]any{"event": "Chat lead {{ trigger.kind }}"})
	if err != nil || res.Output["sent"] != false || !strings.Contains(res.Output["reason"].(string), "sent nowhere") || res.Output["event"] != "Chat lead captured" {
		t.Fatalf("without an account: %+v %v", res, err)
	}
	rt, _ := b.reg.Lookup(nodes.TypeTrackEvent, 1)
	if rt.RemoteFor(b.compile(t, nodes.TypeTrackEvent, map[string]any{"event": "x"})) {
		t.Fatal("without an account the step calls nobody: it must not be remote")
	}
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	res, err = b.runRemote(t, nodes.TypeTrackEvent, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.events.got) != 1 || b.events.keys[0] != "run1:n:1" {
		t.Fatalf("events %+v keys %v", b.events.got, b.events.keys)
	}
	e := b.events.got[0]
	if e.Email != "ana@example.com" || e.Name != "Chat lead captured" || e.Value != 49.9 || len(e.Properties) != 1 || e.Properties["score"] != 72 ||
		!e.Time.Equal(testNow) {
		t.Fatalf("event %+v", e)
	}
	if res.Output["event"] != "Chat lead captured" || res.Output["target"] != "kl" || res.Output["sent"] != true {
		t.Fatalf("output %+v", res.Output)
	}
	_, err = b.runRemote(t, nodes.TypeTrackEvent, map[string]any{"target": "mc", "event": "x"})
	wantPermanent(t, err, `"Newsletter" is a Mailchimp account`)
	if !rt.RemoteFor(b.compile(t, nodes.TypeTrackEvent, params)) {
		t.Fatal("recording an event calls a vendor: the step must be remote")
	}
}

func TestDoubleOptInNeedsTemplateAndPage(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	wantProblem(t, b.problems(t, nodes.TypeAddToList, map[string]any{"list": "3", "consent": "double_opt_in", "confirm_template": 12}),
		"confirm_redirect", "needs both")
	wantProblem(t, b.problems(t, nodes.TypeAddToList, map[string]any{"list": "3", "consent": "double_opt_in", "confirm_redirect": "https://x.co"}),
		"confirm_template", "needs both")
	for _, ok := range []map[string]any{
		{"list": "3", "consent": "double_opt_in"},
		{"list": "3", "consent": "double_opt_in", "confirm_template": 12, "confirm_redirect": "https://x.co"},
		{"list": "3", "consent": "subscribe", "confirm_template": 12},
	} {
		if probs := b.problems(t, nodes.TypeAddToList, ok); len(probs) != 0 {
			t.Errorf("%v: %+v", ok, probs)
		}
	}
	wantProblem(t, b.problems(t, nodes.TypeAddToList, map[string]any{"list": "3", "consent": "maybe"}), "consent", "")
	wantProblem(t, b.problems(t, nodes.TypeAddToList, map[string]any{"list": "3", "consent": "double_opt_in", "confirm_template": 12,
		"confirm_redirect": "example.com/thanks"}), "confirm_redirect", "must be a web address")
}

func TestMailchimpListAndTags(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	_, err := b.runRemote(t, nodes.TypeAddToList, map[string]any{"list": "aud1", "target": "mc"})
	wantPermanent(t, err, "the contact has no email")
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	if _, err := b.runRemote(t, nodes.TypeAddToList, map[string]any{"list": "aud1", "target": "mc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.runRemote(t, nodes.TypeTag, map[string]any{"add": []string{"hot", " hot "}, "remove": []string{"cold"}, "target": "mc"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(b.lists.subscribed, "|") != "aud1 ana@example.com" || strings.Join(b.lists.tagged, "|") != " ana@example.com +hot -cold" {
		t.Fatalf("subscribed %v, tagged %v", b.lists.subscribed, b.lists.tagged)
	}
	if len(b.store.Calls()) != 0 {
		t.Fatal("the built-in store was written")
	}
}

func TestHTTPRequestNode(t *testing.T) {
	t.Parallel()
	t.Run("renders URL, headers and a JSON body escaped for JSON", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		b.withContact(nodestest.Contact{Email: "ana@example.com", FirstName: `Ana "the boss"`})
		b.web.resp = nodes.HTTPResponse{Status: 201, Headers: map[string]string{"Content-Type": "application/json", "Set-Cookie": "s=SECRET", "X-Request-Id": "r1"},
			JSON: map[string]any{"id": "L-1"}}
		res, err := b.runRemote(t, nodes.TypeHTTPRequest, map[string]any{
			"method": "PUT", "url": "https://api.example.com/leads/{{ contact.email }}", "credential": "api", "timeout": "5s",
			"headers": []any{map[string]any{"name": "X-Who", "value": "{{ contact.first_name }}"}},
			"body":    `{"name": "{{ contact.first_name }}", "score": {{ contact.score }}}`,
		})
		if err != nil {
			t.Fatal(err)
		}
		r := b.web.got[0]
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil || body["name"] != `Ana "the boss"` || body["score"] != float64(0) {
			t.Fatalf("body %s: %v", r.Body, err)
		}
		if r.Method != "PUT" || r.URL != "https://api.example.com/leads/ana@example.com" || r.Headers["X-Who"] != `Ana "the boss"` ||
			r.Timeout != 5*time.Second || r.IdempotencyKey != "run1:n:1" {
			t.Fatalf("request = %+v", r)
		}
		hs := res.Output["headers"].(map[string]any)
		if res.Output["status"] != 201 || hs["X-Request-Id"] != "r1" || hs["Set-Cookie"] != nil || res.Output["json"].(map[string]any)["id"] != "L-1" {
			t.Fatalf("output = %+v", res.Output)
		}
	})
	t.Run("a body that is not JSON for this contact is permanent", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		_, err := b.runRemote(t, nodes.TypeHTTPRequest, map[string]any{"url": "https://x.example", "body": `{"a": {{ contact.email }}}`})
		wantPermanent(t, err, "not valid JSON")
		if len(b.web.got) != 0 {
			t.Fatal("the request was sent")
		}
	})
	t.Run("the service's error is the step's", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		b.web.err = nodes.Permanentf("api.example.com answered 422: email is already a lead")
		_, err := b.runRemote(t, nodes.TypeHTTPRequest, map[string]any{"url": "https://api.example.com"})
		wantPermanent(t, err, "email is already a lead")
	})
	t.Run("validation", func(t *testing.T) {
		t.Parallel()
		b := setupVendors(t)
		wantProblem(t, b.problems(t, nodes.TypeHTTPRequest, map[string]any{"url": "https://x.example", "timeout": "5m"}), "timeout", "at most 2m")
		wantProblem(t, b.problems(t, nodes.TypeHTTPRequest, map[string]any{"url": "https://x.example",
			"headers": []any{map[string]any{"name": "Host", "value": "evil"}}}), "headers", "set by the request itself")
		wantProblem(t, b.problems(t, nodes.TypeHTTPRequest, map[string]any{"url": "https://x.example", "method": "TRACE"}), "method", "TRACE")
	})
}

func TestSlackNode(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com", FirstName: "Ana"})
	if _, err := b.runRemote(t, nodes.TypeSlack, map[string]any{"credential": "team", "text": "Hot lead: {{ contact.first_name }}", "channel": "#sales"}); err != nil {
		t.Fatal(err)
	}
	if len(b.slack.got) != 1 || b.slack.got[0].Text != "Hot lead: Ana" || b.slack.got[0].Channel != "#sales" {
		t.Fatalf("posted %+v", b.slack.got)
	}
	_, err := b.runRemote(t, nodes.TypeSlack, map[string]any{"credential": "team", "text": "{{ trigger.nothing }}"})
	wantPermanent(t, err, "came out empty")
	_, err = b.runRemote(t, nodes.TypeSlack, map[string]any{"credential": "hs", "text": "hi"})
	wantPermanent(t, err, "must be a Slack account")
	if probs := b.problems(t, nodes.TypeSlack, map[string]any{"text": "hi"}); len(probs) > 0 {
		t.Fatalf("a Slack step without an account has problems %+v, want none (it posts to the sandbox)", probs)
	}
}

// A Slack step without an account keeps its post in the sandbox outbox,
// once, however often the step runs; nothing reaches Slack.
func TestSlackWithoutAnAccountKeepsThePostInTheSandbox(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	ana := b.withContact(nodestest.Contact{Email: "ana@example.com", FirstName: "Ana"})
	params := map[string]any{"text": "Hot lead: {{ contact.first_name }} ({{ contact.email }})", "channel": "#sales"}
	for try := 1; try <= 2; try++ { // the second run is a retry of the same step
		res, err := b.runRemote(t, nodes.TypeSlack, params)
		if err != nil {
			t.Fatalf("try %d: %v", try, err)
		}
		if res.Port != nodes.PortOut || res.Output["status"] != nodes.StatusSandboxed || res.Output["posted"] != false {
			t.Fatalf("try %d: result %+v, want Posted with status sandboxed", try, res)
		}
	}
	ms := b.accts.Messages
	if len(ms) != 1 {
		t.Fatalf("%d messages in the outbox after two tries, want 1", len(ms))
	}
	m := ms[0]
	got := strings.Join([]string{m.Channel, m.Provider, m.Status, m.To, m.Text, m.ContactID, m.RunID, m.NodeID, m.FlowID}, "|")
	want := strings.Join([]string{"slack", "sandbox", "sandboxed", "#sales", "Hot lead: Ana (ana@example.com)", ana, "run1", "n", "test"}, "|")
	if got != want {
		t.Fatalf("outbox holds %s\nwant           %s", got, want)
	}
	if !strings.Contains(m.Reason, "No Slack account is chosen for this step") || !strings.Contains(m.Reason, "nothing was sent") {
		t.Fatalf("reason %q does not say the post was kept in the sandbox", m.Reason)
	}
	if len(b.slack.got) != 0 {
		t.Fatalf("posted to Slack %+v, want nothing", b.slack.got)
	}

	// Without a channel, the outbox names Slack itself.
	b = setupVendors(t)
	if _, err := b.runRemote(t, nodes.TypeSlack, map[string]any{"text": "A new lead"}); err != nil {
		t.Fatal(err)
	}
	if ms := b.accts.Messages; len(ms) != 1 || ms[0].To != "Slack" || ms[0].Text != "A new lead" {
		t.Fatalf("outbox %+v, want one post to Slack", ms)
	}
}

// recordingCRM keeps the contact inputs a vendor got.
type recordingCRM struct {
	nodes.CRMTarget
	got []nodes.ContactInput
}

func (r *recordingCRM) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	r.got = append(r.got, in)
	return nodes.ContactRef{ID: "00Q5e00000AbCdEEAV", Created: true}, nil
}

// The "Salesforce campaign" and "Save as" of an upsert reach the vendor,
// whose id is kept in the run's vars as <kind>_contact_id.
func TestUpsertPassesSaveAsAndCampaign(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	sf := &recordingCRM{}
	b.accts.accounts["sf"] = nodes.Account{ID: "sf", Name: "Acme org", Kind: "salesforce", CRM: sf}
	b.env.Trigger = map[string]any{"email": "Ana@Example.com"}
	res, err := b.runRemote(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}", "target": "sf",
		"save_as": "lead", "salesforce_campaign": " 7015e000000Cmp1AAC "})
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.got) != 1 || sf.got[0].SaveAs != nodes.RecordLead || sf.got[0].Campaign != "7015e000000Cmp1AAC" || sf.got[0].Email != "ana@example.com" {
		t.Fatalf("vendor got %+v", sf.got)
	}
	if res.Vars["salesforce_contact_id"] != "00Q5e00000AbCdEEAV" {
		t.Fatalf("vars %v", res.Vars)
	}
}
