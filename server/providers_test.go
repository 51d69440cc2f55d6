package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

const (
	publicURL     = "https://journeys.example.com"
	twilioAccount = "AC0123456789abcdef0123456789abcdef"
	twilioToken   = "twilio-auth-token-SECRET"
	waAppSecret   = "wa-app-secret-SECRET"
	mailgunKey    = "mailgun-signing-key-SECRET"
)

// sentMessage records a message sent to a new contact through provider
// with the vendor's id pid, as the message node types do.
func sentMessage(t *testing.T, b *testBundle, channel, provider, pid string, contact storage.ContactRef) (messageID, contactID string) {
	t.Helper()
	ctx := context.Background()
	ev, err := b.eng.IngestEvent(ctx, engine.EventInput{Type: "signup", Contact: contact})
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.ch.Record(ctx, nodes.Draft{Key: "k-" + pid, Channel: channel, Provider: provider, Status: nodes.StatusQueued,
		To: contact.Email + contact.Phone, Text: "hello", ContactID: ev.ContactID})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ch.Update(ctx, m.ID, nodes.MessageUpdate{Status: nodes.StatusSent, ProviderID: pid, Sent: true}); err != nil {
		t.Fatal(err)
	}
	return m.ID, ev.ContactID
}

func (b *testBundle) credential(t *testing.T, kind string, fields map[string]any) {
	t.Helper()
	if _, err := b.ch.CreateCredential(context.Background(), channels.CredentialInput{Name: kind, Kind: kind, Fields: fields}); err != nil {
		t.Fatal(err)
	}
}

// countEvents counts the stored contact events of type typ.
func (b *testBundle) countEvents(t *testing.T, typ string) int64 {
	t.Helper()
	var n int64
	if err := storagetest.Count(b.store.Reader(), &n, &storage.Event{}, "type = ?", typ); err != nil {
		t.Fatal(err)
	}
	return n
}

func (b *testBundle) messageStatus(t *testing.T, id string) string {
	t.Helper()
	m, err := storage.GetMessage(b.store.Reader(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func (b *testBundle) post(t *testing.T, path, contentType, body string, headers ...string) response {
	t.Helper()
	return b.request(t, http.MethodPost, path, body, append([]string{"Content-Type", contentType}, headers...)...)
}

func TestTwilioStatusCallback(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioAccount, "auth_token": twilioToken, "from": "+15005550006"})
	const sid = "SM0123456789abcdef0123456789abcdef"
	msgID, contactID := sentMessage(t, b, nodes.ChannelSMS, channels.KindTwilio, sid, storage.ContactRef{Phone: "+4915112345678"})
	form := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "MessageStatus": {"delivered"}, "SmsStatus": {"delivered"},
		"AccountSid": {twilioAccount}, "To": {"+4915112345678"}, "From": {"+15005550006"}, "ApiVersion": {"2010-04-01"}}
	body := form.Encode()
	good := twilio.Signature(twilioToken, publicURL+"/hooks/providers/twilio", form)
	const formType = "application/x-www-form-urlencoded"

	// A bad signature is refused and stores nothing.
	bad := twilio.Signature("another-token", publicURL+"/hooks/providers/twilio", form)
	b.post(t, "/hooks/providers/twilio", formType, body, twilio.SignatureHeader, bad).must(t, http.StatusUnauthorized)
	b.post(t, "/hooks/providers/twilio", formType, body).must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "sms.delivered"); n != 0 || b.messageStatus(t, msgID) != storage.MessageSent {
		t.Fatalf("a badly signed callback stored %d events, status %s", n, b.messageStatus(t, msgID))
	}

	// The signed callback marks the message delivered and records
	// sms.delivered for the contact; Twilio's resend is stored once.
	for i := range 2 {
		var out struct{ Recorded, Duplicates int }
		b.post(t, "/hooks/providers/twilio", formType, body, twilio.SignatureHeader, good).must(t, http.StatusOK).json(t, &out)
		if out.Recorded+out.Duplicates != 1 || (i == 1) != (out.Duplicates == 1) {
			t.Fatalf("callback %d: %+v", i+1, out)
		}
	}
	if s := b.messageStatus(t, msgID); s != storage.MessageDelivered {
		t.Fatalf("status %s, want delivered", s)
	}
	var evs []storage.Event
	_ = storagetest.Find(b.store.Reader(), &evs, storagetest.Where("type = ?", "sms.delivered"))
	if len(evs) != 1 || evs[0].ContactID == nil || *evs[0].ContactID != contactID || !strings.Contains(evs[0].Data, msgID) {
		t.Fatalf("sms.delivered events = %+v; want one, for the contact and the message", evs)
	}
	m, _ := storage.GetMessage(b.store.Reader(), msgID)
	if strings.Count(m.Events, `"type":"delivered"`) != 1 {
		t.Fatalf("message history %s: want one delivered entry", m.Events)
	}

	// A signed callback without a message id is malformed: 400, logged.
	broken := url.Values{"MessageStatus": {"delivered"}, "AccountSid": {twilioAccount}}
	sig := twilio.Signature(twilioToken, publicURL+"/hooks/providers/twilio", broken)
	b.post(t, "/hooks/providers/twilio", formType, broken.Encode(), twilio.SignatureHeader, sig).must(t, http.StatusBadRequest)
	if !strings.Contains(b.logs.String(), "malformed") || strings.Contains(b.logs.String(), twilioToken) {
		t.Fatalf("logs = %s; want the malformed body logged, never the token", b.logs.String())
	}
}

func TestWhatsAppWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindWhatsApp, map[string]any{"phone_number_id": "123456123", "access_token": "tok",
		"app_secret": waAppSecret, "verify_token": "verify-me"})
	const wamid = "wamid.HBgLMTYzMTU1NTExODE="
	msgID, _ := sentMessage(t, b, nodes.ChannelWhatsApp, channels.KindWhatsApp, wamid, storage.ContactRef{Phone: "+16315551181"})

	// Meta's subscription check.
	r := b.request(t, http.MethodGet, "/hooks/providers/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", "")
	if r.must(t, http.StatusOK); r.body != "1158201444" {
		t.Fatalf("challenge answer %q", r.body)
	}
	b.request(t, http.MethodGet, "/hooks/providers/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", "").
		must(t, http.StatusForbidden)

	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
"messaging_product":"whatsapp","metadata":{"display_phone_number":"16505551111","phone_number_id":"123456123"},
"statuses":[{"id":"` + wamid + `","status":"read","timestamp":"1504902988","recipient_id":"16315551181"}]}}]}]}`
	b.post(t, "/hooks/providers/whatsapp", "application/json", body, whatsapp.SignatureHeader, whatsapp.Sign("wrong", []byte(body))).
		must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "whatsapp.read"); n != 0 {
		t.Fatalf("a badly signed webhook stored %d events", n)
	}
	for range 2 {
		b.post(t, "/hooks/providers/whatsapp", "application/json", body, whatsapp.SignatureHeader, whatsapp.Sign(waAppSecret, []byte(body))).
			must(t, http.StatusOK)
	}
	if n := b.countEvents(t, "whatsapp.read"); n != 1 || b.messageStatus(t, msgID) != storage.MessageRead {
		t.Fatalf("%d whatsapp.read events, status %s; want one, read", n, b.messageStatus(t, msgID))
	}
	notJSON := `{"entry": [`
	b.post(t, "/hooks/providers/whatsapp", "application/json", notJSON, whatsapp.SignatureHeader, whatsapp.Sign(waAppSecret, []byte(notJSON))).
		must(t, http.StatusBadRequest)
}

// mailgunBody is a signed Mailgun webhook, signed now with a new token.
func mailgunBody(key, event, eventID, messageID string) string {
	return mailgunSigned(key, strconv.FormatInt(time.Now().Unix(), 10), rand.Text(), event, eventID, messageID)
}

// mailgunSigned is a Mailgun webhook with the given timestamp and token.
func mailgunSigned(key, ts, token, event, eventID, messageID string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + token))
	return `{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + hex.EncodeToString(mac.Sum(nil)) + `"},
"event-data":{"id":"` + eventID + `","event":"` + event + `","severity":"permanent","reason":"bounce","timestamp":1700000000.5,
"recipient":"ana@example.com","message":{"headers":{"message-id":"` + messageID + `"}},
"delivery-status":{"code":550,"message":"5.1.1 The email account that you tried to reach does not exist"}}}`
}

func TestMailgunHardBounceWithdrawsConsent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindMailgunWebhook, map[string]any{"signing_key": mailgunKey})
	msgID, contactID := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-1@smtp.example.com>", storage.ContactRef{Email: "ana@example.com"})

	b.post(t, "/hooks/providers/mailgun", "application/json", mailgunBody("wrong-key", "failed", "ev-1", "m-1@smtp.example.com")).
		must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "email.bounced"); n != 0 {
		t.Fatalf("a badly signed webhook stored %d events", n)
	}
	// Mailgun's resend of an event (newly signed) is stored once.
	for range 2 {
		good := mailgunBody(mailgunKey, "failed", "ev-1", "m-1@smtp.example.com")
		b.post(t, "/hooks/providers/mailgun", "application/json", good).must(t, http.StatusOK)
	}
	if n := b.countEvents(t, "email.bounced"); n != 1 || b.messageStatus(t, msgID) != storage.MessageBounced {
		t.Fatalf("%d email.bounced events, status %s; want one, bounced", n, b.messageStatus(t, msgID))
	}
	c, err := storage.GetContact(b.store.Reader(), contactID)
	if err != nil || c.Consent != `{"email":false}` {
		t.Fatalf("consent after a hard bounce = %s (%v), want email off", c.Consent, err)
	}
	// An event about a message we never sent is acknowledged, not stored.
	var out struct{ Unmatched int }
	b.post(t, "/hooks/providers/mailgun", "application/json", mailgunBody(mailgunKey, "delivered", "ev-2", "other@elsewhere")).
		must(t, http.StatusOK).json(t, &out)
	if out.Unmatched != 1 || b.countEvents(t, "email.delivered") != 0 {
		t.Fatalf("unknown message: %+v", out)
	}
	b.post(t, "/hooks/providers/mailgun", "application/json", `{"signature": 12`).must(t, http.StatusBadRequest)
	// No Postmark credential: that webhook is not set up.
	b.post(t, "/hooks/providers/postmark", "application/json", `{"RecordType":"Delivery"}`).must(t, http.StatusNotFound)
}

func TestSendGridSignedEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b.credential(t, channels.KindSendGridWebhook, map[string]any{"public_key": base64.StdEncoding.EncodeToString(der)})
	msgID, _ := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-7@smtp.example.com>", storage.ContactRef{Email: "bo@example.com"})
	body := `[{"email":"bo@example.com","timestamp":1700000000,"event":"open","sg_event_id":"sg-ev-1","sg_message_id":"abc.filter001",
"journey_message_id":"` + msgID + `"},{"email":"bo@example.com","timestamp":1700000001,"event":"processed","sg_event_id":"sg-ev-0"}]`
	sign := func(k *ecdsa.PrivateKey, ts string) []string {
		sum := sha256.Sum256([]byte(ts + body))
		sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return []string{"X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig), "X-Twilio-Email-Event-Webhook-Timestamp", ts}
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	b.post(t, "/hooks/providers/sendgrid", "application/json", body, sign(other, now)...).must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "email.opened"); n != 0 {
		t.Fatalf("a badly signed batch stored %d events", n)
	}
	for range 2 {
		b.post(t, "/hooks/providers/sendgrid", "application/json", body, sign(key, now)...).must(t, http.StatusOK)
	}
	if n := b.countEvents(t, "email.opened"); n != 1 || b.messageStatus(t, msgID) != storage.MessageOpened {
		t.Fatalf("%d email.opened events, status %s; want one, opened (matched by journey_message_id)", n, b.messageStatus(t, msgID))
	}
}

func TestPostmarkHardBounce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindPostmarkWebhook, map[string]any{"username": "postmark", "password": "pm-pass-SECRET"})
	msgID, contactID := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-9@smtp.example.com>", storage.ContactRef{Email: "cy@example.com"})
	body := `{"RecordType":"Bounce","ID":901542550,"Type":"HardBounce","TypeCode":1,"MessageID":"2706ee8a-737c-4285-b032-ccd317af53ed",
"Description":"The server was unable to deliver your message.","Email":"cy@example.com","BouncedAt":"2016-04-27T16:28:50.3963933-04:00",
"Metadata":{"journey_message_id":"` + msgID + `"}}`
	auth := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	b.post(t, "/hooks/providers/postmark", "application/json", body, "Authorization", auth("postmark", "guess")).must(t, http.StatusUnauthorized)
	for range 2 {
		b.post(t, "/hooks/providers/postmark", "application/json", body, "Authorization", auth("postmark", "pm-pass-SECRET")).must(t, http.StatusOK)
	}
	if n := b.countEvents(t, "email.bounced"); n != 1 || b.messageStatus(t, msgID) != storage.MessageBounced {
		t.Fatalf("%d email.bounced events, status %s; want one, bounced", n, b.messageStatus(t, msgID))
	}
	if c, _ := storage.GetContact(b.store.Reader(), contactID); c.Consent != `{"email":false}` {
		t.Fatalf("consent after a hard bounce = %s", c.Consent)
	}
}
