package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
)

func config(s *oauthtest.Server) oauth.Config {
	return oauth.Config{Vendor: "Acme", ClientID: "cid", ClientSecret: "shh", AuthorizeURL: s.URL + s.AuthorizePath,
		TokenURL: s.URL + s.TokenPath, RedirectURL: "https://journeys.example.com/oauth/callback", Scopes: []string{"api", "refresh_token"},
		AuthParams: map[string]string{"prompt": "consent"}, HTTPClient: s.Client(), Keep: []string{"instance_url"}}
}

func TestChallengeIsS256(t *testing.T) {
	t.Parallel()
	// RFC 7636, appendix B.
	if got := oauth.Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("challenge %s", got)
	}
	if v := oauth.NewVerifier(); len(v) < 43 || v == oauth.NewVerifier() {
		t.Fatalf("verifier %q", v)
	}
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	s := oauthtest.New(t, "cid", "shh")
	u, _ := url.Parse(config(s).AuthCodeURL("st", "verifier-verifier-verifier-verifier-verifier"))
	q := u.Query()
	if q.Get("scope") != "api refresh_token" || q.Get("prompt") != "consent" || q.Get("redirect_uri") != "https://journeys.example.com/oauth/callback" ||
		q.Get("code_challenge") != oauth.Challenge("verifier-verifier-verifier-verifier-verifier") || q.Get("state") != "st" {
		t.Fatalf("query %v", q)
	}
}

func TestExchangeChecksPKCE(t *testing.T) {
	t.Parallel()
	s := oauthtest.New(t, "cid", "shh")
	s.Extra["instance_url"] = "self"
	s.SetExpiresIn(3600, 0)
	cfg := config(s)
	verifier := oauth.NewVerifier()
	code, _, _ := s.Issue(cfg.AuthCodeURL("st", verifier))
	// A stolen code without the verifier is refused, and used up.
	if _, err := cfg.Exchange(context.Background(), code, oauth.NewVerifier()); !isRefused(err) {
		t.Fatalf("wrong verifier: %v", err)
	}
	code, _, _ = s.Issue(cfg.AuthCodeURL("st", verifier))
	tok, err := cfg.Exchange(context.Background(), code, verifier)
	if err != nil || tok.RefreshToken == "" || tok.AccessToken == "" || tok.Extra["instance_url"] != s.URL || tok.ExpiresIn != time.Hour {
		t.Fatalf("exchange %+v %v", tok, err)
	}
	if _, err := cfg.Exchange(context.Background(), code, verifier); !isRefused(err) {
		t.Fatalf("a code used twice: %v", err)
	}
	bad := cfg
	bad.ClientSecret = "wrong"
	code, _, _ = s.Issue(cfg.AuthCodeURL("st", verifier))
	_, err = bad.Exchange(context.Background(), code, verifier)
	var he *connectors.HTTPError
	if !errors.As(err, &he) || he.Code != "invalid_client" || !nodes.IsPermanent(connectors.NodeError(err)) {
		t.Fatalf("wrong client secret: %v", err)
	}
}

func isRefused(err error) bool {
	var re *oauth.RefusedError
	return errors.As(err, &re)
}

// TestZohoStyleRefusal: some servers answer a refused grant with 200 and
// an "error" member.
func TestZohoStyleRefusal(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"error":"invalid_code"}`))
	}))
	t.Cleanup(srv.Close)
	cfg := oauth.Config{Vendor: "Zoho CRM", ClientID: "c", TokenURL: srv.URL, HTTPClient: srv.Client()}
	if _, err := cfg.Refresh(context.Background(), "r"); !isRefused(err) {
		t.Fatalf("err %v", err)
	}
}

// TestSessionRefreshesBeforeExpiry uses the session without a store: a
// token about to expire is refreshed; a fresh one is used as is.
func TestSessionRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	s := oauthtest.New(t, "cid", "shh")
	s.SetExpiresIn(3600, 3600)
	cfg := config(s)
	verifier := oauth.NewVerifier()
	code, _, _ := s.Issue(cfg.AuthCodeURL("st", verifier))
	tok, err := cfg.Exchange(context.Background(), code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sess := oauth.NewSession(cfg, tok.Secrets(now), nil)
	sess.Now = func() time.Time { return now }
	if got, err := sess.AccessToken(context.Background()); err != nil || got != tok.AccessToken {
		t.Fatalf("fresh token: %q %v", got, err)
	}
	now = now.Add(59 * time.Minute) // within the margin before expiry
	got, err := sess.AccessToken(context.Background())
	if _, refreshes := s.Counts(); err != nil || got == tok.AccessToken || refreshes != 1 {
		t.Fatalf("near expiry: %q %v (%d refreshes)", got, err, refreshes)
	}
	if again, _ := sess.AccessToken(context.Background()); again != got {
		t.Fatalf("the refreshed token was not kept: %q", again)
	}
	s.Revoke()
	if _, err := sess.Refreshed(context.Background(), got); !errors.Is(err, oauth.ErrRenew) || !strings.Contains(err.Error(), oauth.RenewMessage("Acme")) {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := sess.AccessToken(context.Background()); !errors.Is(err, oauth.ErrRenew) {
		t.Fatalf("after a refusal the session must ask for renewal: %v", err)
	}
}

// TestRaceWithAnotherInstance: while this instance refreshed with a
// refresh token another instance had just rotated (refused), that
// instance stored a fresh token; the update runs again on the stored
// values and the step goes on with the fresh token, not a renewal.
func TestRaceWithAnotherInstance(t *testing.T) {
	t.Parallel()
	s := oauthtest.New(t, "cid", "shh")
	cfg := config(s)
	stale := map[string]string{oauth.SecretAccessToken: "old", oauth.SecretRefreshToken: "rotated-away", oauth.SecretExpiresAt: "2020-01-01T00:00:00Z"}
	stored := map[string]string{oauth.SecretAccessToken: "fresh", oauth.SecretRefreshToken: "new-refresh",
		oauth.SecretExpiresAt: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	tries := 0
	update := func(ctx context.Context, fn func(map[string]string) (map[string]string, error)) (map[string]string, error) {
		tries++
		if _, err := fn(oauth.Apply(stale, nil)); err != nil { // the swap then fails: another writer
			return nil, err
		}
		changes, err := fn(oauth.Apply(stored, nil))
		if err != nil {
			return nil, err
		}
		return oauth.Apply(stored, changes), nil
	}
	sess := oauth.NewSession(cfg, stale, update)
	got, err := sess.AccessToken(context.Background())
	if err != nil || got != "fresh" || tries != 1 {
		t.Fatalf("token %q, %v", got, err)
	}
}
