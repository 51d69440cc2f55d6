package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/web"
)

// roleTokens creates one API token per role and returns them by role.
func roleTokens(t *testing.T, b *testBundle) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := b.store.Write(t.Context(), func(tx storage.Tx) error {
		for _, role := range storage.Roles() {
			value, _, err := storage.CreateAPITokenWithRole(tx, role+" token", role, time.Now())
			if err != nil {
				return err
			}
			out[role] = value
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// documentedRoles reads x-required-role of every operation of
// server/openapi.json, keyed "METHOD /openapi/path".
func documentedRoles(t *testing.T) map[string]string {
	t.Helper()
	doc, _ := loadOpenAPI(t)
	out := map[string]string{}
	for path, ops := range doc.Paths {
		for method, body := range ops {
			if !httpMethods[method] {
				continue
			}
			var op struct {
				Role string `json:"x-required-role"`
			}
			if err := json.Unmarshal(body, &op); err != nil {
				t.Fatal(err)
			}
			if op.Role != "" {
				out[strings.ToUpper(method)+" "+path] = op.Role
			}
		}
	}
	return out
}

// mustNeed are checks of the documented roles themselves, so that a
// slip in server/openapi.json cannot open users, tokens, credentials or
// the audit log to lesser roles.
var mustNeed = map[string]string{
	"GET /api/v1/users": "admin", "POST /api/v1/users": "admin", "DELETE /api/v1/users/{id}": "admin",
	"GET /api/v1/tokens": "admin", "POST /api/v1/tokens": "admin", "DELETE /api/v1/tokens/{id}": "admin",
	"GET /api/v1/audit": "admin", "POST /api/v1/credentials": "admin", "PUT /api/v1/credentials/{id}": "admin",
	"DELETE /api/v1/credentials/{id}": "admin", "POST /api/v1/credentials/{id}/test": "admin",
	"POST /api/v1/flows": "editor", "PUT /api/v1/flows/{id}": "editor", "DELETE /api/v1/flows/{id}": "editor",
	"POST /api/v1/flows/{id}/publish": "editor", "DELETE /api/v1/contacts/{id}": "editor",
	"GET /api/v1/flows": "viewer", "GET /api/v1/runs/{id}": "viewer",
}

var roleRank = map[string]int{"viewer": 1, "editor": 2, "admin": 3}

// TestRolesOnEveryRoute walks the route table: every /api/v1 route that
// is not public answers 401 without credentials, 403 to a token whose
// role is below the route's documented x-required-role, and lets a token
// with that role (or a higher one) through.
func TestRolesOnEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tokens := roleTokens(t, b)
	roles := documentedRoles(t)
	for op, want := range mustNeed {
		if roles[op] != want {
			t.Errorf("server/openapi.json: %s has x-required-role %q, want %q", op, roles[op], want)
		}
	}
	checked := 0
	for _, r := range b.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || publicAPIRoutes[r.Method+" "+r.Path] {
			continue
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet // HEAD is served by the GET route
		}
		need := roles[method+" "+openAPIPath(r.Path)]
		if need == "" {
			t.Errorf("%s %s has no x-required-role in server/openapi.json", r.Method, r.Path)
			continue
		}
		url := routeParam.ReplaceAllString(r.Path, "x")
		if res := b.request(t, r.Method, url, `{}`); res.status != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d, want 401", r.Method, url, res.status)
		}
		for role, token := range tokens {
			res := b.request(t, r.Method, url, `{}`, "Authorization", "Bearer "+token)
			lacking := roleRank[role] < roleRank[need]
			switch {
			case lacking && res.status != http.StatusForbidden:
				t.Errorf("%s %s with a %s token: %d, want 403 (needs %s); body %s", r.Method, url, role, res.status, need, res.body)
			case lacking && r.Method != http.MethodHead && !strings.Contains(res.body, `"code":"forbidden"`):
				t.Errorf("%s %s with a %s token: body %s is not our 403", r.Method, url, role, res.body)
			case !lacking && (res.status == http.StatusForbidden || res.status == http.StatusUnauthorized):
				t.Errorf("%s %s with a %s token: %d, want it let through (needs %s); body %s", r.Method, url, role, res.status, need, res.body)
			}
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("checked only %d routes; is the route walk broken?", checked)
	}
	// Fiber routes letter case and trailing slashes loosely; so does the
	// role check.
	for _, url := range []string{"/api/v1/TOKENS", "/api/v1/tokens/", "/API/V1/users", "/api/v1/Audit"} {
		b.request(t, "GET", url, "", "Authorization", "Bearer "+tokens["editor"]).must(t, http.StatusForbidden)
	}
}

// TestRolesThroughTheAPI creates a viewer token and an editor user the
// way an administrator does, and uses them.
func TestRolesThroughTheAPI(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t)
	var tok struct{ ID, Token, Role string }
	b.api(t, "POST", "/api/v1/tokens", `{"name":"dashboard","role":"viewer"}`).must(t, http.StatusCreated).json(t, &tok)
	if tok.Role != "viewer" {
		t.Fatalf("created token has role %q", tok.Role)
	}
	viewer := []string{"Authorization", "Bearer " + tok.Token}
	b.request(t, "GET", "/api/v1/flows", "", viewer...).must(t, 200)
	res := b.request(t, "POST", "/api/v1/flows", helloFlow, viewer...).must(t, http.StatusForbidden)
	if !strings.Contains(res.body, "needs the editor role; this API token has the viewer role") {
		t.Fatalf("403 body: %s", res.body)
	}
	if list := b.api(t, "GET", "/api/v1/tokens", "").must(t, 200); !strings.Contains(list.body, `"name":"dashboard","role":"viewer"`) {
		t.Fatalf("tokens: %s", list.body)
	}
	res = b.api(t, "POST", "/api/v1/tokens", `{"name":"x","role":"owner"}`).must(t, http.StatusBadRequest)
	if !strings.Contains(res.body, "role must be admin, editor, viewer") {
		t.Fatalf("bad role: %s", res.body)
	}
	// Without a role a token is an admin, as every token was before.
	var plain struct{ Role string }
	b.api(t, "POST", "/api/v1/tokens", `{"name":"ci"}`).must(t, http.StatusCreated).json(t, &plain)
	if plain.Role != "admin" {
		t.Fatalf("token without a role: %q, want admin", plain.Role)
	}

	var u struct{ User struct{ ID, Role string } }
	b.api(t, "POST", "/api/v1/users", `{"email":"ed@example.com","password":"editor password","role":"editor"}`).
		must(t, http.StatusCreated).json(t, &u)
	if u.User.Role != "editor" {
		t.Fatalf("user role %q", u.User.Role)
	}
	b.api(t, "POST", "/api/v1/users", `{"email":"x@example.com","password":"long password","role":"root"}`).must(t, http.StatusBadRequest)
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"ed@example.com","password":"editor password"}`).must(t, 200)
	editor := []string{"Cookie", strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0], "Sec-Fetch-Site", "same-origin"}
	b.request(t, "POST", "/api/v1/flows", helloFlow, editor...).must(t, http.StatusCreated)
	b.request(t, "POST", "/api/v1/flows/hello/publish", "", editor...).must(t, http.StatusOK)
	res = b.request(t, "GET", "/api/v1/users", "", editor...).must(t, http.StatusForbidden)
	if !strings.Contains(res.body, "needs the admin role; your account has the editor role") {
		t.Fatalf("403 body: %s", res.body)
	}
	b.request(t, "POST", "/api/v1/credentials", `{"name":"M","kind":"smtp","fields":{"host":"h","port":25,"from_email":"a@example.com"}}`, editor...).
		must(t, http.StatusForbidden)
	b.request(t, "GET", "/api/v1/credentials", "", editor...).must(t, http.StatusOK)
}

// TestLastAdminStays: with an admin and an editor, the admin cannot be
// removed, or nobody could manage accounts any more.
func TestLastAdminStays(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t, withUser)
	b.api(t, "POST", "/api/v1/users", `{"email":"ed@example.com","password":"editor password","role":"editor"}`).must(t, http.StatusCreated)
	var list struct{ Users []struct{ ID, Email string } }
	b.api(t, "GET", "/api/v1/users", "").must(t, 200).json(t, &list)
	for _, u := range list.Users {
		if u.Email == testEmail {
			res := b.api(t, "DELETE", "/api/v1/users/"+u.ID, "").must(t, http.StatusConflict)
			if !strings.Contains(res.body, "last administrator") {
				t.Fatalf("body: %s", res.body)
			}
			return
		}
	}
	t.Fatal("the admin is not listed")
}

// TestCSRF: a state-changing request with the session cookie must come
// from the editor's own page; reading, and API tokens, need nothing.
func TestCSRF(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t, withUser)
	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	cookie := strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0]
	n := 0
	post := func(headers ...string) response {
		n++
		flow := strings.Replace(helloFlow, `"id":"hello"`, fmt.Sprintf(`"id":"csrf-%d"`, n), 1)
		return b.request(t, "POST", "/api/v1/flows", flow, append([]string{"Cookie", cookie}, headers...)...)
	}
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"no sign of the editor (a form on another site, an old client)", nil, 403},
		{"the browser says another site sent it", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"a sibling subdomain sent it", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"another origin sent it", []string{"Origin", "https://evil.example"}, 403},
		{"cross-site even with a matching Origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://example.com"}, 403},
		{"the editor in a current browser", []string{"Sec-Fetch-Site", "same-origin"}, 201},
		{"the editor in a browser without Sec-Fetch-Site", []string{"Origin", "http://example.com"}, 201},
		{"a script that marks its requests", []string{"X-Requested-With", "journey"}, 201},
		{"a script that sends X-CSRF-Token", []string{"X-CSRF-Token", "1"}, 201},
	} {
		res := post(tc.headers...)
		if res.status != tc.status {
			t.Errorf("%s: status %d, want %d; body %s", tc.name, res.status, tc.status, res.body)
		}
		if tc.status == 403 && !strings.Contains(res.body, "does not come from the editor") {
			t.Errorf("%s: body %s", tc.name, res.body)
		}
	}
	if got := b.request(t, "GET", "/api/v1/flows", "", "Cookie", cookie).must(t, 200); !strings.Contains(got.body, "csrf-") {
		t.Fatalf("flows: %s", got.body)
	}
	b.api(t, "POST", "/api/v1/flows", strings.Replace(helloFlow, `"id":"hello"`, `"id":"by-token"`, 1)).must(t, 201)
	b.request(t, "DELETE", "/api/v1/flows/by-token", "", "Cookie", cookie, "Sec-Fetch-Site", "cross-site").must(t, 403)
	b.request(t, "GET", "/api/v1/flows/by-token", "", "Cookie", cookie, "Sec-Fetch-Site", "cross-site").must(t, 200)

	// Login CSRF: another site cannot sign the browser in.
	creds := `{"email":"` + testEmail + `","password":"` + testPassword + `"}`
	b.request(t, "POST", "/api/v1/auth/login", creds, "Sec-Fetch-Site", "cross-site").must(t, 403)
	b.request(t, "POST", "/api/v1/auth/login", creds, "Origin", "https://evil.example").must(t, 403)
	b.request(t, "POST", "/api/v1/auth/login", creds, "Sec-Fetch-Site", "same-origin").must(t, 200)
}

// TestLoginThrottling: after five failed sign-ins for an email the next
// try answers 429 with Retry-After, even with the right password, while
// other emails are still checked. (The per-address limit and the decay
// are in TestLoginThrottleDecays: each sign-in here costs a bcrypt.)
func TestLoginThrottling(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t, withUser)
	login := func(email, password string) response {
		return b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+email+`","password":"`+password+`"}`)
	}
	for range 5 {
		login(testEmail, "wrong password").must(t, http.StatusUnauthorized)
	}
	res := login(strings.ToUpper(testEmail), testPassword).must(t, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After %q, want 1..60 seconds", res.header.Get("Retry-After"))
	}
	if !strings.Contains(res.body, `"code":"too_many_requests"`) || !strings.Contains(res.body, "failed sign-ins") {
		t.Fatalf("429 body: %s", res.body)
	}
	login("other@example.com", "some password").must(t, http.StatusUnauthorized)
}

