package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// historyFlow starts on a webhook and sends an SMS with no account chosen.
const historyFlow = `{"id":"welcome","name":"Welcome","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"welcome"},"position":{"x":0,"y":0}},
 {"id":"wait","type":"wait.delay","name":"Wait 2 days","params":{"duration":"2d"},"position":{"x":0,"y":100}},
 {"id":"sms","type":"message.sms","name":"Send SMS","params":{"body":"Hi"},"position":{"x":0,"y":200}}],
 "edges":[{"from":"start","to":"wait"},{"from":"wait","to":"sms"}]}`

type versionsAnswer struct {
	Draft struct {
		SavedBy            *struct{ Type, Name string } `json:"saved_by"`
		UnpublishedChanges bool                         `json:"unpublished_changes"`
		Summary            string                       `json:"summary"`
	} `json:"draft"`
	Versions []struct {
		Version     int                          `json:"version"`
		PublishedBy *struct{ Type, Name string } `json:"published_by"`
		Summary     string                       `json:"summary"`
		Live        bool                         `json:"live"`
	} `json:"versions"`
}

// TestVersionHistoryAPI publishes two versions, changes the draft, and
// reads the history, one version, and the diffs between them.
func TestVersionHistoryAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows", historyFlow).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/welcome/publish", "").must(t, http.StatusOK)
	v2 := strings.Replace(historyFlow, `"duration":"2d"`, `"duration":"3d"`, 1)
	v2 = strings.Replace(v2, `"edges":[`, `"edges":[{"from":"sms","port":"failed","to":"mail"},`, 1)
	v2 = strings.Replace(v2, `"position":{"x":0,"y":200}}]`, `"position":{"x":0,"y":200}},
 {"id":"mail","type":"message.email","name":"Send email","params":{"to":"{{ contact.email }}","subject":"Hi","body":"Hello"},"position":{"x":0,"y":300}}]`, 1)
	b.api(t, "PUT", "/api/v1/flows/welcome", v2).must(t, http.StatusOK)
	b.api(t, "POST", "/api/v1/flows/welcome/publish", "").must(t, http.StatusOK)

	var got versionsAnswer
	b.api(t, "GET", "/api/v1/flows/welcome/versions", "").must(t, http.StatusOK).json(t, &got)
	if len(got.Versions) != 2 || got.Versions[0].Version != 2 || got.Versions[1].Version != 1 {
		t.Fatalf("versions = %+v, want 2 then 1", got.Versions)
	}
	if want := "Added “Send email”, changed “Wait 2 days” and “Send SMS”."; got.Versions[0].Summary != want {
		t.Errorf("v2 summary = %q, want %q", got.Versions[0].Summary, want)
	}
	if got.Versions[1].Summary != "First published version." || !got.Versions[0].Live || got.Versions[1].Live {
		t.Errorf("versions = %+v", got.Versions)
	}
	if by := got.Versions[0].PublishedBy; by == nil || by.Type != "token" || by.Name != "tests" {
		t.Errorf("published by = %+v, want the API token", by)
	}
	if got.Draft.UnpublishedChanges || got.Draft.Summary != "Same as version 2." {
		t.Errorf("draft = %+v, want the same as version 2", got.Draft)
	}

	// One version's document.
	res := b.api(t, "GET", "/api/v1/flows/welcome/versions/1", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"duration":"2d"`) || strings.Contains(res.body, `"mail"`) || !strings.Contains(res.body, `"version":1`) {
		t.Errorf("version 1 = %s", res.body)
	}
	b.api(t, "GET", "/api/v1/flows/welcome/versions/3", "").must(t, http.StatusNotFound)
	b.api(t, "GET", "/api/v1/flows/welcome/versions/x", "").must(t, http.StatusBadRequest)
	b.api(t, "GET", "/api/v1/flows/nope/versions", "").must(t, http.StatusNotFound)

	// The diff between them, setting by setting.
	res = b.api(t, "GET", "/api/v1/flows/welcome/diff?from=1&to=2", "").must(t, http.StatusOK)
	for _, want := range []string{`"added":[{"id":"mail","type":"message.email","label":"Send email"}]`,
		`"key":"duration","label":"For","before":"2d","after":"3d"`,
		`"kind":"next","key":"failed","label":"Not sent","after":["Send email"]`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("diff lacks %s: %s", want, res.body)
		}
	}

	// A change to the draft is an unpublished change, in the history, the
	// journey and the list.
	v3 := strings.Replace(v2, `"name":"Welcome"`, `"name":"Welcome series"`, 1)
	v3 = strings.Replace(v3, `{"from":"sms","port":"failed","to":"mail"},`, ``, 1)
	v3 = strings.Replace(v3, `"position":{"x":0,"y":200}},
 {"id":"mail","type":"message.email","name":"Send email","params":{"to":"{{ contact.email }}","subject":"Hi","body":"Hello"},"position":{"x":0,"y":300}}]`, `"position":{"x":0,"y":200}}]`, 1)
	res = b.api(t, "PUT", "/api/v1/flows/welcome", v3).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"unpublished_changes":true`) {
		t.Errorf("save answer lacks unpublished_changes: %s", res.body)
	}
	b.api(t, "GET", "/api/v1/flows/welcome/versions", "").must(t, http.StatusOK).json(t, &got)
	if !got.Draft.UnpublishedChanges || got.Draft.Summary != "Removed “Send email”, changed “Send SMS”, changed the journey’s settings." {
		t.Errorf("draft = %+v", got.Draft)
	}
	if got.Draft.SavedBy == nil || got.Draft.SavedBy.Name != "tests" {
		t.Errorf("saved by = %+v", got.Draft.SavedBy)
	}
	res = b.api(t, "GET", "/api/v1/flows/welcome/diff?from=2&to=draft", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"removed":[{"id":"mail"`) || !strings.Contains(res.body, `"key":"name","label":"name","before":"Welcome","after":"Welcome series"`) {
		t.Errorf("diff with the draft = %s", res.body)
	}
	if res := b.api(t, "GET", "/api/v1/flows/welcome/diff?from=1", "").must(t, http.StatusOK); !strings.Contains(res.body, `"to":"draft"`) {
		t.Errorf("to defaults to the draft: %s", res.body)
	}
	b.api(t, "GET", "/api/v1/flows/welcome/diff?from=soon&to=2", "").must(t, http.StatusBadRequest)
	b.api(t, "GET", "/api/v1/flows/welcome/diff?from=7&to=2", "").must(t, http.StatusNotFound)
	for _, url := range []string{"/api/v1/flows/welcome", "/api/v1/flows"} {
		if res := b.api(t, "GET", url, "").must(t, http.StatusOK); !strings.Contains(res.body, `"unpublished_changes":true`) {
			t.Errorf("GET %s lacks unpublished_changes: %s", url, res.body)
		}
	}

	// Restoring version 2 (its document saved as the draft) leaves nothing
	// unpublished.
	doc := b.api(t, "GET", "/api/v1/flows/welcome/versions/2", "").must(t, http.StatusOK).body
	def := doc[strings.Index(doc, `"definition":`)+len(`"definition":`) : len(doc)-1]
	res = b.api(t, "PUT", "/api/v1/flows/welcome", def).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"unpublished_changes":false`) {
		t.Errorf("after restoring v2: %s", res.body)
	}
}

// TestGoLiveChecks lists steps that only write to the sandbox outbox,
// steps whose account is missing, and a webhook address another active
// journey listens on (also a problem when the draft is saved).
func TestGoLiveChecks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows/import?publish=true", strings.Replace(helloFlow, `"path":"hello"`, `"path":"welcome"`, 1)).must(t, http.StatusCreated)
	withAccount := strings.Replace(historyFlow, `"body":"Hi"`, `"body":"Hi","credential":"no-such-account"`, 1)
	withAccount = strings.Replace(withAccount, `"position":{"x":0,"y":200}}]`, `"position":{"x":0,"y":200}},
 {"id":"mail","type":"message.email","name":"Send email","params":{"to":"{{ contact.email }}","subject":"Hi","body":"Hello"},"position":{"x":0,"y":300}}]`, 1)
	res := b.api(t, "POST", "/api/v1/flows", withAccount).must(t, http.StatusCreated)
	if !strings.Contains(res.body, `"code":"hook_path_taken","node_id":"start"`) {
		t.Errorf("saving a draft on a taken webhook path does not say so: %s", res.body)
	}
	var checks struct {
		Sandboxed       []struct{ NodeID, Step, Message string } `json:"sandboxed"`
		MissingAccounts []struct {
			NodeID  string `json:"node_id"`
			Step    string `json:"step"`
			Message string `json:"message"`
		} `json:"missing_accounts"`
		HookClashes []struct {
			NodeID  string `json:"node_id"`
			Message string `json:"message"`
		} `json:"hook_clashes"`
		UnpublishedChanges bool `json:"unpublished_changes"`
	}
	b.api(t, "GET", "/api/v1/flows/welcome/checks", "").must(t, http.StatusOK).json(t, &checks)
	if len(checks.Sandboxed) != 1 || checks.Sandboxed[0].Step != "Send email" || !strings.Contains(checks.Sandboxed[0].Message, "sandbox outbox") {
		t.Errorf("sandboxed = %+v, want the email step", checks.Sandboxed)
	}
	if len(checks.MissingAccounts) != 1 || checks.MissingAccounts[0].NodeID != "sms" || !strings.Contains(checks.MissingAccounts[0].Message, "no-such-account") {
		t.Errorf("missing accounts = %+v, want the SMS step", checks.MissingAccounts)
	}
	if len(checks.HookClashes) != 1 || checks.HookClashes[0].NodeID != "start" || !strings.Contains(checks.HookClashes[0].Message, `"hello"`) {
		t.Errorf("hook clashes = %+v, want the trigger", checks.HookClashes)
	}
	if checks.UnpublishedChanges {
		t.Errorf("a journey never published has no unpublished changes")
	}
	b.api(t, "GET", "/api/v1/flows/nope/checks", "").must(t, http.StatusNotFound)

	// Once the other journey is paused the address is free.
	b.api(t, "POST", "/api/v1/flows/hello/pause", "").must(t, http.StatusOK)
	b.api(t, "GET", "/api/v1/flows/welcome/checks", "").must(t, http.StatusOK).json(t, &checks)
	if len(checks.HookClashes) != 0 {
		t.Errorf("hook clashes after pausing the other journey = %+v", checks.HookClashes)
	}
}

