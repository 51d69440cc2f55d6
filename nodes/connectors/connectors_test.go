package connectors_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 3 ", 3 * time.Second, true},
		{"Mon, 30 Nov 2026 12:01:30 GMT", 90 * time.Second, true},
		{"Mon, 30 Nov 2026 11:00:00 GMT", time.Second, true},
		{"", 0, false},
		{"-5", 0, false},
		{"soon", 0, false},
	}
	for _, c := range cases {
		got, ok := connectors.ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v,%v want %v,%v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestNodeErrorClassifies(t *testing.T) {
	t.Parallel()
	if !nodes.IsPermanent(connectors.NodeError(connectors.Invalidf("no phone number"))) {
		t.Error("input errors must be permanent")
	}
	if !nodes.IsPermanent(connectors.NodeError(&connectors.HTTPError{Vendor: "X", Status: 404})) {
		t.Error("404 must be permanent")
	}
	var ra *nodes.RetryAfterError
	if !errors.As(connectors.NodeError(&connectors.HTTPError{Vendor: "X", Status: 503, RetryAfter: time.Minute}), &ra) || ra.After != time.Minute {
		t.Error("503 with Retry-After must ask to wait")
	}
	plain := errors.New("connection refused")
	if got := connectors.NodeError(plain); got != plain {
		t.Errorf("network errors are retried as is, got %v", got)
	}
	if connectors.NodeError(nil) != nil {
		t.Error("nil stays nil")
	}
}

func TestDoFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		_, err := connectors.Do(ctx, connectors.Request{Vendor: "Acme", Client: hc, Method: "GET", URL: base + "/x?api_token=SECRET"})
		if err != nil && contains(err.Error(), "SECRET") {
			t.Errorf("error leaks the URL's token: %v", err)
		}
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"error":{"code":"bad","message":"Name is required."}}`, "Name is required.",
		`{"message":"Invalid token."}`, "Invalid token."))
}

func TestUserAgentIsStrictVendorSafe(t *testing.T) {
	old := connectors.Version
	defer func() { connectors.Version = old }()
	for version, want := range map[string]string{
		"v1.2.3": "journey/1.2.3", "1.2.3": "journey/1.2.3", "10.20.300": "journey/10.20.300",
		"dev": "journey/0.0.0", "": "journey/0.0.0", "0.1.0-dev": "journey/0.0.0", "1.2": "journey/0.0.0",
		"1.2.3.4": "journey/0.0.0", "1..3": "journey/0.0.0", ".1.2": "journey/0.0.0", "1.2.": "journey/0.0.0",
		"1.2.x": "journey/0.0.0", "vv1.2.3": "journey/0.0.0",
	} {
		connectors.Version = version
		if got := connectors.UserAgent(); got != want {
			t.Errorf("UserAgent with version %q = %q, want %q", version, got, want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
