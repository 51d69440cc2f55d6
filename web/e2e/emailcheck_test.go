package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// e2eResolver answers the email checks' DNS questions: the domains below
// receive mail, every other domain does not exist.
type e2eResolver struct{}

var e2eMailDomains = map[string]bool{"example.com.": true, "gmial.com.": true, "gmail.com.": true}

func (e2eResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if e2eMailDomains[name] {
		return []*net.MX{{Host: "mx." + name, Pref: 10}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (e2eResolver) LookupHost(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// emailCheckFlow checks a chat's address before saving the lead.
const emailCheckFlow = `{
  "id": "chat-email-check", "name": "Chat lead with an email check",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "name": "Chat finished", "params": {"path": "chat-check"}, "position": {"x": 0, "y": 0}},
    {"id": "check", "type": "contact.verify_email", "name": "Check the email address", "params": {"email": "{{ trigger.email }}"}, "position": {"x": 0, "y": 120}},
    {"id": "save", "type": "crm.upsert_contact", "name": "Save the lead", "params": {"email": "{{ trigger.email }}", "name": "{{ trigger.name }}"}, "position": {"x": 0, "y": 240}}
  ],
  "edges": [
    {"from": "start", "to": "check"},
    {"from": "check", "port": "valid", "to": "save"},
    {"from": "check", "port": "risky", "to": "save"}
  ]
}`

// A chat lead with a mistyped address is saved with the check's result,
// and the contact's page says it in plain words.
func TestContactProfileShowsTheEmailCheck(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	body, _ := json.Marshal(map[string]any{"flow": json.RawMessage(emailCheckFlow), "publish": true})
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows/import', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, body)); st != http.StatusCreated {
		t.Fatalf("import: HTTP %d", st)
	}
	if st := post(t, a.url+"/hooks/chat-check", `{"email":"ana@gmial.com","name":"Ana Ruiz"}`); st != http.StatusAccepted {
		t.Fatalf("webhook: HTTP %d", st)
	}
	b.waitJS("the saved lead", `fetch('/api/v1/contacts?search=gmial').then(r => r.json()).then(m => (m.contacts || []).length === 1)`)

	b.clickText("Contacts")
	b.waitJS("the contact list", `document.body.innerText.includes('Ana Ruiz')`)
	b.clickText("Ana Ruiz")
	b.waitJS("the profile's email check", `!!document.querySelector('[data-testid="email-check"]')`)
	got := b.text(`[data-testid="email-check"]`)
	if got != "risky — looks like a typo of gmail.com" {
		t.Fatalf("the profile says %q about the email", got)
	}
	if page := eval[string](b, `document.body.innerText`); strings.Contains(page, "email_status") {
		t.Error("the profile shows the raw email_status field as well")
	}
	b.checkAxe("the contact's profile")
	b.shot("contact-email-check")
}
