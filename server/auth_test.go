package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// publicAPIRoutes are the /api/v1 routes that work without credentials.
var publicAPIRoutes = map[string]bool{
	"POST /api/v1/auth/login": true,
	"GET /api/v1/auth/setup":  true,
	"HEAD /api/v1/auth/setup": true,
	"POST /api/v1/auth/setup": true,
	// The API description holds no data (see server/openapi.go).
	"GET /api/v1/openapi.json":  true,
	"HEAD /api/v1/openapi.json": true,
}

var routeParam = regexp.MustCompile(`:[a-z_]+`)

// TestRoutesRequireAuth walks every registered /api/v1 route and checks
// that it answers 401 with no credentials, a bad bearer token or a bad
// session cookie.
func TestRoutesRequireAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	checked := 0
	for _, r := range b.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || publicAPIRoutes[r.Method+" "+r.Path] {
			continue
		}
		url := routeParam.ReplaceAllString(r.Path, "x")
		for _, creds := range [][]string{
			nil,
			{"Authorization", "Bearer jrn_not-a-real-token"},
			{"Authorization", "Basic YWRtaW46YWRtaW4="},
			{"Cookie", "journey_session=forged"},
		} {
			res := b.request(t, r.Method, url, `{}`, creds...)
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s with %v: status %d, want 401; body: %s", r.Method, url, creds, res.status, res.body)
				continue
			}
			if r.Method != "HEAD" && !strings.Contains(res.body, `"code":"unauthorized"`) {
				t.Errorf("%s %s: body %s is not our error shape", r.Method, url, res.body)
			}
		}
		checked++
	}
	if checked < 30 {
		t.Fatalf("checked only %d routes; are the routes registered under /api/v1?", checked)
	}
}

// TestLoginCookie signs in, uses the cookie and signs out.
func TestLoginCookie(t *testing.T) {
	t.Parallel()
	b := setup(t, withUser)
	res := b.request(t, "POST", "/api/v1/auth/login", `{"email":"ADMIN@example.com","password":"`+testPassword+`"}`).must(t, 200)
	if !strings.Contains(res.body, `"email":"`+testEmail+`"`) || strings.Contains(res.body, "hash") {
		t.Fatalf("login body: %s", res.body)
	}
	set := res.header.Get("Set-Cookie")
	for _, want := range []string{"journey_session=", "httponly", "samesite=lax", "path=/"} {
		if !strings.Contains(strings.ToLower(set), want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure without SecureCookies", set)
	}
	cookie := strings.SplitN(set, ";", 2)[0]
	me := b.request(t, "GET", "/api/v1/auth/me", "", "Cookie", cookie).must(t, 200)
	if !strings.Contains(me.body, testEmail) {
		t.Fatalf("me: %s", me.body)
	}
	b.request(t, "GET", "/api/v1/flows", "", "Cookie", cookie).must(t, 200)
	// A browser marks the editor's own requests (see TestCSRF).
	b.request(t, "POST", "/api/v1/auth/logout", "", "Cookie", cookie, "Sec-Fetch-Site", "same-origin").must(t, http.StatusNoContent)
	b.request(t, "GET", "/api/v1/auth/me", "", "Cookie", cookie).must(t, http.StatusUnauthorized)
}

// TestFirstRunSetup creates the first admin once.
func TestFirstRunSetup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if got := b.request(t, "GET", "/api/v1/auth/setup", "").must(t, 200); !strings.Contains(got.body, `"needed":true`) {
		t.Fatalf("setup status: %s", got.body)
	}
	b.request(t, "POST", "/api/v1/auth/setup", `{"email":"first@example.com","password":"short"}`).must(t, http.StatusBadRequest)
	res := b.request(t, "POST", "/api/v1/auth/setup", `{"email":"first@example.com","password":"long enough"}`).must(t, http.StatusCreated)
	cookie := strings.SplitN(res.header.Get("Set-Cookie"), ";", 2)[0]
	b.request(t, "GET", "/api/v1/auth/me", "", "Cookie", cookie).must(t, 200)
	b.request(t, "POST", "/api/v1/auth/setup", `{"email":"second@example.com","password":"long enough"}`).must(t, http.StatusConflict)
	b.request(t, "POST", "/api/v1/auth/login", `{"email":"first@example.com","password":"long enough"}`).must(t, 200)
}

