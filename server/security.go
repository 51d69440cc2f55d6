package server

import (
	"cmp"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// HeaderLimit is the most bytes of request line and headers read (431
// above it): room for a session cookie and a token, not for abuse.
const HeaderLimit = 8 << 10

// Headers a script sends to show that its cookie request is not a forged
// cross-site one (a page on another site cannot set them without a CORS
// preflight, which this server never grants).
const (
	headerRequestedWith = "X-Requested-With"
	headerCSRFToken     = "X-CSRF-Token"
	headerFetchSite     = "Sec-Fetch-Site"
)

// apiCSP is the Content-Security-Policy of everything but the editor page
// and the unsubscribe pages: JSON, tracking pixels and assets never run
// anything nor get framed.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pageCSP is the policy of the small HTML pages of unsubscribe links:
// inline styles, a form posting to itself, nothing else.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets headers every response carries. Handlers may
// replace the Content-Security-Policy (the editor does).
func securityHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	if strings.HasPrefix(c.Path(), "/u/") {
		c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	} else {
		c.Set(fiber.HeaderContentSecurityPolicy, apiCSP)
	}
	return c.Next()
}

// safeMethod reports a method that changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// forbidden is a 403 answer.
func forbidden(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: msg}
}

// fromThisSite reports whether a browser request comes from a page of
// this server: a custom header (which another site cannot send without a
// preflight), Sec-Fetch-Site same-origin, or else an Origin equal to the
// Host. A request with none of them is not trusted.
func fromThisSite(c *fiber.Ctx) bool {
	if c.Get(headerRequestedWith) != "" || c.Get(headerCSRFToken) != "" {
		return true
	}
	switch c.Get(headerFetchSite) {
	case "same-origin", "none":
		return true
	case "":
	default: // cross-site or same-site: another site's page sent it
		return false
	}
	return sameOriginHeader(c)
}

// sameOriginHeader reports whether the Origin header names this host.
func sameOriginHeader(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, string(c.Request().Host()))
}

// checkCSRF refuses a state-changing request authenticated by the session
// cookie unless it demonstrably comes from the editor (see fromThisSite).
// Bearer-token requests carry no ambient credentials and pass.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	if safeMethod(c.Method()) {
		return c.Next()
	}
	if p := principalOf(c); p == nil || p.User == nil {
		return c.Next()
	}
	if !fromThisSite(c) {
		return forbidden("This request uses your sign-in cookie but does not come from the editor; " +
			"scripts should send \"X-Requested-With: journey\" or use an API token.")
	}
	return c.Next()
}

// noCrossSiteSignIn refuses sign-in and setup posted by another site's
// page (login CSRF: signing a victim in to the attacker's account).
// Clients that are not browsers send none of the headers and pass.
func noCrossSiteSignIn(c *fiber.Ctx) error {
	site := c.Get(headerFetchSite)
	crossSite := site == "cross-site" || site == "same-site"
	if !crossSite && site == "" && c.Get(fiber.HeaderOrigin) != "" && !sameOriginHeader(c) {
		crossSite = true
	}
	if crossSite {
		return forbidden("Sign in from the editor of this server.")
	}
	return c.Next()
}

// role returns the caller's role ("" when unknown).
func (p *principal) role() string {
	switch {
	case p == nil:
		return ""
	case p.User != nil:
		return p.User.Role
	case p.Token != nil:
		return p.Token.Role
	}
	return ""
}

// adminOnly are the /api/v1 sections only administrators see at all.
var adminOnly = map[string]bool{"users": true, "tokens": true, "audit": true}

// viewerPosts are POSTs that change nothing stored.
var viewerPosts = map[string]bool{"auth/logout": true, "expressions/check": true, "flows/validate": true, "preview": true}

// requiredRole is the least role that may call method on path (under
// /api/v1). It works on the path, not on a route table, so that a new
// route is covered from the start: reading needs viewer, changing needs
// editor, and users, API tokens, the audit log and changes to
// credentials need admin.
func requiredRole(method, path string) string {
	rest := strings.Trim(strings.TrimPrefix(strings.ToLower(path), "/api/v1"), "/")
	section, _, _ := strings.Cut(rest, "/")
	switch {
	case adminOnly[section]:
		return storage.RoleAdmin
	case safeMethod(method):
		return storage.RoleViewer
	case section == "credentials":
		return storage.RoleAdmin
	case method == http.MethodPost && viewerPosts[rest]:
		return storage.RoleViewer
	}
	return storage.RoleEditor
}

