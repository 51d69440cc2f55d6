package server_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

const smsFlow = `{"id":"remind","name":"Remind","nodes":[
 {"id":"start","type":"trigger.event","params":{"event_type":"booked"},"position":{"x":0,"y":0}},
 {"id":"sms","type":"message.sms","params":{"body":"See you tomorrow, {{ contact.first_name }}"},"position":{"x":0,"y":0}}],
 "edges":[{"from":"start","to":"sms"}]}`

const smtpSecret = "sm7p-Pa55word-never-shown"

func TestCredentialsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.api(t, "GET", "/api/v1/credential-kinds", "").must(t, 200)
	for _, want := range []string{`"kind":"smtp"`, `"name":"password","label":"Password","secret":true`, `"kind":"twilio"`,
		`"kind":"sendgrid_webhook"`, `"kind":"http"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("credential kinds lack %s", want)
		}
	}
	body := `{"name":"Mail","kind":"smtp","fields":{"host":"127.0.0.1","port":2525,"username":"u","password":"` + smtpSecret + `","from_email":"a@example.com"}}`
	res = b.api(t, "POST", "/api/v1/credentials", body).must(t, 201)
	if strings.Contains(res.body, smtpSecret) || !strings.Contains(res.body, `"secrets_set":["password"]`) {
		t.Fatalf("create answered %s", res.body)
	}
	var created struct {
		Credential struct{ ID string } `json:"credential"`
	}
	res.json(t, &created)
	id := created.Credential.ID
	res = b.api(t, "GET", "/api/v1/credentials", "").must(t, 200)
	if strings.Contains(res.body, smtpSecret) || !strings.Contains(res.body, `"host":"127.0.0.1"`) {
		t.Fatalf("list answered %s", res.body)
	}
	// Keeping the secret on update: left out.
	b.api(t, "PUT", "/api/v1/credentials/"+id, `{"name":"Mail 2","fields":{"host":"127.0.0.1","port":2526,"from_email":"a@example.com","password":""}}`).
		must(t, 200)
	res = b.api(t, "GET", "/api/v1/credentials/"+id, "").must(t, 200)
	if !strings.Contains(res.body, `"secrets_set":["password"]`) || !strings.Contains(res.body, `"port":2526`) {
		t.Fatalf("after update: %s", res.body)
	}
	// The test really connects: nothing listens on 2526.
	res = b.api(t, "POST", "/api/v1/credentials/"+id+"/test", "").must(t, 200)
	if !strings.Contains(res.body, `"ok":false`) || strings.Contains(res.body, smtpSecret) {
		t.Fatalf("test answered %s", res.body)
	}
	res = b.api(t, "POST", "/api/v1/credentials", `{"name":"T","kind":"twilio","fields":{"account_sid":"nope","from":"+1"}}`).must(t, 400)
	if !strings.Contains(res.body, `"account_sid":"is not an account SID`) || !strings.Contains(res.body, `"auth_token":"is required"`) {
		t.Fatalf("invalid credential answered %s", res.body)
	}
	if strings.Contains(b.logs.String(), smtpSecret) {
		t.Fatal("the logs hold the secret")
	}
	// The raw database never holds the secret.
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(b.dbPath + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(smtpSecret)) {
			t.Fatalf("%s holds the secret in clear", b.dbPath+suffix)
		}
	}
	b.api(t, "DELETE", "/api/v1/credentials/"+id, "").must(t, 204)
	b.api(t, "GET", "/api/v1/credentials/"+id, "").must(t, 404)
	b.api(t, "DELETE", "/api/v1/credentials/"+id, "").must(t, 404)
}

// sandboxMessage runs the SMS flow for a contact and returns the message id.
func sandboxMessage(t *testing.T, b *testBundle) (msgID, contactID string) {
	t.Helper()
	b.api(t, "POST", "/api/v1/flows", smsFlow).must(t, 201)
	b.api(t, "POST", "/api/v1/flows/remind/publish", "").must(t, 200)
	res := b.api(t, "POST", "/api/v1/events", `{"type":"booked","contact":{"phone":"+34600111222","email":"ana@example.com"}}`).must(t, 202)
	var ev struct {
		ContactID string `json:"contact_id"`
	}
	res.json(t, &ev)
	b.drain(t)
	res = b.api(t, "GET", "/api/v1/messages?channel=sms&status=sandboxed", "").must(t, 200)
	var list struct {
		Messages []struct {
			ID, Status, Provider, To, BodyText string
		} `json:"messages"`
		Total int `json:"total"`
	}
	res.json(t, &list)
	if list.Total != 1 || len(list.Messages) != 1 || !strings.Contains(res.body, `"body_text":"See you tomorrow, "`) {
		t.Fatalf("messages = %s", res.body)
	}
	return list.Messages[0].ID, ev.ContactID
}

