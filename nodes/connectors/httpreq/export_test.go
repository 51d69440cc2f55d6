package httpreq

import (
	"crypto/x509"
	"net/netip"
)

// NewWithPolicy builds a Client with a custom address policy (tests).
func NewWithPolicy(allow func(netip.Addr) bool) *Client {
	return New(Options{allow: allow})
}

// NewTrusting builds a Client (internal addresses allowed) that trusts
// the certificate authorities in roots (tests).
func NewTrusting(roots *x509.CertPool) *Client {
	return New(Options{AllowPrivate: true, roots: roots})
}
