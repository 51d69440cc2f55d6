package storage

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// MessageEvent is one entry of a message's history.
type MessageEvent struct {
	Type string         `json:"type"`
	At   time.Time      `json:"at"`
	Data map[string]any `json:"data,omitempty"`
}

// MessageQuery filters ListMessages. Empty fields do not filter.
type MessageQuery struct {
	Channel string
	Status  string
	// ContactID and RunID select a contact's or a run's messages, test
	// messages included when it is a test contact or run.
	ContactID string
	RunID     string
	// IncludeTest also lists test messages (left out by default).
	IncludeTest bool
	Limit       int
	Offset      int
}

// InsertMessage records m under its IdemKey in its own row. When a row
// with that key exists (a retried step), nothing is written and the
// stored row is returned with inserted false.
func InsertMessage(tx Tx, m *Message) (stored *Message, inserted bool, err error) {
	if m.IdemKey == "" {
		return nil, false, errors.New("insert message: an idempotency key is required")
	}
	if m.ID == "" {
		m.ID = NewID()
	}
	if m.Events == "" {
		m.Events = "[]"
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	// Hand-written: every message step records one to three of these. A
	// message to a test contact is test data, whichever path recorded it.
	n, err := rawOf(tx).affected(`INSERT INTO messages (id, idem_key, channel, provider, credential_id, status, reason, provider_id,
		to_address, subject, body_text, body_html, contact_id, run_id, node_id, flow_id, events, sent_at, created_at, updated_at, test)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,`+markTest+`) ON CONFLICT (idem_key) DO NOTHING`,
		m.ID, m.IdemKey, m.Channel, m.Provider, m.CredentialID, m.Status, m.Reason, m.ProviderID,
		m.To, m.Subject, m.BodyText, m.BodyHTML, m.ContactID, m.RunID, m.NodeID, m.FlowID, m.Events, m.SentAt,
		m.CreatedAt.UTC(), m.UpdatedAt.UTC(), m.Test, m.ContactID)
	if err != nil {
		return nil, false, fmt.Errorf("insert message: %w", err)
	}
	if n == 1 {
		if err := markMessage(tx, m, false); err != nil {
			return nil, false, err
		}
		return m, true, nil
	}
	prev, err := MessageByKey(tx, m.IdemKey)
	return prev, false, err
}

// markMessage marks the day of a message and, when its send time may
// be its run's first contact, the run's start day: always after a change,
// and for a new one when it went out at once (sent or kept in the sandbox).
func markMessage(tx Tx, m *Message, changed bool) error {
	if m.Test {
		return nil
	}
	r := rawOf(tx)
	if err := markDay(r, m.CreatedAt); err != nil {
		return err
	}
	if m.RunID == "" || (!changed && m.SentAt == nil && m.Status != "sandboxed") {
		return nil
	}
	return markRunDay(r, m.RunID)
}

// MessageByKey returns the message recorded under an idempotency key.
func MessageByKey(db Tx, key string) (*Message, error) {
	var m Message
	if err := db.db.Where("idem_key = ?", key).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("message %s: %w", key, notFound(err))
	}
	return &m, nil
}

// MessageStateByKey returns the id, status, reason and provider id of the
// message recorded under key (what a step recording it again is told);
// ErrNotFound when there is none.
func MessageStateByKey(db Tx, key string) (*Message, error) {
	m := Message{IdemKey: key}
	err := rawOf(db).queryRow(`SELECT id, status, COALESCE(reason, ''), provider_id FROM messages WHERE idem_key = ?`, key).
		Scan(&m.ID, &m.Status, &m.Reason, &m.ProviderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("message %s: %w", key, err)
	}
	return &m, nil
}

// GetMessage returns a message by id.
func GetMessage(db Tx, id string) (*Message, error) {
	var m Message
	if err := db.db.Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("message %s: %w", id, notFound(err))
	}
	return &m, nil
}

// MessageRef is what a delivery receipt needs to know of its message.
type MessageRef struct {
	ID        string
	Channel   string
	Provider  string
	FlowID    string
	ContactID *string
}

// Hand-written: every provider receipt asks, and the whole row (bodies
// included) is not needed.
const messageRefSelect = `SELECT id, channel, provider, COALESCE(flow_id, ''), contact_id FROM messages WHERE `

// MessageRefByID returns the message id.
func MessageRefByID(db Tx, id string) (*MessageRef, error) {
	return messageRef(db, "id", id)
}

