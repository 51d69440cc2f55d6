package nodes

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/journeyhq/journey/flows"
)

// Builtin returns a new registry holding every node type of this package.
// Each call builds a fresh registry, so callers may add to it freely.
func Builtin() *Registry {
	r := NewRegistry()
	for _, t := range []*Type{
		webhookTrigger(), eventTrigger(), absenceTrigger(), scheduleTrigger(), manualTrigger(),
		ifNode(), switchNode(), splitNode(), setNode(), exitNode(),
		delayNode(), waitEventNode(),
		upsertContactNode(), verifyEmailNode(), createDealNode(), createTaskNode(), addNoteNode(), scoreNode(), assignOwnerNode(),
		addToListNode(), removeFromListNode(), tagNode(),
		trackEventNode(),
		emailNode(), smsNode(), whatsAppNode(), sendNode(),
		httpRequestNode(), slackNode(),
	} {
		r.Register(t)
	}
	return r
}

// PortOut is the default output port of most node types.
const PortOut = flows.DefaultPort

// outPorts is the single "out" port every plain step has.
func outPorts() []flows.PortSpec {
	return []flows.PortSpec{{Name: PortOut, Label: "Next"}}
}

// typedHandler decodes a node's params into P, then runs.
type typedHandler[P any] func(ctx context.Context, in *Input, p *P) (Result, error)

// Run implements Handler.
func (h typedHandler[P]) Run(ctx context.Context, in *Input) (Result, error) {
	var p P
	if err := in.Node.Decode(&p); err != nil {
		return Result{}, Permanentf("the settings of this step could not be read: %w", err)
	}
	return h(ctx, in, &p)
}

// define builds a Type from its declaration and a handler over its typed
// params P. It fills in what JSON consumers expect (empty lists rather
// than null) and remembers P so tests can compare its JSON keys with the
// declared params.
func define[P any](spec flows.TypeSpec, run func(ctx context.Context, in *Input, p *P) (Result, error)) *Type {
	if spec.Outputs == nil {
		spec.Outputs = []flows.PortSpec{}
	}
	if spec.Params == nil {
		spec.Params = []flows.ParamSpec{}
	}
	if spec.Version == 0 {
		spec.Version = 1
	}
	return &Type{
		Spec:    spec,
		Handler: typedHandler[P](run),
		params:  reflect.TypeFor[P](),
	}
}

// ErrNoContact is returned by steps that act on the run's contact when the
// run has none yet.
var ErrNoContact = errors.New("no contact yet: put a 'Create or update contact' step before this one")

// errNoStore is returned when the engine did not wire a contact store.
var errNoStore = errors.New("the contact store is not available to this step")

// contactID returns the run's contact id and the store, or a permanent
// error saying what is missing.
func contactID(in *Input) (string, error) {
	if in.Contacts == nil {
		return "", Permanent(errNoStore)
	}
	if in.Env == nil || in.Env.Contact.ID == "" {
		return "", Permanent(ErrNoContact)
	}
	return in.Env.Contact.ID, nil
}

// stepFailed turns an error from the contact store into a step error: a
// permanent error stays permanent, anything else is retried.
func stepFailed(what string, err error) error {
	if IsPermanent(err) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// label returns the marketer-facing label of the param at path (its first
// segment), falling back to the path itself.
func label(in *Input, path string) string {
	name := path
	for i, c := range path {
		if c == '.' || c == '[' {
			name = path[:i]
			break
		}
	}
	if in.Node != nil && in.Node.Spec != nil {
		if p := in.Node.Spec.Param(name); p != nil && p.Label != "" {
			return p.Label
		}
	}
	return path
}

// exprFailed reports that an expression or template of the step could not
// be worked out for this run. Retrying cannot change the data, so it is
// permanent.
func exprFailed(in *Input, path string, err error) error {
	return Permanentf("%q could not be worked out: %w", label(in, path), err)
}

// Interface guards.
var _ Handler = typedHandler[IfParams](nil)
