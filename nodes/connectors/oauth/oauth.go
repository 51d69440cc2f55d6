// Package oauth is the OAuth 2.0 client that vendors connected through
// Settings' Connect button share: the authorization-code flow with PKCE
// (S256), the code exchange, and a Session that hands out access tokens,
// refreshing them before they expire and once after a 401, and keeps the
// tokens in the credential's secrets (nodes.ConnectorEnv.UpdateSecrets),
// so every step and every instance sees the refreshed ones.
//
// We do not use golang.org/x/oauth2: its TokenSource keeps tokens in
// memory per source, while our accounts are opened per step and the
// tokens must be persisted, refreshed once per credential across steps,
// and refusals (a revoked grant) told apart to ask for a renewal; Zoho
// also answers refused grants with 200 and an "error" member. What is left
// of the library for us (an authorize URL, two form posts) is short.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Secret names under which a connection keeps its state, beside the
// fields the admin entered. They all start with Prefix.
const (
	Prefix = "oauth_"
	// SecretAccessToken is the current access token.
	SecretAccessToken = "oauth_access_token"
	// SecretRefreshToken is the long-lived refresh token.
	SecretRefreshToken = "oauth_refresh_token"
	// SecretExpiresAt is when the access token expires (RFC 3339; absent
	// when the vendor does not say).
	SecretExpiresAt = "oauth_expires_at"
	// SecretIdentity is who connected, for display.
	SecretIdentity = "oauth_identity"
	// SecretRenew is set (to the vendor's reason) when a refresh was
	// refused: the connection must be renewed in Settings.
	SecretRenew = "oauth_renew"
	// SecretPending holds the state of a Connect in progress.
	SecretPending = "oauth_pending"
	// ExtraPrefix prefixes other members of the token answer we keep
	// (Salesforce's instance_url, Zoho's api_domain).
	ExtraPrefix = "oauth_x_"
)

// refreshMargin is how long before its expiry a token is refreshed.
const refreshMargin = 2 * time.Minute

// Config is one vendor application (client) at one authorization server.
type Config struct {
	// Vendor is the display name used in messages ("Salesforce").
	Vendor       string
	ClientID     string
	ClientSecret string
	AuthorizeURL string
	TokenURL     string
	// RedirectURL is our callback, registered at the vendor.
	RedirectURL string
	Scopes      []string
	// AuthParams are extra query parameters of the authorize URL.
	AuthParams map[string]string
	// HTTPClient calls the token endpoint (nil: connectors.DefaultClient).
	HTTPClient *http.Client
	// Keep lists members of the token answer to keep (instance_url).
	Keep []string
}

// Token is a token endpoint's answer.
type Token struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime, 0 when the vendor gave
	// none.
	ExpiresIn time.Duration
	// Extra holds the kept members (Config.Keep) that were present.
	Extra map[string]string
}

// ErrRenew marks errors that need the admin to connect again.
var ErrRenew = errors.New("the connection needs to be renewed")

// RenewMessage is the plain sentence steps and Settings show when a
// vendor refused to refresh the connection.
func RenewMessage(vendor string) string {
	return fmt.Sprintf("The %s connection needs to be renewed: open Settings, Credentials and press Connect again.", vendor)
}

// NotConnectedMessage is shown when Connect was never completed.
func NotConnectedMessage(vendor string) string {
	return fmt.Sprintf("The %s account is not connected yet: open Settings, Credentials and press Connect.", vendor)
}

// renewError is permanent for the engine (an *connectors.InputError)
// and matches ErrRenew.
func renewError(msg string) error { return &connectors.InputError{Msg: msg, Err: ErrRenew} }

// RefusedError is the authorization server refusing a code or refresh
// token (invalid_grant: expired, revoked, already used).
type RefusedError struct {
	Vendor      string
	Code        string
	Description string
}

func (e *RefusedError) Error() string {
	d := e.Description
	if d == "" {
		d = e.Code
	}
	return fmt.Sprintf("%s refused the authorization: %s", e.Vendor, d)
}

// refusedCodes are token-endpoint errors that mean the grant itself is
// no good (Zoho says invalid_code for a revoked refresh token).
var refusedCodes = map[string]bool{"invalid_grant": true, "invalid_code": true, "access_denied": true}

// NewVerifier returns a PKCE code verifier (43 characters, RFC 7636).
func NewVerifier() string { return randomString(32) }

