package storage

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrErased means a contact would be created with the email or phone of a
// contact erased at their request, who has not re-consented since.
var ErrErased = errors.New("this email or phone belongs to a contact who was erased at their request")

// Kinds of erased identities.
const (
	IdentityEmail = "email"
	IdentityPhone = "phone"
)

// ErasedIdentity is the SHA-256 of an erased contact's email or phone:
// enough to refuse re-creating the contact, without keeping the address.
type ErasedIdentity struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	Kind      string    `gorm:"size:8;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (ErasedIdentity) TableName() string { return "erased_identities" }

// IdentityHash is the suppression-list hash of an email or phone (the
// email lowercased, both trimmed), hex SHA-256 with a fixed prefix.
func IdentityHash(kind, value string) string {
	value = strings.TrimSpace(value)
	if kind == IdentityEmail {
		value = strings.ToLower(value)
	}
	sum := sha256.Sum256([]byte("journey.erased.v1:" + kind + ":" + value))
	return hex.EncodeToString(sum[:])
}

// identityHashes returns the hashes of the non-empty email and phone.
func identityHashes(email, phone string) []ErasedIdentity {
	var out []ErasedIdentity
	if strings.TrimSpace(email) != "" {
		out = append(out, ErasedIdentity{Hash: IdentityHash(IdentityEmail, email), Kind: IdentityEmail})
	}
	if strings.TrimSpace(phone) != "" {
		out = append(out, ErasedIdentity{Hash: IdentityHash(IdentityPhone, phone), Kind: IdentityPhone})
	}
	return out
}

// refuseErased returns ErrErased when the email or phone is on the
// suppression list.
func refuseErased(tx Tx, email, phone string) error {
	ids := identityHashes(email, phone)
	if len(ids) == 0 {
		return nil
	}
	// Hand-written, one look-up for both identities: every new contact
	// asks, and a GORM Count costs several times as much.
	q := `SELECT 1 FROM erased_identities WHERE hash = ? LIMIT 1`
	args := []any{ids[0].Hash}
	if len(ids) == 2 {
		q = `SELECT 1 FROM erased_identities WHERE hash IN (?, ?) LIMIT 1`
		args = append(args, ids[1].Hash)
	}
	var one int
	err := rawOf(tx).queryRow(q, args...).Scan(&one)
	switch {
	case err == nil:
		return ErrErased
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check erased identities: %w", err)
	}
	return nil
}

// LiftErasure removes the email and phone from the suppression list (the
// person consented again), so a contact with them may be created. It
// returns how many entries it removed.
func LiftErasure(tx Tx, email, phone string) (int64, error) {
	ids := identityHashes(email, phone)
	if len(ids) == 0 {
		return 0, nil
	}
	var hashes []string
	for _, id := range ids {
		hashes = append(hashes, id.Hash)
	}
	res := tx.db.Where("hash IN ?", hashes).Delete(&ErasedIdentity{})
	if res.Error != nil {
		return 0, fmt.Errorf("lift erasure: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// ListErasedIdentities returns a page of the suppression list, newest
// first, and its size.
func ListErasedIdentities(db Tx, limit, offset int) ([]ErasedIdentity, int64, error) {
	var total int64
	if err := db.db.Model(&ErasedIdentity{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count erased identities: %w", err)
	}
	limit, offset = page(limit, offset)
	var out []ErasedIdentity
	if err := db.db.Order("created_at DESC, hash").Limit(limit).Offset(offset).Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list erased identities: %w", err)
	}
	return out, total, nil
}

// erasedRunNote replaces the error text of an erased contact's runs, which
// may quote their data (a vendor echoing an address).
const erasedRunNote = "The contact's personal data was erased."

// eraseBatch bounds the ids in one IN list.
const eraseBatch = 500

// EraseContactAt forgets a contact (the right to erasure): the contact
// row, tags, list memberships, deals, tasks, notes, events and messages
// are deleted; the contact's runs stay for the journeys' statistics but
// lose their trigger payload, event, variables and error text, and their
// steps lose their input, output and error; runs still running or waiting
// are cancelled. The email and phone go on the suppression list (hashed),
// so the contact is not created again until LiftErasure.
func EraseContactAt(tx Tx, id string, now time.Time) error {
	if err := eraseContactAt(tx, id, now.UTC()); err != nil {
		return fmt.Errorf("erase contact: %w", mapErr(err))
	}
	return nil
}

func eraseContactAt(tx Tx, id string, now time.Time) error {
	var c Contact
	found, err := takeOne(tx.db.Where("id = ?", id), &c)
	if err != nil {
		return err
	}
	if !found {
		return ErrNotFound
	}
	if ids := identityHashes(deref(c.Email), deref(c.Phone)); len(ids) > 0 {
		for i := range ids {
			ids[i].CreatedAt = now
		}
		if err := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&ids).Error; err != nil {
			return fmt.Errorf("suppress identities: %w", err)
		}
	}
	var runIDs []string
	if err := tx.db.Model(&Run{}).Where("contact_id = ?", id).Pluck("id", &runIDs).Error; err != nil {
		return err
	}
	if err := markContactDays(rawOf(tx), id); err != nil {
		return err
	}
	for start := 0; start < len(runIDs); start += eraseBatch {
		if err := scrubRuns(tx, runIDs[start:min(start+eraseBatch, len(runIDs))], now); err != nil {
			return err
		}
	}
	if err := tx.db.Where("contact_id = ?", id).Delete(&Wait{}).Error; err != nil {
		return err
	}
	for _, model := range []any{&ContactTag{}, &ListMember{}, &Deal{}, &Task{}, &Note{}, &Event{}, &Message{}} {
		if err := tx.db.Where("contact_id = ?", id).Delete(model).Error; err != nil {
			return err
		}
	}
	return tx.db.Where("id = ?", id).Delete(&Contact{}).Error
}

// scrubRuns cancels the live runs among ids and removes the personal data
// of all of them and of their steps and messages.
func scrubRuns(tx Tx, ids []string, now time.Time) error {
	for _, model := range []any{&Job{}, &Wait{}, &Message{}} {
		if err := tx.db.Where("run_id IN ?", ids).Delete(model).Error; err != nil {
			return err
		}
	}
	live := []string{RunRunning, RunWaiting}
	if err := tx.db.Model(&Run{}).Where("id IN ? AND status IN ?", ids, live).UpdateColumns(map[string]any{
		"status": RunCancelled, "tokens": 0, "ended_at": now, "updated_at": now, "error": erasedRunNote,
		"revision": gorm.Expr("revision + 1"),
	}).Error; err != nil {
		return err
	}
	if err := tx.db.Model(&Run{}).Where("id IN ? AND error <> ''", ids).UpdateColumn("error", erasedRunNote).Error; err != nil {
		return err
	}
	if err := tx.db.Model(&Run{}).Where("id IN ?", ids).UpdateColumns(map[string]any{
		"contact_id": nil, "trigger": "", "event": "", "vars": "{}", "revision": gorm.Expr("revision + 1"),
	}).Error; err != nil {
		return err
	}
	return tx.db.Model(&Step{}).Where("run_id IN ?", ids).UpdateColumns(map[string]any{
		"input": "{}", "output": "{}", "error": gorm.Expr("CASE WHEN error <> '' THEN ? ELSE '' END", erasedRunNote),
	}).Error
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
