package emailcheck_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/emailcheck"
)

// dnsServer is an in-process DNS server on 127.0.0.1 answering from a
// small zone table, counting the questions it gets per name.
type dnsServer struct {
	addr string
	mu   sync.Mutex
	asks map[string]int
}

// answers: name -> what the server does. "mx:HOST" answers MX queries,
// "a:IP" answers A queries (and AAAA with nothing), "nullmx" answers MX
// ".", "nxdomain", "servfail", "drop" (no answer at all). Names not listed
// are NXDOMAIN.
var zone = map[string][]string{
	"example.com.":    {"mx:mx1.example.com.", "a:192.0.2.10"},
	"aonly.test.":     {"a:192.0.2.20"},
	"nullmx.test.":    {"nullmx"},
	"servfail.test.":  {"servfail"},
	"timeout.test.":   {"drop"},
	"mailinator.com.": {"mx:mail.mailinator.com."},
	"gmial.com.":      {"mx:mx.gmial.com."},
	"yaho.com.":       {"mx:mx.yaho.com."},
	"hotmial.com.":    {"mx:mx.hotmial.com."},
	"gmail.com.":      {"mx:gmail-smtp-in.l.google.com."},
	"one.test.":       {"mx:mx.one.test."},
	"two.test.":       {"mx:mx.two.test."},
	"three.test.":     {"mx:mx.three.test."},
	// müller.test, as DNS knows it.
	"xn--mller-kva.test.": {"mx:mx.xn--mller-kva.test."},
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &dnsServer{addr: pc.LocalAddr().String(), asks: map[string]int{}}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

func (s *dnsServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.asks[strings.TrimSuffix(name, ".")]++
	s.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative, m.RecursionAvailable = true, true
	rules, ok := zone[name]
	if !ok {
		m.Rcode = dns.RcodeNameError
		_ = w.WriteMsg(m)
		return
	}
	hdr := func(typ uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: typ, Class: dns.ClassINET, Ttl: 300}
	}
	for _, r := range rules {
		kind, val, _ := strings.Cut(r, ":")
		switch {
		case kind == "drop":
			return
		case kind == "servfail":
			m.Rcode = dns.RcodeServerFailure
		case kind == "nxdomain":
			m.Rcode = dns.RcodeNameError
		case kind == "nullmx" && q.Qtype == dns.TypeMX:
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: 0, Mx: "."})
		case kind == "mx" && q.Qtype == dns.TypeMX:
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr(dns.TypeMX), Preference: 10, Mx: val})
		case kind == "a" && q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.ParseIP(val)})
		}
	}
	_ = w.WriteMsg(m)
}

func (s *dnsServer) asked(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asks[name]
}

func newChecker(t *testing.T, s *dnsServer, cfg emailcheck.Config) *emailcheck.Checker {
	t.Helper()
	r, err := emailcheck.NewResolver(s.addr)
	if err != nil {
		t.Fatalf("NewResolver(%q): %v", s.addr, err)
	}
	cfg.Resolver = r
	return emailcheck.New(cfg)
}

