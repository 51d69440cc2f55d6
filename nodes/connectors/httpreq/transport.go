package httpreq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/journeyhq/journey/nodes/connectors"
)

// What net/http's client did for http.request, done by hand around
// fasthttp's: following redirects, repeating a call whose kept connection
// turned out closed, giving up when the context ends, and cutting a long
// body at the cap.

// redirectError is a redirect the call does not follow.
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// exchange is one call's request and response, pooled by fasthttp. A call
// given up on (roundTrip) leaves them to the goroutine still using them.
type exchange struct {
	req       *fasthttp.Request
	resp      *fasthttp.Response
	abandoned bool
}

func newExchange() *exchange {
	return &exchange{req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
}

// release gives the request and response back to their pools, unless a
// goroutine given up on still uses them.
func (x *exchange) release() {
	if x.abandoned {
		return
	}
	_ = x.resp.CloseBodyStream()
	fasthttp.ReleaseRequest(x.req)
	fasthttp.ReleaseResponse(x.resp)
}

// follow sends the request and follows up to MaxRedirects redirects, as
// net/http does: 301, 302 and 303 turn the call into a GET without a body,
// 307 and 308 repeat it. No Referer is sent, only http and https addresses
// are followed, and a redirect to another origin than first's loses the
// credential headers (those named, and Authorization and Cookie). Every
// address passes the dialer's guard.
func (c *Client) follow(ctx context.Context, x *exchange, first *url.URL, deadline time.Time, credentials []string) error {
	cur := first
	for redirects := 0; ; redirects++ {
		if err := c.send(ctx, x, deadline); err != nil {
			return err
		}
		status := x.resp.StatusCode()
		loc := x.resp.Header.Peek(fasthttp.HeaderLocation)
		if !fasthttp.StatusCodeIsRedirect(status) || len(loc) == 0 {
			return nil
		}
		discardBody(x.resp)
		if redirects == MaxRedirects {
			return &redirectError{fmt.Sprintf("stopped after %d redirects", MaxRedirects)}
		}
		next, err := cur.Parse(string(loc))
		if err != nil {
			return &redirectError{fmt.Sprintf("redirected to %q, which is not an address", loc)}
		}
		if next.Scheme != "http" && next.Scheme != "https" {
			return &redirectError{fmt.Sprintf("redirect to a %s address refused", next.Scheme)}
		}
		if status != fasthttp.StatusTemporaryRedirect && status != fasthttp.StatusPermanentRedirect &&
			!x.req.Header.IsGet() && !x.req.Header.IsHead() {
			x.req.Header.SetMethod(fasthttp.MethodGet)
			x.req.SetBodyRaw(nil)
			x.req.Header.Del(fasthttp.HeaderContentType)
			x.req.Header.Del(fasthttp.HeaderContentLength) // the first request's length stays otherwise
		}
		if !sameOrigin(next, first) {
			for _, h := range credentials {
				x.req.Header.Del(h)
			}
			x.req.Header.Del(fasthttp.HeaderAuthorization)
			x.req.Header.Del(fasthttp.HeaderCookie)
		}
		x.req.SetRequestURI(next.String())
		cur = next
	}
}

// sameOrigin reports whether a and b share scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// send makes the request, and makes it again (twice at most) when the
// connection was closed before an answer came: a kept connection the
// vendor had closed meanwhile. Like net/http, only requests that may be
// repeated are: GET, HEAD, OPTIONS, PUT and DELETE, and any with an
// idempotency key (the node always sends one).
func (c *Client) send(ctx context.Context, x *exchange, deadline time.Time) error {
	for attempt := 0; ; attempt++ {
		err := c.roundTrip(ctx, x, deadline)
		if err == nil || attempt == 2 || !closedBeforeAnswer(err) || !repeatable(&x.req.Header) {
			return err
		}
	}
}

func closedBeforeAnswer(err error) bool {
	return errors.Is(err, fasthttp.ErrConnectionClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

func repeatable(h *fasthttp.RequestHeader) bool {
	switch string(h.Method()) {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodOptions, fasthttp.MethodPut, fasthttp.MethodDelete:
		return true
	}
	return len(h.Peek(connectors.IdempotencyHeader)) > 0 || len(h.Peek("X-Idempotency-Key")) > 0
}

// roundTrip makes one request until deadline. fasthttp takes no context:
// when ctx can end before the deadline, the request runs on a goroutine of
// its own, and a call given up on leaves it the exchange, whose connection
// it closes when the answer comes.
func (c *Client) roundTrip(ctx context.Context, x *exchange, deadline time.Time) error {
	if ctx.Done() == nil {
		return c.fc.DoDeadline(x.req, x.resp, deadline)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.fc.DoDeadline(x.req, x.resp, deadline) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		x.abandoned = true
		go func() {
			if <-done == nil {
				x.resp.SetConnectionClose()
				_ = x.resp.CloseBodyStream()
			}
		}()
		return ctx.Err()
	}
}

// readBody reads the answer's body up to the cap; truncated says it was
// longer. A body not read to its end closes its connection.
func (c *Client) readBody(resp *fasthttp.Response) (data []byte, truncated bool, err error) {
	s := resp.BodyStream()
	if s == nil { // a HEAD, or no body
		return nil, false, nil
	}
	data, err = io.ReadAll(io.LimitReader(s, c.maxBody+1))
	truncated = int64(len(data)) > c.maxBody
	if err != nil || truncated {
		resp.SetConnectionClose()
	}
	_ = resp.CloseBodyStream()
	if truncated {
		data = data[:c.maxBody]
	}
	return data, truncated, err
}

// discardBody reads away a redirect's short body, so that its connection
// can be kept, or closes the connection when the body is long.
func discardBody(resp *fasthttp.Response) {
	if s := resp.BodyStream(); s != nil {
		if n, err := io.Copy(io.Discard, io.LimitReader(s, 64<<10)); err != nil || n == 64<<10 {
			resp.SetConnectionClose()
		}
	}
	_ = resp.CloseBodyStream()
}
