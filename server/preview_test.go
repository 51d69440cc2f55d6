package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// welcomeFlow sends a welcome email that reads the contact and the trigger.
const welcomeFlow = `{"id":"welcome","name":"Welcome","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"welcome"},"position":{"x":0,"y":0}},
 {"id":"mail","name":"Welcome email","type":"message.email","params":{"subject":"Welcome, {{ contact.first_name }}!",
  "html":"<p>Your plan: {{ trigger.plan }}</p>","track":true},"position":{"x":0,"y":100}},
 {"id":"sms","type":"message.sms","params":{"body":"Hi {{ contact.first_name }}, your plan is {{ trigger.plan }}"},"position":{"x":0,"y":200}}],
 "edges":[{"from":"start","to":"mail"},{"from":"mail","port":"sent","to":"sms"}]}`

// previewAnswer is the answer of POST /preview.
type previewAnswer struct {
	Channel, To, From, Subject, HTML, Text string
	Sandbox                                bool
	Length, Segments                       int
	Contact                                struct {
		ID, Name, Email string
		Sample          bool
	}
	Problems []struct{ Code, Param, Message string }
}

func (b *testBundle) addContact(t *testing.T, in storage.ContactInput) string {
	t.Helper()
	var id string
	err := b.store.Write(context.Background(), func(tx storage.Tx) error {
		var err error
		id, _, err = storage.UpsertContact(tx, "test:"+in.Email, in, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPreviewEmailForAChosenContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	id := b.addContact(t, storage.ContactInput{Email: "ana@example.com", FirstName: "Ana", LastName: "Ruiz"})
	body := `{"flow_id":"welcome","node":{"id":"mail"},"contact_id":"` + id + `","trigger":{"plan":"Pro"}}`
	var got previewAnswer
	b.api(t, "POST", "/api/v1/preview", body).must(t, 200).json(t, &got)
	if got.Channel != "email" || got.To != "ana@example.com" || got.Subject != "Welcome, Ana!" || !got.Sandbox ||
		got.Contact.ID != id || got.Contact.Name != "Ana Ruiz" || got.Contact.Sample || len(got.Problems) != 0 {
		t.Fatalf("preview: %+v", got)
	}
	// The HTML and the text as sent: the unsubscribe footer, untracked links.
	if !strings.Contains(got.HTML, "<p>Your plan: Pro</p>") || !strings.Contains(got.HTML, ">Unsubscribe</a>") ||
		strings.Contains(got.HTML, "/t/") || !strings.HasPrefix(got.Text, "Your plan: Pro") || !strings.Contains(got.Text, "Unsubscribe: ") {
		t.Fatalf("bodies: html %q, text %q", got.HTML, got.Text)
	}
}

func TestPreviewWithTheSampleContactAndTrigger(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	// The step as edited, not saved: a changed subject.
	body := `{"flow_id":"welcome","node":{"id":"sms","type":"message.sms","params":{"body":"Hi {{ contact.first_name }}, plan {{ trigger.plan }}, {{ trigger.lead_score }}"}}}`
	var got previewAnswer
	b.api(t, "POST", "/api/v1/preview", body).must(t, 200).json(t, &got)
	if got.Channel != "sms" || got.Text != "Hi Ada, plan sample plan, 72" || got.To == "" || !got.Contact.Sample ||
		got.Length != len(got.Text) || got.Segments != 1 {
		t.Fatalf("preview: %+v", got)
	}
	// WhatsApp counts characters; SMS parts do not apply.
	body = `{"flow_id":"welcome","node":{"id":"wa","type":"message.whatsapp","params":{"body":"Hola {{ contact.first_name }} 👋"}}}`
	got = previewAnswer{}
	b.api(t, "POST", "/api/v1/preview", body).must(t, 200).json(t, &got)
	if got.Channel != "whatsapp" || got.Text != "Hola Ada 👋" || got.Length != 10 || got.Segments != 0 {
		t.Fatalf("whatsapp preview: %+v", got)
	}
}

// The sender comes from the step's account; its secrets never show.
func TestPreviewFromTheAccount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	cr, err := b.ch.CreateCredential(context.Background(), channels.CredentialInput{Name: "Mail", Kind: "smtp", Fields: map[string]any{
		"host": "127.0.0.1", "port": 2525.0, "password": smtpSecret, "from_email": "news@example.com", "from_name": "Acme News"}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"flow_id":"welcome","node":{"id":"mail","type":"message.email","params":{"subject":"Hi","body":"Hello","credential":"` + cr.ID + `"}}}`
	res := b.api(t, "POST", "/api/v1/preview", body).must(t, 200)
	var got previewAnswer
	res.json(t, &got)
	if got.From != "Acme News <news@example.com>" || got.Sandbox || strings.Contains(res.body, smtpSecret) {
		t.Fatalf("preview: %s", res.body)
	}
	body = strings.Replace(body, cr.ID, "gone", 1)
	b.api(t, "POST", "/api/v1/preview", body).must(t, 200).json(t, &got)
	if len(got.Problems) != 1 || got.Problems[0].Code != "missing_credential" {
		t.Fatalf("a removed account: %+v", got)
	}
}

// A template that cannot be filled in is a problem naming the parameter.
func TestPreviewProblemsOnABadTemplate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	body := `{"flow_id":"welcome","node":{"id":"mail","type":"message.email","params":{"subject":"Hi {{ trigger.nickname * 2 }}","body":"Hello"}},"trigger":{"nickname":"Ana"}}`
	var got previewAnswer
	b.api(t, "POST", "/api/v1/preview", body).must(t, 200).json(t, &got)
	if len(got.Problems) != 1 || got.Problems[0].Param != "subject" || got.Problems[0].Code != "bad_template" ||
		!strings.Contains(got.Problems[0].Message, `"Subject" could not be filled in`) || !strings.HasPrefix(got.Text, "Hello") {
		t.Fatalf("preview: %+v", got)
	}
	// A template that does not compile is a problem too, with its position.
	body = `{"flow_id":"welcome","node":{"id":"mail","type":"message.email","params":{"subject":"Hi {{ contact.first_name ","body":"Hello"}}}`
	res := b.api(t, "POST", "/api/v1/preview", body).must(t, 200)
	if !strings.Contains(res.body, `"code":"bad_template"`) || !strings.Contains(res.body, `"param":"subject"`) {
		t.Fatalf("preview: %s", res.body)
	}
	// And sending it is refused with the same problems.
	res = b.api(t, "POST", "/api/v1/preview/send", body).must(t, 422)
	if !strings.Contains(res.body, `"param":"subject"`) {
		t.Fatalf("send: %s", res.body)
	}
}

func TestPreviewNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	for _, tt := range []struct{ body, want string }{
		{`{"flow_id":"nope","node":{"id":"mail"}}`, "no journey"},
		{`{"flow_id":"welcome","node":{"id":"mail"},"contact_id":"nope"}`, "no contact"},
		{`{"flow_id":"welcome","node":{"id":"ghost"}}`, "no step"},
	} {
		res := b.api(t, "POST", "/api/v1/preview", tt.body).must(t, 404)
		if !strings.Contains(res.body, tt.want) {
			t.Errorf("%s: %s", tt.body, res.body)
		}
		b.api(t, "POST", "/api/v1/preview/send", tt.body).must(t, 404)
	}
	res := b.api(t, "POST", "/api/v1/preview", `{"flow_id":"welcome","node":{"id":"start"}}`).must(t, 400)
	if !strings.Contains(res.body, "sends no message") {
		t.Fatalf("a trigger: %s", res.body)
	}
}

// signIn signs the test user in and returns the headers of its requests.
func signIn(t *testing.T, b *testBundle) []string {
	t.Helper()
	res := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	cookie := strings.SplitN(res.header.Get("Set-Cookie"), ";", 2)[0]
	return []string{"Cookie", cookie, "Sec-Fetch-Site", "same-origin"}
}

// A test email goes to the signed-in person, into the sandbox without an
// account, marked as a test and outside any journey.
func TestSendTestEmailToMe(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser)
	createFlow(welcomeFlow)(t, b)
	me := signIn(t, b)
	res := b.request(t, "POST", "/api/v1/preview/send", `{"flow_id":"welcome","node":{"id":"mail"}}`, me...).must(t, 200)
	var got struct {
		MessageID string `json:"message_id"`
		To        string
		Sandbox   bool
		Status    string
	}
	res.json(t, &got)
	if got.To != testEmail || !got.Sandbox || got.Status != "sandboxed" || got.MessageID == "" {
		t.Fatalf("send: %s", res.body)
	}
	var m storage.Message
	if err := storagetest.Take(b.store.Reader(), &m, storagetest.Where("id = ?", got.MessageID)); err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[Test] Welcome, Ada!" || m.To != testEmail || m.ContactID != nil || m.RunID != "" || m.FlowID != "" ||
		m.Status != "sandboxed" || !strings.Contains(m.Reason, `A test of the step "Welcome email" of the journey "Welcome"`) {
		t.Fatalf("stored message: %+v", m)
	}
	// API tokens have no address to send a test email to.
	res = b.api(t, "POST", "/api/v1/preview/send", `{"flow_id":"welcome","node":{"id":"mail"}}`).must(t, 400)
	if !strings.Contains(res.body, "sign in") {
		t.Fatalf("token: %s", res.body)
	}
}

func TestSendTestSMSNeedsANumber(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	res := b.api(t, "POST", "/api/v1/preview/send", `{"flow_id":"welcome","node":{"id":"sms"}}`).must(t, 400)
	if !strings.Contains(res.body, "+34600111222") {
		t.Fatalf("no number: %s", res.body)
	}
	res = b.api(t, "POST", "/api/v1/preview/send", `{"flow_id":"welcome","node":{"id":"sms"},"to":"+34600999888"}`).must(t, 200)
	var got map[string]any
	if err := json.Unmarshal([]byte(res.body), &got); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+34600999888" || got["sandbox"] != true {
		t.Fatalf("send: %s", res.body)
	}
}

// Viewers may preview, not send; test sends are limited per person.
func TestPreviewRolesAndLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	createFlow(welcomeFlow)(t, b)
	var viewer string
	err := b.store.Write(context.Background(), func(tx storage.Tx) error {
		var err error
		viewer, _, err = storage.CreateAPITokenWithRole(tx, "viewer", storage.RoleViewer, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	as := []string{"Authorization", "Bearer " + viewer}
	b.request(t, "POST", "/api/v1/preview", `{"flow_id":"welcome","node":{"id":"mail"}}`, as...).must(t, 200)
	b.request(t, "POST", "/api/v1/preview/send", `{"flow_id":"welcome","node":{"id":"sms"},"to":"+34600999888"}`, as...).must(t, http.StatusForbidden)

	send := `{"flow_id":"welcome","node":{"id":"sms"},"to":"+34600999888"}`
	for range 10 {
		b.api(t, "POST", "/api/v1/preview/send", send).must(t, 200)
	}
	b.api(t, "POST", "/api/v1/preview/send", send).must(t, http.StatusTooManyRequests)
}
