// Package chatpresets turns the "conversation finished" webhooks of common
// chat platforms into one shape for trigger.webhook presets: who the
// contact is, what was said (a plain, speaker-labelled transcript), where,
// and which conversation. Each preset is a pure function of the raw body.
//
// Secrets that some platforms put in the body (LiveChat's secret_key,
// Xeno's token) are never copied into the result, which ends up in runs.
package chatpresets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Speakers used in transcripts.
const (
	SpeakerCustomer = "Customer"
	SpeakerAgent    = "Agent"
	SpeakerBot      = "Bot"
)

// MaxTranscript caps the transcript (bytes); longer ones keep their end.
const MaxTranscript = 64 << 10

// Contact is what the payload says about the person.
type Contact struct {
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Company    string `json:"company,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// Message is one line of the conversation.
type Message struct {
	Speaker string    `json:"speaker"`
	Text    string    `json:"text"`
	At      time.Time `json:"at,omitzero"`
}

// Conversation is a preset's result.
type Conversation struct {
	// Channel names the platform ("intercom", "livechat", ...).
	Channel        string `json:"channel"`
	ConversationID string `json:"conversation_id,omitempty"`
	// Event is the platform's event name or topic.
	Event string `json:"event,omitempty"`
	// Closed is true when the payload says the conversation ended.
	Closed   bool      `json:"closed"`
	Contact  Contact   `json:"contact"`
	Messages []Message `json:"messages,omitempty"`
	// Transcript is Messages as "Speaker: text" lines.
	Transcript string `json:"transcript,omitempty"`
	// Summary is a platform-written recap, when sent.
	Summary string `json:"summary,omitempty"`
	// Data keeps a few platform details (tags, parameters, ids).
	Data map[string]any `json:"data,omitempty"`
	// Score is the lead score the platform sent, when it has one (see
	// scoreFrom): steps read it as trigger.score whatever the platform.
	Score *float64 `json:"score,omitempty"`
}

// Map is the conversation as trigger data (JSON types only).
func (c Conversation) Map() map[string]any {
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// Preset reads one platform's payload.
type Preset func(raw []byte) (Conversation, error)

var presets = map[string]Preset{
	"intercom":      Intercom,
	"livechat":      LiveChat,
	"crisp":         Crisp,
	"dialogflow_cx": DialogflowCX,
	"xeno":          Xeno,
	"manychat":      ManyChat,
	"chatfuel":      Chatfuel,
	"drift":         Drift,
	"bot_framework": BotFramework,
	"generic":       Generic,
}

// Lookup returns the preset with this name.
func Lookup(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

// Names lists the presets, sorted (for the editor's options).
func Names() []string {
	out := make([]string, 0, len(presets))
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// decode reads raw into v with numbers kept exact.
func decode(provider string, raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return connectors.Payloadf(provider, "not valid JSON: %v", err)
	}
	return nil
}

// finish fills the transcript and derived name fields.
func (c *Conversation) finish() {
	var b strings.Builder
	for _, m := range c.Messages {
		if m.Text == "" {
			continue
		}
		b.WriteString(m.Speaker)
		b.WriteString(": ")
		b.WriteString(strings.ReplaceAll(m.Text, "\n", "\n  "))
		b.WriteString("\n")
	}
	t := strings.TrimRight(b.String(), "\n")
	if len(t) > MaxTranscript {
		t = "…" + t[len(t)-MaxTranscript:]
	}
	c.Transcript = t
	ct := &c.Contact
	ct.Email = strings.TrimSpace(ct.Email)
	if strings.Contains(ct.Name, "@") && strings.EqualFold(strings.TrimSpace(ct.Name), ct.Email) {
		ct.Name = "" // platforms put the e-mail in the name when they know no name
	}
	ct.Name = strings.TrimSpace(ct.Name)
	if ct.Name == "" && (ct.FirstName != "" || ct.LastName != "") {
		ct.Name = strings.TrimSpace(ct.FirstName + " " + ct.LastName)
	}
	if ct.Name != "" && ct.FirstName == "" && ct.LastName == "" {
		first, last, _ := strings.Cut(ct.Name, " ")
		ct.FirstName, ct.LastName = first, strings.TrimSpace(last)
	}
}

var (
	blockTags = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li)\s*/?>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
	blankRuns = regexp.MustCompile(`\n{3,}`)
)

// plainText turns chat HTML into plain text.
func plainText(s string) string {
	s = blockTags.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = blankRuns.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

// str renders a JSON scalar as text ("" for objects, arrays and null).
func str(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	}
	return ""
}

func unixAny(v any) time.Time {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}
	}
	i, err := n.Int64()
	if err != nil || i <= 0 {
		return time.Time{}
	}
	if i > 1e12 { // milliseconds
		return time.UnixMilli(i).UTC()
	}
	return time.Unix(i, 0).UTC()
}

// TriggerData is the conversation as trigger.webhook data: Map plus the
// contact's fields repeated at the top level, so steps read
// trigger.email, trigger.name, trigger.transcript and trigger.channel
// whatever the platform.
func (c Conversation) TriggerData() map[string]any {
	m := c.Map()
	contact, _ := m["contact"].(map[string]any)
	for k, v := range contact {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}

// WebhookPresets are the presets as trigger.webhook reads them (for
// nodes.Registry.SetWebhookPresets): each body becomes TriggerData.
func WebhookPresets() map[string]nodes.WebhookPreset {
	out := make(map[string]nodes.WebhookPreset, len(presets))
	for name, parse := range presets {
		out[name] = func(raw []byte) (map[string]any, error) {
			conv, err := parse(raw)
			if err != nil {
				return nil, err
			}
			return conv.TriggerData(), nil
		}
	}
	return out
}

// scoreKeys are the names a lead score goes by in platforms' custom
// attributes and parameters, most specific first.
var scoreKeys = []string{"lead_score", "leadScore", "lead-score", "score"}

// scoreFrom finds a lead score among a platform's custom values: a number,
// or a number written as text.
func scoreFrom(m map[string]any) *float64 {
	for _, k := range scoreKeys {
		var f float64
		var err error
		switch v := m[k].(type) {
		case json.Number:
			f, err = v.Float64()
		case float64:
			f = v
		case int64:
			f = float64(v)
		case string:
			f, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		default:
			continue
		}
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return &f
		}
	}
	return nil
}
