package server

import (
	"fmt"
	"testing"
	"time"
)

// TestLoginThrottleDecays: five failures for an email block it for about
// a minute; each minute forgets one failure, so one more try is allowed,
// and a failure there blocks again. Success forgets the email's failures,
// never the address's.
func TestLoginThrottleDecays(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginThrottle(func() time.Time { return now })
	for i := range loginMaxPerEmail {
		if w := l.wait("Ann@example.com", "10.0.0.1"); w != 0 {
			t.Fatalf("attempt %d blocked for %s", i+1, w)
		}
		l.failed("ann@example.com ", "10.0.0.1")
	}
	if w := l.wait("ann@example.com", "10.0.0.2"); w != loginDecay {
		t.Fatalf("after %d failures: wait %s, want %s (the email is blocked from any address)", loginMaxPerEmail, w, loginDecay)
	}
	if w := l.wait("bob@example.com", "10.0.0.1"); w != 0 {
		t.Fatalf("another email from the same address: wait %s, want 0", w)
	}
	now = now.Add(30 * time.Second)
	if w := l.wait("ann@example.com", "10.0.0.1"); w != 30*time.Second {
		t.Fatalf("half a minute later: wait %s, want 30s", w)
	}
	now = now.Add(30 * time.Second)
	if w := l.wait("ann@example.com", "10.0.0.1"); w != 0 {
		t.Fatalf("a minute later: wait %s, want 0", w)
	}
	l.failed("ann@example.com", "10.0.0.1")
	if w := l.wait("ann@example.com", "10.0.0.1"); w != loginDecay {
		t.Fatalf("one more failure: wait %s, want %s again", w, loginDecay)
	}
	l.succeeded("ann@example.com", "10.0.0.9")
	if w := l.wait("ann@example.com", "10.0.0.3"); w != 0 {
		t.Fatalf("after a success: wait %s, want 0", w)
	}

	// Spraying many emails from one address trips the address limit; a
	// success with a valid account does not reset it.
	for i := range loginMaxPerIP {
		l.failed(string(rune('a'+i))+"@example.com", "10.9.9.9")
	}
	l.succeeded("mine@example.com", "10.0.0.9")
	if w := l.wait("fresh@example.com", "10.9.9.9"); w <= 0 {
		t.Fatal("the address is not blocked after spraying")
	}
	now = now.Add(10 * loginDecay)
	if w := l.wait("fresh@example.com", "10.9.9.9"); w != 0 {
		t.Fatalf("after ten minutes: wait %s, want 0", w)
	}
}

// TestLoginThrottleMemoryIsBounded floods the throttle with addresses.
func TestLoginThrottleMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginThrottle(func() time.Time { return now })
	for i := range 3 * maxTrackedClients {
		l.failed("x@example.com", time.Duration(i).String())
	}
	if n := len(l.counts); n > maxTrackedClients+2 {
		t.Fatalf("%d counters kept, want at most %d", n, maxTrackedClients+2)
	}
}

// TestRequiredRole pins the policy for paths a route table walk cannot
// show: letter case and trailing slashes (Fiber routes both
// case-insensitively and loosely), and a route added later.
func TestRequiredRole(t *testing.T) {
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/api/v1/TOKENS", "admin"},
		{"GET", "/api/v1/tokens/", "admin"},
		{"GET", "/API/V1/Users", "admin"},
		{"GET", "/api/v1/audit", "admin"},
		{"PATCH", "/api/v1/Credentials/x", "admin"},
		{"GET", "/api/v1/credentials", "viewer"},
		{"POST", "/api/v1/auth/logout/", "viewer"},
		{"POST", "/api/v1/auth/logout/x", "editor"},
		{"POST", "/api/v1/some-new-thing", "editor"},
		{"GET", "/api/v1/some-new-thing", "viewer"},
	} {
		if got := requiredRole(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s needs %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

// TestLoginLockoutSparesKnownAddresses: failures from elsewhere lock the
// email, but not at the address where it signed in before.
func TestLoginLockoutSparesKnownAddresses(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginThrottle(func() time.Time { return now })
	l.succeeded("ann@example.com", "2001:db8:1:2::10")
	for range loginMaxPerEmail {
		l.failed("ann@example.com", "203.0.113.5")
	}
	if w := l.wait("ann@example.com", "198.51.100.7"); w == 0 {
		t.Fatal("the email is not locked for a new address")
	}
	// Same /64, another interface id: still Ann's network.
	if w := l.wait("Ann@example.com", "2001:db8:1:2::99"); w != 0 {
		t.Fatalf("Ann's own address waits %s", w)
	}
	now = now.Add(loginKnownFor)
	for range loginMaxPerEmail {
		l.failed("ann@example.com", "203.0.113.5")
	}
	if w := l.wait("ann@example.com", "2001:db8:1:2::10"); w == 0 {
		t.Fatal("a month-old sign-in still vouches for the address")
	}
}

// TestLoginThrottleGroupsIPv6By64: rotating the low 64 bits of an IPv6
// address does not escape the per-address limit.
func TestLoginThrottleGroupsIPv6By64(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginThrottle(func() time.Time { return now })
	for i := range loginMaxPerIP {
		l.failed(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("2001:db8:5:6::%x", i+1))
	}
	if w := l.wait("someone@example.com", "2001:db8:5:6:ffff::1"); w == 0 {
		t.Fatal("another address of the same /64 is not throttled")
	}
	if w := l.wait("someone@example.com", "2001:db8:5:7::1"); w != 0 {
		t.Fatalf("another /64 waits %s", w)
	}
}
