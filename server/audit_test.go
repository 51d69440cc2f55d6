package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// auditPage is the answer of GET /api/v1/audit.
type auditPage struct {
	Entries []struct {
		ID        int64
		At        string
		Actor     struct{ Type, ID, Name string }
		Action    string
		Entity    struct{ Type, ID string }
		Summary   string
		RequestID string `json:"request_id"`
	}
	Next int64
}

// TestAuditLog changes journeys, credentials, tokens, users and a
// contact as an API token and as a signed-in user, then reads who did
// what from GET /api/v1/audit, which holds no secret and is for admins
// only.
func TestAuditLog(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t, withUser)
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	user := []string{"Cookie", strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0], "Sec-Fetch-Site", "same-origin"}

	// As the API token "tests".
	b.api(t, "POST", "/api/v1/flows", helloFlow).must(t, http.StatusCreated)
	b.api(t, "PUT", "/api/v1/flows/hello", strings.Replace(helloFlow, `"name":"Hello"`, `"name":"Hello again"`, 1)).must(t, 200)
	b.api(t, "POST", "/api/v1/flows/hello/publish", "").must(t, 200)
	b.api(t, "POST", "/api/v1/flows/import?dry_run=true", signedFlow).must(t, 200) // changes nothing: no entry
	b.api(t, "POST", "/api/v1/flows/import?publish=true", signedFlow).must(t, http.StatusCreated)
	// As the signed-in admin.
	b.request(t, "POST", "/api/v1/flows/hello/pause", "", user...).must(t, 200)
	b.request(t, "DELETE", "/api/v1/flows/hello", "", user...).must(t, http.StatusNoContent)
	var cred struct{ Credential struct{ ID string } }
	b.request(t, "POST", "/api/v1/credentials", `{"name":"Mail","kind":"smtp","fields":{"host":"h","port":25,"from_email":"a@example.com","password":"`+smtpSecret+`"}}`, user...).
		must(t, http.StatusCreated).json(t, &cred)
	b.request(t, "PUT", "/api/v1/credentials/"+cred.Credential.ID, `{"name":"Mail","fields":{"host":"h","port":25,"from_email":"a@example.com","password":"new-`+smtpSecret+`"}}`, user...).
		must(t, 200)
	b.request(t, "DELETE", "/api/v1/credentials/"+cred.Credential.ID, "", user...).must(t, http.StatusNoContent)
	var tok struct{ ID, Token string }
	b.request(t, "POST", "/api/v1/tokens", `{"name":"zapier","role":"editor"}`, user...).must(t, http.StatusCreated).json(t, &tok)
	b.request(t, "DELETE", "/api/v1/tokens/"+tok.ID, "", user...).must(t, http.StatusNoContent)
	var added struct{ User struct{ ID string } }
	b.request(t, "POST", "/api/v1/users", `{"email":"ann@example.com","password":"anns password","role":"viewer"}`, user...).
		must(t, http.StatusCreated).json(t, &added)
	b.request(t, "DELETE", "/api/v1/users/"+added.User.ID, "", user...).must(t, http.StatusNoContent)
	var ev struct {
		ContactID string `json:"contact_id"`
	}
	b.api(t, "POST", "/api/v1/events", `{"type":"signed_up","contact":{"email":"erase.me@example.com"}}`).must(t, http.StatusAccepted).json(t, &ev)
	b.api(t, "DELETE", "/api/v1/contacts/"+ev.ContactID, "").must(t, http.StatusNoContent)
	// Failed changes leave no entry.
	b.api(t, "DELETE", "/api/v1/flows/nothing-here", "").must(t, http.StatusNotFound)
	b.api(t, "POST", "/api/v1/tokens", `{"name":""}`).must(t, http.StatusBadRequest)

	res := b.api(t, "GET", "/api/v1/audit", "").must(t, 200)
	for _, secret := range []string{smtpSecret, tok.Token, testPassword, "anns password", "erase.me@example.com"} {
		if strings.Contains(res.body, secret) {
			t.Errorf("the audit log holds %q: %s", secret, res.body)
		}
	}
	var all auditPage
	res.json(t, &all)
	var got []string
	for i := len(all.Entries) - 1; i >= 0; i-- { // oldest first, to read
		e := all.Entries[i]
		got = append(got, e.Actor.Type+":"+e.Actor.Name+" "+e.Action+" "+e.Entity.Type+":"+e.Entity.ID)
		if e.At == "" || e.RequestID == "" || e.Summary == "" || e.Actor.ID == "" {
			t.Errorf("entry %+v lacks when, request id, summary or actor id", e)
		}
	}
	want := []string{
		"token:tests create flow:hello",
		"token:tests update flow:hello",
		"token:tests publish flow:hello",
		"token:tests import flow:signed",
		"user:" + testEmail + " pause flow:hello",
		"user:" + testEmail + " delete flow:hello",
		"user:" + testEmail + " create credential:" + cred.Credential.ID,
		"user:" + testEmail + " update credential:" + cred.Credential.ID,
		"user:" + testEmail + " delete credential:" + cred.Credential.ID,
		"user:" + testEmail + " create token:" + tok.ID,
		"user:" + testEmail + " delete token:" + tok.ID,
		"user:" + testEmail + " create user:" + added.User.ID,
		"user:" + testEmail + " delete user:" + added.User.ID,
		"token:tests erase contact:" + ev.ContactID,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range all.Entries {
		switch e.Action + " " + e.Entity.Type {
		case "publish flow":
			if e.Summary != "published version 1" {
				t.Errorf("publish summary %q", e.Summary)
			}
		case "update credential":
			if !strings.Contains(e.Summary, "replaced secret password") {
				t.Errorf("credential update summary %q does not say the secret changed", e.Summary)
			}
		case "create token":
			if e.Summary != `created API token "zapier" with role editor` {
				t.Errorf("token summary %q", e.Summary)
			}
		}
	}

	// Filters and paging.
	var flows auditPage
	b.api(t, "GET", "/api/v1/audit?entity=flow:hello", "").must(t, 200).json(t, &flows)
	if len(flows.Entries) != 5 {
		t.Errorf("entity=flow:hello: %d entries, want 5", len(flows.Entries))
	}
	var byUser auditPage
	b.api(t, "GET", "/api/v1/audit?entity=credential&actor="+testEmail, "").must(t, 200).json(t, &byUser)
	if len(byUser.Entries) != 3 {
		t.Errorf("credential changes by %s: %d, want 3", testEmail, len(byUser.Entries))
	}
	var first, second auditPage
	b.api(t, "GET", "/api/v1/audit?limit=2", "").must(t, 200).json(t, &first)
	if len(first.Entries) != 2 || first.Next == 0 {
		t.Fatalf("limit=2: %+v", first)
	}
	b.api(t, "GET", "/api/v1/audit?limit=2&before="+strconv.FormatInt(first.Next, 10), "").must(t, 200).json(t, &second)
	if len(second.Entries) != 2 || second.Entries[0].ID >= first.Entries[1].ID {
		t.Fatalf("second page: %+v after %+v", second, first)
	}
	b.api(t, "GET", "/api/v1/audit?entity=run", "").must(t, http.StatusBadRequest)
	b.api(t, "GET", "/api/v1/audit?limit=0", "").must(t, http.StatusBadRequest)
}
