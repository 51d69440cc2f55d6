package storage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// How an upsert decides which contact it updates, so that two people are
// never merged into one:
//
//  1. a contact with the incoming email is the match;
//  2. otherwise a contact with the incoming phone, then one with the
//     incoming external id (a chat platform's user id), is the match only
//     when the incoming email is empty or that contact has no email yet
//     (a contact known by phone alone gets the email added);
//  3. otherwise a new contact is created.
//
// A phone or external id that belongs to a contact other than the one
// updated or created stays where it is; the conflict is recorded as a
// ConflictEventType event on both contacts, so that both timelines show it.

// ConflictEventType is the event recorded on both contacts when an upsert
// names an identifier (phone or external id) of another contact.
const ConflictEventType = "contact.conflict"

// Identifiers an upsert may find a contact by, in the order they are tried.
const (
	identEmail      = "email"
	identPhone      = "phone"
	identExternalID = "external_id"
)

// upsertMatch is what matchUpsert found: the contact to update (nil: create
// one) and, per identifier, the contact that already holds the incoming
// value.
type upsertMatch struct {
	match  *Contact
	owners map[string]*Contact
}

// free returns value unless another contact holds it for ident, so that a
// new contact never takes an identifier that is not its own.
func (m upsertMatch) free(ident, value string) string {
	if m.owners[ident] != nil {
		return ""
	}
	return value
}

// matchUpsert finds the contact an upsert of in updates (see the rules above).
func matchUpsert(tx Tx, in ContactInput) (upsertMatch, error) {
	m := upsertMatch{owners: map[string]*Contact{}}
	wanted := map[string]string{identEmail: in.Email, identPhone: in.Phone, identExternalID: in.ExternalID}
	var where []string
	var args []any
	for _, ident := range []string{identEmail, identPhone, identExternalID} {
		if wanted[ident] != "" {
			where = append(where, ident+" = ?")
			args = append(args, wanted[ident])
		}
	}
	if len(where) == 0 {
		return m, nil
	}
	// One query for all identifiers (each has a unique index per kind).
	found, err := contactsWhere(tx, strings.Join(where, " OR "), append(args, in.Test)...)
	if err != nil {
		return m, err
	}
	for i := range found {
		c := &found[i]
		for ident, v := range map[string]*string{identEmail: c.Email, identPhone: c.Phone, identExternalID: c.ExternalID} {
			if wanted[ident] != "" && v != nil && *v == wanted[ident] {
				m.owners[ident] = c
			}
		}
	}
	if c := m.owners[identEmail]; c != nil {
		m.match = c
		return m, nil
	}
	for _, ident := range []string{identPhone, identExternalID} {
		if c := m.owners[ident]; c != nil && (in.Email == "" || c.Email == nil || *c.Email == "") {
			m.match = c
			return m, nil
		}
	}
	return m, nil
}

// recordConflicts records, on contactID and on the other contact, each
// incoming phone or external id that belongs to another contact. The dedup
// key makes a repeated upsert record the same conflict once.
func recordConflicts(tx Tx, contactID string, owners map[string]*Contact, in ContactInput, now time.Time) error {
	values := map[string]string{identPhone: in.Phone, identExternalID: in.ExternalID}
	for _, ident := range []string{identPhone, identExternalID} {
		other := owners[ident]
		if other == nil || other.ID == contactID {
			continue
		}
		for _, pair := range [][2]string{{contactID, other.ID}, {other.ID, contactID}} {
			if err := insertConflict(tx, pair[0], pair[1], ident, values[ident], now); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertConflict stores one ConflictEventType event on contactID.
func insertConflict(tx Tx, contactID, otherID, ident, value string, now time.Time) error {
	data, err := json.Marshal(map[string]string{
		"identifier":       ident,
		"value":            value,
		"other_contact_id": otherID,
		"message": fmt.Sprintf("This %s also belongs to another contact, so the two were kept apart.",
			map[string]string{identPhone: "phone number", identExternalID: "external id"}[ident]),
	})
	if err != nil {
		return fmt.Errorf("encode contact conflict: %w", err)
	}
	dedup := ConflictEventType + ":" + contactID + ":" + otherID + ":" + ident
	id := contactID
	_, err = InsertEvent(tx, &Event{
		ID: NewID(), ContactID: &id, Type: ConflictEventType, Data: string(data), Source: "contacts",
		At: now, DedupKey: &dedup, ReceivedAt: now,
	})
	return err
}