// TestSecurityHeaders: every answer forbids sniffing, framing and
// referrers; the API, webhooks and health check get a policy that runs
// nothing; the editor gets its own.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.web = web.Dist() })
	for _, tc := range []struct {
		name string
		res  response
		csp  string
	}{
		{"api", b.api(t, "GET", "/api/v1/flows", ""), "default-src 'none'"},
		{"api error", b.request(t, "GET", "/api/v1/flows", ""), "default-src 'none'"},
		{"webhook", b.request(t, "POST", "/hooks/nothing", "{}"), "default-src 'none'"},
		{"health", b.request(t, "GET", "/healthz", ""), "default-src 'none'"},
		{"editor", b.request(t, "GET", "/", ""), "script-src 'self'"},
		{"editor route", b.request(t, "GET", "/flows/x/edit", ""), "script-src 'self'"},
	} {
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"X-Frame-Options": "DENY", "Content-Security-Policy": tc.csp} {
			if got := tc.res.header.Get(name); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want %q", tc.name, name, got, want)
			}
		}
		if csp := tc.res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q allows framing", tc.name, csp)
		}
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	srcOrHref   = regexp.MustCompile(`(?i)\b(?:src|href)="([^"]*)"`)
	inlineEvent = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// TestEditorBuildSatisfiesItsCSP checks the committed editor build
