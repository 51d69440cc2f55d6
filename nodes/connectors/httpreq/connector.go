package httpreq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of HTTP API accounts.
const Kind = "http"

func init() {
	base := connectors.Text("base_url", "Base URL", true, "")
	base.Check = connectors.CheckURL
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "HTTP API", Provides: []nodes.Capability{nodes.ProvidesHTTP},
		Fields: []nodes.CredentialField{
			base,
			connectors.Text("auth_header", "Auth header name", false, "e.g. Authorization or X-API-Key."),
			connectors.Secret("auth_value", "Auth header value", false, "e.g. Bearer abc..."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			base, err := url.Parse(strings.TrimSpace(v["base_url"]))
			if err != nil || base.Host == "" {
				return nodes.Account{}, errors.New("the account's base URL is not a valid address")
			}
			return nodes.Account{HTTP: caller{c: sharedClient(env.AllowPrivate), base: base, authHeader: strings.TrimSpace(v["auth_header"]), authValue: v["auth_value"]}}, nil
		},
		Docs: "Any JSON web service: the account's auth header is added to calls on its own host only, so a " +
			"journey cannot send the secret elsewhere.",
	})
}

// shared holds one Client per address policy, so accounts opened per step
// reuse connections.
var shared [2]struct {
	once sync.Once
	c    *Client
}

func sharedClient(allowPrivate bool) *Client {
	i := 0
	if allowPrivate {
		i = 1
	}
	shared[i].once.Do(func() { shared[i].c = New(Options{AllowPrivate: allowPrivate}) })
	return shared[i].c
}

// Caller makes http.request calls without an account.
func Caller(c *Client) nodes.HTTPCaller { return caller{c: c} }

// caller makes http.request calls, adding an http credential's base URL
// and auth header. The credential is only sent to the credential's own
// host.
type caller struct {
	c          *Client
	base       *url.URL
	authHeader string
	authValue  string
}

func (h caller) Call(ctx context.Context, r nodes.HTTPRequest) (nodes.HTTPResponse, error) {
	target := r.URL
	headers := map[string]string{}
	for k, v := range r.Headers {
		headers[k] = v
	}
	var secret []string
	if h.base != nil {
		u, err := h.resolve(target)
		if err != nil {
			return nodes.HTTPResponse{}, nodes.Permanent(err)
		}
		target = u
		if h.authHeader != "" && h.authValue != "" {
			headers[h.authHeader] = h.authValue
			secret = []string{h.authHeader}
		}
	}
	req := Request{Method: r.Method, URL: target, Headers: headers, Timeout: r.Timeout, IdempotencyKey: r.IdempotencyKey, CredentialHeaders: secret}
	if r.Body != nil {
		req.JSON = json.RawMessage(r.Body)
	}
	resp, err := h.c.Do(ctx, req)
	if errors.Is(err, ErrForbiddenTarget) {
		err = fmt.Errorf("%w (the server allows them with --http-allow-private)", err)
	}
	out := nodes.HTTPResponse{Status: resp.Status, Headers: resp.Headers, Body: resp.Body, JSON: resp.JSON}
	return out, connectors.NodeError(err)
}

// resolve puts a path under the base URL, and refuses an absolute address
// on another host (the credential would leak there).
func (h caller) resolve(target string) (string, error) {
	if strings.HasPrefix(target, "/") {
		return strings.TrimRight(h.base.String(), "/") + target, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid address", target)
	}
	if !strings.EqualFold(u.Host, h.base.Host) || u.Scheme != h.base.Scheme {
		return "", fmt.Errorf("the address %s is not on %s://%s, the account's host, so the account's credentials are not sent there", u.Redacted(), h.base.Scheme, h.base.Host)
	}
	return target, nil
}

var _ nodes.HTTPCaller = caller{}
