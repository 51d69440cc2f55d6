package channels

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
	"github.com/journeyhq/journey/storage"
)

// CallbackPath is where vendors send the browser back after Connect.
const CallbackPath = "/oauth/callback"

// connectTTL is how long a Connect may take before its state expires.
const connectTTL = 10 * time.Minute

// Connection states of an OAuth credential.
const (
	ConnectionConnected    = "connected"
	ConnectionNeedsRenewal = "needs_renewal"
	ConnectionNotConnected = "not_connected"
)

// ConnectionView is an OAuth credential's connection, as Settings shows
// it (never a token).
type ConnectionView struct {
	// Status is connected, needs_renewal or not_connected.
	Status string `json:"status"`
	// Account is who connected (a username), when known.
	Account string `json:"account,omitempty"`
	// Message says it in a sentence.
	Message string `json:"message"`
}

// connectionView describes the connection kept in secrets.
func connectionView(title string, secrets map[string]string) *ConnectionView {
	switch {
	case secrets[oauth.SecretRenew] != "":
		return &ConnectionView{Status: ConnectionNeedsRenewal, Account: secrets[oauth.SecretIdentity], Message: oauth.RenewMessage(title)}
	case secrets[oauth.SecretRefreshToken] != "" || secrets[oauth.SecretAccessToken] != "":
		msg := "Connected to " + title
		if who := secrets[oauth.SecretIdentity]; who != "" {
			msg += " as " + who
		}
		return &ConnectionView{Status: ConnectionConnected, Account: secrets[oauth.SecretIdentity], Message: msg + "."}
	}
	return &ConnectionView{Status: ConnectionNotConnected, Message: "Not connected yet: save the credential, then press Connect."}
}

// isConnectionSecret reports whether a secret is kept by the connection
// (tokens, pending state), not entered by the admin.
func isConnectionSecret(name string) bool { return strings.HasPrefix(name, oauth.Prefix) }

// keptConnection returns the connection secrets of prev that an update
// keeps: all of them, unless the update changed who the app is (client
// id or secret) or where it signs in (an address field), which makes the
// tokens another connection's.
func keptConnection(prev map[string]string, oldFields string, fields map[string]any, secrets map[string]string) map[string]string {
	old := map[string]any{}
	_ = json.Unmarshal([]byte(oldFields), &old)
	for _, name := range append([]string{"client_id"}, addressFields...) {
		if !strings.EqualFold(strings.TrimSpace(fmt.Sprint(old[name])), strings.TrimSpace(fmt.Sprint(fields[name]))) {
			return nil
		}
	}
	if prev["client_secret"] != secrets["client_secret"] {
		return nil
	}
	kept := map[string]string{}
	for k, v := range prev {
		if isConnectionSecret(k) {
			kept[k] = v
		}
	}
	return kept
}

// secretLocks serializes secret updates per credential in this process.
type secretLocks struct{ m sync.Map }