// authorize answers 403 when the caller's role is below what the request
// needs (see requiredRole).
func (s *Server) authorize(c *fiber.Ctx) error {
	p := principalOf(c)
	need := requiredRole(c.Method(), c.Path())
	if storage.RoleRank(p.role()) < storage.RoleRank(need) {
		who := "your account"
		if p != nil && p.Token != nil {
			who = "this API token"
		}
		return forbidden(fmt.Sprintf("This needs the %s role; %s has the %s role.", need, who, cmp.Or(p.role(), "no")))
	}
	return c.Next()
}

// Sign-in throttling: each failed sign-in adds one to a counter per email
// and one per client address; a counter forgets one failure every
// loginDecay. While a counter is at its limit, sign-in answers 429 with
// Retry-After, without checking the password. In memory, per instance.
const (
	loginMaxPerEmail = 5
	loginMaxPerIP    = 10
	loginDecay       = time.Minute
)

// loginThrottle counts failed sign-ins.
type loginThrottle struct {
	now func() time.Time

	mu     sync.Mutex
	counts map[string]*failureCount
	// known holds "email|address" pairs that signed in successfully: the
	// email's lockout does not apply there, so an attacker guessing from
	// elsewhere cannot lock the owner out.
	known map[string]time.Time
}

// loginKnownFor is how long a successful sign-in vouches for its address.
const loginKnownFor = 30 * 24 * time.Hour

type failureCount struct {
	level float64
	at    time.Time
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, counts: map[string]*failureCount{}, known: map[string]time.Time{}}
}

// levelAt is the decayed count of key at now (under mu).
func (l *loginThrottle) levelAt(key string, now time.Time) float64 {
	f := l.counts[key]
	if f == nil {
		return 0
	}
	return math.Max(0, f.level-float64(now.Sub(f.at))/float64(loginDecay))
}

