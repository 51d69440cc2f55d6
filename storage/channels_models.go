package storage

import "time"

// Message statuses. A message moves from queued (recorded, not yet handed
// to a vendor) or delayed (held by a policy) to sent or sandboxed, then on
// to delivery receipts; skipped and failed messages were never delivered.
const (
	MessageQueued      = "queued"
	MessageDelayed     = "delayed"
	MessageSkipped     = "skipped"
	MessageSandboxed   = "sandboxed"
	MessageSent        = "sent"
	MessageDelivered   = "delivered"
	MessageOpened      = "opened"
	MessageClicked     = "clicked"
	MessageRead        = "read"
	MessageFailed      = "failed"
	MessageUndelivered = "undelivered"
	MessageBounced     = "bounced"
)

// Message is one message a journey sent, tried to send, held or skipped,
// on any channel. IdemKey is the step's run:node:visit key (plus the
// channel for a multi-channel send): it is unique, so a retried step finds
// its row instead of recording a second message.
type Message struct {
	ID           string  `gorm:"primaryKey;size:36"`
	IdemKey      string  `gorm:"size:250;not null;uniqueIndex"`
	Channel      string  `gorm:"size:16;not null;index:idx_message_contact_channel,priority:2"`
	Provider     string  `gorm:"size:32;not null"`
	CredentialID string  `gorm:"size:36"`
	Status       string  `gorm:"size:16;not null;index"`
	Reason       string  `gorm:"type:text"`
	ProviderID   *string `gorm:"size:200;index"`
	To           string  `gorm:"column:to_address;size:320"`
	Subject      string  `gorm:"size:500"`
	BodyText     string  `gorm:"type:text"`
	BodyHTML     string  `gorm:"type:text"`
	ContactID    *string `gorm:"size:36;index:idx_message_contact_channel,priority:1"`
	RunID        string  `gorm:"size:36;index"`
	NodeID       string  `gorm:"size:100"`
	FlowID       string  `gorm:"size:100"`
	// Events is the message's history (JSON array of {type, at, data}).
	Events    string `gorm:"type:text"`
	SentAt    *time.Time
	CreatedAt time.Time `gorm:"not null;index:idx_message_contact_channel,priority:3"`
	// Test marks test data (see testdata.go).
	Test      bool      `gorm:"not null;default:false"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (Message) TableName() string { return "messages" }

// Credential is a vendor account. Fields holds the non-secret values
// (JSON object); Secrets holds the secret values as one sealed (encrypted
// and authenticated) JSON object, so the database never sees them in clear.
type Credential struct {
	ID        string    `gorm:"primaryKey;size:36"`
	Name      string    `gorm:"size:200;not null"`
	Kind      string    `gorm:"size:32;not null;index"`
	Fields    string    `gorm:"type:text"`
	Secrets   string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (Credential) TableName() string { return "credentials" }
