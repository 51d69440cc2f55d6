package httpreq_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
		"127.0.0.1": false, "127.9.9.9": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "64:ff9b::a00:1": false,
		"::7f00:1": false, "::a00:1": false, "::ffff:0:7f00:1": false, "::ffff:c0a8:101": false, "2001:0:4136:e378:8000:63bf:3fff:fdd2": false,
	} {
		if got := httpreq.PublicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestRefusesInternalTargets(t *testing.T) {
	t.Parallel()
	c := httpreq.New(httpreq.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("internal server was reached: %s", r.URL)
	}))
	defer srv.Close()
	for _, u := range []string{
		srv.URL, "http://localhost:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:], "http://[::1]:1/", "http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/", "http://0.0.0.0:80/", "http://[::ffff:127.0.0.1]:1/", "http://100.64.1.1/", "http://[fe80::1%25eth0]/",
	} {
		_, err := c.Do(context.Background(), httpreq.Request{URL: u})
		if !errors.Is(err, httpreq.ErrForbiddenTarget) || !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%s: want permanent forbidden-target error, got %v", u, err)
		}
	}
}

func TestRefusesRedirectToInternalTarget(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this machine: %v", err)
	}
	internal := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("redirect target was reached")
	}))
	internal.Listener = l
	internal.Start()
	defer internal.Close()
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	}))
	defer public.Close()
	// Treat 127.0.0.1 as "public" so only the redirect target is internal.
	c := httpreq.NewWithPolicy(func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") })
	_, err = c.Do(context.Background(), httpreq.Request{URL: public.URL})
	if !errors.Is(err, httpreq.ErrForbiddenTarget) {
		t.Fatalf("redirect to internal address: want refusal, got %v", err)
	}
}

func TestRequestAndResponse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Api") != "k" ||
			r.Header.Get("Idempotency-Key") != "r:n:1" || string(b) != `{"email":"a@b.co"}` {
			t.Errorf("request %s %v %s", r.Method, r.Header, b)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"id":7}`))
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	resp, err := c.Do(context.Background(), httpreq.Request{Method: "post", URL: srv.URL + "/x", Headers: map[string]string{"X-Api": "k"},
		JSON: map[string]any{"email": "a@b.co"}, IdempotencyKey: "r:n:1"})
	if err != nil || resp.Status != 200 {
		t.Fatal(resp, err)
	}
	if m, ok := resp.JSON.(map[string]any); !ok || m["id"] != 7.0 || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("response %+v", resp)
	}
	// The node records the response as step output: it must be JSON-encodable.
	if _, err := json.Marshal(resp); err != nil {
		t.Error(err)
	}
}

func TestResponseIsCapped(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`["` + strings.Repeat("x", 5000) + `"]`))
	}))
	defer srv.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true, MaxResponseBytes: 1000})
	resp, err := c.Do(context.Background(), httpreq.Request{URL: srv.URL})
	if err != nil || !resp.Truncated || len(resp.Body) != 1000 || resp.JSON != nil {
		t.Fatalf("truncated=%v len=%d json=%v err=%v", resp.Truncated, len(resp.Body), resp.JSON != nil, err)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	c := httpreq.New(httpreq.Options{})
	for _, r := range []httpreq.Request{{URL: "ftp://example.com"}, {URL: "example.com"}, {URL: "http://x", Method: "BREW"}, {URL: "http://x", JSON: func() {}}} {
		if _, err := c.Do(context.Background(), r); !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	call := func(ctx context.Context, base string, hc *http.Client) error {
		_, err := c.Do(ctx, httpreq.Request{URL: base, Timeout: hc.Timeout})
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"message":"email is required"}`, "email is required", `{"error":"bad key"}`, "bad key"))
}

func TestRedirectToAnotherHostDropsCredentialAndReferer(t *testing.T) {
	t.Parallel()
	seen := make(chan http.Header, 2)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
	}))
	defer other.Close()
	var home *httptest.Server
	home = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
		case "/here":
			http.Redirect(w, r, home.URL+"/landed", http.StatusFound)
		default:
			seen <- r.Header.Clone()
		}
	}))
	defer home.Close()
	c := httpreq.New(httpreq.Options{AllowPrivate: true})
	do := func(path string) http.Header {
		t.Helper()
		_, err := c.Do(context.Background(), httpreq.Request{URL: home.URL + path,
			Headers: map[string]string{"X-Api-Key": "s3cret", "X-Plain": "kept", "Authorization": "Bearer t"}, CredentialHeaders: []string{"X-Api-Key"}})
		if err != nil {
			t.Fatal(err)
		}
		return <-seen
	}
	// other.URL differs from home.URL by port: another origin.
	got := do("/away")
	if got.Get("X-Api-Key") != "" || got.Get("Referer") != "" || got.Get("Authorization") != "" {
		t.Errorf("redirect to another host received X-Api-Key=%q Referer=%q Authorization=%q", got.Get("X-Api-Key"), got.Get("Referer"), got.Get("Authorization"))
	}
	if got.Get("X-Plain") != "kept" {
		t.Errorf("a header without a secret was dropped: %v", got)
	}
	got = do("/here")
	if got.Get("X-Api-Key") != "s3cret" || got.Get("Referer") != "" || got.Get("Authorization") != "Bearer t" {
		t.Errorf("redirect on the same host: X-Api-Key=%q Referer=%q, want the key and no Referer", got.Get("X-Api-Key"), got.Get("Referer"))
	}
}