// throttleKeys are the counters of one attempt, with their limits.
func throttleKeys(email, ip string) [2]struct {
	key string
	max int
} {
	return [2]struct {
		key string
		max int
	}{{"email:" + normalEmail(email), loginMaxPerEmail}, {"ip:" + addressGroup(ip), loginMaxPerIP}}
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// addressGroup is the unit of throttling: an IPv4 address, or the /64 of
// an IPv6 one (a single client usually holds a whole /64).
func addressGroup(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Unmap().Is6() {
		return ip
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// knownKey is the key of known for an email and address.
func knownKey(email, ip string) string { return normalEmail(email) + "|" + addressGroup(ip) }

// wait returns how long the caller must wait before trying again (zero:
// go ahead).
func (l *loginThrottle) wait(email, ip string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var longest time.Duration
	seen, ok := l.known[knownKey(email, ip)]
	trusted := ok && now.Sub(seen) < loginKnownFor
	for i, k := range throttleKeys(email, ip) {
		if i == 0 && trusted {
			continue // the email's lockout does not apply where it signed in before
		}
		over := l.levelAt(k.key, now) - float64(k.max-1)
		if over > 0 {
			longest = max(longest, time.Duration(over*float64(loginDecay)))
		}
	}
	return longest
}

// failed counts a failed sign-in.
func (l *loginThrottle) failed(email, ip string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.counts) >= maxTrackedClients {
		l.prune(now)
	}
	for _, k := range throttleKeys(email, ip) {
		l.counts[k.key] = &failureCount{level: l.levelAt(k.key, now) + 1, at: now}
	}
}

// succeeded forgets the failures of the email (not of the address: one
// good account must not reset guessing at others) and remembers the
// address as the email's.
func (l *loginThrottle) succeeded(email, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.counts, throttleKeys(email, "")[0].key)
	if len(l.known) >= maxTrackedClients {
		clear(l.known) // bounded memory; owners are vouched for again at their next sign-in
	}
	l.known[knownKey(email, ip)] = l.now()
}

// prune drops forgotten counters, then those below their limit; under a
// flood of blocked keys it starts over rather than grow (under mu).
func (l *loginThrottle) prune(now time.Time) {
	for k := range l.counts {
		if l.levelAt(k, now) == 0 {
			delete(l.counts, k)
		}
	}
	for k := range l.counts {
		if len(l.counts) < maxTrackedClients*9/10 {
			return
		}
		if l.levelAt(k, now) < loginMaxPerEmail-1 {
			delete(l.counts, k)
		}
	}
	if len(l.counts) >= maxTrackedClients {
		clear(l.counts)
	}
}

// tooManySignIns is the 429 answer, with Retry-After in whole seconds.
func tooManySignIns(c *fiber.Ctx, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return &apiError{Status: http.StatusTooManyRequests, Code: codeTooManyRequests,
		Message: fmt.Sprintf("Too many failed sign-ins; try again in %d seconds.", secs)}
}

// accessLog writes one line per request: refusals (401, 403, 429) at
// info level, so that guessing and forged requests show in normal logs,
// everything else at debug. It logs the route pattern (and the path under
// /api/, which holds ids only), never other paths or queries (link tokens
// live there), and never a header or a body.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = toAPIError(err).Status
	}
	level := slog.LevelDebug
	msg := "request"
	if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests {
		level, msg = slog.LevelInfo, "request refused"
	}
	ctx := c.UserContext()
	if !s.log.Enabled(ctx, level) {
		return err
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestIDOf(c)), slog.String("method", c.Method()),
		slog.String("route", c.Route().Path), slog.Int("status", status),
		slog.Duration("duration", time.Since(start)), slog.String("ip", s.clientIP(c)),
	}
	if strings.HasPrefix(c.Path(), "/api/") { // ids only: no link tokens under /api/
		attrs = append(attrs, slog.String("path", strings.Clone(c.Path())))
	}
	if p := principalOf(c); p != nil && p.User != nil {
		attrs = append(attrs, slog.String("user_id", p.User.ID))
	} else if p != nil && p.Token != nil {
		attrs = append(attrs, slog.String("token_id", p.Token.ID))
	}
	s.log.LogAttrs(ctx, level, msg, attrs...)
	return err
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR
// ranges (e.g. "127.0.0.1, 10.0.0.0/8") of reverse proxies whose
// X-Forwarded-For is believed.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR range", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// trustedProxy reports whether a is one of Config.TrustedProxies.
func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address sign-in throttling and the logs use: the peer's
// address, or, when the peer is a trusted proxy, the right-most address
// of X-Forwarded-For that is not a trusted proxy. Entries further left
// were written by the client and are never believed.
func (s *Server) clientIP(c *fiber.Ctx) string {
	remote, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return strings.Clone(c.IP())
	}
	remote = remote.Unmap()
	if len(s.cfg.TrustedProxies) == 0 || !s.trustedProxy(remote) {
		return remote.String()
	}
	client := remote
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: keep the last address a trusted proxy vouched for
		}
		client = a.Unmap()
		if !s.trustedProxy(client) {
			break
		}
	}
	return client.String()
}

// checkSetupHost refuses first-run setup under a host name the server was
// not configured with: a page on an attacker's domain that re-resolves to
// this server (DNS rebinding) must not claim a fresh instance. IP
// addresses and localhost cannot be rebound, so they are always accepted.
func (s *Server) checkSetupHost(c *fiber.Ctx) error {
	// The Host header itself: Fiber's Hostname() believes X-Forwarded-Host,
	// which a rebinding page (same origin to the browser) can set.
	if s.cfg.SetupHosts == nil || setupHostAllowed(string(c.Request().Host()), s.cfg.SetupHosts) {
		return c.Next()
	}
	return forbidden("Finish the first-run setup at this server's own address (its IP address, localhost, or the --public-url host), not through another name.")
}

// setupHostAllowed reports whether hostport names this server: an IP
// address, localhost, or one of hosts (case-insensitive, port ignored).
func setupHostAllowed(hostport string, hosts []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if _, err := netip.ParseAddr(host); err == nil || strings.EqualFold(host, "localhost") {
		return true
	}
	for _, h := range hosts {
		if h != "" && strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}
