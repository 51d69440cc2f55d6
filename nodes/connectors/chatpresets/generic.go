package chatpresets

import (
	"sort"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// Generic reads any JSON object, best effort: contact fields at the top
// level or under contact/user/customer/visitor/person/lead; a conversation
// id; a "transcript" string, or a messages/transcript/conversation array of
// {author|sender|from|role|speaker, text|body|content|message}.
func Generic(raw []byte) (Conversation, error) {
	var m map[string]any
	if err := decode("webhook", raw, &m); err != nil {
		return Conversation{}, err
	}
	if m == nil {
		return Conversation{}, connectors.Payloadf("webhook", "the body must be a JSON object")
	}
	c := Conversation{Channel: firstString(m, "channel", "source", "platform")}
	if c.Channel == "" {
		c.Channel = "generic"
	}
	c.Event = firstString(m, "event", "topic", "action", "type")
	c.ConversationID = firstString(m, "conversation_id", "conversationId", "chat_id", "chatId", "session_id", "sessionId", "ticket_id", "ticketId")
	state := strings.ToLower(c.Event + " " + firstString(m, "status", "state"))
	for _, w := range []string{"close", "end", "resolved", "finish", "deactivated", "solved"} {
		if strings.Contains(state, w) {
			c.Closed = true
		}
	}
	for _, k := range []string{"contact", "user", "customer", "visitor", "person", "lead", "sender"} {
		if sub, ok := m[k].(map[string]any); ok {
			fillContact(&c.Contact, sub)
		}
	}
	fillContact(&c.Contact, m)
	if c.ConversationID == "" {
		c.ConversationID = firstString(m, "id")
	}
	c.Summary = firstString(m, "summary", "recap", "conversation_recap")
	c.Score = scoreFrom(m)
	for _, k := range []string{"contact", "user", "customer", "visitor", "person", "lead"} {
		if sub, ok := m[k].(map[string]any); ok && c.Score == nil {
			c.Score = scoreFrom(sub)
		}
	}
	if t, ok := m["transcript"].(string); ok {
		c.finish()
		c.Transcript = strings.TrimSpace(t)
		if len(c.Transcript) > MaxTranscript {
			c.Transcript = "…" + c.Transcript[len(c.Transcript)-MaxTranscript:]
		}
		return c, nil
	}
	for _, k := range []string{"messages", "transcript", "conversation"} {
		list, ok := m[k].([]any)
		if !ok {
			continue
		}
		for _, item := range list {
			msg, ok := item.(map[string]any)
			if !ok {
				continue
			}
			text := plainText(firstString(msg, "text", "body", "content", "message"))
			if text == "" {
				continue
			}
			who := firstString(msg, "speaker", "role", "author", "sender", "from", "author_type", "type")
			for _, k := range []string{"author", "sender", "from"} {
				if sub, ok := msg[k].(map[string]any); ok && who == "" {
					who = firstString(sub, "type", "role", "name")
				}
			}
			sp := speakerFor(who)
			if who == "" {
				sp = SpeakerCustomer
			}
			c.Messages = append(c.Messages, Message{Speaker: sp, Text: text, At: unixAny(msg["timestamp"])})
		}
		break
	}
	c.finish()
	return c, nil
}

// fillContact sets empty fields from m, in sorted key order so the
// result does not depend on map iteration.
func fillContact(c *Contact, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := m[k].(map[string]any); ok {
			continue
		}
		setContact(c, k, m[k])
	}
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(m[k]); s != "" {
			return s
		}
	}
	return ""
}