func TestSandboxMessagesAndSimulate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, contact := sandboxMessage(t, b)
	res := b.api(t, "GET", "/api/v1/messages/"+id, "").must(t, 200)
	for _, want := range []string{`"provider":"sandbox"`, `"status":"sandboxed"`, `"to":"+34600111222"`, `nothing was sent`, `"run_id":"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("message lacks %s: %s", want, res.body)
		}
	}
	b.api(t, "POST", "/api/v1/messages/"+id+"/simulate", `{"event":"opened"}`).must(t, 400)
	b.api(t, "POST", "/api/v1/messages/nope/simulate", `{"event":"delivered"}`).must(t, 404)
	b.api(t, "GET", "/api/v1/messages?channel=pigeon", "").must(t, 400)
	res = b.api(t, "POST", "/api/v1/messages/"+id+"/simulate", `{"event":"delivered"}`).must(t, 200)
	if !strings.Contains(res.body, `"status":"delivered"`) || !strings.Contains(res.body, `"type":"delivered"`) {
		t.Fatalf("simulate answered %s", res.body)
	}
	evs, _ := storage.ContactEvents(b.store.Reader(), contact, 10)
	found := false
	for _, e := range evs {
		if e.Type == "sms.delivered" && strings.Contains(e.Data, id) && strings.Contains(e.Data, `"simulated":true`) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no sms.delivered contact event for the message: %+v", evs)
	}
	res = b.api(t, "GET", "/api/v1/messages?contact="+contact, "").must(t, 200)
	if !strings.Contains(res.body, `"total":1`) {
		t.Fatalf("messages of the contact: %s", res.body)
	}
}

var tokenRE = regexp.MustCompile(`/(t|u)/([A-Za-z0-9_.-]+)`)

func TestTrackingAndUnsubscribeLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, contact := sandboxMessage(t, b)
	countEvents := func() int64 {
		var n int64
		_ = storagetest.Count(b.store.Reader(), &n, &storage.Event{}, "type LIKE ? AND type <> ?", "sms.%", "sms.sent")
		return n
	}
	// Links made for this message by the same code that writes emails.
	e := nodes.Email{HTML: `<p><a href="https://example.com/offer">offer</a></p>`}
	b.ch.PrepareEmail(id, &e, true)
	var click, open, unsub string
	for _, m := range tokenRE.FindAllStringSubmatch(e.HTML, -1) {
		switch {
		case m[1] == "u":
			unsub = m[2]
		case strings.Contains(e.HTML, `<img src="https://journeys.example.com/t/`+m[2]):
			open = m[2]
		default:
			click = m[2]
		}
	}
	if click == "" || open == "" || unsub == "" {
		t.Fatalf("links missing in %s", e.HTML)
	}
	for _, bad := range []string{"/t/abc", "/t/" + click + "A", "/t/" + unsub, "/u/" + click, "/u/abc.def"} {
		b.request(t, "GET", bad, "").must(t, 404)
		if strings.HasPrefix(bad, "/u/") {
			b.request(t, "POST", bad, "").must(t, 404)
		}
	}
	if n := countEvents(); n != 0 {
		t.Fatalf("bad links stored %d events", n)
	}
	res := b.request(t, "GET", "/t/"+click, "").must(t, http.StatusFound)
	if res.header.Get("Location") != "https://example.com/offer" {
		t.Fatalf("click redirected to %q", res.header.Get("Location"))
	}
	res = b.request(t, "GET", "/t/"+open, "").must(t, 200)
	if res.header.Get("Content-Type") != "image/gif" || !strings.HasPrefix(res.body, "GIF89a") {
		t.Fatalf("pixel: %q %q", res.header.Get("Content-Type"), res.body[:6])
	}
	res = b.request(t, "GET", "/u/"+unsub, "").must(t, 200)
	if !strings.Contains(res.body, `<form method="post">`) {
		t.Fatalf("unsubscribe page: %s", res.body)
	}
	c, _ := storage.GetContact(b.store.Reader(), contact)
	if strings.Contains(c.Consent, "false") {
		t.Fatal("opening the unsubscribe page already unsubscribed")
	}
	b.request(t, "POST", "/u/"+unsub, "List-Unsubscribe=One-Click").must(t, 200)
	c, _ = storage.GetContact(b.store.Reader(), contact)
	if c.Consent != `{"sms":false}` {
		t.Fatalf("consent after unsubscribe = %s", c.Consent)
	}
	if n := countEvents(); n != 3 {
		t.Fatalf("%d events after click, open and unsubscribe, want 3", n)
	}
	m, _ := storage.GetMessage(b.store.Reader(), id)
	for _, want := range []string{`"type":"clicked"`, `"type":"opened"`, `"type":"unsubscribed"`} {
		if !strings.Contains(m.Events, want) {
			t.Errorf("message history lacks %s: %s", want, m.Events)
		}
	}
}

func TestCredentialChoicesOfAParam(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Mailer","kind":"smtp","fields":{"host":"h","port":587,"from_email":"a@example.com"}}`).must(t, 201)
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Hub","kind":"hubspot","fields":{"access_token":"tok-secret"}}`).must(t, 201)
	res := b.api(t, "GET", "/api/v1/node-types/message.email/options/credential", "").must(t, 200)
	if !strings.Contains(res.body, `"label":"Mailer"`) || strings.Contains(res.body, "Hub") {
		t.Fatalf("email account choices = %s, want only the SMTP credential", res.body)
	}
	res = b.api(t, "GET", "/api/v1/node-types/message.send/options/sms_credential", "").must(t, 200)
	if res.body != `{"options":[],"source":"credentials"}` {
		t.Fatalf("sms account choices = %s, want none", res.body)
	}
	// A CRM target offers the built-in store first, then HubSpot and
	// Pipedrive accounts, never the SMTP one.
	res = b.api(t, "GET", "/api/v1/node-types/crm.create_deal/options/target", "").must(t, 200)
	if !strings.HasPrefix(res.body, `{"options":[{"value":"builtin","label":"This app's contacts (built in)"},{"value":"`) ||
		!strings.Contains(res.body, `"label":"Hub"`) || strings.Contains(res.body, "Mailer") || strings.Contains(res.body, "tok-secret") {
		t.Fatalf("deal target choices = %s", res.body)
	}
}