// TestBearerToken creates a token, uses it and revokes it.
func TestBearerToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var created struct{ ID, Token string }
	b.api(t, "POST", "/api/v1/tokens", `{"name":"deploy"}`).must(t, http.StatusCreated).json(t, &created)
	auth := []string{"Authorization", "Bearer " + created.Token}
	b.request(t, "GET", "/api/v1/flows", "", auth...).must(t, 200)
	b.request(t, "GET", "/api/v1/flows", "", "Authorization", "bearer "+created.Token).must(t, 200)
	list := b.api(t, "GET", "/api/v1/tokens", "").must(t, 200)
	if !strings.Contains(list.body, `"name":"deploy"`) || strings.Contains(list.body, created.Token) {
		t.Fatalf("tokens: %s", list.body)
	}
	b.api(t, "DELETE", "/api/v1/tokens/"+created.ID, "").must(t, http.StatusNoContent)
	b.request(t, "GET", "/api/v1/flows", "", auth...).must(t, http.StatusUnauthorized)
}

// signedFlow listens on /hooks/signed and requires the CHATBOT secret.
const signedFlow = `{"id":"signed","name":"Signed","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"signed","secret_env":"CHATBOT"},"position":{"x":0,"y":0}},
 {"id":"tag","type":"list.add","params":{"list":"signed"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"tag"}]}`

// unknownSecretFlow names a secret the server does not have.
const unknownSecretFlow = `{"id":"unconfigured","name":"Unconfigured","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"unconfigured","secret_env":"MISSING"},"position":{"x":0,"y":0}}],
 "edges":[]}`

func sign(body, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := `{"email":"sig@example.com"}`
	runScenarios(t, []scenario{
		{name: "good signature is accepted", before: publishFlow(signedFlow, "signed"), public: true,
			method: "POST", url: "/hooks/signed", body: body, headers: []string{"X-Signature-256", sign(body, hookSecret)},
			status: 202, contains: []string{`"runs":["`}},
		{name: "wrong secret is a 401", before: publishFlow(signedFlow, "signed"), public: true,
			method: "POST", url: "/hooks/signed", body: body, headers: []string{"X-Signature-256", sign(body, "guess")},
			status: 401, contains: []string{`"code":"unauthorized"`}, notContains: []string{hookSecret}},
		{name: "signature of another body is a 401", before: publishFlow(signedFlow, "signed"), public: true,
			method: "POST", url: "/hooks/signed", body: body, headers: []string{"X-Signature-256", sign(body+" ", hookSecret)},
			status: 401},
		{name: "missing signature is a 401", before: publishFlow(signedFlow, "signed"), public: true,
			method: "POST", url: "/hooks/signed", body: body, status: 401},
		{name: "garbled signature is a 401", before: publishFlow(signedFlow, "signed"), public: true,
			method: "POST", url: "/hooks/signed", body: body, headers: []string{"X-Signature-256", "sha256=zz"}, status: 401},
		{name: "a secret the server lacks never verifies", before: publishFlow(unknownSecretFlow, "unconfigured"), public: true,
			method: "POST", url: "/hooks/unconfigured", body: body, headers: []string{"X-Signature-256", sign(body, "")},
			status: 401},
	})
}

// TestWebhookIdempotency resends a webhook with the same Idempotency-Key.
func TestWebhookIdempotency(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(helloFlow, "hello")(t, b)
	first := b.request(t, "POST", "/hooks/hello", `{}`, "Idempotency-Key", "abc-1").must(t, http.StatusAccepted)
	second := b.request(t, "POST", "/hooks/hello", `{}`, "Idempotency-Key", "abc-1").must(t, http.StatusAccepted)
	if !strings.Contains(first.body, `"runs":["`) || !strings.Contains(second.body, `"runs":[]`) ||
		!strings.Contains(second.body, `"duplicate":true`) {
		t.Fatalf("first %s, second %s", first.body, second.body)
	}
}

// TestSetupRefusesAnotherHostName: a DNS-rebinding page on another domain
// cannot claim a fresh instance; the configured name and IPs can.
func TestSetupRefusesAnotherHostName(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.setupHosts = []string{"journeys.example.com"} })
	body := `{"email":"first@example.com","password":"long enough"}`
	res := b.request(t, "POST", "/api/v1/auth/setup", body, "Host", "attacker.example.net:8080").must(t, http.StatusForbidden)
	if !strings.Contains(res.body, "own address") {
		t.Errorf("refusal: %s", res.body)
	}
	b.request(t, "POST", "/api/v1/auth/setup", body, "Host", "attacker.example.net", "X-Forwarded-Host", "localhost").must(t, http.StatusForbidden)
	if got := b.request(t, "GET", "/api/v1/auth/setup", "").must(t, 200); !strings.Contains(got.body, `"needed":true`) {
		t.Fatalf("setup done by the refused request: %s", got.body)
	}
	b.request(t, "POST", "/api/v1/auth/setup", body, "Host", "Journeys.example.com:443").must(t, http.StatusCreated)
	// 409, not 403: these names pass the host check.
	for _, host := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080"} {
		b.request(t, "POST", "/api/v1/auth/setup", body, "Host", host).must(t, http.StatusConflict)
	}
}
