package httpreq_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// What net/http's client did for http.request and the fasthttp-based one
// does by hand (transport.go).

func TestRedirectsChangeTheMethodAsBrowsersDo(t *testing.T) {
	t.Parallel()
	type seen struct{ method, body, contentType string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/303", "/302", "/307", "/308":
			code := map[string]int{"/303": 303, "/302": 302, "/307": 307, "/308": 308}[r.URL.Path]
			http.Redirect(w, r, "/landed", code)
		default:
			b, _ := io.ReadAll(r.Body)
			got <- seen{r.Method, string(b), r.Header.Get("Content-Type")}
		}
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	for path, want := range map[string]seen{
		"/303": {"GET", "", ""}, "/302": {"GET", "", ""},
		"/307": {"POST", `{"a":1}`, "application/json"}, "/308": {"POST", `{"a":1}`, "application/json"},
	} {
		resp, err := c.Do(context.Background(), httpreq.Request{Method: "POST", URL: srv.URL + path, JSON: map[string]int{"a": 1}})
		if err != nil || resp.Status != 200 {
			t.Fatalf("%s: %v %v", path, resp.Status, err)
		}
		if s := <-got; s != want {
			t.Errorf("after a %s the call was %+v, want %+v", path[1:], s, want)
		}
	}
}

func TestRedirectsAreBounded(t *testing.T) {
	t.Parallel()
	var hops atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ftp" {
			http.Redirect(w, r, "ftp://example.com/file", http.StatusFound)
			return
		}
		hops.Add(1)
		http.Redirect(w, r, fmt.Sprintf("/hop%d", hops.Load()), http.StatusFound)
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	_, err := c.Do(context.Background(), httpreq.Request{URL: srv.URL + "/start"})
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") || hops.Load() != 6 {
		t.Errorf("an endless redirect: %d requests, error %v; want 6 and a stop after 5 redirects", hops.Load(), err)
	}
	_, err = c.Do(context.Background(), httpreq.Request{URL: srv.URL + "/ftp"})
	if err == nil || !strings.Contains(err.Error(), "redirect to a ftp address refused") {
		t.Errorf("a redirect to ftp: %v", err)
	}
}

func TestACancelledCallEndsAtOnce(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	// The call's own timeout is far away: only the cancel ends it soon (a
	// call that waited for the timeout fails here, late).
	_, err := c.Do(ctx, httpreq.Request{Method: "POST", URL: srv.URL, Timeout: httpreq.MaxTimeout})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("a cancelled call: %v, want it cancelled", err)
	}
}

// keepAliveServer answers each connection's first request, keeps the
// connection open as if for the next, and closes it when the next comes:
// what a vendor does when its idle timeout ends just as a call is sent.
func keepAliveServer(t *testing.T) (url string, requests *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	requests = new(atomic.Int64)
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				requests.Add(1)
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}")
				_, _ = br.Peek(1) // the next request: close without answering it
			}()
		}
	}()
	return "http://" + l.Addr().String(), requests
}

func TestACallOnAConnectionTheVendorClosedIsRepeatedOnlyWhenItMayBe(t *testing.T) {
	t.Parallel()
	url, requests := keepAliveServer(t)
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	call := func(key string) error {
		_, err := c.Do(context.Background(), httpreq.Request{Method: "POST", URL: url, JSON: map[string]int{"a": 1}, IdempotencyKey: key})
		return err
	}
	if err := call("k1"); err != nil {
		t.Fatal(err)
	}
	// The kept connection is closed when this call is sent: sent again on
	// a new one, because its idempotency key makes that safe.
	if err := call("k2"); err != nil {
		t.Fatalf("a keyed call on a closed connection: %v, want it sent again", err)
	}
	if n := requests.Load(); n != 2 {
		t.Fatalf("%d requests answered, want 2", n)
	}
	// Without a key a POST is not repeated: the vendor may have acted on it.
	if err := call(""); err == nil || !strings.Contains(err.Error(), "closed the connection without answering") {
		t.Fatalf("an unkeyed POST on a closed connection: %v, want an error", err)
	}
}

func TestACutBodyDoesNotSpoilTheNextCall(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked": // no length: sent in chunks
			for i := 0; i < 4; i++ {
				_, _ = io.WriteString(w, long[:50_000])
				w.(http.Flusher).Flush()
			}
		case "/long":
			w.Header().Set("Content-Length", fmt.Sprint(len(long)))
			_, _ = io.WriteString(w, long)
		default:
			w.Header().Set("X-Big", strings.Repeat("h", 20_000))
			_, _ = io.WriteString(w, "short "+r.URL.Path)
		}
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true, MaxResponseBytes: 1000})
	for _, path := range []string{"/chunked", "/long", "/chunked", "/long"} {
		resp, err := c.Do(context.Background(), httpreq.Request{URL: srv.URL + path})
		if err != nil || !resp.Truncated || resp.Body != long[:1000] {
			t.Fatalf("%s: truncated=%v body %d bytes, err %v", path, resp.Truncated, len(resp.Body), err)
		}
		// The same client's next call reads its own answer (a header
		// larger than fasthttp's default buffer included).
		resp, err = c.Do(context.Background(), httpreq.Request{URL: srv.URL + "/after" + path})
		if err != nil || resp.Body != "short /after"+path || len(resp.Headers["X-Big"]) != 20_000 {
			t.Fatalf("the call after %s: %q, err %v", path, resp.Body, err)
		}
	}
}

// TestHTTPSCertificatesAreChecked: a vendor whose certificate no trusted
// authority signed is refused, as net/http's client refused it; one that
// is trusted answers, over connections that are kept.
func TestHTTPSCertificatesAreChecked(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		reached <- struct{}{}
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	_, err := c.Do(context.Background(), httpreq.Request{Method: "POST", URL: srv.URL, IdempotencyKey: "k"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a self-signed vendor: %v, want a certificate error", err)
	}
	select {
	case <-reached:
		t.Fatal("the request reached a vendor whose certificate was not checked")
	default:
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	trusting := httpreq.NewTrusting(roots)
	for range 3 {
		resp, err := trusting.Do(context.Background(), httpreq.Request{Method: "POST", URL: srv.URL, IdempotencyKey: "k"})
		if err != nil || resp.Status != 200 {
			t.Fatalf("a trusted vendor: %v %v", resp.Status, err)
		}
		<-reached
	}
}

// TestAGarbledAnswerGivesAShortError: fasthttp's parse errors quote what
// came back (up to 64 KiB); the step's error keeps 300 bytes of it.
func TestAGarbledAnswerGivesAShortError(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = http.ReadRequest(bufio.NewReader(conn))
			_, _ = io.WriteString(conn, strings.Repeat("garbage", 5000)+"\r\n\r\n")
			_ = conn.Close()
		}
	}()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	_, err = c.Do(context.Background(), httpreq.Request{URL: "http://" + l.Addr().String()})
	if err == nil || len(err.Error()) > 400 || !strings.Contains(err.Error(), "could not be reached") {
		t.Fatalf("a garbled answer: %d bytes of error, want at most 400: %.500v", len(fmt.Sprint(err)), err)
	}
}