func TestCheckEmailAgainstDNS(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	c := newChecker(t, s, emailcheck.Config{})
	for _, tc := range []struct {
		addr, status string
		// reason must contain each of these.
		reason     []string
		suggestion string
		dnsDown    bool
	}{
		{addr: "ana@example.com", status: nodes.EmailValid},
		{addr: "  Ana.Lopez+news@Example.COM ", status: nodes.EmailValid},
		{addr: "bob@aonly.test", status: nodes.EmailValid},
		{addr: "bob@nxdomain.test", status: nodes.EmailInvalid, reason: []string{"nxdomain.test", "does not exist or receives no email"}},
		{addr: "bob@nullmx.test", status: nodes.EmailInvalid, reason: []string{"accepts no email"}},
		{addr: "bob@servfail.test", status: nodes.EmailRisky, reason: []string{"could not be looked up just now", "temporary failure"}, dnsDown: true},
		{addr: "bob@mailinator.com", status: nodes.EmailRisky, reason: []string{"throwaway", "mailinator.com"}},
		{addr: "info@example.com", status: nodes.EmailRisky, reason: []string{"shared address (info@)"}},
		{addr: "sales@example.com", status: nodes.EmailRisky, reason: []string{"shared address (sales@)"}},
		{addr: "noreply@example.com", status: nodes.EmailRisky, reason: []string{"shared address (noreply@)"}},
		{addr: "ana@gmial.com", status: nodes.EmailRisky, reason: []string{"looks like a typo of gmail.com"}, suggestion: "ana@gmail.com"},
		{addr: "ana@yaho.com", status: nodes.EmailRisky, reason: []string{"looks like a typo of yahoo.com"}, suggestion: "ana@yahoo.com"},
		{addr: "ana@hotmial.com", status: nodes.EmailRisky, reason: []string{"looks like a typo of hotmail.com"}, suggestion: "ana@hotmail.com"},
		{addr: "ana@gmail.con", status: nodes.EmailInvalid, reason: []string{"gmail.con does not exist", "did you mean ana@gmail.com?"}, suggestion: "ana@gmail.com"},
		{addr: "ana@gmail.com", status: nodes.EmailValid},
		{addr: "ana.example.com", status: nodes.EmailInvalid, reason: []string{"no @"}},
		{addr: "ana@@example.com", status: nodes.EmailInvalid, reason: []string{"more than one @"}},
		{addr: "ana lopez@example.com", status: nodes.EmailInvalid, reason: []string{"spaces"}},
		{addr: "@example.com", status: nodes.EmailInvalid, reason: []string{"nothing before the @"}},
		{addr: "ana@", status: nodes.EmailInvalid, reason: []string{"no domain after the @"}},
		{addr: "ana@localhost", status: nodes.EmailInvalid, reason: []string{"has no dot"}},
		{addr: "ana@example..com", status: nodes.EmailInvalid, reason: []string{"two dots in a row"}},
		{addr: "ana.@example.com", status: nodes.EmailInvalid, reason: []string{"dot at its start or end"}},
		{addr: "ana@-example.com", status: nodes.EmailInvalid, reason: []string{"hyphen"}},
		{addr: "ana@example.c", status: nodes.EmailInvalid, reason: []string{"real ending"}},
		{addr: "ana@müller.test", status: nodes.EmailValid},
		{addr: "josé@example.com", status: nodes.EmailRisky, reason: []string{"accents"}},
		{addr: "ana@exa_mple.com", status: nodes.EmailInvalid, reason: []string{"character domains cannot have"}},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			got := c.CheckEmail(context.Background(), tc.addr)
			if got.Status != tc.status {
				t.Fatalf("CheckEmail(%q) = %s (%s), want %s", tc.addr, got.Status, got.Reason, tc.status)
			}
			if tc.status == nodes.EmailValid && got.Reason != "" {
				t.Errorf("a valid address has the reason %q", got.Reason)
			}
			if tc.status != nodes.EmailValid && got.Reason == "" {
				t.Errorf("a %s address has no reason", got.Status)
			}
			for _, want := range tc.reason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not say %q", got.Reason, want)
				}
			}
			if got.Suggestion != tc.suggestion {
				t.Errorf("suggestion %q, want %q", got.Suggestion, tc.suggestion)
			}
			if got.DNSUnavailable != tc.dnsDown {
				t.Errorf("DNSUnavailable = %v, want %v", got.DNSUnavailable, tc.dnsDown)
			}
		})
	}
}

func TestCheckEmailDNSTimeoutIsRisky(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	// The server never answers timeout.test; a short look-up timeout only
	// keeps the test quick (nothing here asserts how long anything took).
	c := newChecker(t, s, emailcheck.Config{LookupTimeout: 200 * time.Millisecond})
	got := c.CheckEmail(context.Background(), "bob@timeout.test")
	if got.Status != nodes.EmailRisky || !got.DNSUnavailable || !strings.Contains(got.Reason, "did not answer in time") {
		t.Fatalf("no answer from DNS gave %s (%q, dns unavailable %v), want risky for a DNS failure", got.Status, got.Reason, got.DNSUnavailable)
	}
	if s.asked("timeout.test") == 0 {
		t.Fatal("the DNS server was never asked")
	}
}

