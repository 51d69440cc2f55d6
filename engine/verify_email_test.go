package engine_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// tableChecker is an email checker answering from a table (valid for
// addresses it does not list).
type tableChecker struct {
	mu      sync.Mutex
	answers map[string]nodes.EmailCheck
	asked   int
}

func (c *tableChecker) CheckEmail(_ context.Context, addr string) nodes.EmailCheck {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked++
	a, ok := c.answers[addr]
	if !ok {
		a = nodes.EmailCheck{Status: nodes.EmailValid}
	}
	a.Email = addr
	return a
}

var verifyChecker = &tableChecker{answers: map[string]nodes.EmailCheck{
	"ana@gmial.com":  {Status: nodes.EmailRisky, Reason: "looks like a typo of gmail.com", Typo: true, Suggestion: "ana@gmail.com"},
	"bob@nx.test":    {Status: nodes.EmailInvalid, Reason: "the domain nx.test does not exist or receives no email"},
	"info@acme.test": {Status: nodes.EmailRisky, Reason: "a shared address (info@) rather than a person's", Role: true},
}}

// chatVerifyFlow checks a chat's address before saving the lead: valid and
// risky addresses are saved (and tagged), invalid ones are not.
const chatVerifyFlow = `{
  "id": "chat-verify", "name": "Chat with an email check",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "chat"}, "position": {"x":0,"y":0}},
    {"id": "check", "type": "contact.verify_email", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "save_good", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "save_risky", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "tag_risky", "type": "contact.tag", "params": {"add": ["check_address"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "start", "to": "check"},
    {"from": "check", "port": "valid", "to": "save_good"},
    {"from": "check", "port": "risky", "to": "save_risky"},
    {"from": "save_risky", "to": "tag_risky"}
  ]
}`

// signupVerifyFlow checks an existing contact's own address, and a later
// condition reads the result from the contact.
const signupVerifyFlow = `{
  "id": "signup-verify", "name": "Check a signup's address",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "check", "type": "contact.verify_email", "params": {}, "position": {"x":0,"y":0}},
    {"id": "is_risky", "type": "logic.if", "params": {"condition": "contact.fields.email_status == \"risky\""}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["risky_by_field"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "start", "to": "check"},
    {"from": "check", "port": "risky", "to": "is_risky"},
    {"from": "is_risky", "port": "yes", "to": "tag"}
  ]
}`

// stepOf returns the step of node in run.
func stepOf(t *testing.T, b *testBundle, runID, node string) storage.Step {
	t.Helper()
	steps, err := storage.RunSteps(b.store.Reader(), runID)
	if err != nil {
		t.Fatalf("steps: %v", err)
	}
	for _, s := range steps {
		if s.NodeID == node {
			return s
		}
	}
	t.Fatalf("run %s has no step %q (steps: %+v)", runID, node, steps)
	return storage.Step{}
}

func contactFields(t *testing.T, b *testBundle, email string) (map[string]any, *storage.ContactView) {
	t.Helper()
	c, err := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: email})
	if err != nil {
		t.Fatalf("find contact %s: %v", email, err)
	}
	v, err := storage.GetContact(b.store.Reader(), c.ID)
	if err != nil {
		t.Fatalf("get contact: %v", err)
	}
	fields := map[string]any{}
	if v.Fields != "" {
		if err := json.Unmarshal([]byte(v.Fields), &fields); err != nil {
			t.Fatalf("fields %q: %v", v.Fields, err)
		}
	}
	return fields, v
}

func TestVerifyEmailStepRoutesAndKeepsTheResult(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, emailChecker: verifyChecker})
		b.publish(t, chatVerifyFlow)
		b.publish(t, signupVerifyFlow)

		for _, tc := range []struct {
			email, port string
			saved       bool
		}{
			{"ana@example.com", "valid", true},
			{"ana@gmial.com", "risky", true},
			{"bob@nx.test", "invalid", false},
		} {
			runs := b.hook(t, "chat", map[string]any{"email": tc.email})
			if len(runs) != 1 {
				t.Fatalf("%s: started %v, want one run", tc.email, runs)
			}
			b.drain(t)
			if r := b.run(t, runs[0]); r.Status != storage.RunCompleted {
				t.Fatalf("%s: run %s, want completed (%s)", tc.email, r.Status, r.Error)
			}
			if s := stepOf(t, b, runs[0], "check"); s.Port != tc.port {
				t.Fatalf("%s: the check took %q, want %q (output %s)", tc.email, s.Port, tc.port, s.Output)
			}
			_, err := storage.FindContact(b.store.Reader(), storage.ContactRef{Email: tc.email})
			if saved := err == nil; saved != tc.saved {
				t.Fatalf("%s: contact saved = %v, want %v (%v)", tc.email, saved, tc.saved, err)
			}
		}
		// The risky address was saved with the check's result.
		fields, v := contactFields(t, b, "ana@gmial.com")
		if fields["email_status"] != "risky" || fields["email_check_reason"] != "looks like a typo of gmail.com" {
			t.Fatalf("the saved contact's fields are %v, want the check's result", fields)
		}
		if len(v.Tags) != 1 || v.Tags[0] != "check_address" {
			t.Fatalf("tags %v, want the risky path's tag", v.Tags)
		}
		if fields, _ := contactFields(t, b, "ana@example.com"); fields["email_status"] != "valid" {
			t.Fatalf("the valid address's contact has fields %v", fields)
		}

		// An existing contact's own address: the result lands on the
		// contact in the step's transaction, and the next step reads it.
		res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "info@acme.test"}})
		b.drain(t)
		if r := b.run(t, res.Started[0]); r.Status != storage.RunCompleted {
			t.Fatalf("signup run %s (%s)", r.Status, r.Error)
		}
		fields, v = contactFields(t, b, "info@acme.test")
		if fields["email_status"] != "risky" || fields["email_check_reason"] != "a shared address (info@) rather than a person's" {
			t.Fatalf("the contact's fields are %v, want the check's result", fields)
		}
		if len(v.Tags) != 1 || v.Tags[0] != "risky_by_field" {
			t.Fatalf("tags %v: the condition after the check did not see contact.fields.email_status", v.Tags)
		}
	})
}