// TestDraftSavesAreHistory saves a draft three times: the history lists
// each save (who, what it changed), a save's document can be read back,
// compared with the draft, and a deleted journey takes its saves along.
func TestDraftSavesAreHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows", historyFlow).must(t, http.StatusCreated)
	three := strings.Replace(historyFlow, `"duration":"2d"`, `"duration":"3d"`, 1)
	b.api(t, "PUT", "/api/v1/flows/welcome", three).must(t, http.StatusOK)
	renamed := strings.Replace(three, `"name":"Send SMS"`, `"name":"Text them"`, 1)
	b.api(t, "PUT", "/api/v1/flows/welcome", renamed).must(t, http.StatusOK)

	var got struct {
		Saves []struct {
			Revision int                          `json:"revision"`
			SavedBy  *struct{ Type, Name string } `json:"saved_by"`
			Summary  string                       `json:"summary"`
		} `json:"saves"`
	}
	b.api(t, "GET", "/api/v1/flows/welcome/versions", "").must(t, http.StatusOK).json(t, &got)
	if len(got.Saves) != 3 || got.Saves[0].Revision != 3 || got.Saves[2].Revision != 1 {
		t.Fatalf("saves = %+v, want revisions 3, 2, 1", got.Saves)
	}
	if got.Saves[1].Summary != "Changed “Wait 2 days”." || got.Saves[2].Summary != "The first save we kept." {
		t.Errorf("save summaries = %q, %q", got.Saves[1].Summary, got.Saves[2].Summary)
	}
	if by := got.Saves[0].SavedBy; by == nil || by.Name != "tests" {
		t.Errorf("saved by %+v, want the API token", by)
	}
	one := b.api(t, "GET", "/api/v1/flows/welcome/saves/1", "").must(t, http.StatusOK)
	if !strings.Contains(one.body, `"duration":"2d"`) || !strings.Contains(one.body, `"revision":1`) {
		t.Errorf("save 1 = %s", one.body)
	}
	diff := b.api(t, "GET", "/api/v1/flows/welcome/diff?from=save:1&to=draft", "").must(t, http.StatusOK)
	if !strings.Contains(diff.body, "Wait 2 days") {
		t.Errorf("diff from save 1 = %s", diff.body)
	}
	b.api(t, "GET", "/api/v1/flows/welcome/saves/9", "").must(t, http.StatusNotFound)
	b.api(t, "GET", "/api/v1/flows/welcome/saves/x", "").must(t, http.StatusBadRequest)
	b.api(t, "GET", "/api/v1/flows/welcome/diff?from=save:x", "").must(t, http.StatusBadRequest)

	b.api(t, "DELETE", "/api/v1/flows/welcome", "").must(t, http.StatusNoContent)
	b.api(t, "POST", "/api/v1/flows", historyFlow).must(t, http.StatusCreated)
	b.api(t, "GET", "/api/v1/flows/welcome/versions", "").must(t, http.StatusOK).json(t, &got)
	if len(got.Saves) != 1 {
		t.Errorf("a journey made again under the same id has %d saves, want its own 1", len(got.Saves))
	}
}
