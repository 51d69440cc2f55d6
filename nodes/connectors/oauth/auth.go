package oauth

import (
	"context"

	"github.com/journeyhq/journey/nodes/connectors"
)

// Auth gives a vendor client its access token and the base address the
// token answer named (Salesforce's instance_url, Zoho's api_domain), and
// a new token after the vendor refused the stale one.
type Auth interface {
	Token(ctx context.Context) (accessToken, base string, err error)
	Refreshed(ctx context.Context, stale string) (accessToken, base string, err error)
}

// SessionAuth is the Auth of a connected credential: the session's token,
// and the base kept from the token answer under baseKey.
func SessionAuth(s *Session, baseKey string) Auth { return sessionAuth{s: s, key: baseKey} }

type sessionAuth struct {
	s   *Session
	key string
}

func (a sessionAuth) Token(ctx context.Context) (string, string, error) {
	t, err := a.s.AccessToken(ctx)
	return t, a.s.Extra(a.key), err
}

func (a sessionAuth) Refreshed(ctx context.Context, stale string) (string, string, error) {
	t, err := a.s.Refreshed(ctx, stale)
	return t, a.s.Extra(a.key), err
}

// StaticAuth is a fixed token and base address (tests, scripts); Vendor
// names the vendor when the token is refused.
type StaticAuth struct{ AccessToken, Base, Vendor string }

// Token implements Auth.
func (a StaticAuth) Token(context.Context) (string, string, error) {
	return a.AccessToken, a.Base, nil
}

// Refreshed implements Auth: a fixed token cannot be refreshed.
func (a StaticAuth) Refreshed(context.Context, string) (string, string, error) {
	return "", "", connectors.Invalidf("%s refused the access token and it cannot be refreshed", a.Vendor)
}
