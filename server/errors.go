package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// Error codes of the {"error": {"code": ...}} body. They are stable.
const (
	codeBadRequest       = "bad_request"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeConflict         = "conflict"
	codeRevisionConflict = "revision_conflict"
	codeInvalidFlow      = "invalid_flow"
	codeTooLarge         = "payload_too_large"
	codeTooManyRequests  = "too_many_requests"
	codeHeadersTooLarge  = "headers_too_large"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
)

// apiError is an error with a status and a message that are safe to show.
// Cause, when set, is logged (never sent) by the error handler.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details any
	Cause   error
}

func (e *apiError) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *apiError) Unwrap() error { return e.Cause }

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorPayload `json:"error"`
}

type errorPayload struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: fmt.Sprintf(format, args...)}
}

func unauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg}
}

func conflict(msg string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: codeConflict, Message: msg}
}

// revisionConflict is the 409 answer to a save or publish over a draft
// that moved on: the current revision, who saved it and when.
func revisionConflict(rc *engine.RevisionConflict) *apiError {
	by := rc.By
	if by == "" {
		by = "Someone else"
	}
	return &apiError{Status: http.StatusConflict, Code: codeRevisionConflict,
		Message: fmt.Sprintf("%s saved this journey at %s, after you opened it. Your changes are not saved yet.", by, rc.At.UTC().Format("2006-01-02 15:04 UTC")),
		Details: fiber.Map{"revision": rc.Revision, "updated_by": rc.By, "updated_at": rc.At}}
}

// invalidFlow is the 422 answer listing every problem of a flow.
func invalidFlow(problems []flows.Problem) *apiError {
	msg := "The journey has 1 problem; fix it and try again."
	if len(problems) != 1 {
		msg = fmt.Sprintf("The journey has %d problems; fix them and try again.", len(problems))
	}
	return &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalidFlow, Message: msg, Details: problems}
}

// orNotFound turns a not-found error from the engine or the storage into a
// 404 with msg; other errors pass unchanged.
func orNotFound(err error, format string, args ...any) error {
	if isNotFound(err) {
		return notFound(format, args...)
	}
	return err
}

// panicError is a recovered panic, with its stack for the log.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.value, e.stack) }

// recoverPanics turns a panic in a handler into a 500 answer (logged with
// its stack by the error handler) instead of a dropped connection.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return c.Next()
}

// toAPIError maps any error to what the client may see.
func toAPIError(err error) *apiError {
	var (
		ae       *apiError
		fe       *fiber.Error
		problems *flows.ProblemsError
		revision *engine.RevisionConflict
		decode   *flows.DecodeError
		input    *engine.InputError
		chInput  *channels.InputError
		tooLarge *engine.BodyTooLargeError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &problems):
		return invalidFlow(problems.Problems)
	case errors.As(err, &revision):
		return revisionConflict(revision)
	case errors.As(err, &decode):
		return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest,
			Message: "The flow document could not be read: " + decode.Error(), Details: []flows.Problem{decode.Problem()}}
	case errors.As(err, &input):
		return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: input.Message}
	case errors.As(err, &chInput):
		ae := &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: chInput.Message}
		if len(chInput.Details) > 0 {
			ae.Details = chInput.Details
		}
		return ae
	case errors.As(err, &tooLarge):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge, Message: tooLarge.Error()}
	case errors.Is(err, engine.ErrBadSignature):
		return unauthorized("The webhook signature is missing or does not match.")
	case errors.Is(err, engine.ErrNoHook):
		return notFound("No active journey listens on this webhook path.")
	case errors.Is(err, engine.ErrConflict):
		return conflict("This change is not possible right now.")
	case errors.Is(err, storage.ErrErased):
		return conflict("This email or phone belongs to a contact who was erased at their request; " +
			"it can be used again after POST /api/v1/suppressions/lift, once the person consents.")
	case errors.Is(err, storage.ErrNotFound):
		return notFound("Not found.")
	case errors.As(err, &fe):
		return fromFiberError(fe)
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Cause: err}
}

// fromFiberError maps Fiber's own errors (unknown route, body too large...)
// to our shape; their messages are generic and safe.
func fromFiberError(fe *fiber.Error) *apiError {
	code := codeBadRequest
	msg := fe.Message
	switch fe.Code {
	case http.StatusUnauthorized:
		code = codeUnauthorized
	case http.StatusForbidden:
		code = codeForbidden
	case http.StatusNotFound:
		code = codeNotFound
		msg = "There is nothing at this address."
	case http.StatusMethodNotAllowed:
		code = codeMethodNotAllowed
		msg = "This address does not accept this method."
	case http.StatusConflict:
		code = codeConflict
	case http.StatusRequestEntityTooLarge:
		code = codeTooLarge
		msg = fmt.Sprintf("The request body is larger than the limit of %d bytes (1 MiB).", BodyLimit)
	case http.StatusTooManyRequests:
		code = codeTooManyRequests
		msg = "Too many attempts; wait a minute and try again."
	case http.StatusRequestHeaderFieldsTooLarge:
		code = codeHeadersTooLarge
		msg = fmt.Sprintf("The request line and headers are larger than the limit of %d bytes (8 KiB).", HeaderLimit)
	case http.StatusServiceUnavailable:
		code = codeUnavailable
	}
	if fe.Code >= 500 {
		return &apiError{Status: fe.Code, Code: codeInternal, Cause: fe}
	}
	return &apiError{Status: fe.Code, Code: code, Message: msg}
}

// handleError is the one place errors become responses, and the one place
// server-side failures are logged (with the request id). Internal error
// text never reaches the client.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	ae := toAPIError(err)
	rid := requestIDOf(c)
	if ae.Status >= 500 {
		s.log.LogAttrs(c.UserContext(), slog.LevelError, "request failed",
			slog.String("request_id", rid), slog.String("method", c.Method()),
			slog.String("path", c.Path()), slog.Int("status", ae.Status), slog.Any("error", err))
		if ae.Message == "" || ae.Code == codeInternal {
			ae = &apiError{Status: ae.Status, Code: ae.Code,
				Message: fmt.Sprintf("Something went wrong on our side; the error was logged with request id %s.", rid)}
		}
	}
	if ae.Code == "" {
		ae.Code = codeBadRequest
	}
	return c.Status(ae.Status).JSON(errorBody{Error: errorPayload{Code: ae.Code, Message: ae.Message, Details: ae.Details}})
}

// isConflict reports an engine conflict (a taken id, an impossible state
// change).
func isConflict(err error) bool { return errors.Is(err, engine.ErrConflict) }

// isNotFound reports a missing row.
func isNotFound(err error) bool {
	return errors.Is(err, storage.ErrNotFound) || errors.Is(err, engine.ErrNotFound)
}
