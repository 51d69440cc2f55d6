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
//
// Where the bodies come from: the Teams conversationUpdate is Microsoft's
// documented example as is; the ManyChat body is ManyChat's documented
// "Full Contact Data" with an e-mail, a phone and custom fields filled in;
// the Bot Framework endOfConversation is an activity as the Bot Framework
// schema describes it, with the contact's details in channelData (as a
// Direct Line client or your bot puts them there). No public Drift or
// Chatfuel webhook body could be found: those samples are built from the
// vendors' documentation (Drift's event envelope {type, token, orgId,
// data} with its contact object; Chatfuel's JSON API "Full JSON profile"
// of system attributes), and their titles say so.
var samples = []struct{ preset, file, title string }{
	{"bot_framework", "bot_framework-end-of-conversation.json",
		"Microsoft Bot Framework: conversation ended (endOfConversation; e-mail and lead score lead_score in channelData)"},
	{"bot_framework", "bot_framework-teams-member-removed.json", "Microsoft Teams: a member left the team (conversationUpdate, no e-mail)"},
	{"chatfuel", "chatfuel-json-api-full-profile.json",
		"Chatfuel: JSON API call from the bot's last block (Full JSON profile; lead score in the attribute lead score). Built from Chatfuel's documentation"},
	{"crisp", "crisp-session-resolved.json", "Crisp: conversation resolved (session:set_state)"},
	{"crisp", "crisp-message-send.json", "Crisp: visitor message (message:send)"},
	{"dialogflow_cx", "dialogflow_cx-end-session-lead-score.json",
		"Dialogflow CX: End Session page with the contact's details (lead score in the session parameter lead_score)"},
	{"drift", "drift-contact-identified.json",
		"Drift: a new lead left their e-mail (contact_identified; lead score in the contact attribute lead_score). Built from Drift's documentation"},
	{"drift", "drift-conversation-closed.json",
		"Drift: conversation closed (conversation_status_updated, ids only). Built from Drift's documentation"},
	{"generic", "generic-conversation-finished.json", "Any platform: conversation finished (contact, messages, lead score in lead_score)"},
	{"intercom", "intercom-closed-lead-score.json",
		"Intercom: conversation closed by an agent (lead score in the conversation attribute lead_score)"},
	{"intercom", "intercom-closed-old-shape.json", "Intercom: conversation closed, older API shape (no lead score)"},
	{"livechat", "livechat-incoming-chat.json", "LiveChat: incoming chat with the customer and messages (incoming_chat)"},
	{"livechat", "livechat-chat-deactivated.json", "LiveChat: chat ended, ids only (chat_deactivated)"},
	{"manychat", "manychat-full-contact-data.json",
		"ManyChat: Full Contact Data sent by an External Request (lead score in the custom field lead_score)"},
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
