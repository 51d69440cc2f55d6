// Package httpreq is the http.request node's client: any method, URL,
// headers and JSON body, with a timeout and a capped response, that refuses
// internal network targets (loopback, private, link-local, unspecified...)
// unless explicitly allowed, checking every resolved address on every
// connection, redirects included.
package httpreq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// Limits.
const (
	DefaultTimeout          = 30 * time.Second
	MaxTimeout              = 2 * time.Minute
	DefaultMaxResponseBytes = 1 << 20
	MaxRedirects            = 5
)

// Options configure a Client.
type Options struct {
	// AllowPrivate lets requests reach internal addresses (for
	// self-hosted setups calling their own services).
	AllowPrivate bool
	// MaxResponseBytes caps the body read (default 1 MiB).
	MaxResponseBytes int64

	// allow overrides the address policy (tests).
	allow func(netip.Addr) bool
}

// Client performs http.request calls. It is safe for concurrent use.
type Client struct {
	hc      *http.Client
	maxBody int64
}

// New builds a Client.
func New(o Options) *Client {
	allow := PublicAddr
	if o.AllowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	if o.allow != nil {
		allow = o.allow
	}
	maxBody := o.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxResponseBytes
	}
	return &Client{maxBody: maxBody, hc: guardedHTTPClient(allow, 0)}
}

// GuardedHTTPClient is an *http.Client with the same address guard and
// redirect rules as http.request, for vendor clients (HubSpot, Pipedrive,
// Mailchimp, Slack) whose base URL a user can change. timeout bounds each
// call (0: none, the caller's context decides).
func GuardedHTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	allow := PublicAddr
	if allowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	return guardedHTTPClient(allow, timeout)
}

func guardedHTTPClient(allow func(netip.Addr) bool, timeout time.Duration) *http.Client {
	d := newGuardedDialer(allow)
	tr := &http.Transport{
		Proxy:             nil, // a proxy would hide the real target from the guard
		DialContext:       d.DialContext,
		ForceAttemptHTTP2: true,
		// Keep a connection open for each call in flight to one vendor
		// (serve's --vendor-concurrency, 64 by default). Go keeps two
		// per host unless told: the others were closed after each call
		// and dialled anew (over TLS, a handshake a call).
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: MaxTimeout,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s: address refused", req.URL.Scheme)
			}
			// The first address must not learn where we came from, and a
			// credential only reaches the host it was given for.
			req.Header.Del("Referer")
			if !sameOrigin(req.URL, via[0].URL) {
				for _, h := range credentialHeaders(req.Context()) {
					req.Header.Del(h)
				}
			}
			return nil
		},
	}
}

// Request is one call.
type Request struct {
	// Method defaults to GET.
	Method string
	URL    string
	// Headers are sent as given (Host and Content-Length are managed).
	Headers map[string]string
	// JSON, when not nil, is encoded as the body with
	// Content-Type application/json. Body is used otherwise.
	JSON any
	Body []byte
	// Timeout bounds the whole call, redirects included (default 30 s,
	// at most 2 min).
	Timeout time.Duration
	// IdempotencyKey is sent as Idempotency-Key unless Headers set it.
	IdempotencyKey string
	// CredentialHeaders name the Headers that carry a secret: they are
	// dropped when a redirect leads to another host, port or scheme.
	CredentialHeaders []string
}

type credentialHeadersKey struct{}

func credentialHeaders(ctx context.Context) []string {
	h, _ := ctx.Value(credentialHeadersKey{}).([]string)
	return h
}

// sameOrigin reports whether a and b share scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// Response is what came back.
type Response struct {
	Status int `json:"status"`
	// Headers hold the first value of each header, canonical names.
	Headers map[string]string `json:"headers"`
	// Body is the response text, at most MaxResponseBytes.
	Body string `json:"body"`
	// JSON is the decoded body when it is JSON (and not truncated).
	JSON any `json:"json,omitempty"`
	// Truncated is true when the body was longer than the cap.
	Truncated bool `json:"truncated,omitempty"`
}

var methods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

// Do performs the call. A non-2xx answer returns the Response and an
// *connectors.HTTPError (map it with connectors.NodeError: 4xx is
// permanent, 429/5xx retried). A refused target is a permanent
// *connectors.InputError wrapping ErrForbiddenTarget.
func (c *Client) Do(ctx context.Context, r Request) (Response, error) {
	method := strings.ToUpper(strings.TrimSpace(r.Method))
	if method == "" {
		method = http.MethodGet
	}
	if !methods[method] {
		return Response{}, connectors.Invalidf("HTTP method %q is not supported", r.Method)
	}
	u, err := url.Parse(strings.TrimSpace(r.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Response{}, connectors.Invalidf("%q is not an http or https address", r.URL)
	}
	var body []byte
	contentType := ""
	if r.JSON != nil {
		if body, err = json.Marshal(r.JSON); err != nil {
			return Response{}, connectors.Invalidf("the JSON body cannot be encoded: %v", err)
		}
		contentType = "application/json"
	} else if r.Body != nil {
		body = r.Body
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timeout = min(timeout, MaxTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if len(r.CredentialHeaders) > 0 {
		ctx = context.WithValue(ctx, credentialHeadersKey{}, r.CredentialHeaders)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return Response{}, connectors.Invalidf("cannot build the request: %v", err)
	}
	req.Header.Set("User-Agent", connectors.UserAgent())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.IdempotencyKey != "" {
		req.Header.Set(connectors.IdempotencyHeader, r.IdempotencyKey)
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
			continue
		}
		req.Header.Set(k, v)
	}
	host := u.Hostname()
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenTarget) {
			return Response{}, &connectors.InputError{Msg: fmt.Sprintf("%s: %v", host, ErrForbiddenTarget), Err: ErrForbiddenTarget}
		}
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return Response{}, fmt.Errorf("%s did not answer within %s: %w", host, timeout, context.DeadlineExceeded)
		}
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Response{}, fmt.Errorf("%s could not be reached: %w", host, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return Response{}, fmt.Errorf("reading the answer of %s failed: %w", host, err)
	}
	out := Response{Status: resp.StatusCode, Headers: map[string]string{}}
	if int64(len(data)) > c.maxBody {
		data = data[:c.maxBody]
		out.Truncated = true
	}
	out.Body = string(data)
	for k, vs := range resp.Header {
		if len(vs) > 0 {
			out.Headers[k] = vs[0]
		}
	}
	if !out.Truncated && strings.Contains(resp.Header.Get("Content-Type"), "json") && len(data) > 0 {
		var v any
		if json.Unmarshal(data, &v) == nil {
			out.JSON = v
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &connectors.HTTPError{Vendor: host, Status: resp.StatusCode}
		he.Code, he.Message = connectors.GenericError(data)
		if d, ok := connectors.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			he.RetryAfter = d
		}
		return out, he
	}
	return out, nil
}
