package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBodyLimit sends a body over 1 MiB to a real listener (Fiber refuses
// it while reading, before any handler runs).
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	go func() { _ = b.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = b.srv.App().Shutdown() })

	// Announce a body one byte over the limit and send only the headers:
	// the server must answer 413 without reading it (a client that keeps
	// writing after the answer would see the connection reset).
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /api/v1/flows HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", b.token, 1<<20+1)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("write: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"code":"payload_too_large"`) {
		t.Fatalf("status %d, body %s; want 413 payload_too_large", res.StatusCode, body)
	}
}

// TestInternalErrorsAreHidden breaks the database: the client gets a
// generic message with the request id, the log gets the cause.
func TestInternalErrorsAreHidden(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
	res := b.api(t, "GET", "/api/v1/flows", "")
	rid := res.header.Get("X-Request-Id")
	if res.status != 500 || !strings.Contains(res.body, `"code":"internal"`) ||
		!strings.Contains(res.body, "request id "+rid) {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	for _, leak := range []string{"sql", "database", "closed"} {
		if strings.Contains(strings.ToLower(res.body), leak) {
			t.Errorf("the answer leaks %q: %s", leak, res.body)
		}
	}
	if logs := b.logs.String(); !strings.Contains(logs, rid) || !strings.Contains(logs, "closed") {
		t.Errorf("the log lacks the request id or the cause: %s", logs)
	}
	b.request(t, "GET", "/healthz", "").must(t, http.StatusServiceUnavailable)
}

// TestEditor serves the built editor with a fallback to index.html, but
// never for the reserved prefixes.
func TestEditor(t *testing.T) {
	t.Parallel()
	web := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>journey editor</title>")},
		"assets/app-1a2b.js": {Data: []byte("console.log('hi')")},
		"favicon.svg":        {Data: []byte("<svg/>")},
	}
	runScenarios2 := func(sc []scenario) {
		for i := range sc {
			sc[i].public = true
		}
		t.Run("with web", func(t *testing.T) {
			for _, s := range sc {
				t.Run(s.name, func(t *testing.T) {
					t.Parallel()
					b := setup(t, func(o *setupOptions) { o.web = web })
					res := b.request(t, s.method, s.url, "")
					if res.status != s.status {
						t.Fatalf("%s: status %d, want %d; body %s", s.url, res.status, s.status, res.body)
					}
					for _, want := range s.contains {
						if !strings.Contains(res.body, want) {
							t.Errorf("%s: body lacks %q: %s", s.url, want, res.body)
						}
					}
					for i := 0; i+1 < len(s.header); i += 2 {
						if got := res.header.Get(s.header[i]); !strings.Contains(got, s.header[i+1]) {
							t.Errorf("%s: header %s = %q, want %q", s.url, s.header[i], got, s.header[i+1])
						}
					}
				})
			}
		})
	}
	runScenarios2([]scenario{
		{name: "root is the editor", method: "GET", url: "/", status: 200, contains: []string{"journey editor"},
			header: []string{"Cache-Control", "no-cache", "Content-Security-Policy", "default-src 'self'"}},
		{name: "an editor route falls back to index.html", method: "GET", url: "/flows/hello/edit", status: 200,
			contains: []string{"journey editor"}},
		{name: "hashed assets are cached", method: "GET", url: "/assets/app-1a2b.js", status: 200,
			contains: []string{"console.log"}, header: []string{"Cache-Control", "immutable", "Content-Type", "javascript"}},
		{name: "other files are served", method: "GET", url: "/favicon.svg", status: 200, header: []string{"Content-Type", "svg"}},
		{name: "a missing asset is a 404", method: "GET", url: "/assets/gone.js", status: 404},
		{name: "API addresses never fall back", method: "GET", url: "/api/v2/flows", status: 404, contains: []string{`"code":"not_found"`}},
		{name: "hook addresses never fall back", method: "GET", url: "/hooks/hello", status: 404, contains: []string{`"code":"not_found"`}},
		{name: "unsubscribe addresses never fall back", method: "GET", url: "/u/abc", status: 404, contains: []string{`"code":"not_found"`}},
		{name: "tracking addresses never fall back", method: "GET", url: "/t/abc", status: 404, contains: []string{`"code":"not_found"`}},
		{name: "healthz is not the editor", method: "GET", url: "/healthz", status: 200, contains: []string{`"status":"ok"`}},
		{name: "metrics is not the editor", method: "GET", url: "/metrics", status: 200, contains: []string{"journey_jobs_due"}},
	})
}
