package channels_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// awaitDelivery waits up to a day for the email to be opened and tags the
// contact with what happened.
const awaitDelivery = `{"id": "await", "name": "Await delivery",
 "nodes": [
  {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x": 0, "y": 0}},
  {"id": "wait", "type": "wait.event", "params": {"event_type": "email.opened", "timeout": "24h"}, "position": {"x": 0, "y": 100}},
  {"id": "opened", "type": "contact.tag", "params": {"add": ["opened"]}, "position": {"x": 0, "y": 200}},
  {"id": "silent", "type": "contact.tag", "params": {"add": ["silent"]}, "position": {"x": 0, "y": 200}}
 ],
 "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "port": "event", "to": "opened"},
  {"from": "wait", "port": "timeout", "to": "silent"}]}`

// sent records an email sent to a new contact (who signed up, so the
// journey waits for them), known to the provider as pid.
func (b *bundle) sent(t *testing.T, email, pid string) (messageID, contactID string) {
	t.Helper()
	ev, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: email}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.svc.Record(b.ctx, nodes.Draft{Key: "k-" + pid, Channel: nodes.ChannelEmail, Provider: channels.KindSMTP,
		Status: nodes.StatusQueued, To: email, Text: "hello", ContactID: ev.ContactID})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Update(b.ctx, m.ID, nodes.MessageUpdate{Status: nodes.StatusSent, ProviderID: pid, Sent: true}); err != nil {
		t.Fatal(err)
	}
	return m.ID, ev.ContactID
}

