package channels_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

const twilioSID = "AC0123456789abcdef0123456789abcdef"

// vendorAPI answers like Twilio's Messages API and the WhatsApp Cloud API
// and keeps what it was sent.
type vendorAPI struct {
	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
	bodies   []string
	status   int // answer status for every call (0: success)
}

func (v *vendorAPI) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		v.requests = append(v.requests, r)
		form, _ := url.ParseQuery(string(body))
		v.forms = append(v.forms, form)
		v.bodies = append(v.bodies, string(body))
		status := v.status
		v.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"code": 21211, "message": "The 'To' number is not valid.", "status": 400}`)
			return
		}
		if strings.Contains(r.URL.Path, "/Messages.json") {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued", "to": "`+form.Get("To")+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"messaging_product": "whatsapp", "contacts": [{"input": "4915112345678", "wa_id": "4915112345678"}], "messages": [{"id": "wamid.HBgLNDkxNTExMjM0NTY3OBUCABEYEjA="}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const smsFlow = `{
  "id": "text", "name": "Text",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "msg", "type": "CHANNEL", "params": {"credential": "CRED", "body": "Your code is 4711"}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "msg"}]
}`

// sendOne runs a one-step flow of node type channel for a contact with a
// phone number and returns the stored message.
func sendOne(t *testing.T, b *bundle, channel, credID string) storage.Message {
	t.Helper()
	f, err := flows.Decode([]byte(strings.NewReplacer("CHANNEL", channel, "CRED", credID).Replace(smsFlow)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Phone: "+4915112345678"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Drain(b.ctx); err != nil {
		t.Fatal(err)
	}
	ms, _, err := storage.ListMessages(b.store.Reader(), storage.MessageQuery{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages = %+v, %v; want one", ms, err)
	}
	return ms[0]
}

func TestSMSThroughTwilioCredential(t *testing.T) {
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
	if m.Status != storage.MessageSent || m.Provider != channels.KindTwilio || m.ProviderID == nil ||
		*m.ProviderID != "SM0123456789abcdef0123456789abcdef" {
		t.Fatalf("message = %s via %s (%v), reason %q; want sent through twilio with the SID", m.Status, m.Provider, m.ProviderID, m.Reason)
	}
	if len(api.forms) != 1 {
		t.Fatalf("%d calls to Twilio, want 1", len(api.forms))
	}
	form, r := api.forms[0], api.requests[0]
	if r.URL.Path != "/2010-04-01/Accounts/"+twilioSID+"/Messages.json" || form.Get("To") != "+4915112345678" ||
		form.Get("From") != "+15005550006" || form.Get("Body") != "Your code is 4711" ||
		form.Get("StatusCallback") != publicURL+"/hooks/providers/twilio" {
		t.Fatalf("Twilio got %s %v", r.URL.Path, form)
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != twilioSID || pass != "tw-token-SECRET" {
		t.Fatalf("Twilio basic auth = %q, ok %v", user, ok)
	}
}

func TestTwilioRefusalFailsTheMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := &vendorAPI{status: http.StatusBadRequest}
	srv := api.serve(t)
	cred, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: "Twilio", Kind: channels.KindTwilio, Fields: map[string]any{
		"account_sid": twilioSID, "auth_token": "tw-token-SECRET", "from": "+15005550006", "base_url": srv.URL,
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := sendOne(t, b, "message.sms", cred.ID)
	// A 400 is permanent (connectors.NodeError): failed at once, no retry.
	if m.Status != storage.MessageFailed || !strings.Contains(m.Reason, "not valid") || len(api.forms) != 1 {
		t.Fatalf("message = %s %q after %d calls; want failed once with Twilio's reason", m.Status, m.Reason, len(api.forms))
	}
}

func TestWhatsAppThroughCloudAPICredential(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := &vendorAPI{}
	srv := api.serve(t)
	cred, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: "WA", Kind: channels.KindWhatsApp, Fields: map[string]any{
		"phone_number_id": "1234567890", "access_token": "wa-token-SECRET", "base_url": srv.URL,
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := sendOne(t, b, "message.whatsapp", cred.ID)
	if m.Status != storage.MessageSent || m.Provider != channels.KindWhatsApp || m.ProviderID == nil ||
		*m.ProviderID != "wamid.HBgLNDkxNTExMjM0NTY3OBUCABEYEjA=" {
		t.Fatalf("message = %s via %s (%v), reason %q; want sent through whatsapp with the wamid", m.Status, m.Provider, m.ProviderID, m.Reason)
	}
	if len(api.bodies) != 1 {
		t.Fatalf("%d calls to WhatsApp, want 1", len(api.bodies))
	}
	var sent struct {
		To   string `json:"to"`
		Type string `json:"type"`
		Text struct {
			Body string `json:"body"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(api.bodies[0]), &sent); err != nil {
		t.Fatal(err)
	}
	r := api.requests[0]
	if !strings.HasSuffix(r.URL.Path, "/1234567890/messages") || sent.To != "4915112345678" || sent.Type != "text" ||
		sent.Text.Body != "Your code is 4711" || r.Header.Get("Authorization") != "Bearer wa-token-SECRET" {
		t.Fatalf("WhatsApp got %s %s (auth %q)", r.URL.Path, api.bodies[0], r.Header.Get("Authorization"))
	}
}

func TestSMTPMailCarriesProviderCorrelationHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cred := b.smtpCredential(t, smtpPassword)
	snd, err := b.svc.Sender(b.ctx, "email", cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snd.Email.SendEmail(b.ctx, nodes.Email{MessageID: "msg-42", To: "bo@example.com", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	mails := b.inbox.all()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m, err := mail.ReadMessage(bytes.NewReader(mails[0]))
	if err != nil {
		t.Fatal(err)
	}
	// The provider webhooks find the message by these (emailevents.CorrelationKey).
	if got := m.Header.Get("X-Mailgun-Variables"); got != `{"journey_message_id":"msg-42"}` {
		t.Errorf("X-Mailgun-Variables = %q", got)
	}
	if got := m.Header.Get("X-PM-Metadata-journey_message_id"); got != "msg-42" {
		t.Errorf("X-PM-Metadata-journey_message_id = %q", got)
	}
	if got := m.Header.Get("X-SMTPAPI"); !strings.Contains(got, `"journey_message_id":"msg-42"`) {
		t.Errorf("X-SMTPAPI = %q", got)
	}
}
