package connectorstest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
)

// Call runs one client operation against baseURL with hc.
type Call func(ctx context.Context, baseURL string, hc *http.Client) error

// Failure is one vendor failure the client must map for the engine.
type Failure struct {
	Name   string
	Status int
	Header map[string]string
	Body   string
	// Want is "permanent", "retry" or "retry-after".
	Want string
	// WantMessage must appear in the error (the vendor's sentence).
	WantMessage string
}

// StandardFailures are 400, 401, 429 with Retry-After, 500; bodies are in
// the vendor's error format given as body400/body401.
func StandardFailures(body400, msg400, body401, msg401 string) []Failure {
	return []Failure{
		{Name: "400 is permanent with the vendor's message", Status: 400, Body: body400, Want: "permanent", WantMessage: msg400},
		{Name: "401 is permanent", Status: 401, Body: body401, Want: "permanent", WantMessage: msg401},
		{Name: "429 waits for Retry-After", Status: 429, Header: map[string]string{"Retry-After": "7"}, Body: `{}`, Want: "retry-after"},
		{Name: "500 is retried", Status: 500, Body: `oops`, Want: "retry"},
	}
}

// RunFailures runs call against an httptest server per failure, then
// against a server that never answers, and checks connectors.NodeError's
// classification through mapErr.
func RunFailures(t *testing.T, call Call, mapErr func(error) error, failures []Failure) {
	t.Helper()
	for _, f := range failures {
		t.Run(f.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range f.Header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(f.Status)
				_, _ = w.Write([]byte(f.Body))
			}))
			defer srv.Close()
			err := call(context.Background(), srv.URL, srv.Client())
			if err == nil {
				t.Fatalf("no error for status %d", f.Status)
			}
			mapped := mapErr(err)
			var ra *nodes.RetryAfterError
			switch f.Want {
			case "permanent":
				if !nodes.IsPermanent(mapped) {
					t.Fatalf("status %d: want permanent, got %v", f.Status, mapped)
				}
			case "retry-after":
				if !errors.As(mapped, &ra) || ra.After != 7*time.Second {
					t.Fatalf("status %d: want RetryAfterError 7s, got %#v", f.Status, mapped)
				}
			case "retry":
				if nodes.IsPermanent(mapped) || errors.As(mapped, &ra) {
					t.Fatalf("status %d: want plain retryable, got %v", f.Status, mapped)
				}
			}
			if f.WantMessage != "" && !strings.Contains(err.Error(), f.WantMessage) {
				t.Fatalf("error %q lacks the vendor's message %q", err, f.WantMessage)
			}
		})
	}
	t.Run("a vendor that never answers is retried", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		hc := srv.Client()
		hc.Timeout = 50 * time.Millisecond
		err := call(context.Background(), srv.URL, hc)
		if err == nil {
			t.Fatal("no error from a hanging vendor")
		}
		if nodes.IsPermanent(mapErr(err)) {
			t.Fatalf("timeout must be retryable, got %v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("timeout error should wrap context.DeadlineExceeded: %v", err)
		}
	})
}