func TestCheckEmailCachesPerDomain(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := newChecker(t, s, emailcheck.Config{TTL: time.Hour, MaxDomains: 2, NowFunc: clock})
	ctx := context.Background()

	check := func(addr, want string) {
		t.Helper()
		if got := c.CheckEmail(ctx, addr); got.Status != want {
			t.Fatalf("CheckEmail(%q) = %s (%s), want %s", addr, got.Status, got.Reason, want)
		}
	}
	check("a@one.test", nodes.EmailValid)
	first := s.asked("one.test")
	if first == 0 {
		t.Fatal("one.test was not looked up")
	}
	check("b@one.test", nodes.EmailValid)
	if n := s.asked("one.test"); n != first {
		t.Fatalf("a second address at one.test asked DNS again (%d questions, then %d)", first, n)
	}
	advance(time.Hour) // the answer has expired
	check("c@one.test", nodes.EmailValid)
	if n := s.asked("one.test"); n <= first {
		t.Fatalf("after the TTL one.test was not looked up again (%d questions)", n)
	}

	// The cache holds two domains: a third pushes out the least recently
	// used one.
	check("a@two.test", nodes.EmailValid)
	check("a@one.test", nodes.EmailValid) // one.test is now the most recent
	check("a@three.test", nodes.EmailValid)
	if c.Len() != 2 {
		t.Fatalf("the cache holds %d domains, want at most 2", c.Len())
	}
	two, one := s.asked("two.test"), s.asked("one.test")
	check("b@one.test", nodes.EmailValid)
	check("b@two.test", nodes.EmailValid)
	if s.asked("one.test") != one {
		t.Error("one.test was pushed out of the cache though it was used more recently than two.test")
	}
	if s.asked("two.test") == two {
		t.Error("two.test stayed in the cache though it was the least recently used of three domains")
	}

	// A failed look-up is not kept: the next address asks again.
	check("a@servfail.test", nodes.EmailRisky)
	fails := s.asked("servfail.test")
	check("b@servfail.test", nodes.EmailRisky)
	if s.asked("servfail.test") == fails {
		t.Error("a failed look-up was cached")
	}
	// A domain that does not exist is an answer, and is kept.
	check("a@nxdomain.test", nodes.EmailInvalid)
	nx := s.asked("nxdomain.test")
	check("b@nxdomain.test", nodes.EmailInvalid)
	if s.asked("nxdomain.test") != nx {
		t.Error("a domain found not to exist was looked up again within the TTL")
	}
}

func TestNewResolverAddresses(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "1.1.1.1:53", "1.1.1.1", "[2606:4700:4700::1111]:53", "2606:4700:4700::1111"} {
		if _, err := emailcheck.NewResolver(ok); err != nil {
			t.Errorf("NewResolver(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"dns.example.com:53", "1.1.1.1:", "not an address"} {
		_, err := emailcheck.NewResolver(bad)
		if err == nil || !strings.Contains(err.Error(), "is not a DNS server address") {
			t.Errorf("NewResolver(%q) = %v, want a plain error", bad, err)
		}
	}
}

func TestDisposableListIsEmbedded(t *testing.T) {
	t.Parallel()
	if n := emailcheck.DisposableCount(); n < 1000 {
		t.Fatalf("the disposable list holds %d domains; the embedded file is missing or broken", n)
	}
}

// BenchmarkCheckEmailCached measures a check whose domain is cached: the
// syntax, typo, disposable and role checks alone.
func BenchmarkCheckEmailCached(b *testing.B) {
	c := emailcheck.New(emailcheck.Config{Resolver: staticResolver{}})
	ctx := context.Background()
	c.CheckEmail(ctx, "ana@example.com")
	b.ReportAllocs()
	for b.Loop() {
		if got := c.CheckEmail(ctx, "ana.lopez@example.com"); got.Status != nodes.EmailValid {
			b.Fatalf("status %s (%s)", got.Status, got.Reason)
		}
	}
}

// staticResolver says every domain has one mail server.
type staticResolver struct{}

func (staticResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return []*net.MX{{Host: "mx." + name, Pref: 10}}, nil
}

func (staticResolver) LookupHost(context.Context, string) ([]string, error) {
	return []string{"192.0.2.1"}, nil
}

// Checks of one domain at the same time share one look-up, and every
// check gets the answer.
func TestCheckEmailConcurrentChecksShareOneLookup(t *testing.T) {
	t.Parallel()
	s := startDNS(t)
	c := newChecker(t, s, emailcheck.Config{})
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.CheckEmail(context.Background(), "ana@two.test").Status
		}()
	}
	wg.Wait()
	for i, st := range results {
		if st != nodes.EmailValid {
			t.Fatalf("check %d: %s, want valid", i, st)
		}
	}
	if n := s.asked("two.test"); n != 1 {
		t.Fatalf("20 checks of one domain asked DNS %d times, want once", n)
	}
}
