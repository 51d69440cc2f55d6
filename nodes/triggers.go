package nodes

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// Trigger param names (the JSON names of the structs in triggers_params.go).
const (
	paramPath         = "path"
	paramSecretEnv    = "secret_env"
	paramMapping      = "mapping"
	paramEventType    = "event_type"
	paramFilter       = "filter"
	paramEvent        = "event"
	paramMissingEvent = "missing_event"
	paramWithin       = "within"
	paramCron         = "cron"
	paramTimeZone     = "time_zone"
	paramSegment      = "segment"
	paramPreset       = "preset"
)

// webhookPathPattern is what a webhook path may look like.
var webhookPathPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9/_-]*$`)

// ManualParams are trigger.manual's params: it has none; the sample data
// comes with each test or manual start.
type ManualParams struct{}

func webhookTrigger() *Type {
	return define(flows.TypeSpec{
		Type:     TypeWebhookTrigger,
		Contact:  webhookContact,
		Category: flows.CategoryTrigger,
		Title:    "When a webhook is received",
		Description: "Starts the journey when another system (a chatbot, a form, your shop) sends data to this flow's web address. " +
			"Map the fields you need, such as the email and name, from what it sends.",
		Trigger: true,
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramPath, Label: "Web address", Kind: flows.KindString, Required: true,
				Description: "The end of the address the other system calls, after /hooks/. Lowercase letters, digits, dashes, underscores and slashes.",
				Example:     "chat-finished",
			},
			{
				Name: paramSecretEnv, Label: "Signing secret name", Kind: flows.KindString,
				Description: "Name of a secret kept on the server (never the secret itself). When set, requests must carry a matching X-Signature-256 signature; " +
					"with the Drift preset, Drift's verification token (X-Verification-Token) equal to the secret is accepted too.",
				Example: "CHATBOT_WEBHOOK_SECRET",
			},
			{
				Name: paramMapping, Label: "Fields to keep", Kind: flows.KindMap, Returns: flows.ReturnsAny,
				Description: "Each field of the trigger data and where to read it from the request (trigger.body, trigger.headers, trigger.query). Leave empty to keep the whole body.",
				Example:     map[string]any{"email": "trigger.body.email", "name": "trigger.body.name"},
			},
			{
				Name: paramPreset, Label: "Chat platform", Kind: flows.KindEnum, Enum: WebhookPresets, EnumLabels: WebhookPresetLabels,
				Description: "Reads the request as a chat platform's conversation webhook (Intercom, LiveChat, Crisp, Dialogflow CX, Xeno, ManyChat, Chatfuel, Drift, " +
					"Microsoft Bot Framework, or a generic shape) " +
					"and gives trigger.email, trigger.name, trigger.phone and the other contact fields, trigger.transcript, trigger.channel, " +
					"trigger.conversation_id, trigger.closed, and trigger.score when the platform sends a lead score. A request that is not that platform's payload is refused. " +
					"Drift and Chatfuel are read as their documentation describes their requests (no public sample body was available to test against).",
				Example: "intercom",
			},
		},
		Rules: []flows.Rule{webhookPathRule},
		Examples: []flows.Example{
			{Title: "A form posts its fields", Params: map[string]any{paramPath: "contact-form"}},
			{
				Title:  "Chat finished on Intercom, read with the preset",
				Params: map[string]any{paramPath: "intercom/closed", paramPreset: "intercom", paramSecretEnv: "INTERCOM_WEBHOOK_SECRET"},
			},
			{
				Title: "Intercom conversation closed, fields picked by hand",
				Params: map[string]any{
					paramPath:      "intercom/closed",
					paramSecretEnv: "INTERCOM_WEBHOOK_SECRET",
					paramMapping: map[string]any{
						"email":           "trigger.body.data.item.user.email",
						"name":            "trigger.body.data.item.user.name",
						"conversation_id": "trigger.body.data.item.id",
						"transcript":      "trigger.body.data.item.conversation_message.body",
					},
				},
			},
			{
				Title:  "A new lead or a closed conversation on Drift, checked with Drift's verification token",
				Params: map[string]any{paramPath: "drift/events", paramPreset: "drift", paramSecretEnv: "DRIFT_TOKEN"},
			},
			{
				Title: "LiveChat chat finished",
				Params: map[string]any{
					paramPath: "livechat/chat-deactivated",
					paramMapping: map[string]any{
						"chat_id": "trigger.body.payload.chat_id",
						"user_id": "trigger.body.payload.user_id",
					},
				},
			},
		},
	}, runTrigger[WebhookParams])
}

// webhookPathRule checks that the webhook path is slug-like.
func webhookPathRule(params map[string]any) []flows.Problem {
	p := paramString(params, paramPath)
	if p == "" {
		return nil
	}
	if !webhookPathPattern.MatchString(p) {
		return []flows.Problem{problem(codeInvalidParam, paramPath,
			"The web address %q may only use lowercase letters, digits, dashes, underscores and slashes, and must start with a letter or digit.", p)}
	}
	// /hooks/providers/... is where SMS, WhatsApp and email providers report
	// deliveries: a webhook there would never receive anything.
	if p == "providers" || strings.HasPrefix(p, "providers/") {
		return []flows.Problem{problem(codeInvalidParam, paramPath,
			"The web address %q is reserved for delivery reports from message providers; choose a path that does not start with \"providers\".", p)}
	}
	return nil
}

// WebhookPayload computes the trigger data of a webhook trigger from a
// request: env.Trigger holds "body", "headers" and "query". With a mapping,
// each mapped field is evaluated (a field whose expression fails is an
// error); without one, the JSON body itself is the payload (wrapped as
// {"body": ...} when it is not an object).
func WebhookPayload(n *flows.CompiledNode, env *flows.Env) (map[string]any, error) {
	var p WebhookParams
	if err := n.Decode(&p); err != nil {
		return nil, fmt.Errorf("read webhook settings: %w", err)
	}
	if len(p.Mapping) == 0 {
		if body, ok := env.Trigger["body"].(map[string]any); ok {
			return body, nil
		}
		return map[string]any{"body": env.Trigger["body"]}, nil
	}
	out := make(map[string]any, len(p.Mapping))
	for _, field := range slices.Sorted(maps.Keys(p.Mapping)) {
		v, err := n.Eval(paramMapping+"."+field, env)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", field, err)
		}
		out[field] = v
	}
	return out, nil
}

func eventTrigger() *Type {
	return define(flows.TypeSpec{
		Type:     TypeEventTrigger,
		Contact:  storedContact,
		Category: flows.CategoryTrigger,
		Title:    "When something happens to a contact",
		Description: "Starts the journey when a contact event arrives: a chat finished, an email was opened or clicked, a form was sent, a cart was abandoned, or any event of your own. " +
			"Optionally only for events that match a condition.",
		Trigger: true,
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramEventType, Label: "Event", Kind: flows.KindString, Required: true,
				Description: "The type of event that starts the journey, e.g. chat.finished or email.clicked.",
				Example:     "chat.finished", Options: "event_types",
			},
			{
				Name: paramFilter, Label: "Only when", Kind: flows.KindExpression, Returns: flows.ReturnsBool,
				Description: "A condition on the event and the contact; leave empty to start for every such event.",
				Example:     `event.data.rating >= 4`,
			},
		},
		Examples: []flows.Example{
			{Title: "A chat finished", Params: map[string]any{paramEventType: "chat.finished"}},
			{Title: "A link in a pricing email was clicked", Params: map[string]any{
				paramEventType: "email.clicked", paramFilter: `event.data.url contains "pricing"`,
			}},
		},
	}, runEventTrigger[EventParams])
}

func absenceTrigger() *Type {
	return define(flows.TypeSpec{
		Type:     TypeAbsenceTrigger,
		Contact:  storedContact,
		Category: flows.CategoryTrigger,
		Title:    "When something does not follow",
		Description: "Starts the journey when one event happened to a contact and another did not follow in time, " +
			"e.g. an email was delivered and not opened within 48 hours.",
		Trigger: true,
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramEvent, Label: "First event", Kind: flows.KindString, Required: true,
				Description: "The event that starts the clock.", Example: "email.sent", Options: "event_types",
			},
			{
				Name: paramMissingEvent, Label: "Event that did not happen", Kind: flows.KindString, Required: true,
				Description: "The event that was expected next for the same contact.", Example: "email.opened", Options: "event_types",
			},
			{
				Name: paramWithin, Label: "Within", Kind: flows.KindDuration, Required: true,
				Description: "How long to wait for the second event before starting the journey.", Example: "48h",
			},
		},
		Examples: []flows.Example{
			{Title: "Welcome email not opened in 2 days", Params: map[string]any{
				paramEvent: "email.sent", paramMissingEvent: "email.opened", paramWithin: "48h",
			}},
		},
	}, runEventTrigger[AbsenceParams])
}

func scheduleTrigger() *Type {
	return define(flows.TypeSpec{
		Type:        TypeScheduleTrigger,
		Contact:     scheduleContact,
		Category:    flows.CategoryTrigger,
		Title:       "On a schedule",
		Description: "Starts the journey at set times, e.g. every Monday at 9:00, written as a cron schedule: once per time, or, with a segment, once for every contact in the segment.",
		Trigger:     true,
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramCron, Label: "Schedule", Kind: flows.KindCron, Required: true,
				Description: "When to start, as five cron fields: minute, hour, day of month, month, weekday.",
				Example:     "0 9 * * 1",
			},
			{
				Name: paramTimeZone, Label: "Time zone", Kind: flows.KindTimeZone,
				Description: "The time zone of the schedule; the flow's time zone when empty.",
				Example:     "Europe/Madrid",
			},
			{
				Name: paramSegment, Label: "For each contact where", Kind: flows.KindExpression, Returns: flows.ReturnsBool,
				Description: "A condition on the contact (now is the time of the tick): at each time, the journey starts once for every contact it holds for, going through the contacts in batches. Leave empty to start one run per time, without a contact.",
				Example:     `daysSince(coalesce(contact.last_activity_at, contact.created_at)) >= 90`,
			},
		},
		Examples: []flows.Example{
			{Title: "Every Monday at 9:00 in Madrid", Params: map[string]any{paramCron: "0 9 * * 1", paramTimeZone: "Europe/Madrid"}},
			{Title: "Every day at noon", Params: map[string]any{paramCron: "0 12 * * *"}},
			{Title: "Every morning, each contact inactive for 90 days", Params: map[string]any{
				paramCron: "0 8 * * *", paramSegment: `daysSince(coalesce(contact.last_activity_at, contact.created_at)) >= 90`,
			}},
		},
	}, runTrigger[ScheduleParams])
}

func manualTrigger() *Type {
	return define(flows.TypeSpec{
		Type:        TypeManualTrigger,
		Contact:     manualContact,
		Category:    flows.CategoryTrigger,
		Title:       "Start by hand",
		Description: "Starts the journey only when you press Test in the editor or start it through the API, with the sample data you give.",
		Trigger:     true,
		Outputs:     outPorts(),
		Examples:    []flows.Example{{Title: "Test with sample data", Params: map[string]any{}}},
	}, runTrigger[ManualParams])
}

// runTrigger passes the trigger payload through.
func runTrigger[P any](_ context.Context, in *Input, _ *P) (Result, error) {
	out := map[string]any{}
	if in.Env != nil {
		maps.Copy(out, in.Env.Trigger)
	}
	return Result{Port: PortOut, Output: out, OutputIsTrigger: true}, nil
}

// runEventTrigger passes the starting event through.
func runEventTrigger[P any](_ context.Context, in *Input, _ *P) (Result, error) {
	out := map[string]any{}
	if in.Env != nil {
		ev := in.Env.Event
		out["event"] = map[string]any{"id": ev.ID, "type": ev.Type, "data": ev.Data, "at": ev.At}
	}
	return Result{Port: PortOut, Output: out}, nil
}
