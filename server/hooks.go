package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/nodes"
)

// Webhook headers.
const (
	// headerSignature carries "t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw
	// body>">" (or, deprecated, "sha256=<hex HMAC-SHA256 of the raw body>").
	headerSignature = "X-Signature-256"
	// headerIdempotencyKey makes a resent webhook start its runs once.
	headerIdempotencyKey = "Idempotency-Key"
)

// privateHeaders are never handed to the engine (nor stored with a run):
// credentials, and the headers in which platforms send a verification
// token (the shared secret itself, see nodes.WebhookPresetTokens).
var privateHeaders = func() map[string]bool {
	m := map[string]bool{"authorization": true, "cookie": true}
	for _, h := range nodes.WebhookPresetTokens {
		m[strings.ToLower(h)] = true
	}
	return m
}()

// maxHookPath bounds the webhook path (the trigger index key is 200).
const maxHookPath = 200

// hookResponse lists the runs a webhook started.
type hookResponse struct {
	Runs      []string `json:"runs"`
	Duplicate bool     `json:"duplicate"`
}

// webhook starts a run in every active journey listening on the path:
// POST /hooks/<path>. It answers 202 once the runs are stored; with
// engine.Config.InlineStart, after their steps up to the first wait or
// vendor call.
func (s *Server) webhook(c *fiber.Ctx) error {
	path := param(c, "*")
	if path == "" || len(path) > maxHookPath {
		return notFound("No active journey listens on this webhook path.")
	}
	// Everything handed to the engine is copied: Fiber reuses its buffers
	// once the handler returns.
	body := bytes.Clone(c.Body())
	headers := make(map[string]string)
	c.Request().Header.VisitAll(func(k, v []byte) {
		name := string(k)
		if _, seen := headers[name]; !seen && !privateHeaders[strings.ToLower(name)] {
			headers[name] = string(v)
		}
	})
	queryArgs := make(map[string]string)
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		queryArgs[string(k)] = string(v)
	})
	signature := strings.Clone(c.Get(headerSignature))
	verify, used := s.verifier(c.UserContext(), body, signature)
	tokens := map[string]string{}
	for _, h := range nodes.WebhookPresetTokens {
		tokens[h] = strings.Clone(c.Get(h))
	}
	res, err := s.eng.IngestWebhook(c.UserContext(), engine.HookRequest{
		Path: path, Body: body, Headers: headers, Query: queryArgs,
		IdempotencyKey: strings.Clone(c.Get(headerIdempotencyKey)),
		Verify:         verify,
		VerifyToken:    s.tokenVerifier(tokens),
	})
	if err != nil {
		for _, key := range used() {
			s.replays.forget(c.UserContext(), key) // not processed: the sender's retry is no replay
		}
		var behind *engine.BacklogError
		if errors.As(err, &behind) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(engine.BacklogRetryAfter/time.Second)))
			return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: behind.Error()}
		}
		return err
	}
	return c.Status(http.StatusAccepted).JSON(hookResponse{Runs: orNone(res.Runs), Duplicate: res.Duplicate})
}

// verifier checks the request's X-Signature-256 against the named secret
// (see checkSignature). An unknown secret name never verifies. Each secret
// is checked once per request (several journeys may share a path); the
// signatures it accepted are returned by the second function so a request
// that is not processed can release them for the sender's retry.
func (s *Server) verifier(ctx context.Context, body []byte, signature string) (verify func(secretName string) bool, used func() []string) {
	results := map[string]bool{}
	var remembered []string
	verify = func(name string) bool {
		if ok, done := results[name]; done {
			return ok
		}
		ok := s.checkSignature(ctx, body, signature, name, &remembered)
		results[name] = ok
		return ok
	}
	return verify, func() []string { return remembered }
}

// tokenVerifier checks a platform's verification token (the secret
// itself, sent in a header: Drift's X-Verification-Token) against the
// named secret, in constant time. Such a token is the same in every
// request, so unlike a timed signature it cannot tell a replay apart.
func (s *Server) tokenVerifier(tokens map[string]string) func(secretName, header string) bool {
	return func(name, header string) bool {
		secret, ok := s.cfg.HookSecrets[name]
		if !ok || secret == "" {
			s.log.Warn("a webhook trigger names a secret that is not configured", "secret_name", name)
			return false
		}
		got := strings.TrimSpace(tokens[header])
		// Compared as hashes, so the time taken says nothing of the length.
		a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(secret))
		return got != "" && hmac.Equal(a[:], b[:])
	}
}

// checkSignature verifies one secret. The current scheme is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">": the timestamp
// must be within ReplayWindow of now and the signature unused in that
// window. The old "sha256=<hex HMAC of the body>" still verifies (it has
// no timestamp, so it can be replayed) and logs a deprecation warning.
func (s *Server) checkSignature(ctx context.Context, body []byte, header, name string, remembered *[]string) bool {
	secret, ok := s.cfg.HookSecrets[name]
	if !ok || secret == "" {
		s.log.Warn("a webhook trigger names a secret that is not configured", "secret_name", name)
		return false
	}
	header = strings.TrimSpace(header)
	if strings.HasPrefix(header, "sha256=") {
		if !validSignature(body, header, secret) {
			return false
		}
		s.log.Warn("a webhook is signed the deprecated way (sha256=..., no timestamp, replayable); sign \"t=<unix>,v1=<hex HMAC of t.body>\" instead",
			"secret_name", name)
		return true
	}
	sig, ok := parseTimedSignature(header)
	if !ok || !sig.matches(body, secret) {
		return false
	}
	if d := s.now().Sub(time.Unix(sig.t, 0)).Abs(); d > ReplayWindow {
		s.log.Warn("a signed webhook's timestamp is too far from now (a replay, or a clock that is off)",
			"secret_name", name, "seconds_off", int64(d.Seconds()))
		return false
	}
	key := "hook:" + name + ":" + sig.match
	if !s.replays.first(ctx, key) {
		s.log.Warn("a signed webhook was sent again with the same signature: refused as a replay", "secret_name", name)
		return false
	}
	*remembered = append(*remembered, key)
	return true
}

// timedSignature is a parsed "t=...,v1=..." header.
type timedSignature struct {
	t     int64
	stamp string   // t as sent (it is signed as sent)
	v1    [][]byte // one per secret during a rotation
	match string   // the hex v1 that matched
}

// parseTimedSignature reads "t=<unix>,v1=<hex>[,v1=<hex>...]"; other
// fields (future schemes) are ignored.
func parseTimedSignature(header string) (*timedSignature, bool) {
	sig := &timedSignature{}
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, false
			}
			sig.t, sig.stamp = n, v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sig.v1 = append(sig.v1, b)
			}
		}
	}
	return sig, sig.stamp != "" && len(sig.v1) > 0
}

// matches reports whether a v1 is the HMAC of "<t>.<body>" with secret.
func (sig *timedSignature) matches(body []byte, secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(sig.stamp + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, got := range sig.v1 {
		if hmac.Equal(got, want) {
			sig.match = hex.EncodeToString(got)
			return true
		}
	}
	return false
}

// validSignature reports whether header is "sha256=<hex>" of the body's
// HMAC-SHA256 with secret (the deprecated scheme).
func validSignature(body []byte, header, secret string) bool {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
