package storage

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Actor types of audit entries.
const (
	// ActorUser is a person signed in to the editor (actor id: user id).
	ActorUser = "user"
	// ActorToken is a script using an API token (actor id: token id).
	ActorToken = "token"
	// ActorCLI is the command line on the server machine (actor id: the
	// command, e.g. "token create").
	ActorCLI = "cli"
)

// Entity types of audit entries.
const (
	AuditFlow       = "flow"
	AuditCredential = "credential"
	AuditUser       = "user"
	AuditToken      = "token"
	AuditContact    = "contact"
)

// Audit actions.
const (
	AuditCreate  = "create"
	AuditUpdate  = "update"
	AuditDelete  = "delete"
	AuditPublish = "publish"
	AuditPause   = "pause"
	AuditImport  = "import"
	AuditErase   = "erase"
)

// Size limits of audit entry fields (longer values are cut).
const (
	maxAuditName    = 320
	maxAuditID      = 200
	maxAuditSummary = 500
)

// AuditEntry records one change: who (a user, an API token or the command
// line) did what to which flow, credential, user, token or contact, and
// when. It never holds a secret: the summary is built from names, ids and
// roles only, never from request bodies or credential fields.
type AuditEntry struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	At         time.Time `gorm:"not null"`
	ActorType  string    `gorm:"size:16;not null"`
	ActorID    string    `gorm:"size:200;not null;index:idx_audit_actor"`
	ActorName  string    `gorm:"size:320;not null"`
	Action     string    `gorm:"size:32;not null"`
	EntityType string    `gorm:"size:32;not null;index:idx_audit_entity,priority:1"`
	EntityID   string    `gorm:"size:200;not null;index:idx_audit_entity,priority:2"`
	Summary    string    `gorm:"size:500;not null"`
	RequestID  string    `gorm:"size:64;not null"`
}

func (AuditEntry) TableName() string { return "audit_entries" }

// RecordAudit stores e (At in UTC; over-long fields are cut, so that a
// long name never loses the entry).
func RecordAudit(tx Tx, e AuditEntry) error {
	e.ID = 0
	e.At = e.At.UTC()
	e.ActorID = cut(e.ActorID, maxAuditID)
	e.ActorName = cut(e.ActorName, maxAuditName)
	e.EntityID = cut(e.EntityID, maxAuditID)
	e.Summary = cut(e.Summary, maxAuditSummary)
	e.RequestID = cut(e.RequestID, 64)
	if e.ActorType == "" || e.Action == "" || e.EntityType == "" {
		return fmt.Errorf("record audit: actor type, action and entity type are required")
	}
	if err := tx.db.Create(&e).Error; err != nil {
		return fmt.Errorf("record audit: %w", mapErr(err))
	}
	return nil
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// AuditQuery filters ListAudit. Empty fields match everything.
type AuditQuery struct {
	// EntityType is flow, credential, user, token or contact.
	EntityType string
	// EntityID narrows EntityType to one entity.
	EntityID string
	// Actor matches the actor's id or name (a user's email, a token's
	// name).
	Actor string
	// Before lists only entries with a smaller id (paging, newest first).
	Before int64
	// Limit caps the entries returned (default 100).
	Limit int
}

// ListAudit returns the matching entries, newest first.
func ListAudit(db Tx, q AuditQuery) ([]AuditEntry, error) {
	tx := db.db.Model(&AuditEntry{})
	if q.EntityType != "" {
		tx = tx.Where("entity_type = ?", q.EntityType)
	}
	if q.EntityID != "" {
		tx = tx.Where("entity_id = ?", q.EntityID)
	}
	if a := strings.TrimSpace(q.Actor); a != "" {
		tx = tx.Where("actor_id = ? OR actor_name = ?", a, a)
	}
	if q.Before > 0 {
		tx = tx.Where("id < ?", q.Before)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var out []AuditEntry
	if err := tx.Order("id DESC").Limit(q.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