// NewState returns an unguessable state value.
func NewState() string { return randomString(24) }

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("oauth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Challenge is the S256 code challenge of a verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthCodeURL is the vendor's authorize page for state and the PKCE
// verifier's challenge.
func (c Config) AuthCodeURL(state, verifier string) string {
	q := url.Values{}
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", c.RedirectURL)
	q.Set("state", state)
	q.Set("code_challenge", Challenge(verifier))
	q.Set("code_challenge_method", "S256")
	if len(c.Scopes) > 0 {
		q.Set("scope", strings.Join(c.Scopes, " "))
	}
	for k, v := range c.AuthParams {
		q.Set(k, v)
	}
	sep := "?"
	if strings.Contains(c.AuthorizeURL, "?") {
		sep = "&"
	}
	return c.AuthorizeURL + sep + q.Encode()
}

// Exchange trades an authorization code (and its PKCE verifier) for
// tokens.
func (c Config) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	f := url.Values{}
	f.Set("grant_type", "authorization_code")
	f.Set("code", code)
	f.Set("redirect_uri", c.RedirectURL)
	f.Set("code_verifier", verifier)
	return c.token(ctx, f)
}

// Refresh gets a new access token with a refresh token.
func (c Config) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	f := url.Values{}
	f.Set("grant_type", "refresh_token")
	f.Set("refresh_token", refreshToken)
	return c.token(ctx, f)
}

func (c Config) token(ctx context.Context, form url.Values) (Token, error) {
	form.Set("client_id", c.ClientID)
	if c.ClientSecret != "" {
		form.Set("client_secret", c.ClientSecret)
	}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: c.Vendor, Client: c.HTTPClient, Method: http.MethodPost,
		URL: c.TokenURL, Header: h, Body: []byte(form.Encode()), ParseError: tokenError})
	var he *connectors.HTTPError
	if errors.As(err, &he) && refusedCodes[he.Code] {
		return Token{}, &RefusedError{Vendor: c.Vendor, Code: he.Code, Description: he.Message}
	}
	if err != nil {
		return Token{}, err
	}
	var raw map[string]any
	if err := connectors.DecodeJSON(c.Vendor, resp.Body, &raw); err != nil {
		return Token{}, err
	}
	str := func(k string) string { s, _ := raw[k].(string); return s }
	if e := str("error"); e != "" { // Zoho: 200 with {"error": "invalid_code"}
		if refusedCodes[e] {
			return Token{}, &RefusedError{Vendor: c.Vendor, Code: e, Description: str("error_description")}
		}
		return Token{}, &connectors.HTTPError{Vendor: c.Vendor, Status: resp.Status, Code: e, Message: str("error_description")}
	}
	t := Token{AccessToken: str("access_token"), RefreshToken: str("refresh_token"), Extra: map[string]string{}}
	if t.AccessToken == "" {
		return Token{}, connectors.Payloadf(c.Vendor, "the token answer has no access token")
	}
	var secs float64
	switch v := raw["expires_in"].(type) {
	case float64:
		secs = v
	case string:
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs > 0 {
		t.ExpiresIn = time.Duration(secs) * time.Second
	}
	for _, k := range c.Keep {
		if v := str(k); v != "" {
			t.Extra[k] = v
		}
	}
	return t, nil
}

// tokenError reads {"error", "error_description"}.
func tokenError(body []byte) (code, message string) {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error, e.Description
	}
	return connectors.GenericError(body)
}

// Secrets are the credential secrets that store a token received at now.
func (t Token) Secrets(now time.Time) map[string]string {
	s := map[string]string{SecretAccessToken: t.AccessToken, SecretExpiresAt: "", SecretRenew: ""}
	if t.ExpiresIn > 0 {
		s[SecretExpiresAt] = now.Add(t.ExpiresIn).UTC().Format(time.RFC3339)
	}
	if t.RefreshToken != "" {
		s[SecretRefreshToken] = t.RefreshToken
	}
	for k, v := range t.Extra {
		s[ExtraPrefix+k] = v
	}
	return s
}

// Session hands out the access token of one opened credential.
type Session struct {
	Config Config
	// Update stores refreshed tokens (nil: kept in memory only).
	Update nodes.SecretsUpdater
	// Now tells the time (default time.Now).
	Now func() time.Time

	mu     sync.Mutex
	values map[string]string
}

// NewSession starts from the credential's stored values.
func NewSession(c Config, values map[string]string, update nodes.SecretsUpdater) *Session {
	v := make(map[string]string, len(values))
	for k, x := range values {
		v[k] = x
	}
	return &Session{Config: c, Update: update, values: v}
}