// against the policy served with it: scripts only from files of this
// origin (no inline script, no inline event handler, no eval), styles and
// links only from this origin. A build that broke this would show a blank
// page in the browser.
func TestEditorBuildSatisfiesItsCSP(t *testing.T) {
	t.Parallel()
	dist := web.Dist()
	if dist == nil {
		t.Fatal("web/dist is not built")
	}
	b := setup(t, func(o *setupOptions) { o.web = dist })
	res := b.request(t, "GET", "/", "").must(t, 200)
	csp := res.header.Get("Content-Security-Policy")
	for _, bad := range []string{"'unsafe-eval'", "script-src 'self' 'unsafe-inline'", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("the editor's CSP %q allows %s", csp, bad)
		}
	}
	if !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("the editor's CSP %q does not limit scripts to this origin", csp)
	}
	scripts := scriptTag.FindAllStringSubmatch(res.body, -1)
	if len(scripts) == 0 {
		t.Fatalf("index.html has no script: %s", res.body)
	}
	for _, s := range scripts {
		if strings.TrimSpace(s[2]) != "" || !strings.Contains(s[1], "src=") {
			t.Errorf("inline script (blocked by the CSP): %s", s[0])
		}
	}
	if m := inlineEvent.FindString(res.body); m != "" {
		t.Errorf("inline event handler (blocked by the CSP): %q", m)
	}
	for _, m := range srcOrHref.FindAllStringSubmatch(res.body, -1) {
		if u := m[1]; !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
			t.Errorf("index.html loads %q, not a file of this origin", u)
		}
	}
	err := fs.WalkDir(dist, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		data, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		for _, call := range []string{"eval(", "new Function("} {
			if strings.Contains(string(data), call) {
				t.Errorf("%s calls %s, which the CSP blocks", p, call)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHeaderLimit sends headers over the limit to a real listener: 431
// in our error shape, while a large but reasonable cookie still works.
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = b.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = b.srv.App().Shutdown() })
	send := func(extra int) (int, string) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(testwait.Scaled(30 * time.Second)))
		req := fmt.Sprintf("GET /api/v1/flows HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nX-Padding: %s\r\n\r\n",
			b.token, strings.Repeat("a", extra))
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if status, body := send(4 << 10); status != 200 {
		t.Fatalf("4 KiB of headers: %d %s", status, body)
	}
	status, body := send(16 << 10)
	if status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, `"code":"headers_too_large"`) {
		t.Fatalf("16 KiB of headers: %d %s, want 431 headers_too_large", status, body)
	}
}

