package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// teamWelcome is the welcome template as a team keeps it in git: its
// email step names the team's SMTP account, which this server lacks; its
// SMS step names none (the sandbox).
func teamWelcome(t *testing.T) string {
	t.Helper()
	doc := templateJSON(t, "welcome-no-open-sms")
	out := strings.Replace(doc, `"subject": "Welcome, {{ contact.first_name }}!",`,
		`"subject": "Welcome, {{ contact.first_name }}!", "credential": "smtp-team",`, 1)
	if out == doc {
		t.Fatal("the welcome template changed: cannot name an account on its email step")
	}
	return out
}

func TestImportWithMissingCredentialsKeepsADraftAndSaysWhatToAdd(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// The API import with publish stores a draft and names the account.
	res := b.api(t, "POST", "/api/v1/flows/import?publish=true", teamWelcome(t)).must(t, http.StatusCreated)
	for _, want := range []string{`"published":false`, `"version":0`, `"needs_credentials":[`, `"code":"missing_credential"`,
		`"node_id":"welcome_email"`, `"param":"credential"`, `the account \"smtp-team\"`, `kind \"smtp\"`,
		`"sandbox_steps":["sms_reminder"]`} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("import answer lacks %s:\n%s", want, res.body)
		}
	}
	if res := b.api(t, "GET", "/api/v1/flows/welcome-no-open-sms", "").must(t, http.StatusOK); !strings.Contains(res.body, `"status":"draft"`) ||
		!strings.Contains(res.body, `"code":"missing_credential"`) {
		t.Fatalf("the flow is not a draft showing the missing account: %s", res.body)
	}
	// Publishing it from the editor is refused with the same reason.
	res = b.api(t, "POST", "/api/v1/flows/welcome-no-open-sms/publish", "").must(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, `"code":"missing_credential"`) || !strings.Contains(res.body, `"node_id":"welcome_email"`) {
		t.Fatalf("publish answered %s", res.body)
	}

	// Once the team adds its account and chooses it, it publishes.
	res = b.api(t, "POST", "/api/v1/credentials",
		`{"name":"Team mail","kind":"smtp","fields":{"host":"127.0.0.1","port":2525,"username":"u","password":"pw","from_email":"team@example.com"}}`).
		must(t, http.StatusCreated)
	var created struct {
		Credential struct{ ID string } `json:"credential"`
	}
	res.json(t, &created)
	fixed := strings.Replace(teamWelcome(t), `"smtp-team"`, `"`+created.Credential.ID+`"`, 1)
	res = b.api(t, "POST", "/api/v1/flows/import?publish=true", fixed).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"published":true`) || strings.Contains(res.body, "needs_credentials") {
		t.Fatalf("import with the account: %s", res.body)
	}
}

func TestTemplatePickerShowsMissingCredentialsOnTheDraft(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The editor's "use this template" creates a draft from the template.
	res := b.api(t, "POST", "/api/v1/flows", teamWelcome(t)).must(t, http.StatusCreated)
	for _, want := range []string{`"status":"draft"`, `"code":"missing_credential"`, `"node_id":"welcome_email"`, `kind \"smtp\"`} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("create answer lacks %s:\n%s", want, res.body)
		}
	}
	b.api(t, "POST", "/api/v1/flows/welcome-no-open-sms/publish", "").must(t, http.StatusUnprocessableEntity)

	// The draft can still be tried: the missing account's step sends to
	// the sandbox outbox instead.
	b.startEngine(t)
	res = b.api(t, "POST", "/api/v1/flows/welcome-no-open-sms/test", `{"email":"tess@example.com","name":"Tess Tester","phone":"+34600111222"}`).
		must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"waiting"`) || strings.Contains(res.body, "does not exist") {
		t.Fatalf("test run: %s", res.body)
	}
	// A test's messages are test data: the inbox shows them when asked,
	// labelled.
	res = b.api(t, "GET", "/api/v1/messages?include_test=true", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"sandboxed"`) || !strings.Contains(res.body, "Welcome, Tess!") ||
		!strings.Contains(res.body, `"test":true`) {
		t.Fatalf("outbox after the test run: %s", res.body)
	}
}

func TestTemplateWithoutCredentialsPublishesAndSendsToTheSandbox(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.api(t, "POST", "/api/v1/flows/import?publish=true", templateJSON(t, "welcome-no-open-sms")).must(t, http.StatusCreated)
	if !strings.Contains(res.body, `"published":true`) || strings.Contains(res.body, "needs_credentials") ||
		!strings.Contains(res.body, `"sandbox_steps":["welcome_email","sms_reminder"]`) {
		t.Fatalf("import answered %s", res.body)
	}
	b.request(t, "POST", "/hooks/welcome-signup", `{"email":"ana@example.com","name":"Ana Ruiz","phone":"+34600111222"}`).must(t, http.StatusAccepted)
	b.drain(t)
	res = b.api(t, "GET", "/api/v1/messages", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"sandboxed"`) || !strings.Contains(res.body, "Welcome, Ana!") {
		t.Fatalf("outbox: %s", res.body)
	}
}

// A team's chat journey names its Slack account, which this server lacks:
// it imports as a draft saying what to add, and a test run of the draft
// keeps the post to sales in the sandbox outbox, as message steps do.
func TestSlackStepWithAMissingAccountIsTriedInTheSandbox(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "chat-lead-qualification")
	team := strings.Replace(doc, `"channel": "#sales"`, `"channel": "#sales", "credential": "slack-team"`, 1)
	if team == doc {
		t.Fatal("the chat template changed: cannot name an account on its Slack step")
	}
	res := b.api(t, "POST", "/api/v1/flows/import?publish=true", team).must(t, http.StatusCreated)
	for _, want := range []string{`"published":false`, `"code":"missing_credential"`, `"node_id":"notify_sales"`,
		`the account \"slack-team\"`, `kind \"slack\"`, "or clear the field to keep what it sends in the sandbox outbox"} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("import answer lacks %s:\n%s", want, res.body)
		}
	}

	b.startEngine(t)
	res = b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test",
		`{"email":"tess@example.com","name":"Tess Tester","company":"Acme","score":90,"transcript":"A demo, please."}`).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"completed"`) {
		t.Fatalf("test run: %s", res.body)
	}
	res = b.api(t, "GET", "/api/v1/messages?channel=slack&include_test=true", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"sandboxed"`) || !strings.Contains(res.body, `"test":true`) || !strings.Contains(res.body, "Tess Tester (tess@example.com), Acme, score 90") {
		t.Fatalf("outbox after the test run: %s", res.body)
	}
}
