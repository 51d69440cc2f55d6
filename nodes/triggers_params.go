package nodes

import "github.com/journeyhq/journey/flows"

// Trigger parameters, shared with the engine, which matches incoming
// webhooks and events against them. CONTRACT: the nodes work declares the
// trigger types with exactly these JSON names.

// Trigger node type ids.
const (
	TypeWebhookTrigger  = "trigger.webhook"
	TypeEventTrigger    = "trigger.event"
	TypeAbsenceTrigger  = "trigger.absence"
	TypeScheduleTrigger = "trigger.schedule"
	TypeManualTrigger   = "trigger.manual"
)

// WebhookParams are trigger.webhook's params.
type WebhookParams struct {
	// Path is the part after /hooks/, e.g. "chat-finished".
	Path string `json:"path"`
	// SecretEnv names the server-side secret used to check an
	// X-Signature-256 HMAC (see server); the secret itself never sits in
	// flow JSON. Empty means no signature is required.
	SecretEnv string `json:"secret_env,omitempty"`
	// Mapping maps trigger field names to expressions over the request
	// (trigger.body, trigger.headers, trigger.query); when empty, the JSON
	// body itself is the trigger payload.
	Mapping map[string]string `json:"mapping,omitempty"`
	// Preset reads the body as a chat platform's "conversation finished"
	// webhook (see WebhookPresets); the mapping, if any, then works on
	// the preset's result as trigger.body.
	Preset string `json:"preset,omitempty"`
}

// WebhookPresets are the chat platforms trigger.webhook can read. The
// parsers live in nodes/connectors/chatpresets and are handed to the
// registry in main (SetWebhookPresets).
var WebhookPresets = []string{"bot_framework", "chatfuel", "crisp", "dialogflow_cx", "drift", "generic", "intercom", "livechat", "manychat", "xeno"}

// WebhookPresetLabels are the presets' names as the editor shows them.
var WebhookPresetLabels = map[string]string{
	"bot_framework": "Microsoft Bot Framework (Azure Bot Service, Teams)",
	"chatfuel":      "Chatfuel",
	"crisp":         "Crisp",
	"dialogflow_cx": "Dialogflow CX",
	"drift":         "Drift",
	"generic":       "Another platform (generic)",
	"intercom":      "Intercom",
	"livechat":      "LiveChat",
	"manychat":      "ManyChat",
	"xeno":          "Xeno",
}

// WebhookPresetTokens name, per preset, the header in which the platform
// sends its verification token: the shared secret itself rather than a
// signature of the body (Drift puts its app's Verification Token in
// X-Verification-Token). When the trigger names a signing secret, such a
// request is accepted if that header equals the secret (or if it carries
// a valid X-Signature-256, as every signed webhook may).
var WebhookPresetTokens = map[string]string{"drift": "X-Verification-Token"}

// EventParams are trigger.event's params.
type EventParams struct {
	EventType string `json:"event_type"`
	// Filter is an optional boolean expression over event and contact.
	Filter string `json:"filter,omitempty"`
}

// AbsenceParams are trigger.absence's params: Event happened, and no
// Missing event followed for the same contact Within the duration.
type AbsenceParams struct {
	Event   string         `json:"event"`
	Missing string         `json:"missing_event"`
	Within  flows.Duration `json:"within"`
}

// ScheduleParams are trigger.schedule's params.
type ScheduleParams struct {
	Cron     string `json:"cron"`
	TimeZone string `json:"time_zone,omitempty"`
	// Segment is an optional condition on the contact: each tick starts
	// one run per contact it holds for, instead of one run without a
	// contact.
	Segment string `json:"segment,omitempty"`
}
