package channels_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/storage"
)

// What each normalised e-mail event asks of the contact.
func TestEmailReceiptsMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name            string
		ev              emailevents.Event
		kind            string
		withdraw, grant bool
		group, ignored  string
	}{
		{"hard bounce", emailevents.Event{Type: emailevents.Bounced, HardBounce: true}, "bounced", true, false, "", ""},
		{"soft bounce", emailevents.Event{Type: emailevents.Bounced}, "bounced", false, false, "", ""},
		{"complaint", emailevents.Event{Type: emailevents.Complained}, "complained", true, false, "", ""},
		{"unsubscribe", emailevents.Event{Type: emailevents.Unsubscribed, ByRecipient: true}, "unsubscribed", true, false, "", ""},
		{"resubscribe by the recipient", emailevents.Event{Type: emailevents.Resubscribed, ByRecipient: true}, "resubscribed", false, true, "", ""},
		{"resubscribe by the sender", emailevents.Event{Type: emailevents.Resubscribed}, "resubscribed", false, false, "", ""},
		{"group unsubscribe", emailevents.Event{Type: emailevents.Unsubscribed, Group: "10", ByRecipient: true}, "unsubscribed", false, false, "10", ""},
		{"group resubscribe", emailevents.Event{Type: emailevents.Resubscribed, Group: "10", ByRecipient: true}, "resubscribed", false, false, "10", ""},
		{"delivered", emailevents.Event{Type: emailevents.Delivered}, "delivered", false, false, "", ""},
		{"ignored", emailevents.Event{Type: "processed", Ignored: emailevents.IgnoredByDesign}, "processed", false, false, "", emailevents.IgnoredByDesign},
	}
	for _, c := range cases {
		c.ev.Email = " Ann@Example.com"
		r := channels.EmailReceipts("sendgrid", []emailevents.Event{c.ev})[0]
		if r.Kind != c.kind || r.WithdrawConsent != c.withdraw || r.GrantConsent != c.grant || r.Group != c.group || r.Ignored != c.ignored {
			t.Errorf("%s: got %+v", c.name, r)
		}
		if c.ignored == "" && r.Email != "ann@example.com" {
			t.Errorf("%s: email %q, want it lower case", c.name, r.Email)
		}
	}
}

// contactState is a contact's email consent ("on", "off" or "" when never
// set) and unsubscribed groups.
func (b *bundle) contactState(t *testing.T, id string) (consent string, groups []string) {
	t.Helper()
	c, err := storage.GetContact(b.store.Reader(), id)
	if err != nil {
		t.Fatal(err)
	}
	var cs map[string]bool
	_ = json.Unmarshal([]byte(c.Consent), &cs)
	if v, ok := cs["email"]; ok {
		consent = map[bool]string{true: "on", false: "off"}[v]
	}
	var f struct {
		Groups []string `json:"email_unsubscribed_groups"`
	}
	_ = json.Unmarshal([]byte(c.Fields), &f)
	return consent, f.Groups
}

