package connectors

import (
	"crypto/hmac"
	"errors"
	"fmt"
)

// ErrBadSignature means an inbound webhook's signature is missing or does
// not match: the server answers 401 and keeps nothing.
var ErrBadSignature = errors.New("the webhook signature is missing or does not match")

// ErrIgnored means a well-formed inbound notification that carries nothing
// we record (e.g. an SMS "queued" status): the server answers 2xx and
// drops it.
var ErrIgnored = errors.New("notification ignored")

// PayloadError is an inbound payload we cannot read (malformed JSON, an
// unknown event type, a missing required field): the server answers 400.
type PayloadError struct {
	Provider string
	Msg      string
}

func (e *PayloadError) Error() string { return fmt.Sprintf("%s payload: %s", e.Provider, e.Msg) }

// Payloadf returns a *PayloadError.
func Payloadf(provider, format string, args ...any) error {
	return &PayloadError{Provider: provider, Msg: fmt.Sprintf(format, args...)}
}

// IsPayloadError reports whether err is a *PayloadError.
func IsPayloadError(err error) bool {
	var p *PayloadError
	return errors.As(err, &p)
}

// EqualMAC compares two MACs in constant time.
func EqualMAC(a, b []byte) bool { return hmac.Equal(a, b) }
