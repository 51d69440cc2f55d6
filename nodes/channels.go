package nodes

import (
	"context"
	"time"
)

// Message channels.
const (
	ChannelEmail    = "email"
	ChannelSMS      = "sms"
	ChannelWhatsApp = "whatsapp"
	// ChannelSlack holds the posts of notify.slack steps without a Slack
	// account: they are kept in the sandbox outbox, never posted.
	ChannelSlack = "slack"
)

// ProviderSandbox is the provider of a channel without a credential: the
// message is kept in the outbox, never sent.
const ProviderSandbox = "sandbox"

// Message statuses a handler sets (the storage layer knows more, from
// delivery receipts).
const (
	StatusQueued    = "queued"
	StatusDelayed   = "delayed"
	StatusSkipped   = "skipped"
	StatusSandboxed = "sandboxed"
	StatusSent      = "sent"
	StatusFailed    = "failed"
)

// Channels is what the message node types need: an outbox that records
// every message once per idempotency key, and the senders configured by
// credentials. The engine wires an implementation backed by the database.
type Channels interface {
	// Record stores d under d.Key in its own short transaction, before
	// any vendor is called, or returns the message an earlier try of the
	// step stored under that key (then nothing is written).
	Record(ctx context.Context, d Draft) (Message, error)
	// Update changes a recorded message and appends to its history.
	Update(ctx context.Context, id string, u MessageUpdate) error
	// Sender returns the sender of channel for a credential id; an empty
	// id gives the sandbox (a Sender with no client).
	Sender(ctx context.Context, channel, credentialID string) (Sender, error)
	// RecentSends returns the creation times of messages that went out on
	// channel to the contact after since, oldest first, at most limit.
	RecentSends(ctx context.Context, contactID, channel string, since time.Time, limit int) ([]time.Time, error)
	// PrepareEmail adds to e, for message id, the unsubscribe link and
	// the List-Unsubscribe headers, and with track, an open pixel and
	// links that go through the click tracker.
	PrepareEmail(messageID string, e *Email, track bool)
}

// Draft is a message about to be recorded.
type Draft struct {
	Key          string
	Channel      string
	Provider     string
	CredentialID string
	Status       string
	Reason       string
	To           string
	Subject      string
	Text         string
	HTML         string
	ContactID    string
	RunID        string
	NodeID       string
	FlowID       string
}

// Message is a recorded message as a handler sees it.
type Message struct {
	ID         string
	Status     string
	Reason     string
	ProviderID string
}

// MessageUpdate changes a recorded message; empty fields are kept.
type MessageUpdate struct {
	Status     string
	Reason     string
	ProviderID string
	// Sent marks the moment a vendor accepted the message.
	Sent bool
}

// Sender sends on one channel through one provider. All clients nil means
// the sandbox.
type Sender struct {
	// Provider names the vendor ("smtp", "twilio", "whatsapp", "sandbox").
	Provider string
	Email    EmailSender
	SMS      SMSSender
	WhatsApp WhatsAppSender
}

// Sandbox reports whether s keeps messages instead of sending them.
func (s Sender) Sandbox() bool { return s.Email == nil && s.SMS == nil && s.WhatsApp == nil }

// Email is one email to send.
type Email struct {
	// MessageID identifies the message in our outbox (used for the
	// Message-ID header, so a resent retry can be recognised).
	MessageID string
	To        string
	Subject   string
	Text      string
	HTML      string
	// Headers are extra headers (List-Unsubscribe, ...).
	Headers map[string]string
}

// SMS is one text message to send.
type SMS struct {
	MessageID string
	To        string
	Body      string
}

// WhatsApp is one WhatsApp message: free text, or an approved template
// (needed outside the 24-hour customer-service window).
type WhatsApp struct {
	MessageID string
	To        string
	Body      string
	// Template and Language name an approved template; empty sends Body.
	Template string
	Language string
}

// EmailSender sends email (SMTP here; vendors later).
type EmailSender interface {
	SendEmail(ctx context.Context, e Email) (providerID string, err error)
}

// SMSSender sends text messages (Twilio, from nodes/connectors).
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) (providerID string, err error)
}

// WhatsAppSender sends WhatsApp messages (Cloud API, from nodes/connectors).
type WhatsAppSender interface {
	SendWhatsApp(ctx context.Context, m WhatsApp) (providerID string, err error)
}
