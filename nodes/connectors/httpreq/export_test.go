package httpreq

import "net/netip"

// NewWithPolicy builds a Client with a custom address policy (tests).
func NewWithPolicy(allow func(netip.Addr) bool) *Client {
	return New(Options{allow: allow})
}
