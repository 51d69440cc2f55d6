// Package connectors holds what every vendor client shares: the HTTP call
// with a bounded response, the vendor error type, and the one mapping from
// vendor errors to the engine's retry semantics (nodes.Permanent for a
// request the vendor refused, nodes.RetryAfterError when it asked us to wait).
//
// Each vendor lives in its own sub-package as a small struct configured
// explicitly (base URL, credentials, *http.Client); none of them reads the
// environment or imports storage, server or engine.
package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
)

// Version is the product version sent in User-Agent. main may set it; it
// must look like x.y.z because some vendors (Meta) validate the header.
var Version = "0.1.0"

// UserAgent is "journey/<version>", falling back to 0.0.0 for versions that
// are not x.y.z (e.g. "dev"), so strict vendors still accept it.
func UserAgent() string {
	v := strings.TrimPrefix(Version, "v")
	if !isSemver(v) {
		v = "0.0.0"
	}
	return "journey/" + v
}

// isSemver reports whether v is x.y.z, three runs of digits, without a
// regular expression: every vendor call asks.
func isSemver(v string) bool {
	parts, digits := 1, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && digits > 0 && parts < 3:
			parts, digits = parts+1, 0
		default:
			return false
		}
	}
	return parts == 3 && digits > 0
}

// DefaultTimeout bounds a vendor call when the caller gives no *http.Client.
const DefaultTimeout = 30 * time.Second

// MaxResponseBytes caps how much of a vendor response is read.
const MaxResponseBytes = 1 << 20

// DefaultClient is used by clients whose HTTPClient is nil.
var DefaultClient = &http.Client{Timeout: DefaultTimeout}

// IdempotencyHeader carries our idempotency key to vendors. Vendors that do
// not know it ignore it.
const IdempotencyHeader = "Idempotency-Key"

// HTTPError is a vendor's non-2xx answer.
type HTTPError struct {
	// Vendor is a display name, e.g. "Twilio".
	Vendor string
	// Status is the HTTP status code.
	Status int
	// Code is the vendor's own error code, if any.
	Code string
	// Message is the vendor's explanation (never our credentials).
	Message string
	// RetryAfter is the vendor's Retry-After, 0 when absent.
	RetryAfter time.Duration
	// Transient marks a vendor throttling error sent with a 4xx status
	// (Meta answers rate limits with 400): retried like a 429.
	Transient bool
}

func (e *HTTPError) Error() string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s answered %d: %s", e.Vendor, e.Status, msg)
	if e.Code != "" {
		s += " (code " + e.Code + ")"
	}
	return s
}

// Retryable reports whether the vendor may accept the same request later.
func (e *HTTPError) Retryable() bool {
	return e.Transient || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// InputError is a request we refuse to send because it cannot succeed
// (missing recipient, malformed e-mail...). Retrying cannot fix it.
type InputError struct {
	Msg string
	// Err is an optional cause for errors.Is.
	Err error
}

func (e *InputError) Error() string { return e.Msg }
func (e *InputError) Unwrap() error { return e.Err }

// Invalidf returns an *InputError.
func Invalidf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// NodeError maps a client error to the engine's semantics:
//   - a vendor 4xx other than 408/429, or an *InputError → nodes.Permanent;
//   - 408/429/5xx with Retry-After → *nodes.RetryAfterError;
//   - other 429/5xx, timeouts and connection errors → err unchanged
//     (retried with the flow's backoff).
func NodeError(err error) error {
	if err == nil {
		return nil
	}
	var in *InputError
	if errors.As(err, &in) {
		return nodes.Permanent(err)
	}
	var he *HTTPError
	if errors.As(err, &he) {
		if !he.Retryable() {
			return nodes.Permanent(err)
		}
		if he.RetryAfter > 0 {
			return &nodes.RetryAfterError{Err: err, After: he.RetryAfter}
		}
	}
	return err
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date (relative to now). ok is false when absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > 86400*7 {
			n = 86400 * 7
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < time.Second {
		d = time.Second
	}
	return d, true
}

// ErrorParser extracts the vendor's code and message from an error body.
type ErrorParser func(body []byte) (code, message string)

// Request is one vendor call.
type Request struct {
	// Vendor is the display name used in errors.
	Vendor string
	// Client performs the call; nil means DefaultClient.
	Client *http.Client
	Method string
	URL    string
	// Header is added to the request (auth, content type...).
	Header http.Header
	// Body is sent as is; use JSONBody or FormBody to build it.
	Body []byte
	// ParseError reads the vendor's error format; nil uses GenericError.
	ParseError ErrorParser
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends the request with User-Agent set and returns the 2xx response;
// any other status is an *HTTPError. The body read is capped.
func Do(ctx context.Context, r Request) (*Response, error) {
	hc := r.Client
	if hc == nil {
		hc = DefaultClient
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, Invalidf("%s: cannot build the request: %v", r.Vendor, err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", UserAgent())
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s could not be reached: %w", r.Vendor, scrubURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer failed: %w", r.Vendor, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		parse := r.ParseError
		if parse == nil {
			parse = GenericError
		}
		code, msg := parse(data)
		he := &HTTPError{Vendor: r.Vendor, Status: resp.StatusCode, Code: code, Message: msg}
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			he.RetryAfter = d
		}
		return nil, he
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// scrubURLError drops the URL (it may hold a token in its query) from
// net/http's *url.Error, keeping the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", context.DeadlineExceeded)
		}
		return ue.Err
	}
	return err
}

// DecodeJSON decodes a response body into v.
func DecodeJSON(vendor string, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s sent an answer we cannot read: %w", vendor, err)
	}
	return nil
}

// JSONHeader is a header with JSON content type (exactly
// "application/json": Meta's spec rejects a charset parameter).
func JSONHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}

// GenericError reads the common error shapes: {"message"}, {"error":"..."},
// {"error":{"message","code"}}, {"detail","title"}, {"code"}.
func GenericError(body []byte) (code, message string) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return "", firstLine(string(body))
	}
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return ""
	}
	if e, ok := m["error"].(map[string]any); ok {
		return str(e["code"]), str(e["message"])
	}
	for _, k := range []string{"message", "detail", "error", "title"} {
		if s := str(m[k]); s != "" {
			message = s
			break
		}
	}
	for _, k := range []string{"code", "category", "error_code"} {
		if s := str(m[k]); s != "" {
			code = s
			break
		}
	}
	return code, message
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
