package nodes_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// fakeChecker answers from a table and records what it was asked.
type fakeChecker struct {
	answers map[string]nodes.EmailCheck
	mu      sync.Mutex
	asked   []string
}

func (f *fakeChecker) CheckEmail(_ context.Context, addr string) nodes.EmailCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, addr)
	c, ok := f.answers[addr]
	if !ok {
		return nodes.EmailCheck{Email: addr, Status: nodes.EmailValid}
	}
	c.Email = addr
	return c
}

// runVerify runs contact.verify_email with params and checker.
func (b *testBundle) runVerify(t *testing.T, params map[string]any, checker nodes.EmailChecker) (nodes.Result, error) {
	t.Helper()
	n := b.compile(t, nodes.TypeVerifyEmail, params)
	typ, _ := b.reg.Lookup(nodes.TypeVerifyEmail, 1)
	if !typ.Remote {
		t.Fatal("contact.verify_email must be Remote: it looks up DNS, which must not run inside the step's transaction")
	}
	in := &nodes.Input{Node: n, Env: b.env, RunID: "run1", Visit: 1, Attempt: 1, Key: "run1:n:1", EmailChecker: checker}
	return typ.Handler.Run(context.Background(), in)
}

func TestVerifyEmailPortsAndVars(t *testing.T) {
	t.Parallel()
	checker := &fakeChecker{answers: map[string]nodes.EmailCheck{
		"ana@gmial.com": {Status: nodes.EmailRisky, Reason: "looks like a typo of gmail.com", Typo: true, Suggestion: "ana@gmail.com"},
		"bob@nx.test":   {Status: nodes.EmailInvalid, Reason: "the domain nx.test does not exist or receives no email"},
	}}
	for _, tc := range []struct {
		email, port, reason, suggestion string
	}{
		{"Ana@Example.com ", nodes.PortEmailValid, "", ""},
		{"ana@gmial.com", nodes.PortEmailRisky, "looks like a typo of gmail.com", "ana@gmail.com"},
		{"bob@nx.test", nodes.PortEmailInvalid, "the domain nx.test does not exist or receives no email", ""},
	} {
		t.Run(tc.email, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Trigger["email"] = tc.email
			res, err := b.runVerify(t, map[string]any{"email": "{{ trigger.email }}"}, checker)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Port != tc.port {
				t.Fatalf("port %q, want %q", res.Port, tc.port)
			}
			if res.Vars["email_status"] != tc.port || res.Vars["email_check_reason"] != tc.reason || res.Vars["email_suggestion"] != tc.suggestion {
				t.Errorf("vars %v, want status %q, reason %q, suggestion %q", res.Vars, tc.port, tc.reason, tc.suggestion)
			}
			if res.Output["status"] != tc.port || res.Output["reason"] != tc.reason {
				t.Errorf("output %v", res.Output)
			}
			if res.ContactFields != nil {
				t.Errorf("no contact yet, but the step asks to save %v on one", res.ContactFields)
			}
		})
	}
}

func TestVerifyEmailKeepsTheResultOnTheContact(t *testing.T) {
	t.Parallel()
	checker := &fakeChecker{answers: map[string]nodes.EmailCheck{
		"info@acme.test": {Status: nodes.EmailRisky, Reason: "a shared address (info@) rather than a person's", Role: true},
	}}
	b := setup(t)
	b.withContact(nodestest.Contact{Email: "info@acme.test"})
	// The default checks the contact's own address.
	res, err := b.runVerify(t, map[string]any{}, checker)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !reflect.DeepEqual(checker.asked, []string{"info@acme.test"}) {
		t.Fatalf("checked %v, want the contact's email", checker.asked)
	}
	want := map[string]any{"email_status": "risky", "email_check_reason": "a shared address (info@) rather than a person's"}
	if !reflect.DeepEqual(res.ContactFields, want) {
		t.Fatalf("contact fields %v, want %v", res.ContactFields, want)
	}

	// Another address is checked, but it is not the contact's: the
	// contact keeps nothing.
	b.env.Trigger["email"] = "someone@else.test"
	res, err = b.runVerify(t, map[string]any{"email": "{{ trigger.email }}"}, checker)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.ContactFields != nil {
		t.Fatalf("the result for another address was kept on the contact: %v", res.ContactFields)
	}
}

func TestVerifyEmailPlainErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.runVerify(t, map[string]any{"email": "{{ trigger.email }}"}, &fakeChecker{})
	wantPermanent(t, err, "came out empty")
	b.env.Trigger["email"] = "ana@example.com"
	_, err = b.runVerify(t, map[string]any{"email": "{{ trigger.email }}"}, nil)
	wantPermanent(t, err, "email checking is not available")
}

func TestUpsertKeepsAnEarlierEmailCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger["email"] = "Ana@Gmial.com"
	checker := &fakeChecker{answers: map[string]nodes.EmailCheck{
		"ana@gmial.com": {Status: nodes.EmailRisky, Reason: "looks like a typo of gmail.com", Suggestion: "ana@gmail.com"},
	}}
	res, err := b.runVerify(t, map[string]any{"email": "{{ trigger.email }}"}, checker)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for k, v := range res.Vars {
		b.env.Vars[k] = v
	}
	up, err := b.run(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}"})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	c, _ := b.store.Contact(up.ContactID)
	if c.Fields["email_status"] != "risky" || c.Fields["email_check_reason"] != "looks like a typo of gmail.com" {
		t.Fatalf("the saved contact's fields are %v, want the email check's result", c.Fields)
	}

	// A different address saved later does not get the check's result.
	b.env.Trigger["email"] = "other@example.com"
	up, err = b.runNode(t, b.compile(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}"}), "run1:n:2")
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	if up.ContactID == c.ID {
		t.Fatal("the second address found the first contact")
	}
	if c, _ := b.store.Contact(up.ContactID); c.Fields["email_status"] != nil {
		t.Fatalf("another address got the check's result: %v", c.Fields)
	}
}
