// Package oauthtest is an in-test OAuth 2.0 authorization server (and
// the vendor API behind it) for the tests of OAuth connectors, the
// credential service and the server: it issues codes from its authorize
// page, checks the PKCE verifier, client and redirect address at the
// token endpoint, refreshes tokens, and can be told to revoke the grant.
package oauthtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Server is the authorization server and vendor API.
type Server struct {
	*httptest.Server
	t testing.TB
	// ClientID and ClientSecret are the only client accepted.
	ClientID, ClientSecret string
	// AuthorizePath and TokenPath are the endpoints' paths.
	AuthorizePath, TokenPath string
	// Extra is added to every token answer ("instance_url" → its URL
	// when the value is "self").
	Extra map[string]string
	// CodeExpiresIn and RefreshExpiresIn are the expires_in of the tokens
	// from a code and from a refresh (0: none given, as Salesforce).
	CodeExpiresIn, RefreshExpiresIn int
	// API answers the other paths, after the bearer token was checked.
	API http.Handler

	mu         sync.Mutex
	codes      map[string]grant // code → its grant
	access     map[string]bool  // valid access tokens
	refresh    string
	revoked    bool
	n          int
	Refreshes  int
	Exchanges  int
	LastAccess string
}

type grant struct{ challenge, redirect string }

// New starts a server for client id and secret.
func New(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{t: t, ClientID: clientID, ClientSecret: clientSecret, AuthorizePath: "/services/oauth2/authorize",
		TokenPath: "/services/oauth2/token", Extra: map[string]string{}, codes: map[string]grant{}, access: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Revoke makes the refresh token (and every access token) invalid.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
	s.access = map[string]bool{}
}

// Expire makes every access token invalid (the API answers 401) while
// the refresh token still works.
func (s *Server) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access = map[string]bool{}
}

// SetExpiresIn sets CodeExpiresIn and RefreshExpiresIn while serving.
func (s *Server) SetExpiresIn(code, refresh int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.CodeExpiresIn, s.RefreshExpiresIn = code, refresh
}

// Counts returns how many codes were exchanged and tokens refreshed.
func (s *Server) Counts() (exchanges, refreshes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Exchanges, s.Refreshes
}

// Issue returns a code for an authorize request as the vendor's page
// would after the user agreed (the challenge and redirect are bound to it).
func (s *Server) Issue(authorizeURL string) (code, state, redirect string) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		s.t.Fatalf("authorize URL %q: %v", authorizeURL, err)
	}
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" ||
		q.Get("client_id") != s.ClientID || q.Get("state") == "" {
		s.t.Errorf("authorize request %v", q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	code = fmt.Sprintf("code-%d", s.n)
	s.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	return code, q.Get("state"), q.Get("redirect_uri")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case s.AuthorizePath:
		// The user agrees at once: back to the redirect with a code.
		code, state, redirect := s.Issue(s.URL + r.URL.RequestURI())
		http.Redirect(w, r, redirect+"?"+url.Values{"code": {code}, "state": {state}}.Encode(), http.StatusFound)
	case s.TokenPath:
		s.token(w, r)
	default:
		s.mu.Lock()
		// "Bearer <token>", or Zoho's "Zoho-oauthtoken <token>".
		_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		ok := s.access[token]
		s.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
			return
		}
		if s.API == nil {
			http.NotFound(w, r)
			return
		}
		s.API.ServeHTTP(w, r)
	}
}

func (s *Server) refuse(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		s.refuse(w, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Get("client_id") != s.ClientID || f.Get("client_secret") != s.ClientSecret {
		s.refuse(w, "invalid_client", "invalid client credentials")
		return
	}
	out := map[string]any{"token_type": "Bearer"}
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use
		if !ok {
			s.refuse(w, "invalid_grant", "authorization code is invalid or expired")
			return
		}
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			s.refuse(w, "invalid_grant", "invalid code verifier")
			return
		}
		if f.Get("redirect_uri") != g.redirect {
			s.refuse(w, "invalid_grant", "redirect_uri mismatch")
			return
		}
		s.Exchanges++
		s.revoked = false
		s.refresh = fmt.Sprintf("refresh-%d", s.Exchanges)
		out["refresh_token"] = s.refresh
		if s.CodeExpiresIn > 0 {
			out["expires_in"] = s.CodeExpiresIn
		}
	case "refresh_token":
		if s.revoked || f.Get("refresh_token") != s.refresh {
			s.refuse(w, "invalid_grant", "expired access/refresh token")
			return
		}
		s.Refreshes++
		if s.RefreshExpiresIn > 0 {
			out["expires_in"] = s.RefreshExpiresIn
		}
	default:
		s.refuse(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	s.n++
	s.LastAccess = fmt.Sprintf("access-%d", s.n)
	s.access[s.LastAccess] = true
	out["access_token"] = s.LastAccess
	for k, v := range s.Extra {
		if v == "self" {
			v = s.URL
		}
		out[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
