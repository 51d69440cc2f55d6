package main

import (
	"flag"
	"fmt"

	"github.com/journeyhq/journey/nodes/connectors/emailcheck"
)

// dnsResolverFlag adds --dns-resolver: the DNS server the "Check the email
// address" step asks for a domain's mail servers.
func dnsResolverFlag(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DNSResolver, "dns-resolver", envOr("JOURNEY_DNS_RESOLVER", ""),
		"DNS server (IP:port, like 1.1.1.1:53) that email checks ask for a domain's mail servers; empty: the system resolver [JOURNEY_DNS_RESOLVER]")
}

// emailChecker builds the email checker of the engine: DNS through
// --dns-resolver, answers cached per domain.
func emailChecker(c config) (*emailcheck.Checker, error) {
	r, err := emailcheck.NewResolver(c.DNSResolver)
	if err != nil {
		return nil, fmt.Errorf("--dns-resolver: %w", err)
	}
	return emailcheck.New(emailcheck.Config{Resolver: r}), nil
}
