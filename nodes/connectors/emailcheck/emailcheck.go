// Package emailcheck checks email addresses for the "Check the email
// address" step (contact.verify_email): syntax, whether the domain
// receives mail (MX records, or an A/AAAA record as the fallback mail
// servers use), throwaway (disposable) domains, shared role addresses
// (info@, sales@) and likely typos of common providers (gmial.com).
//
// DNS goes through a Resolver (*net.Resolver implements it; NewResolver
// points one at a chosen server). Answers are cached per domain, with a
// TTL and a bound on the number of domains kept; failures to look a domain
// up are not cached, and make an address risky, not invalid.
package emailcheck

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/journeyhq/journey/nodes"
)

// Resolver looks up DNS records. *net.Resolver implements it.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Defaults of Config.
const (
	DefaultTTL           = time.Hour
	DefaultMaxDomains    = 10000
	DefaultLookupTimeout = 5 * time.Second
)

// Config configures a Checker. Zero values get the defaults.
type Config struct {
	// Resolver answers the DNS questions (default net.DefaultResolver).
	Resolver Resolver
	// TTL is how long a domain's answer is reused (default 1h).
	TTL time.Duration
	// MaxDomains bounds the cache; the least recently used domain goes
	// first (default 10000).
	MaxDomains int
	// LookupTimeout bounds the look-ups of one domain (default 5s).
	LookupTimeout time.Duration
	// NowFunc is the clock of the cache (default time.Now).
	NowFunc func() time.Time
}

// Checker checks addresses; it is safe for concurrent use.
type Checker struct {
	cfg    Config
	group  singleflight.Group
	mu     sync.Mutex
	cache  map[string]*list.Element // domain -> entry
	recent *list.List               // of *entry, most recently used first
}

// New returns a Checker.
func New(cfg Config) *Checker {
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxDomains <= 0 {
		cfg.MaxDomains = DefaultMaxDomains
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = DefaultLookupTimeout
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &Checker{cfg: cfg, cache: map[string]*list.Element{}, recent: list.New()}
}

// NewResolver returns a resolver that asks the DNS server at addr
// ("1.1.1.1:53"; the port defaults to 53), or the system resolver when
// addr is empty.
func NewResolver(addr string) (*net.Resolver, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return net.DefaultResolver, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "53")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("%q is not a DNS server address: use an IP address and port, like 1.1.1.1:53", addr)
	}
	if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("%q is not a DNS server address: give the server's IP address (like 1.1.1.1:53), not a name", addr)
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}, nil
}

// mailState is what DNS said about a domain.
type mailState int

const (
	mailFound       mailState = iota // MX records, or an A/AAAA fallback
	mailNone                         // no such domain, or no MX and no address
	mailNullMX                       // an MX of "." (RFC 7505): no mail accepted
	mailUnavailable                  // the look-up failed (timeout, SERVFAIL)
)

type domainAnswer struct {
	state mailState
	hosts []string
	// failure says why a look-up failed (mailUnavailable only).
	failure string
}

type entry struct {
	domain  string
	answer  domainAnswer
	expires time.Time
}

// CheckEmail implements nodes.EmailChecker.
func (c *Checker) CheckEmail(ctx context.Context, address string) nodes.EmailCheck {
	addr := strings.ToLower(strings.TrimSpace(address))
	out := nodes.EmailCheck{Email: addr}
	local, domain, ascii, problem := parse(addr)
	if problem != "" {
		out.Status, out.Reason, out.Reasons = nodes.EmailInvalid, problem, []string{problem}
		return out
	}
	var risky []string
	if !isASCII(local) {
		risky = append(risky, "the part before the @ has letters outside the plain Latin alphabet (like accents), which many mail servers refuse")
	}
	if s := suggestDomain(ascii); s != "" {
		out.Typo, out.Suggestion = true, local+"@"+s
		risky = append(risky, "looks like a typo of "+s)
	}
	if d := disposableDomain(ascii); d != "" {
		out.Disposable = true
		risky = append(risky, "a throwaway (disposable) address from "+d)
	}
	if roleAddress(local) {
		out.Role = true
		risky = append(risky, fmt.Sprintf("a shared address (%s@) rather than a person's", roleName(local)))
	}
	ans := c.mailAnswer(ctx, ascii)
	out.MailHosts = ans.hosts
	var invalid string
	switch ans.state {
	case mailNone:
		invalid = "the domain " + domain + " does not exist or receives no email"
	case mailNullMX:
		invalid = "the domain " + domain + " says it accepts no email"
	case mailUnavailable:
		out.DNSUnavailable = true
		risky = append(risky, "the mail servers of "+domain+" could not be looked up just now ("+ans.failure+"); the address may be fine")
	}
	switch {
	case invalid != "":
		if out.Typo {
			invalid += ": did you mean " + out.Suggestion + "?"
		}
		out.Status, out.Reason = nodes.EmailInvalid, invalid
		out.Reasons = append([]string{invalid}, risky...)
	case len(risky) > 0:
		out.Status, out.Reason, out.Reasons = nodes.EmailRisky, risky[0], risky
	default:
		out.Status = nodes.EmailValid
	}
	return out
}

