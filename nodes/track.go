package nodes

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// TypeTrackEvent records an event on the person in an email platform.
const TypeTrackEvent = "contact.track_event"

// Param names of contact.track_event.
const (
	paramEventName  = "event"
	paramProperties = "properties"
)

// EventSender records events on people in a vendor (Klaviyo metrics),
// where they can start the vendor's own flows and segments.
type EventSender interface {
	TrackEvent(ctx context.Context, key string, e VendorEvent) error
}

// VendorEvent is one event for EventSender.
type VendorEvent struct {
	// Email finds (or creates) the person.
	Email string
	// Name is the event's name, e.g. "Chat lead captured".
	Name       string
	Properties map[string]any
	// Value is an amount tied to the event (0: none).
	Value float64
	// Time is when it happened.
	Time time.Time
}

// TrackEventParams are contact.track_event's params.
type TrackEventParams struct {
	// Target is the credential id of a vendor with events ("target").
	Target string `json:"target"`
	// Event is a template naming the event ("event").
	Event string `json:"event"`
	// Properties map names to expressions ("properties").
	Properties map[string]string `json:"properties,omitempty"`
	// Value is an expression giving an amount ("value").
	Value string `json:"value,omitempty"`
}

func trackEventNode() *Type {
	t := define(flows.TypeSpec{
		Type:     TypeTrackEvent,
		Category: flows.CategoryList,
		Title:    "Record event in email platform",
		Description: "Records an event, like 'Chat lead captured', on the contact's profile in an email platform such as Klaviyo, " +
			"where it can start that platform's own flows and segments. The contact is found by email (created if new).",
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramTarget, Label: "Save to", Kind: flows.KindCredential, CredentialKind: accountKinds(ProvidesEvents),
				Options: "credentials", WithoutAccount: flows.WithoutAccountSandbox,
				Description: "The account to record the event in: " + cmpOr(kindList(connectorKinds(ProvidesEvents)), "an email platform") +
					" account. Leave it empty to try the journey first: the event is then sent nowhere, and the step's result shows what would have been sent.",
			},
			{
				Name: paramEventName, Label: "Event name", Kind: flows.KindTemplate, Required: true,
				Description: "What happened, as the platform's flows and segments will name it; keep it the same in every journey.",
				Example:     "Chat lead captured",
			},
			{
				Name: paramProperties, Label: "Details", Kind: flows.KindMap, Returns: flows.ReturnsAny,
				Description: "Details to keep with the event, each with how to work it out; one that comes out empty is left out.",
				Example:     map[string]any{"channel": "trigger.channel", "score": "contact.score"},
			},
			{
				Name: paramValue, Label: "Value", Kind: flows.KindExpression, Returns: flows.ReturnsAny,
				Description: "An amount tied to the event, as a number or how to work it out, e.g. trigger.order_total; empty for none.",
				Example:     "trigger.order_total",
			},
		},
		Examples: []flows.Example{
			{Title: "Tell Klaviyo a chat lead came in", Params: map[string]any{
				paramTarget: "klaviyo-main", paramEventName: "Chat lead captured", paramProperties: map[string]any{"score": "contact.score"},
			}},
		},
	}, runTrackEvent)
	return remoteWithAccount(t)
}

// trackSandboxReason says why an event was not sent.
const trackSandboxReason = "No email platform account is chosen for this step, so the event was sent nowhere; choose an account to send it."

func runTrackEvent(ctx context.Context, in *Input, p *TrackEventParams) (Result, error) {
	name, err := in.Node.Render(paramEventName, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramEventName, err)
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		return Result{}, Permanentf("%q came out empty: the event needs a name", label(in, paramEventName))
	}
	props := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(p.Properties)) {
		path := paramProperties + "." + k
		v, err := in.Node.Eval(path, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, path, err)
		}
		if v != nil && v != "" {
			props[k] = v
		}
	}
	var value float64
	if strings.TrimSpace(p.Value) != "" {
		v, err := in.Node.Eval(paramValue, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, paramValue, err)
		}
		if value, err = toAmount(v); err != nil {
			return Result{}, Permanentf("%q: %w", label(in, paramValue), err)
		}
	}
	target := strings.TrimSpace(p.Target)
	if target == "" {
		return Result{Port: PortOut, Output: map[string]any{"event": name, "properties": props, "value": value, "sent": false,
			"reason": trackSandboxReason}}, nil
	}
	acc, err := accountFor(ctx, in, target, paramTarget, ProvidesEvents)
	if err != nil {
		return Result{}, err
	}
	if acc.Events == nil {
		return Result{}, Permanentf("the account %q cannot record events", acc.Name)
	}
	if in.Env.Contact.Email == "" {
		return Result{}, Permanentf("the contact has no email, which %s needs: put a 'Create or update contact' step with an email before this one", acc.Name)
	}
	e := VendorEvent{Email: in.Env.Contact.Email, Name: name, Properties: props, Value: value, Time: in.Now()}
	if err := acc.Events.TrackEvent(ctx, in.Key, e); err != nil {
		return Result{}, stepFailed("record the event in "+acc.Name, err)
	}
	return Result{Port: PortOut, Output: map[string]any{"event": name, "properties": props, "value": value, "sent": true, "target": target}}, nil
}
