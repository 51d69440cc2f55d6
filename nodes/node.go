// Package nodes holds the node-type registry and every node type. Each type
// declares itself once (a flows.TypeSpec plus a handler); validation, the
// editor's palette and forms, and the node reference all come from that one
// declaration.
//
// Node handlers never talk to our database or HTTP API: they reach the
// built-in contact store and vendors through the small interfaces in this
// package, wired by the engine, so each is tested with fakes.
package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/journeyhq/journey/flows"
)

// Type is a registered node type: its declaration and its behaviour.
type Type struct {
	// Spec is the one declaration of the type.
	Spec flows.TypeSpec
	// Handler runs one step of a node of this type.
	Handler Handler
	// Remote handlers do network I/O. The engine runs them outside any
	// database transaction; all others run inside the step's transaction.
	Remote bool

	// remoteIf, when set, makes single nodes Remote by their params (a
	// CRM step whose target is a vendor account); see RemoteFor.
	remoteIf func(n *flows.CompiledNode) bool

	// params is the Go type the handler decodes params into (set by the
	// helpers of this package; nil for types registered from elsewhere).
	params reflect.Type
}

// Handler runs one step.
type Handler interface {
	Run(ctx context.Context, in *Input) (Result, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, in *Input) (Result, error)

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, in *Input) (Result, error) { return f(ctx, in) }

// Input is everything a handler may use for one step.
type Input struct {
	// Node is the compiled node: params, expressions, templates.
	Node *flows.CompiledNode
	// Env is the expression environment (contact, trigger, vars, event, now).
	Env *flows.Env
	// RunID identifies the run.
	RunID string
	// Visit counts this node's executions in the run, from 1.
	Visit int
	// Attempt counts tries of this step, from 1.
	Attempt int
	// Key is the idempotency key "run:node:visit" for every side effect.
	Key string
	// Location is the flow's time zone.
	Location *time.Location
	// Contacts is the built-in contact store, bound to the step's
	// transaction (nil for Remote types).
	Contacts Contacts
	// Channels records and sends messages (nil when the engine has no
	// channels wired).
	Channels Channels
	// Settings are the flow's settings (policies such as quiet hours).
	Settings *flows.Settings
	// EmailChecker checks email addresses (nil when the engine has none
	// wired).
	EmailChecker EmailChecker
	// Resume is set when the step runs again after a Wait with Reenter.
	Resume *Resume
}

// Resume tells a re-entered step why it runs again.
type Resume struct {
	// Event is the event that ended the wait (nil when it timed out or
	// was a plain delay).
	Event *flows.Event `json:"event,omitempty"`
	// TimedOut is true when an event wait ran out of time.
	TimedOut bool `json:"timed_out,omitempty"`
	// State is what the step asked to get back (Wait.State).
	State json.RawMessage `json:"state,omitempty"`
}

// Now is the step's clock reading (injected by the engine).
func (in *Input) Now() time.Time { return in.Env.Now }

// ContactLocation is the contact's time zone, else the flow's.
func (in *Input) ContactLocation() *time.Location {
	if tz := in.Env.Contact.TimeZone; tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	if in.Location != nil {
		return in.Location
	}
	return time.UTC
}

// Result is what a step decided.
type Result struct {
	// Port is the output port to follow; empty means "out".
	Port string
	// Output is recorded on the step and shown in the run detail.
	Output map[string]any
	// OutputIsTrigger says Output is the run's trigger payload unchanged:
	// the engine records a reference instead of a second copy.
	OutputIsTrigger bool
	// Vars are merged into the run's vars.
	Vars map[string]any
	// ContactID, when set, makes this contact the run's contact.
	ContactID string
	// SaveContact, when set, is saved in the built-in contact store by the
	// engine, in the step's transaction (a step that calls a vendor runs
	// outside it and cannot write there itself); the saved contact becomes
	// the run's contact.
	SaveContact *ContactInput
	// ContactFields, when set, are merged into the custom fields of the
	// run's contact by the engine, in the step's transaction (so a step
	// that runs outside it, like an email check, can keep its result on
	// the contact). Ignored when the run has no contact.
	ContactFields map[string]any
	// Wait, when set, pauses the run at this node.
	Wait *Wait
	// Exit, when set, ends the run.
	Exit *Exit
}

// Wait pauses a run. With only Until set, the run resumes through Port at
// that time. With Event set, it resumes through EventPort when a matching
// event for the run's contact arrives, or through TimeoutPort at Until.
type Wait struct {
	Until time.Time
	// Port to follow when Until passes without an event ("out" for delays,
	// "timeout" for event waits).
	Port string
	// Event is the awaited event type ("" for a plain delay).
	Event string
	// EventPort is followed when the event arrives ("event").
	EventPort string
	// MatchParam is the node's boolean expression param evaluated against
	// the candidate event ("" = any event of the type).
	MatchParam string
	// Events are further event types that also end the wait.
	Events []string
	// Reenter runs this node again, with the same visit (so the same
	// idempotency key), when the wait ends, instead of following a port.
	// The node gets State back in Input.Resume.
	Reenter bool
	// State is handed back to a re-entered node.
	State json.RawMessage
}

// Run outcomes set by Exit.
const (
	OutcomeExited    = "exited"
	OutcomeConverted = "converted"
)

// Exit ends a run with an outcome.
type Exit struct {
	Outcome string
	Reason  string
}

// PermanentError marks an error that retrying cannot fix (bad input, a
// vendor 4xx): the step fails at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that it is not retried.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Permanentf is Permanent(fmt.Errorf(...)).
func Permanentf(format string, args ...any) error {
	return &PermanentError{Err: fmt.Errorf(format, args...)}
}

// IsPermanent reports whether err must not be retried.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfterError asks for the next attempt no sooner than After
// (a vendor's Retry-After).
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }
