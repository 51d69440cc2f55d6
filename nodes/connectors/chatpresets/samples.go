package chatpresets

import (
	"embed"
	"encoding/json"
	"fmt"
)

//go:embed samples/*.json
var sampleFiles embed.FS

// Sample is a realistic webhook body a chat platform sends, for trying a
// webhook journey in the editor's test panel.
type Sample struct {
	// Preset is the trigger.webhook preset that reads it.
	Preset string `json:"preset"`
	// Title says what happened and, when the body has one, where the lead
	// score is.
	Title string `json:"title"`
	// Body is exactly what the platform POSTs.
	Body json.RawMessage `json:"body"`
}

// samples lists the sample files, the first of each preset first (the
// test panel preselects it).
var samples = []struct{ preset, file, title string }{
	{"crisp", "crisp-session-resolved.json", "Crisp: conversation resolved (session:set_state)"},
	{"crisp", "crisp-message-send.json", "Crisp: visitor message (message:send)"},
	{"dialogflow_cx", "dialogflow_cx-end-session-lead-score.json",
		"Dialogflow CX: End Session page with the contact's details (lead score in the session parameter lead_score)"},
	{"generic", "generic-conversation-finished.json", "Any platform: conversation finished (contact, messages, lead score in lead_score)"},
	{"intercom", "intercom-closed-lead-score.json",
		"Intercom: conversation closed by an agent (lead score in the conversation attribute lead_score)"},
	{"intercom", "intercom-closed-old-shape.json", "Intercom: conversation closed, older API shape (no lead score)"},
	{"livechat", "livechat-incoming-chat.json", "LiveChat: incoming chat with the customer and messages (incoming_chat)"},
	{"livechat", "livechat-chat-deactivated.json", "LiveChat: chat ended, ids only (chat_deactivated)"},
	{"xeno", "xeno-end-conversation.json", "Xeno: conversation ended (end_conversation; lead score in the custom information lead_score)"},
}

// Samples returns every sample body, by preset in name order.
func Samples() ([]Sample, error) {
	out := make([]Sample, 0, len(samples))
	for _, s := range samples {
		b, err := sampleFiles.ReadFile("samples/" + s.file)
		if err != nil {
			return nil, fmt.Errorf("chat preset sample %s: %w", s.file, err)
		}
		out = append(out, Sample{Preset: s.preset, Title: s.title, Body: b})
	}
	return out, nil
}
