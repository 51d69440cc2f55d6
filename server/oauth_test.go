package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
	"github.com/journeyhq/journey/storage"
)

func withVendors(o *setupOptions) { o.vendors = true }

// TestConnectSalesforce is Settings' Connect end to end: the signed-in
// admin starts it, the in-test authorization server sends the browser
// back to /oauth/callback with a code, the server exchanges it (PKCE
// checked by the authorization server) and stores the tokens sealed; the
// API never shows them, and Settings gets "Connected to Salesforce as …".
func TestConnectSalesforce(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser, withVendors)
	authz := oauthtest.New(t, "cid", "csecret")
	authz.Extra["instance_url"] = "self"
	authz.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"preferred_username":"ana@acme.com"}`))
	})
	me := signIn(t, b)
	var created struct {
		Credential struct {
			ID         string `json:"id"`
			Connection struct{ Status string }
		}
	}
	b.request(t, "POST", "/api/v1/credentials", `{"name":"Acme","kind":"salesforce","fields":{"client_id":"cid","client_secret":"csecret","login_url":"`+authz.URL+`"}}`, me...).
		must(t, 201).json(t, &created)
	id := created.Credential.ID
	if created.Credential.Connection.Status != "not_connected" {
		t.Fatalf("new credential %+v", created.Credential)
	}

	// An API token cannot connect: the vendor sends a browser back.
	b.api(t, "POST", "/api/v1/credentials/"+id+"/connect", "").must(t, 400)

	var started struct {
		URL         string `json:"url"`
		RedirectURL string `json:"redirect_url"`
	}
	b.request(t, "POST", "/api/v1/credentials/"+id+"/connect", "", me...).must(t, 200).json(t, &started)
	if started.RedirectURL != "https://journeys.example.com/oauth/callback" {
		t.Fatalf("redirect %q", started.RedirectURL)
	}
	// The vendor's page: the user agrees, the browser comes back.
	code, state, _ := authz.Issue(started.URL)
	callback := "/oauth/callback?" + url.Values{"code": {code}, "state": {state}}.Encode()

	// Without the session of who pressed Connect, nothing happens.
	back := b.request(t, "GET", callback, "").must(t, http.StatusSeeOther)
	if loc := back.header.Get("Location"); !strings.HasPrefix(loc, "/settings?") || !strings.Contains(loc, "connect_error=") {
		t.Fatalf("no session: %s", loc)
	}
	back = b.request(t, "GET", callback, "", me...).must(t, http.StatusSeeOther)
	loc, _ := url.Parse(back.header.Get("Location"))
	if loc.Path != "/settings" || loc.Query().Get("connected") != "Connected to Salesforce as ana@acme.com." || loc.Query().Get("credential") != id {
		t.Fatalf("callback sent the browser to %s", loc)
	}
	// The same callback again (a reload, a replay) is refused.
	again := b.request(t, "GET", callback, "", me...).must(t, http.StatusSeeOther)
	if !strings.Contains(again.header.Get("Location"), "connect_error=") {
		t.Fatalf("replayed callback: %s", again.header.Get("Location"))
	}

	for _, path := range []string{"/api/v1/credentials", "/api/v1/credentials/" + id} {
		body := b.request(t, "GET", path, "", me...).must(t, 200).body
		if !strings.Contains(body, `"status":"connected"`) || !strings.Contains(body, "ana@acme.com") {
			t.Errorf("%s: %s", path, body)
		}
		for _, secret := range []string{"refresh-1", authz.LastAccess, "csecret", "oauth_"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q: %s", path, secret, body)
			}
		}
	}
	if strings.Contains(b.logs.String(), "refresh-1") {
		t.Error("the refresh token reached the logs")
	}
	entries, err := storage.ListAudit(b.store.Reader(), storage.AuditQuery{EntityType: storage.AuditCredential, EntityID: id})
	if err != nil || len(entries) == 0 || entries[0].Summary != "connected the credential" || entries[0].ActorName != testEmail {
		t.Fatalf("audit %+v %v", entries, err)
	}
}

// The vendor's refusal (the admin pressed Deny) comes back as a plain
// message in Settings, and nothing is connected.
func TestConnectRefusedAtTheVendor(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser, withVendors)
	me := signIn(t, b)
	var created struct{ Credential struct{ ID string } }
	b.request(t, "POST", "/api/v1/credentials", `{"name":"Acme","kind":"salesforce","fields":{"client_id":"cid","client_secret":"csecret"}}`, me...).
		must(t, 201).json(t, &created)
	var started struct {
		URL string `json:"url"`
	}
	b.request(t, "POST", "/api/v1/credentials/"+created.Credential.ID+"/connect", "", me...).must(t, 200).json(t, &started)
	u, _ := url.Parse(started.URL)
	if u.Host != "login.salesforce.com" || u.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize URL %s", started.URL)
	}
	back := b.request(t, "GET", "/oauth/callback?"+url.Values{"error": {"access_denied"}, "error_description": {"end-user denied authorization"},
		"state": {u.Query().Get("state")}}.Encode(), "", me...).must(t, http.StatusSeeOther)
	loc, _ := url.Parse(back.header.Get("Location"))
	if msg := loc.Query().Get("connect_error"); !strings.Contains(msg, "end-user denied authorization") || loc.Query().Get("credential") != created.Credential.ID {
		t.Fatalf("refusal sent the browser to %s", loc)
	}
	body := b.request(t, "GET", "/api/v1/credentials/"+created.Credential.ID, "", me...).must(t, 200).body
	if !strings.Contains(body, `"status":"not_connected"`) {
		t.Fatalf("after a refusal: %s", body)
	}
}