func (s *Session) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Value returns a stored value, e.g. Extra("instance_url") after a refresh.
func (s *Session) Value(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[name]
}

// Extra returns a kept member of the token answer.
func (s *Session) Extra(name string) string { return s.Value(ExtraPrefix + name) }

// fresh reports whether values hold an access token that is not about to
// expire (a token without a known expiry counts as fresh until a 401).
func (s *Session) fresh(values map[string]string) bool {
	if values[SecretAccessToken] == "" {
		return false
	}
	exp := values[SecretExpiresAt]
	if exp == "" {
		return true
	}
	t, err := time.Parse(time.RFC3339, exp)
	return err == nil && s.now().Add(refreshMargin).Before(t)
}

// AccessToken returns a usable access token, refreshing it first when it
// is missing or about to expire.
func (s *Session) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	values := s.values
	s.mu.Unlock()
	if err := s.usable(values); err != nil {
		return "", err
	}
	if s.fresh(values) {
		return values[SecretAccessToken], nil
	}
	return s.refresh(ctx, values[SecretAccessToken])
}

// Refreshed is called after the vendor refused stale (a 401): it returns
// a new token, refreshing unless another step already did.
func (s *Session) Refreshed(ctx context.Context, stale string) (string, error) {
	return s.refresh(ctx, stale)
}

// usable checks that the credential was connected and not refused.
func (s *Session) usable(values map[string]string) error {
	if values[SecretRenew] != "" {
		return renewError(RenewMessage(s.Config.Vendor))
	}
	if values[SecretRefreshToken] == "" && values[SecretAccessToken] == "" {
		return renewError(NotConnectedMessage(s.Config.Vendor))
	}
	return nil
}

// refresh gets a new access token unless the stored one differs from
// stale and is fresh (another step refreshed meanwhile). With Update, the
// check and the refresh run while no other refresh of the credential
// does, and the result is stored.
func (s *Session) refresh(ctx context.Context, stale string) (string, error) {
	var refused error
	decide := func(values map[string]string) (map[string]string, error) {
		// Update may run decide again (another instance changed the
		// secrets meanwhile): only the last run's refusal counts.
		refused = nil
		if err := s.usable(values); err != nil {
			return nil, err
		}
		if values[SecretAccessToken] != stale && s.fresh(values) {
			return nil, nil
		}
		if values[SecretRefreshToken] == "" {
			return nil, renewError(RenewMessage(s.Config.Vendor))
		}
		t, err := s.Config.Refresh(ctx, values[SecretRefreshToken])
		var re *RefusedError
		if errors.As(err, &re) {
			refused = err
			return map[string]string{SecretRenew: re.Error(), SecretAccessToken: "", SecretExpiresAt: ""}, nil
		}
		if err != nil {
			return nil, err
		}
		return t.Secrets(s.now()), nil
	}
	var values map[string]string
	var err error
	if s.Update != nil {
		values, err = s.Update(ctx, decide)
	} else {
		s.mu.Lock()
		values = s.values
		s.mu.Unlock()
		var changes map[string]string
		if changes, err = decide(values); err == nil {
			values = apply(values, changes)
		}
	}
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.values = values
	s.mu.Unlock()
	if refused != nil {
		return "", renewError(RenewMessage(s.Config.Vendor) + " (" + refused.Error() + ")")
	}
	return values[SecretAccessToken], nil
}

// apply returns values with changes made ("" deletes).
func apply(values, changes map[string]string) map[string]string {
	out := make(map[string]string, len(values)+len(changes))
	for k, v := range values {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Apply is apply for the credential store: values with changes made.
func Apply(values, changes map[string]string) map[string]string { return apply(values, changes) }

// ConfigFor builds the client of a vendor's OAuth declaration from the
// credential's values ("client_id", "client_secret").
func ConfigFor(vendor string, spec *nodes.OAuthSpec, values map[string]string, redirectURL string, hc *http.Client) (Config, error) {
	if spec == nil || spec.Endpoints == nil {
		return Config{}, connectors.Invalidf("%s accounts do not connect with OAuth", vendor)
	}
	auth, tok, err := spec.Endpoints(values)
	if err != nil {
		return Config{}, err
	}
	return Config{Vendor: vendor, ClientID: values["client_id"], ClientSecret: values["client_secret"], AuthorizeURL: auth, TokenURL: tok,
		RedirectURL: redirectURL, Scopes: spec.Scopes, AuthParams: spec.AuthParams, HTTPClient: hc, Keep: spec.Keep}, nil
}
