package channels_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// welcomeAndNoOpen sends a welcome email (sandbox) on signup; a second
// journey tags the contact when that email.sent is not followed by an
// email.opened within 48 hours (the node reference's absence example).
var welcomeAndNoOpen = []string{`{"id": "welcome", "name": "Welcome", "nodes": [
  {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
  {"id": "mail", "type": "message.email", "params": {"subject": "Welcome", "body": "Hi there"}, "position": {"x":0,"y":0}}],
  "edges": [{"from": "start", "to": "mail"}]}`,
	`{"id": "no-open", "name": "No open", "nodes": [
  {"id": "start", "type": "trigger.absence", "params": {"event": "email.sent", "missing_event": "email.opened", "within": "48h"}, "position": {"x":0,"y":0}},
  {"id": "tag", "type": "contact.tag", "params": {"add": ["no_open"]}, "position": {"x":0,"y":0}}],
  "edges": [{"from": "start", "to": "tag"}]}`}

// TestSentEventStartsAnAbsenceJourney: the engine records email.sent for
// the email it sent (kept by the sandbox), with the message, step and
// journey, so "email.sent and no email.opened within 48h" fires for it,
// and does not when the email was opened.
func TestSentEventStartsAnAbsenceJourney(t *testing.T) {
	t.Parallel()
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "app.db") },
		"postgres": storagetest.PostgresDSN,
	}
	for db, dsn := range dbs {
		for _, opened := range []bool{false, true} {
			name := db + "/not opened"
			if opened {
				name = db + "/opened"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setupOutage(t, dsn(t))
				for _, raw := range welcomeAndNoOpen {
					f, err := flows.Decode([]byte(raw))
					if err != nil {
						t.Fatal(err)
					}
					if _, err := b.eng.Import(b.ctx, f, true); err != nil {
						t.Fatal(err)
					}
				}
				res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ana@example.com"}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := b.eng.Drain(b.ctx); err != nil {
					t.Fatal(err)
				}
				ms, _, err := storage.ListMessages(b.store.Reader(), storage.MessageQuery{})
				if err != nil || len(ms) != 1 || ms[0].Status != storage.MessageSandboxed {
					t.Fatalf("messages = %+v, %v; want one sandboxed email", ms, err)
				}
				evs := eventsOf(t, b.store, res.ContactID, "email.sent")
				if len(evs) != 1 {
					t.Fatalf("%d email.sent events, want 1", len(evs))
				}
				var data map[string]any
				_ = json.Unmarshal([]byte(evs[0].Data), &data)
				if data["message_id"] != ms[0].ID || data["step"] != "mail" || data["journey"] != "welcome" {
					t.Fatalf("email.sent data = %v; want the message id, step mail and journey welcome", data)
				}
				b.clock.add(time.Hour)
				if opened {
					if _, err := b.svc.Simulate(b.ctx, b.eng, ms[0].ID, channels.EventOpened); err != nil {
						t.Fatal(err)
					}
				}
				b.clock.add(48 * time.Hour)
				if _, err := b.eng.Drain(b.ctx); err != nil {
					t.Fatal(err)
				}
				c, err := storage.GetContact(b.store.Reader(), res.ContactID)
				if err != nil {
					t.Fatal(err)
				}
				if tagged := slices.Contains(c.Tags, "no_open"); tagged == opened {
					t.Fatalf("opened %v: tags %v; the absence journey must fire only for an unopened email", opened, c.Tags)
				}
			})
		}
	}
}

func eventsOf(t *testing.T, store *storage.Store, contactID, typ string) []storage.Event {
	t.Helper()
	var evs []storage.Event
	if err := storagetest.Find(store.Reader(), &evs, storagetest.Where("contact_id = ? AND type = ?", contactID, typ)); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestVendorAcceptanceRecordsSentOnce: an SMS Twilio accepts gives the
// contact one sms.sent (with the message and step); Twilio's own "sent"
// callback later adds to the message's history, not a second event.
func TestVendorAcceptanceRecordsSentOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := &vendorAPI{}
	srv := api.serve(t)
	cred, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: "Twilio", Kind: channels.KindTwilio, Fields: map[string]any{
		"account_sid": twilioSID, "auth_token": "tw-token-SECRET", "from": "+15005550006", "base_url": srv.URL,
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := sendOne(t, b, "message.sms", cred.ID)
	if m.ContactID == nil {
		t.Fatal("the message has no contact")
	}
	evs := eventsOf(t, b.store, *m.ContactID, "sms.sent")
	if len(evs) != 1 {
		t.Fatalf("%d sms.sent events after the send, want 1", len(evs))
	}
	var data map[string]any
	_ = json.Unmarshal([]byte(evs[0].Data), &data)
	if data["message_id"] != m.ID || data["step"] != "msg" || data["journey"] != "text" || data["provider"] != channels.KindTwilio {
		t.Fatalf("sms.sent data = %v", data)
	}
	if _, err := b.svc.RecordProviderReceipts(b.ctx, b.eng, []channels.Receipt{{Provider: "twilio", EventID: *m.ProviderID + ":sent",
		Kind: channels.EventSent, ProviderIDs: []string{*m.ProviderID}, Data: map[string]any{"status": "sent"}}}); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOf(t, b.store, *m.ContactID, "sms.sent")); n != 1 {
		t.Fatalf("%d sms.sent events after Twilio's callback, want still 1", n)
	}
}
