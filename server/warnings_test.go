package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/journeyhq/journey/flows"
)

// smsWithoutPhone is a webhook journey whose SMS has no phone to send to:
// valid, with one warning.
const smsWithoutPhone = `{"id": "welcome-sms", "name": "Welcome SMS", "nodes": [
  {"id": "hook", "type": "trigger.webhook", "name": "Signup", "params": {"path": "welcome-sms"}},
  {"id": "sms", "type": "message.sms", "name": "Send welcome SMS", "params": {"body": "Welcome!"}}
], "edges": [{"from": "hook", "to": "sms"}]}`

// checkWarning fails unless ws is the one warning of smsWithoutPhone.
func checkWarning(t *testing.T, where string, ws []flows.Problem) {
	t.Helper()
	if len(ws) != 1 {
		t.Fatalf("%s: %d warnings, want 1: %+v", where, len(ws), ws)
	}
	w := ws[0]
	if w.Severity != "warning" || w.Code != flows.CodeContactFieldMissing || w.NodeID != "sms" ||
		w.Journey != "Welcome SMS" || w.Step != "Send welcome SMS" ||
		!strings.HasPrefix(w.Message, `"Send welcome SMS" sends to the contact's phone number, but no step before it saves a phone number`) {
		t.Errorf("%s: the warning is %+v", where, w)
	}
}

// TestWarningsNeverBlock: a journey with only a warning validates, saves,
// publishes and imports; each answer carries the warning apart from the
// problems, with "severity":"warning".
func TestWarningsNeverBlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	type checked struct {
		Problems []flows.Problem `json:"problems"`
		Warnings []flows.Problem `json:"warnings"`
	}
	var v checked
	r := b.api(t, "POST", "/api/v1/flows/validate", smsWithoutPhone).must(t, http.StatusOK)
	r.json(t, &v)
	if len(v.Problems) != 0 || !strings.Contains(r.body, `"problems":[]`) || !strings.Contains(r.body, `"severity":"warning"`) {
		t.Fatalf("validate: %s", r.body)
	}
	checkWarning(t, "validate", v.Warnings)

	v = checked{}
	b.api(t, "POST", "/api/v1/flows", smsWithoutPhone).must(t, http.StatusCreated).json(t, &v)
	checkWarning(t, "create", v.Warnings)
	v = checked{}
	b.api(t, "GET", "/api/v1/flows/welcome-sms", "").must(t, http.StatusOK).json(t, &v)
	checkWarning(t, "get", v.Warnings)

	var pub struct {
		Version  int             `json:"version"`
		Warnings []flows.Problem `json:"warnings"`
	}
	b.api(t, "POST", "/api/v1/flows/welcome-sms/publish", "").must(t, http.StatusOK).json(t, &pub)
	if pub.Version != 1 {
		t.Fatalf("publish: version %d", pub.Version)
	}
	checkWarning(t, "publish", pub.Warnings)

	imported := strings.Replace(smsWithoutPhone, "welcome-sms", "welcome-sms-2", 2)
	var imp struct {
		Published bool            `json:"published"`
		Warnings  []flows.Problem `json:"warnings"`
	}
	b.api(t, "POST", "/api/v1/flows/import?publish=true", imported).must(t, http.StatusCreated).json(t, &imp)
	if !imp.Published {
		t.Fatal("import: not published")
	}
	checkWarning(t, "import", imp.Warnings)
}

// TestWarningsKeepTheErrorContract: errors answer as before (a 422 on
// publish and import listing only them, without a severity), and a
// document's warnings still come apart in validate.
func TestWarningsKeepTheErrorContract(t *testing.T) {
	t.Parallel()
	b := setup(t)
	broken := strings.Replace(smsWithoutPhone, `"name": "Welcome SMS",`, `"name": "Welcome SMS", "settings": {"time_zone": "Mars/Base"},`, 1)
	var v struct {
		Problems []flows.Problem `json:"problems"`
		Warnings []flows.Problem `json:"warnings"`
	}
	r := b.api(t, "POST", "/api/v1/flows/validate", broken).must(t, http.StatusOK)
	r.json(t, &v)
	if len(v.Problems) != 1 || v.Problems[0].Code != flows.CodeBadTimeZone || v.Problems[0].Severity != "" || strings.Contains(r.body, `"severity":"error"`) {
		t.Fatalf("validate: the problems are %s", r.body)
	}
	checkWarning(t, "validate", v.Warnings)
	r = b.api(t, "POST", "/api/v1/flows/import?publish=true", broken).must(t, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, flows.CodeBadTimeZone) || strings.Contains(r.body, flows.CodeContactFieldMissing) {
		t.Fatalf("import of a broken flow: %s", r.body)
	}
	b.api(t, "POST", "/api/v1/flows", broken).must(t, http.StatusCreated)
	r = b.api(t, "POST", "/api/v1/flows/welcome-sms/publish", "").must(t, http.StatusUnprocessableEntity)
	if !strings.Contains(r.body, `"code":"invalid_flow"`) || strings.Contains(r.body, "warning") {
		t.Fatalf("publish of a broken flow: %s", r.body)
	}
}