// MessageRefByProviderID returns the message a vendor knows by providerID.
func MessageRefByProviderID(db Tx, providerID string) (*MessageRef, error) {
	return messageRef(db, "provider_id", providerID)
}

func messageRef(db Tx, col, val string) (*MessageRef, error) {
	var m MessageRef
	err := rawOf(db).queryRow(messageRefSelect+col+` = ? LIMIT 1`, val).Scan(&m.ID, &m.Channel, &m.Provider, &m.FlowID, &m.ContactID)
	if err != nil {
		if col == "provider_id" {
			return nil, fmt.Errorf("message of provider id %s: %w", val, noRows(err))
		}
		return nil, fmt.Errorf("message %s: %w", val, noRows(err))
	}
	return &m, nil
}

// MessageHistory returns the status and the history (JSON array of
// MessageEvent) of the message id.
func MessageHistory(db Tx, id string) (status, events string, err error) {
	err = rawOf(db).queryRow(`SELECT status, COALESCE(events, '') FROM messages WHERE id = ?`, id).Scan(&status, &events)
	if err != nil {
		return "", "", fmt.Errorf("message %s: %w", id, noRows(err))
	}
	return status, events, nil
}

// SetMessageHistory writes the status and the history of the message id.
func SetMessageHistory(tx Tx, id, status, events string, now time.Time) error {
	return SetMessageStatus(tx, id, status, "", events, now)
}