// TestNoSecretInLogs captures every log line (debug level) while
// credentials are created, changed and tested, people sign in (rightly
// and wrongly), API tokens are created and used, and signed webhooks
// arrive (rightly and wrongly signed), then looks for every secret.
func TestNoSecretInLogs(t *testing.T) {
	// Not parallel: its sign-ins spend bcrypt time, which under -race on
	// a busy machine would push parallel requests past their timeout.
	b := setup(t, withUser, func(o *setupOptions) { o.debugLogs = true })
	const (
		hubspotToken  = "pat-na1-hubspot-secret-0123456789"
		wrongPassword = "my-other-password-typo"
		newSmtpSecret = "n3w-sm7p-Pa55word"
	)
	var cred struct{ Credential struct{ ID string } }
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Mail","kind":"smtp","fields":{"host":"127.0.0.1","port":1,"username":"u","password":"`+smtpSecret+`","from_email":"a@example.com"}}`).
		must(t, http.StatusCreated).json(t, &cred)
	b.api(t, "POST", "/api/v1/credentials/"+cred.Credential.ID+"/test", "").must(t, 200)
	b.api(t, "PUT", "/api/v1/credentials/"+cred.Credential.ID, `{"name":"Mail","fields":{"host":"127.0.0.1","port":1,"from_email":"a@example.com","password":"`+newSmtpSecret+`"}}`).
		must(t, 200)
	b.api(t, "POST", "/api/v1/credentials/"+cred.Credential.ID+"/test", "").must(t, 200)
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Hub","kind":"hubspot","fields":{"access_token":"`+hubspotToken+`"}}`).must(t, http.StatusCreated)

	login := b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+testPassword+`"}`).must(t, 200)
	session := strings.TrimPrefix(strings.SplitN(login.header.Get("Set-Cookie"), ";", 2)[0], "journey_session=")
	b.request(t, "POST", "/api/v1/auth/login", `{"email":"`+testEmail+`","password":"`+wrongPassword+`"}`).must(t, http.StatusUnauthorized)
	var tok struct{ Token string }
	b.api(t, "POST", "/api/v1/tokens", `{"name":"ci","role":"viewer"}`).must(t, http.StatusCreated).json(t, &tok)
	b.request(t, "GET", "/api/v1/flows", "", "Authorization", "Bearer "+tok.Token).must(t, 200)
	b.request(t, "POST", "/api/v1/flows", helloFlow, "Authorization", "Bearer "+tok.Token).must(t, http.StatusForbidden)

	publishFlow(signedFlow, "signed")(t, b)
	body := `{"email":"sig@example.com"}`
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", sign(body, hookSecret)).must(t, http.StatusAccepted)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", sign(body, "guess")).must(t, http.StatusUnauthorized)
	b.request(t, "POST", "/hooks/signed", body, "Authorization", "Bearer "+tok.Token).must(t, http.StatusUnauthorized)
	b.drain(t)

	logs := b.logs.String()
	if strings.Count(logs, "\n") < 5 {
		t.Fatalf("only %d log lines captured; is the logger wired?\n%s", strings.Count(logs, "\n"), logs)
	}
	for name, secret := range map[string]string{
		"smtp password": smtpSecret, "new smtp password": newSmtpSecret, "hubspot token": hubspotToken,
		"password": testPassword, "mistyped password": wrongPassword, "API token": tok.Token,
		"API token body": strings.TrimPrefix(tok.Token, storage.APITokenPrefix), "session": session,
		"fixture API token": b.token, "webhook secret": hookSecret, "webhook signature": sign(body, hookSecret),
	} {
		if secret == "" {
			t.Fatalf("%s is empty", name)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}

// TestClientAddressBehindAProxy: only a trusted proxy's X-Forwarded-For
// names the client (in the logs and for sign-in throttling), and only
// its right-most untrusted entry: what the client wrote itself is not
// believed.
func TestClientAddressBehindAProxy(t *testing.T) {
	t.Parallel()
	// app.Test's requests come from 0.0.0.0: that is the "proxy" here.
	for _, tc := range []struct {
		name, trusted, forwardedFor, want string
	}{
		{"no trusted proxy: the peer", "", "203.0.113.9", "ip=0.0.0.0"},
		{"the peer is not trusted", "10.0.0.0/8", "203.0.113.9", "ip=0.0.0.0"},
		{"a trusted proxy", "0.0.0.0", "203.0.113.9", "ip=203.0.113.9"},
		{"a spoofed entry on the left is ignored", "0.0.0.0, 10.0.0.0/8", "6.6.6.6, 203.0.113.9, 10.1.2.3", "ip=203.0.113.9"},
		{"garbage stops the walk", "0.0.0.0/32", "203.0.113.9, nonsense", "ip=0.0.0.0"},
		{"IPv6 clients", "0.0.0.0", "2001:db8::7", "ip=2001:db8::7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOptions) { o.debugLogs, o.trustedProxies = true, tc.trusted })
			b.request(t, "GET", "/api/v1/flows", "", "X-Forwarded-For", tc.forwardedFor).must(t, http.StatusUnauthorized)
			if logs := b.logs.String(); !strings.Contains(logs, tc.want+" ") && !strings.HasSuffix(strings.TrimSpace(logs), tc.want) {
				t.Fatalf("log lacks %s: %s", tc.want, logs)
			}
		})
	}
	if _, err := server.ParseTrustedProxies("10.0.0.1, nope"); err == nil {
		t.Fatal("a bad trusted proxy was accepted")
	}
}
