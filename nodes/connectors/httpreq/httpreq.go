// Package httpreq is the http.request node's client: any method, URL,
// headers and JSON body, with a timeout and a capped response, that refuses
// internal network targets (loopback, private, link-local, unspecified...)
// unless explicitly allowed, checking every resolved address on every
// connection, redirects included.
package httpreq

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

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
	// roots overrides the trusted certificate authorities (tests).
	roots *x509.CertPool
}

// Client performs http.request calls. It is safe for concurrent use.
//
// It is fasthttp's client rather than net/http's: a call writes and reads
// on its own goroutine, where net/http hands each call to a connection's
// read and write goroutines, and the call was a fifth of a vendor
// journey's server CPU (see the README's Benchmarks). What net/http did for us is done
// here: redirects, retries on a stale connection, cancellation and the
// capped body (transport.go), and the address guard on every dial.
type Client struct {
	fc      *fasthttp.Client
	maxBody int64
}

// dialTimeout bounds connecting (the call's own timeout bounds the rest).
const dialTimeout = 10 * time.Second

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
	d := newGuardedDialer(allow)
	fc := &fasthttp.Client{
		Dial: func(addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			defer cancel()
			return d.DialContext(ctx, "tcp", addr)
		},
		TLSConfig:                &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.roots},
		NoDefaultUserAgentHeader: true,
		// The path is sent as the user wrote it, as net/http does.
		DisablePathNormalizing: true,
		// A connection for each call in flight to one vendor (serve's
		// --vendor-concurrency, 64 by default, and test runs beside it);
		// past that a call waits for one rather than failing.
		MaxConnsPerHost:     512,
		MaxConnWaitTimeout:  MaxTimeout,
		MaxIdleConnDuration: 60 * time.Second,
		// Response headers up to this size (fasthttp's default, 4 KiB,
		// refuses the larger ones some vendors send).
		ReadBufferSize: 64 << 10,
		// Bodies up to the cap are read whole; longer ones are streamed,
		// so that they can be cut at the cap (readBody).
		MaxResponseBodySize: int(maxBody) + 1,
		StreamResponseBody:  true,
		// Retries are ours (send): fasthttp would also resend a request
		// without an idempotency key when the connection closes.
		MaxIdemponentCallAttempts: 1,
	}
	return &Client{maxBody: maxBody, fc: fc}
}

// GuardedHTTPClient is an *http.Client with the same address guard as
// http.request and its redirect limits (at most 5, http and https only,
// no Referer; net/http drops Authorization and cookies for another
// domain), for vendor clients (HubSpot, Pipedrive, Mailchimp, Slack)
// whose base URL a user can change. timeout bounds each
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
			// The first address must not learn where we came from.
			req.Header.Del("Referer")
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
		method = fasthttp.MethodGet
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
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}

	x := newExchange()
	defer x.release()
	req, resp := x.req, x.resp
	req.Header.SetMethod(method)
	req.SetRequestURI(u.String())
	req.Header.SetUserAgent(connectors.UserAgent())
	if contentType != "" {
		req.Header.SetContentType(contentType)
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
	req.SetBodyRaw(body)

	host := u.Hostname()
	if err := c.follow(ctx, x, u, deadline, r.CredentialHeaders); err != nil {
		return Response{}, callError(host, timeout, err)
	}
	data, truncated, err := c.readBody(resp)
	if err != nil {
		return Response{}, fmt.Errorf("reading the answer of %s failed: %w", host, err)
	}
	out := Response{Status: resp.StatusCode(), Headers: map[string]string{}, Body: string(data), Truncated: truncated}
	resp.Header.VisitAll(func(k, v []byte) {
		if _, seen := out.Headers[string(k)]; !seen {
			out.Headers[string(k)] = string(v)
		}
	})
	if !out.Truncated && bytes.Contains(resp.Header.ContentType(), []byte("json")) && len(data) > 0 {
		var v any
		if json.Unmarshal(data, &v) == nil {
			out.JSON = v
		}
	}
	if out.Status < 200 || out.Status > 299 {
		he := &connectors.HTTPError{Vendor: host, Status: out.Status}
		he.Code, he.Message = connectors.GenericError(data)
		if d, ok := connectors.ParseRetryAfter(string(resp.Header.Peek("Retry-After")), time.Now()); ok {
			he.RetryAfter = d
		}
		return out, he
	}
	return out, nil
}

// callError says in plain words why a call got no answer.
func callError(host string, timeout time.Duration, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrForbiddenTarget):
		return &connectors.InputError{Msg: fmt.Sprintf("%s: %v", host, ErrForbiddenTarget), Err: ErrForbiddenTarget}
	case errors.As(err, new(*redirectError)):
		return fmt.Errorf("%s: %w", host, err)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		// Only a body that runs until the connection closes, without a
		// length or chunks, is refused rather than cut at the cap.
		return fmt.Errorf("%s answered with a body of unknown length, longer than the limit: %w", host, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("the call to %s was cancelled: %w", host, err)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%s did not answer within %s: %w", host, timeout, context.DeadlineExceeded)
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return fmt.Errorf("%s closed the connection without answering", host)
	}
	// fasthttp's parse errors quote what came back, up to 64 KiB of it.
	msg := err.Error()
	if len(msg) > 300 {
		msg = strings.ToValidUTF8(msg[:300], "") + "…"
	}
	return fmt.Errorf("%s could not be reached: %s", host, msg)
}
