package server

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/journeyhq/journey/engine"
)

// testRequest is the wrapped body of POST /flows/:id/test. A body that is
// not an object of only these keys is the sample itself (older clients):
// the webhook body, or the payload of another trigger.
type testRequest struct {
	// Body is the raw request body a webhook trigger receives (exactly
	// what the chat platform would POST), or another trigger's payload.
	Body json.RawMessage `json:"body"`
	// RawBody is Body as text, for a body that is not JSON.
	RawBody *string `json:"raw_body"`
	// Headers and Query are the webhook request's, for field mappings.
	Headers map[string]string `json:"headers"`
	Query   map[string]string `json:"query"`
	// Choices say what happens at decision steps, by node id.
	Choices engine.TestChoices `json:"choices"`
}

// testRequestKeys are testRequest's JSON keys.
var testRequestKeys = map[string]bool{"body": true, "raw_body": true, "headers": true, "query": true, "choices": true}

// readTestRequest reads a test request into what the engine runs. The
// whole request has a real webhook's size limit (BodyLimit, 413 above).
func readTestRequest(raw []byte) (engine.TestInput, error) {
	if !isWrappedTest(raw) {
		return engine.TestInput{Body: bytes.Clone(raw)}, nil
	}
	var req testRequest
	if err := decodeStrict(raw, &req); err != nil {
		return engine.TestInput{}, err
	}
	// As on a real request, private headers never reach the engine.
	for name := range req.Headers {
		if privateHeaders[strings.ToLower(name)] {
			delete(req.Headers, name)
		}
	}
	in := engine.TestInput{Body: bytes.Clone(req.Body), Headers: req.Headers, Query: req.Query, Choices: req.Choices}
	if req.RawBody != nil {
		if len(req.Body) > 0 {
			return in, badRequest("Send the body once: as body (JSON) or as raw_body (text), not both.")
		}
		in.Body = []byte(*req.RawBody)
	}
	return in, nil
}

// isWrappedTest reports whether raw is a JSON object of testRequest keys
// only (and at least one).
func isWrappedTest(raw []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil || len(probe) == 0 {
		return false
	}
	for k := range probe {
		if !testRequestKeys[k] {
			return false
		}
	}
	return true
}