func (b *bundle) tagsOf(t *testing.T, contactID string) []string {
	t.Helper()
	c, err := storage.GetContact(b.store.Reader(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Tags
}

func (b *bundle) eventCount(t *testing.T, typ string) int64 {
	t.Helper()
	var n int64
	if err := storagetest.Count(b.store.Reader(), &n, &storage.Event{}, "type = ?", typ); err != nil {
		t.Fatal(err)
	}
	return n
}

// A batch of e-mail events (as SendGrid posts them) is recorded in order:
// two events about one message both land in its history, a resent event
// counts as a duplicate, an unknown message is reported, and the open
// resumes the journey waiting for it.
func TestReceiptBatchRecordsEachEventInOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f, err := flows.Decode([]byte(awaitDelivery))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatal(err)
	}
	ann, annContact := b.sent(t, "ann@example.com", "<m-1@smtp.example.com>")
	bob, bobContact := b.sent(t, "bob@example.com", "<m-2@smtp.example.com>")
	if _, err := b.eng.Drain(b.ctx); err != nil { // both runs now wait
		t.Fatal(err)
	}
	receipt := func(id, kind, ourID, smtpID string) channels.Receipt {
		return channels.Receipt{Provider: "sendgrid", EventID: id, Kind: kind, OurMessageID: ourID,
			ProviderIDs: []string{"<" + smtpID + ">", smtpID}, Data: map[string]any{"event": kind}}
	}
	batch := []channels.Receipt{
		receipt("ev-1", channels.EventDelivered, ann, "m-1@smtp.example.com"),
		receipt("ev-2", channels.EventOpened, "", "m-1@smtp.example.com"),
		receipt("ev-3", channels.EventDelivered, bob, "m-2@smtp.example.com"),
		receipt("ev-1", channels.EventDelivered, ann, "m-1@smtp.example.com"),
		receipt("ev-4", channels.EventDelivered, "", "m-404@smtp.example.com"),
	}
	res, err := b.svc.RecordProviderReceipts(b.ctx, b.eng, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []channels.ReceiptResult{{MessageID: ann}, {MessageID: ann}, {MessageID: bob}, {MessageID: ann, Duplicate: true}, {Unmatched: true}}
	if !slices.Equal(res, want) {
		t.Fatalf("results = %+v, want %+v", res, want)
	}
	m, err := storage.GetMessage(b.store.Reader(), ann)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != storage.MessageOpened || strings.Count(m.Events, `"provider_event_id":"sendgrid:ev-1"`) != 1 ||
		!strings.Contains(m.Events, `"provider_event_id":"sendgrid:ev-2"`) {
		t.Fatalf("message %s %s: want opened, with one entry per event", m.Status, m.Events)
	}
	if d, o := b.eventCount(t, "email.delivered"), b.eventCount(t, "email.opened"); d != 2 || o != 1 {
		t.Fatalf("%d email.delivered and %d email.opened events, want 2 and 1", d, o)
	}
	// The whole request again (a vendor retry) records nothing more.
	res, err = b.svc.RecordProviderReceipts(b.ctx, b.eng, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res[:4] {
		if !r.Duplicate {
			t.Fatalf("retry: receipt %d = %+v, want a duplicate", i, r)
		}
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.tagsOf(t, annContact); !slices.Equal(got, []string{"opened"}) {
		t.Fatalf("ann's tags = %v; the open should have resumed her journey", got)
	}
	if got := b.tagsOf(t, bobContact); len(got) != 0 {
		t.Fatalf("bob's tags = %v; his journey should still wait", got)
	}
}

// failingSink is the engine, except that storing the contact event of
// one receipt fails once.
type failingSink struct {
	*engine.Engine
	failType string
	failed   bool
}

func (s *failingSink) IngestEventsWith(ctx context.Context, fn func(tx storage.Tx, ingest engine.EventWriter) error) error {
	return s.Engine.IngestEventsWith(ctx, func(tx storage.Tx, ingest engine.EventWriter) error {
		return fn(tx, func(in engine.EventInput) (engine.EventResult, error) {
			if in.Type == s.failType && !s.failed {
				s.failed = true
				return engine.EventResult{}, errors.New("disk full")
			}
			return ingest(in)
		})
	})
}

// A request whose recording fails keeps none of its receipts, so the
// vendor's retry records every one (none is lost as a "duplicate").
func TestFailedReceiptRequestKeepsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ann, _ := b.sent(t, "ann@example.com", "<m-1@smtp.example.com>")
	batch := []channels.Receipt{
		{Provider: "sendgrid", EventID: "ev-1", Kind: channels.EventDelivered, OurMessageID: ann},
		{Provider: "sendgrid", EventID: "ev-2", Kind: channels.EventOpened, OurMessageID: ann},
	}
	sink := &failingSink{Engine: b.eng, failType: "email.opened"}
	if _, err := b.svc.RecordProviderReceipts(b.ctx, sink, batch); err == nil {
		t.Fatal("want the failure reported")
	}
	m, err := storage.GetMessage(b.store.Reader(), ann)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != storage.MessageSent || strings.Contains(m.Events, "provider_event_id") || b.eventCount(t, "email.delivered") != 0 {
		t.Fatalf("after a failed request: status %s, history %s; want nothing recorded", m.Status, m.Events)
	}
	res, err := b.svc.RecordProviderReceipts(b.ctx, sink, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Duplicate || res[1].Duplicate || b.eventCount(t, "email.delivered") != 1 || b.eventCount(t, "email.opened") != 1 {
		t.Fatalf("retry = %+v; want both receipts recorded", res)
	}
}

// A message's reason always describes its current status: after Twilio
// reports an SMS undelivered it no longer says "Accepted by twilio.", and a
// receipt that does not change the status leaves the reason alone.
func TestReceiptReasonDescribesTheCurrentStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ev, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Phone: "+4915112345678"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.svc.Record(b.ctx, nodes.Draft{Key: "k-sms", Channel: nodes.ChannelSMS, Provider: channels.KindTwilio,
		Status: nodes.StatusQueued, To: "+4915112345678", Text: "hello", ContactID: ev.ContactID})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Update(b.ctx, m.ID, nodes.MessageUpdate{Status: nodes.StatusSent, Reason: "Accepted by twilio.",
		ProviderID: "SM1", Sent: true}); err != nil {
		t.Fatal(err)
	}
	twilio := func(id, kind, code string) channels.Receipt {
		return channels.Receipt{Provider: "twilio", EventID: id, Kind: kind, ProviderIDs: []string{"SM1"},
			Data: map[string]any{"status": kind, "error_code": code}}
	}
	steps := []struct {
		r          channels.Receipt
		wantStatus string
		wantReason []string
	}{
		{twilio("SM1:undelivered", channels.EventUndelivered, "30003"), storage.MessageUndelivered,
			[]string{"Not delivered", "twilio", "30003"}},
		// A late "delivered" cannot undo a failure: status and reason stay.
		{twilio("SM1:delivered", channels.EventDelivered, ""), storage.MessageUndelivered,
			[]string{"Not delivered", "30003"}},
	}
	for _, s := range steps {
		if _, err := b.svc.RecordProviderReceipts(b.ctx, b.eng, []channels.Receipt{s.r}); err != nil {
			t.Fatal(err)
		}
		got, err := storage.GetMessage(b.store.Reader(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != s.wantStatus || strings.Contains(got.Reason, "Accepted") {
			t.Fatalf("after %s: %s %q, want %s with a reason about it", s.r.EventID, got.Status, got.Reason, s.wantStatus)
		}
		for _, w := range s.wantReason {
			if !strings.Contains(got.Reason, w) {
				t.Fatalf("after %s: reason %q, want it to mention %q", s.r.EventID, got.Reason, w)
			}
		}
	}
}
