package channels

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/journeyhq/journey/storage"
)

// receivedTypes are the events of messages contacts send us.
var receivedTypes = []string{"sms.received", "whatsapp.received"}

// twoWayChannels are the channels a contact can answer on.
var twoWayChannels = []string{"sms", "whatsapp"}

// ConversationMessage is one message of a contact's SMS and WhatsApp
// thread. Messages contacts send are their channel.received events (no
// copy is kept elsewhere); the ones we send are outbox messages.
type ConversationMessage struct {
	// Direction is "in" (the contact sent it) or "out" (we did).
	Direction string    `json:"direction"`
	Channel   string    `json:"channel"`
	Text      string    `json:"text"`
	At        time.Time `json:"at"`
	// ContactID is the contact who sent or received it.
	ContactID string `json:"contact_id"`
	// MessageID is our outbox message (out), EventID the contact event (in).
	MessageID string `json:"message_id,omitempty"`
	EventID   string `json:"event_id,omitempty"`
	// Status and Reason are an outbound message's (sandboxed, delivered,
	// skipped...).
	Status string `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// From is the sender's number of an inbound message; Name their
	// WhatsApp profile name when known.
	From string `json:"from,omitempty"`
	Name string `json:"name,omitempty"`
	// ReplyID is the tapped button or list row; ReplyToMessageID our
	// message the contact answered, when the vendor says.
	ReplyID          string `json:"reply_id,omitempty"`
	ReplyToMessageID string `json:"reply_to_message_id,omitempty"`
}

// Conversation returns the last limit SMS and WhatsApp messages between
// the contact and us, both directions, oldest first.
func (s *Service) Conversation(ctx context.Context, contactID string, limit int) ([]ConversationMessage, error) {
	db := s.store.Reader().WithContext(ctx)
	evs, err := storage.ContactEventsOfTypes(db, contactID, receivedTypes, limit)
	if err != nil {
		return nil, err
	}
	ms, err := storage.ContactMessagesOn(db, contactID, twoWayChannels, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ConversationMessage, 0, len(evs)+len(ms))
	for i := range evs {
		out = append(out, inboundMessage(&evs[i]))
	}
	for _, m := range ms {
		out = append(out, ConversationMessage{Direction: "out", Channel: m.Channel, Text: m.BodyText, At: m.CreatedAt.UTC(),
			ContactID: contactID, MessageID: m.ID, Status: m.Status, Reason: m.Reason})
	}
	slices.SortStableFunc(out, func(a, b ConversationMessage) int { return a.At.Compare(b.At) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// LatestReceived returns the newest messages contacts sent us (over all
// contacts), newest first.
func (s *Service) LatestReceived(ctx context.Context, limit int) ([]ConversationMessage, error) {
	evs, err := storage.LatestEventsOfTypes(s.store.Reader().WithContext(ctx), receivedTypes, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ConversationMessage, len(evs))
	for i := range evs {
		out[i] = inboundMessage(&evs[i])
	}
	return out, nil
}

// inboundMessage reads a channel.received event (see RecordInbound).
func inboundMessage(e *storage.Event) ConversationMessage {
	var d struct {
		Channel          string `json:"channel"`
		Text             string `json:"text"`
		From             string `json:"from"`
		Name             string `json:"name"`
		ReplyID          string `json:"reply_id"`
		ReplyToMessageID string `json:"reply_to_message_id"`
	}
	_ = json.Unmarshal([]byte(e.Data), &d)
	m := ConversationMessage{Direction: "in", Channel: d.Channel, Text: d.Text, At: e.At.UTC(), EventID: e.ID,
		From: d.From, Name: d.Name, ReplyID: d.ReplyID, ReplyToMessageID: d.ReplyToMessageID}
	if e.ContactID != nil {
		m.ContactID = *e.ContactID
	}
	if m.Channel == "" {
		m.Channel = map[string]string{"sms.received": "sms", "whatsapp.received": "whatsapp"}[e.Type]
	}
	return m
}