// mailAnswer returns the domain's answer, from the cache when fresh.
func (c *Checker) mailAnswer(ctx context.Context, domain string) domainAnswer {
	if a, ok := c.cached(domain); ok {
		return a
	}
	v, _, _ := c.group.Do(domain, func() (any, error) {
		if a, ok := c.cached(domain); ok {
			return a, nil
		}
		lctx, cancel := context.WithTimeout(ctx, c.cfg.LookupTimeout)
		defer cancel()
		a := lookup(lctx, c.cfg.Resolver, domain)
		if a.state != mailUnavailable {
			c.store(domain, a)
		}
		return a, nil
	})
	return v.(domainAnswer)
}

func (c *Checker) cached(domain string) (domainAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.cache[domain]
	if !ok {
		return domainAnswer{}, false
	}
	e := el.Value.(*entry)
	if !c.cfg.NowFunc().Before(e.expires) {
		c.recent.Remove(el)
		delete(c.cache, domain)
		return domainAnswer{}, false
	}
	c.recent.MoveToFront(el)
	return e.answer, true
}

func (c *Checker) store(domain string, a domainAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry{domain: domain, answer: a, expires: c.cfg.NowFunc().Add(c.cfg.TTL)}
	if el, ok := c.cache[domain]; ok {
		el.Value = e
		c.recent.MoveToFront(el)
		return
	}
	c.cache[domain] = c.recent.PushFront(e)
	for c.recent.Len() > c.cfg.MaxDomains {
		last := c.recent.Back()
		c.recent.Remove(last)
		delete(c.cache, last.Value.(*entry).domain)
	}
}

// Len returns how many domains the cache holds.
func (c *Checker) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.recent.Len()
}

// lookup asks DNS where domain receives mail: its MX records, else (as
// mail servers do) its A/AAAA address.
func lookup(ctx context.Context, r Resolver, domain string) domainAnswer {
	fqdn := domain + "." // absolute: no search domains appended
	mx, err := r.LookupMX(ctx, fqdn)
	if err == nil && len(mx) > 0 {
		var hosts []string
		for _, m := range mx {
			if h := strings.TrimSuffix(m.Host, "."); h != "" {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) == 0 {
			return domainAnswer{state: mailNullMX}
		}
		return domainAnswer{state: mailFound, hosts: hosts}
	}
	if err != nil && !notFound(err) {
		return domainAnswer{state: mailUnavailable, failure: failure(err)}
	}
	addrs, err := r.LookupHost(ctx, fqdn)
	switch {
	case err == nil && len(addrs) > 0:
		return domainAnswer{state: mailFound, hosts: []string{domain}}
	case err == nil || notFound(err):
		return domainAnswer{state: mailNone}
	default:
		return domainAnswer{state: mailUnavailable, failure: failure(err)}
	}
}

// failure says in words why a look-up failed.
func failure(err error) string {
	var de *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &de) && de.IsTimeout:
		return "the DNS server did not answer in time"
	case errors.As(err, &de) && de.IsTemporary:
		return "the DNS server answered with a temporary failure"
	default:
		return "the DNS look-up failed"
	}
}

// notFound reports whether DNS answered that the name or record does not
// exist (NXDOMAIN, or no record of the type), as opposed to failing.
func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// Interface guards.
var (
	_ nodes.EmailChecker = (*Checker)(nil)
	_ Resolver           = (*net.Resolver)(nil)
)