// Complaints, hard bounces and (un)subscribes that name a known contact's
// address change that contact even when no message of ours matches (sent
// before the journey existed, or by another tool); group changes touch one
// group only; other events about no message stay unmatched.
func TestReceiptsAboutAKnownAddressWithoutAMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ann, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ann@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	event := func(id, typ string, mod func(*emailevents.Event)) emailevents.Event {
		ev := emailevents.Event{Provider: "sendgrid", ProviderEventID: id, Type: typ, Email: "Ann@example.com",
			MessageID: "not-ours-" + id, Data: map[string]any{}}
		if mod != nil {
			mod(&ev)
		}
		return ev
	}
	steps := []struct {
		name    string
		ev      emailevents.Event
		want    channels.ReceiptResult
		consent string
		groups  []string
	}{
		{"group unsubscribe", event("g1", emailevents.Unsubscribed, func(e *emailevents.Event) { e.Group, e.ByRecipient = "10", true }),
			channels.ReceiptResult{ContactID: ann.ContactID}, "", []string{"10"}},
		{"second group", event("g2", emailevents.Unsubscribed, func(e *emailevents.Event) { e.Group, e.ByRecipient = "7", true }),
			channels.ReceiptResult{ContactID: ann.ContactID}, "", []string{"10", "7"}},
		{"group resubscribe", event("g3", emailevents.Resubscribed, func(e *emailevents.Event) { e.Group, e.ByRecipient = "10", true }),
			channels.ReceiptResult{ContactID: ann.ContactID}, "", []string{"7"}},
		{"delivered, no message", event("d1", emailevents.Delivered, nil), channels.ReceiptResult{Unmatched: true}, "", []string{"7"}},
		{"soft bounce, no message", event("s1", emailevents.Bounced, nil), channels.ReceiptResult{Unmatched: true}, "", []string{"7"}},
		{"complaint", event("c1", emailevents.Complained, nil), channels.ReceiptResult{ContactID: ann.ContactID}, "off", []string{"7"}},
		{"resubscribe by the recipient", event("r1", emailevents.Resubscribed, func(e *emailevents.Event) { e.ByRecipient = true }),
			channels.ReceiptResult{ContactID: ann.ContactID}, "on", []string{"7"}},
		{"the complaint resent", event("c1", emailevents.Complained, nil),
			channels.ReceiptResult{ContactID: ann.ContactID, Duplicate: true}, "on", []string{"7"}},
		{"hard bounce", event("h1", emailevents.Bounced, func(e *emailevents.Event) { e.HardBounce = true }),
			channels.ReceiptResult{ContactID: ann.ContactID}, "off", []string{"7"}},
		{"resubscribe by the sender", event("r2", emailevents.Resubscribed, nil), channels.ReceiptResult{Unmatched: true}, "off", []string{"7"}},
		{"unsubscribe of an unknown address", event("u1", emailevents.Unsubscribed, func(e *emailevents.Event) { e.Email = "nobody@example.com" }),
			channels.ReceiptResult{Unmatched: true}, "off", []string{"7"}},
	}
	for _, s := range steps {
		res, err := b.svc.RecordProviderReceipts(b.ctx, b.eng, channels.EmailReceipts("sendgrid", []emailevents.Event{s.ev}))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if res[0] != s.want {
			t.Fatalf("%s: result %+v, want %+v", s.name, res[0], s.want)
		}
		consent, groups := b.contactState(t, ann.ContactID)
		if consent != s.consent || !slices.Equal(groups, s.groups) {
			t.Fatalf("%s: consent %q groups %v, want %q %v", s.name, consent, groups, s.consent, s.groups)
		}
	}
	// Each change is on the contact's timeline, once.
	evs, err := storage.ContactEvents(b.store.Reader(), ann.ContactID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	slices.Sort(types)
	want := []string{"email.bounced", "email.complained", "email.resubscribed", "email.resubscribed", "email.unsubscribed", "email.unsubscribed", "signup"}
	if !slices.Equal(types, want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}
}

// A group unsubscribe about a message of ours records the group and leaves
// consent to all email on (it used to turn all email off).
func TestGroupUnsubscribeOfAMessageKeepsEmailConsent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	msg, contact := b.sent(t, "bob@example.com", "<m-9@smtp.example.com>")
	ev := emailevents.Event{Provider: "sendgrid", ProviderEventID: "g9", Type: emailevents.Unsubscribed, Group: "42",
		ByRecipient: true, Email: "bob@example.com", OurMessageID: msg}
	res, err := b.svc.RecordProviderReceipts(b.ctx, b.eng, channels.EmailReceipts("sendgrid", []emailevents.Event{ev}))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].MessageID != msg {
		t.Fatalf("result %+v, want the message %s", res[0], msg)
	}
	if consent, groups := b.contactState(t, contact); consent == "off" || !slices.Equal(groups, []string{"42"}) {
		t.Fatalf("consent %q groups %v; want email consent kept and group 42 left", consent, groups)
	}
}

// A vendor event we do not record is acknowledged, counted and changes
// nothing.
func TestIgnoredProviderEventsAreCounted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	metrics := engine.NewMetrics()
	svc, err := channels.New(channels.Config{Store: b.store, SecretKey: bytes.Repeat([]byte{9}, 32), PublicURL: publicURL, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	rs := channels.EmailReceipts("postmark", []emailevents.Event{
		{Provider: "postmark", Type: "Teleport", Ignored: emailevents.IgnoredUnknown},
		{Provider: "postmark", Type: "SubscriptionChange", Ignored: emailevents.IgnoredByDesign},
		{Provider: "postmark", Type: "Inbound", Ignored: emailevents.IgnoredUnknown},
	})
	res, err := svc.RecordProviderReceipts(b.ctx, b.eng, rs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r != (channels.ReceiptResult{Ignored: true}) {
			t.Fatalf("receipt %d: %+v, want ignored", i, r)
		}
	}
	fams, err := metrics.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "journey_provider_events_ignored_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += l.GetName() + "=" + l.GetValue() + ";"
			}
			got[labels] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"provider=postmark;reason=unknown event;": 2, "provider=postmark;reason=not recorded;": 1}
	if len(got) != len(want) || got["provider=postmark;reason=unknown event;"] != 2 || got["provider=postmark;reason=not recorded;"] != 1 {
		t.Fatalf("ignored counters %v, want %v", got, want)
	}
}
