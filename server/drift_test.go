package server_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// driftFlow reads Drift webhooks on /hooks/drift and requires the CHATBOT
// secret (Drift's verification token, kept on the server).
const driftFlow = `{"id":"drift","name":"Drift leads","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"drift","preset":"drift","secret_env":"CHATBOT"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","params":{"email":"{{ trigger.email }}","first_name":"{{ trigger.first_name }}"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"save"}]}`

// TestDriftVerificationToken: a Drift webhook is accepted when its
// X-Verification-Token is the trigger's secret (or when it carries a
// valid X-Signature-256), refused with a 401 otherwise; the token only
// counts for the Drift preset, and it never reaches the run.
func TestDriftVerificationToken(t *testing.T) {
	t.Parallel()
	sample, err := os.ReadFile("../nodes/connectors/chatpresets/samples/drift-contact-identified.json")
	if err != nil {
		t.Fatal(err)
	}
	body := string(sample)
	b := setup(t, withPresets)
	publishFlow(driftFlow, "drift")(t, b)
	publishFlow(signedFlow, "signed")(t, b)

	refused := []struct {
		name, path string
		headers    []string
	}{
		{"no token", "/hooks/drift", nil},
		{"a wrong token", "/hooks/drift", []string{"X-Verification-Token", "guess"}},
		{"the secret with a space more", "/hooks/drift", []string{"X-Verification-Token", hookSecret + "x"}},
		{"the token in the body only (the sample's token is not the secret)", "/hooks/drift", nil},
		{"a verification token on a webhook without the Drift preset", "/hooks/signed", []string{"X-Verification-Token", hookSecret}},
	}
	for _, c := range refused {
		res := b.request(t, "POST", c.path, body, c.headers...)
		if res.status != http.StatusUnauthorized || strings.Contains(res.body, hookSecret) {
			t.Errorf("%s: %d %s, want 401 without the secret", c.name, res.status, res.body)
		}
	}

	ok := b.request(t, "POST", "/hooks/drift", body, "X-Verification-Token", hookSecret).must(t, http.StatusAccepted)
	var started struct{ Runs []string }
	ok.json(t, &started)
	if len(started.Runs) != 1 {
		t.Fatalf("the signed Drift webhook started %d runs: %s", len(started.Runs), ok.body)
	}
	signed := b.request(t, "POST", "/hooks/drift", body, "X-Signature-256", signAt(body, hookSecret, unix(0)))
	signed.must(t, http.StatusAccepted)

	run := b.finishedRun(t, started.Runs[0])
	if !strings.Contains(run, `"email": "priya.nair@example.com"`) || !strings.Contains(run, `"channel": "drift"`) {
		t.Errorf("the run did not get the lead's fields:\n%s", run)
	}
	for _, secret := range []string{hookSecret, "sample-verification-token"} {
		if strings.Contains(run, secret) {
			t.Errorf("a verification token is stored with the run:\n%s", run)
		}
	}
	if strings.Contains(b.logs.String(), hookSecret) {
		t.Errorf("the secret is in the logs")
	}
}