func (l *secretLocks) lock(id string) func() {
	mu, _ := l.m.LoadOrStore(id, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// updateSecrets implements nodes.SecretsUpdater for credential id: fn
// sees the stored values (fields and secrets) read afresh while no other
// update of the credential runs in this process; its changes are stored
// only if the sealed secrets did not change meanwhile (another instance),
// else it runs again on the new values.
func (s *Service) updateSecrets(ctx context.Context, id string, fn func(map[string]string) (map[string]string, error)) (map[string]string, error) {
	defer s.locks.lock(id)()
	for try := 0; try < 5; try++ {
		c, values, err := s.open(ctx, id)
		if err != nil {
			return nil, err
		}
		changes, err := fn(maps.Clone(values))
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return values, nil
		}
		secrets, err := s.secrets(c)
		if err != nil {
			return nil, err
		}
		secrets = oauth.Apply(secrets, changes)
		sealed, err := s.seal(c.ID, secrets)
		if err != nil {
			return nil, err
		}
		var swapped bool
		err = s.store.Write(ctx, func(tx storage.Tx) error {
			swapped, err = storage.SwapCredentialSecrets(tx, c.ID, c.Secrets, sealed, s.now())
			return err
		})
		if err != nil {
			return nil, err
		}
		if swapped {
			return oauth.Apply(values, changes), nil
		}
	}
	return nil, fmt.Errorf("credential %s: its secrets kept changing while they were being updated", id)
}

// updater is the SecretsUpdater of credential id.
func (s *Service) updater(id string) nodes.SecretsUpdater {
	return func(ctx context.Context, fn func(map[string]string) (map[string]string, error)) (map[string]string, error) {
		return s.updateSecrets(ctx, id, fn)
	}
}

// pendingConnect is a Connect in progress, kept sealed with the
// credential until the vendor sends the browser back.
type pendingConnect struct {
	// StateHash is the SHA-256 of the state sent to the vendor.
	StateHash string    `json:"state_hash"`
	Verifier  string    `json:"verifier"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// ConnectError is a Connect that cannot go on, in plain words.
type ConnectError struct {
	// CredentialID is the credential concerned, when known.
	CredentialID string
	Message      string
}

func (e *ConnectError) Error() string { return e.Message }

// redirectURL is the callback registered at vendors.
func (s *Service) redirectURL() string { return s.endpoint + CallbackPath }

// RedirectURL is the callback address admins register at the vendor.
func (s *Service) RedirectURL() string { return s.redirectURL() }

// oauthClient calls vendors' token endpoints.
func (s *Service) oauthClient() *http.Client {
	if s.cfg.OAuthClient != nil {
		return s.cfg.OAuthClient
	}
	return httpreq.GuardedHTTPClient(false, connectors.DefaultTimeout)
}

// oauthConfig is the OAuth client of a stored credential.
func (s *Service) oauthConfig(ctx context.Context, id string) (*KindSpec, oauth.Config, error) {
	c, values, err := s.open(ctx, id)
	if err != nil {
		return nil, oauth.Config{}, err
	}
	spec, ok := kindSpec(c.Kind)
	if !ok || spec.oauth == nil {
		return nil, oauth.Config{}, &InputError{Message: fmt.Sprintf("%s credentials do not connect with a Connect button.", c.Kind)}
	}
	cfg, err := oauth.ConfigFor(spec.Title, spec.oauth, values, s.redirectURL(), s.oauthClient())
	if err != nil {
		return nil, oauth.Config{}, &InputError{Message: err.Error()}
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, oauth.Config{}, &InputError{Message: fmt.Sprintf("Enter the %s app's client id and secret and save before pressing Connect.", spec.Title)}
	}
	return spec, cfg, nil
}

// StartConnect begins the authorization-code flow of an OAuth credential
// for the signed-in user: it keeps a single-use state and PKCE verifier
// with the credential and returns the vendor's authorize URL.
func (s *Service) StartConnect(ctx context.Context, id, userID string) (string, error) {
	if userID == "" {
		return "", &InputError{Message: "Connect from the editor while signed in: the vendor sends your browser back to finish."}
	}
	_, cfg, err := s.oauthConfig(ctx, id)
	if err != nil {
		return "", err
	}
	state := id + "." + oauth.NewState()
	p := pendingConnect{StateHash: hashState(state), Verifier: oauth.NewVerifier(), UserID: userID, ExpiresAt: s.now().Add(connectTTL).UTC()}
	_, err = s.updateSecrets(ctx, id, func(map[string]string) (map[string]string, error) {
		return map[string]string{oauth.SecretPending: mustJSON(p)}, nil
	})
	if err != nil {
		return "", err
	}
	return cfg.AuthCodeURL(state, p.Verifier), nil
}

// CredentialOfState is the credential a callback's state is for ("" when
// the state is malformed).
func CredentialOfState(state string) string {
	id, _, ok := strings.Cut(state, ".")
	if !ok {
		return ""
	}
	return id
}

// FinishConnect completes a Connect when the vendor sends the browser
// back: the state must be the pending one of the credential, unexpired,
// started by the same user, and is used up; the code is then exchanged
// (with the PKCE verifier) and the tokens stored sealed. It returns the
// connection as Settings shows it.
func (s *Service) FinishConnect(ctx context.Context, state, code, userID string) (*ConnectionView, error) {
	id := CredentialOfState(state)
	fail := func(msg string) error { return &ConnectError{CredentialID: id, Message: msg} }
	if id == "" {
		return nil, fail("This sign-in link is not valid: press Connect again in Settings.")
	}
	spec, cfg, err := s.oauthConfig(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fail("The credential of this sign-in no longer exists.")
	}
	if err != nil {
		return nil, err
	}
	var p pendingConnect
	_, err = s.updateSecrets(ctx, id, func(values map[string]string) (map[string]string, error) {
		raw := values[oauth.SecretPending]
		if raw == "" || json.Unmarshal([]byte(raw), &p) != nil ||
			subtle.ConstantTimeCompare([]byte(p.StateHash), []byte(hashState(state))) != 1 {
			return nil, fail("This sign-in was already used or replaced by a newer one: press Connect again in Settings.")
		}
		// Used up whatever happens next.
		return map[string]string{oauth.SecretPending: ""}, nil
	})
	if err != nil {
		return nil, err
	}
	if p.UserID != userID {
		return nil, fail("This sign-in was started by another user: press Connect again in Settings.")
	}
	if !s.now().Before(p.ExpiresAt) {
		return nil, fail("This sign-in took too long and expired: press Connect again in Settings.")
	}
	if code == "" {
		return nil, fail(spec.Title + " sent no authorization code: press Connect again in Settings.")
	}
	tok, err := cfg.Exchange(ctx, code, p.Verifier)
	if err != nil {
		return nil, fail(fmt.Sprintf("%s did not accept the sign-in: %v", spec.Title, err))
	}
	if tok.RefreshToken == "" {
		return nil, fail(fmt.Sprintf("%s gave no refresh token, so the connection could not last: allow offline access (the refresh_token scope) for the app, then press Connect again.", spec.Title))
	}
	changes := tok.Secrets(time.Now())
	changes[oauth.SecretIdentity] = ""
	if _, err := s.updateSecrets(ctx, id, func(map[string]string) (map[string]string, error) { return changes, nil }); err != nil {
		return nil, err
	}
	if spec.oauth.Identify != nil {
		acc, err := s.Account(ctx, id)
		var who string
		if err == nil {
			who, err = spec.oauth.Identify(ctx, acc)
		}
		if err != nil {
			s.log.WarnContext(ctx, "connected, but could not tell who to", "credential_id", id, "kind", spec.Kind, "error", err)
		} else if who != "" {
			_, _ = s.updateSecrets(ctx, id, func(map[string]string) (map[string]string, error) {
				return map[string]string{oauth.SecretIdentity: who}, nil
			})
		}
	}
	c, err := storage.GetCredential(s.store.Reader().WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	secrets, err := s.secrets(c)
	if err != nil {
		return nil, err
	}
	return connectionView(spec.Title, secrets), nil
}
