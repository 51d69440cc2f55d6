package nodes

import (
	"context"
	"time"
)

// Contacts is the built-in contact store as node handlers see it. Every
// method that changes something takes the step's idempotency key: calling
// it again with the same key changes nothing more and returns the first
// result (this is what makes a re-run after a crash harmless).
type Contacts interface {
	// Upsert finds the contact by lower-cased email, then by E.164 phone,
	// and updates it, or creates it. Empty fields do not overwrite.
	Upsert(ctx context.Context, key string, in ContactInput) (ContactRef, error)
	// CreateDeal creates a deal for a contact.
	CreateDeal(ctx context.Context, key string, in DealInput) (string, error)
	// CreateTask creates a task, usually for a sales owner.
	CreateTask(ctx context.Context, key string, in TaskInput) (string, error)
	// AddNote attaches a note (e.g. a chat transcript) to a contact.
	AddNote(ctx context.Context, key string, in NoteInput) (string, error)
	// AddScore adds delta (may be negative) to the contact's lead score and
	// returns the new score.
	AddScore(ctx context.Context, key, contactID string, delta int) (int, error)
	// AddToList adds the contact to the named list, creating the list.
	AddToList(ctx context.Context, key, contactID, list string) error
	// RemoveFromList removes the contact from the named list.
	RemoveFromList(ctx context.Context, key, contactID, list string) error
	// Tag adds and removes tags.
	Tag(ctx context.Context, key, contactID string, add, remove []string) error
}

// ContactInput is what crm.upsert_contact writes. Values are already tidy:
// email lower-cased, phone in E.164, names in title case.
type ContactInput struct {
	Email      string
	Phone      string
	FirstName  string
	LastName   string
	Company    string
	ExternalID string
	TimeZone   string
	// Fields are custom fields, merged into existing ones.
	Fields map[string]any
	// SaveAs is RecordLead or RecordContact ("" = contact) for CRMs that
	// keep leads apart from contacts; the built-in store ignores it.
	SaveAs string
	// Campaign is a Salesforce campaign id to add the person to; other
	// targets ignore it.
	Campaign string
}

// Record kinds of crm.upsert_contact's "Save as".
const (
	RecordContact = "contact"
	RecordLead    = "lead"
)

// ContactRef identifies the upserted contact.
type ContactRef struct {
	ID      string
	Created bool
}

// DealInput is what crm.create_deal writes.
type DealInput struct {
	ContactID string
	Title     string
	Stage     string
	Value     float64
	Currency  string
	Owner     string
}

// TaskInput is what crm.create_task writes.
type TaskInput struct {
	ContactID string
	Title     string
	Notes     string
	Owner     string
	// DueAt is when the task is due; zero means no due date.
	DueAt time.Time
}

// NoteInput is what crm.add_note writes.
type NoteInput struct {
	ContactID string
	Body      string
	Source    string
}