// SetMessageStatus writes the status, the history and, unless empty, the
// reason (what the status means) of the message id.
func SetMessageStatus(tx Tx, id, status, reason, events string, now time.Time) error {
	n, err := rawOf(tx).affected(`UPDATE messages SET status = ?, reason = COALESCE(NULLIF(?, ''), reason), events = ?, updated_at = ? WHERE id = ?`,
		status, reason, events, now.UTC(), id)
	if err != nil {
		return fmt.Errorf("update message %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	return markMessageDays(rawOf(tx), id)
}

// MessageChange is an update of a message; empty fields are kept.
type MessageChange struct {
	Status     string
	Reason     string
	Provider   string
	ProviderID string
	SentAt     time.Time
	// Event, when set, is appended to the message's history.
	Event *MessageEvent
}

// UpdateMessage applies ch to the message id.
func UpdateMessage(tx Tx, id string, ch MessageChange, now time.Time) (*Message, error) {
	m, err := GetMessage(tx, id)
	if err != nil {
		return nil, err
	}
	up := map[string]any{"updated_at": now.UTC()}
	if ch.Status != "" {
		up["status"], m.Status = ch.Status, ch.Status
	}
	if ch.Reason != "" {
		up["reason"], m.Reason = ch.Reason, ch.Reason
	}
	if ch.Provider != "" {
		up["provider"], m.Provider = ch.Provider, ch.Provider
	}
	if ch.ProviderID != "" {
		pid := ch.ProviderID
		up["provider_id"], m.ProviderID = pid, &pid
	}
	if !ch.SentAt.IsZero() {
		t := ch.SentAt.UTC()
		up["sent_at"], m.SentAt = t, &t
	}
	if ch.Event != nil {
		var evs []MessageEvent
		_ = json.Unmarshal([]byte(m.Events), &evs)
		ev := *ch.Event
		ev.At = ev.At.UTC()
		evs = append(evs, ev)
		b, err := json.Marshal(evs)
		if err != nil {
			return nil, fmt.Errorf("message %s events: %w", id, err)
		}
		up["events"], m.Events = string(b), string(b)
	}
	m.UpdatedAt = now.UTC()
	if err := tx.db.Model(&Message{}).Where("id = ?", id).Updates(up).Error; err != nil {
		return nil, fmt.Errorf("update message %s: %w", id, err)
	}
	return m, markMessage(tx, m, true)
}

// ListMessages returns messages, newest first, and the total matching q.
func ListMessages(db Tx, q MessageQuery) ([]Message, int64, error) {
	limit, offset := page(q.Limit, q.Offset)
	base := db.db.Model(&Message{})
	if q.Channel != "" {
		base = base.Where("channel = ?", q.Channel)
	}
	if q.Status != "" {
		base = base.Where("status = ?", q.Status)
	}
	if q.ContactID != "" {
		base = base.Where("contact_id = ?", q.ContactID)
	}
	if q.RunID != "" {
		base = base.Where("run_id = ?", q.RunID)
	}
	if !q.IncludeTest && q.RunID == "" && q.ContactID == "" {
		base = base.Where("test = ?", false)
	}
	var total int64
	if err := base.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count messages: %w", err)
	}
	var ms []Message
	if err := base.Order("created_at DESC, id").Limit(limit).Offset(offset).Find(&ms).Error; err != nil {
		return nil, 0, fmt.Errorf("list messages: %w", err)
	}
	return ms, total, nil
}

// sentStatuses are the statuses of a message that went out (or would
// have, in the sandbox): what a frequency cap counts.
var sentStatuses = []string{MessageSandboxed, MessageSent, MessageDelivered, MessageOpened, MessageClicked, MessageRead}

// RecentSends returns when each message on channel to contactID that went
// out since the given time was created, oldest first (at most limit).
func RecentSends(db Tx, contactID, channel string, since time.Time, limit int) ([]time.Time, error) {
	var ts []time.Time
	err := db.db.Model(&Message{}).
		Where("contact_id = ? AND channel = ? AND created_at > ? AND status IN ?", contactID, channel, since.UTC(), sentStatuses).
		Order("created_at").Limit(limit).Pluck("created_at", &ts).Error
	if err != nil {
		return nil, fmt.Errorf("recent %s messages: %w", channel, err)
	}
	return ts, nil
}

// SetConsent records whether the contact agrees to messages on channel.
func SetConsent(tx Tx, contactID, channel string, agreed bool, now time.Time) error {
	var c Contact
	if err := tx.db.Select("id", "consent").Where("id = ?", contactID).Take(&c).Error; err != nil {
		return fmt.Errorf("contact %s: %w", contactID, notFound(err))
	}
	consent := map[string]bool{}
	if c.Consent != "" {
		if err := json.Unmarshal([]byte(c.Consent), &consent); err != nil {
			return fmt.Errorf("contact %s consent: %w", contactID, err)
		}
	}
	consent[channel] = agreed
	b, _ := json.Marshal(consent)
	err := tx.db.Model(&Contact{}).Where("id = ?", contactID).
		Updates(map[string]any{"consent": string(b), "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("set consent of %s: %w", contactID, err)
	}
	return nil
}

// Credentials.

// InsertCredential stores a new credential.
func InsertCredential(tx Tx, c *Credential) error {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	if err := tx.db.Create(c).Error; err != nil {
		return fmt.Errorf("insert credential: %w", err)
	}
	return nil
}

// GetCredential returns a credential by id.
func GetCredential(db Tx, id string) (*Credential, error) {
	var c Credential
	if err := db.db.Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("credential %s: %w", id, notFound(err))
	}
	return &c, nil
}

// ListCredentials returns every credential, by name.
func ListCredentials(db Tx) ([]Credential, error) {
	var cs []Credential
	if err := db.db.Order("name, id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return cs, nil
}

// SaveCredential writes a changed credential.
func SaveCredential(tx Tx, c *Credential) error {
	res := tx.db.Model(&Credential{}).Where("id = ?", c.ID).Updates(map[string]any{
		"name": c.Name, "fields": c.Fields, "secrets": c.Secrets, "updated_at": c.UpdatedAt.UTC(),
	})
	if res.Error != nil {
		return fmt.Errorf("save credential %s: %w", c.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("credential %s: %w", c.ID, ErrNotFound)
	}
	return nil
}

// SwapCredentialSecrets replaces a credential's sealed secrets only if
// they still are old (compare and swap): false when another writer
// changed them first, so the caller reads them again.
func SwapCredentialSecrets(tx Tx, id, old, secrets string, at time.Time) (bool, error) {
	res := tx.db.Model(&Credential{}).Where("id = ? AND secrets = ?", id, old).Updates(map[string]any{"secrets": secrets, "updated_at": at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("save credential %s secrets: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DeleteCredential removes a credential.
func DeleteCredential(tx Tx, id string) error {
	res := tx.db.Where("id = ?", id).Delete(&Credential{})
	if res.Error != nil {
		return fmt.Errorf("delete credential %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	return nil
}

// TakeWaitGroup deletes a wait and every wait sharing its timeout job (a
// step waiting for any of several event types has one wait per type);
// false when they were already taken.
func TakeWaitGroup(tx Tx, w *Wait) (bool, error) {
	q := tx.db.Where("id = ?", w.ID)
	if w.TimeoutJobID != 0 {
		q = tx.db.Where("timeout_job_id = ?", w.TimeoutJobID)
	}
	res := q.Delete(&Wait{})
	if res.Error != nil {
		return false, fmt.Errorf("take wait %d: %w", w.ID, res.Error)
	}
	return res.RowsAffected > 0, nil
}
