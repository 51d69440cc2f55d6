package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine"
)

// Webhook headers.
const (
	// headerSignature carries "sha256=<hex HMAC-SHA256 of the raw body>".
	headerSignature = "X-Signature-256"
	// headerIdempotencyKey makes a resent webhook start its runs once.
	headerIdempotencyKey = "Idempotency-Key"
)

// privateHeaders are never handed to the engine (nor stored with a run).
var privateHeaders = map[string]bool{"authorization": true, "cookie": true}

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
	res, err := s.eng.IngestWebhook(c.UserContext(), engine.HookRequest{
		Path: path, Body: body, Headers: headers, Query: queryArgs,
		IdempotencyKey: strings.Clone(c.Get(headerIdempotencyKey)),
		Verify:         s.verifier(body, signature),
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(hookResponse{Runs: orNone(res.Runs), Duplicate: res.Duplicate})
}

// verifier checks the request's X-Signature-256 against the named secret:
// HMAC-SHA256 of the raw body, compared in constant time. An unknown
// secret name never verifies.
func (s *Server) verifier(body []byte, signature string) func(secretName string) bool {
	return func(name string) bool {
		secret, ok := s.cfg.HookSecrets[name]
		if !ok || secret == "" {
			s.log.Warn("a webhook trigger names a secret that is not configured", "secret_name", name)
			return false
		}
		return validSignature(body, signature, secret)
	}
}

// validSignature reports whether header is "sha256=<hex>" of the body's
// HMAC-SHA256 with secret.
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
