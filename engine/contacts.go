package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// txContacts is the built-in contact store as a step sees it. It writes
// nothing while the step's handler runs: it answers the handler's
// questions from reads in the step's transaction, and from what the step
// itself asked for before (a contact it is creating, the score changes it
// made), and records each change as a write, in order. runState.apply
// performs the writes of a step that succeeded, before recording it, in
// the transaction that also removes the job that ran it, so each change is
// applied exactly once without the store's effects table; a step that
// failed has written nothing. Upsert, AddScore, the list and the tag
// changes therefore pass no idempotency key (inTx); deals, tasks and notes
// keep theirs, which costs nothing extra (a unique column).
type txContacts struct {
	tx  storage.Tx
	now time.Time
	// test is set in a test run's steps: they find, create and change
	// test contacts and test records only (see storage/testdata.go).
	test bool
	// known is the run's contact as the step read it (nil: none): whether
	// it exists and its score are known without a read.
	known *flows.Contact
	// newVisit is set when the step runs a visit counted just now: it has
	// never run before, so nothing holds its idempotency key (a retry, a
	// vendor call's result or a re-entered wait continues a counted visit).
	newVisit bool
	// writes are the step's changes, in the order it asked for them.
	writes []write
	// created are the contacts the step creates.
	created []string
	// changed is set when the contact itself changed, so that the engine
	// reloads it for the expressions of later steps.
	changed bool
	// dealCreated is set when the step created a deal: the contact is
	// reloaded only for flows that read contact.deals_count and the like.
	dealCreated bool
	// inserted is the contact the step creates, while nothing else
	// changes it: the engine then need not read it back.
	inserted *storage.Contact
}

// inTx is the idempotency key of the changes that the step's transaction
// makes exactly-once by itself (see txContacts).
const inTx = ""

// change notes a write that changes a contact (changesContact) or not.
func (c *txContacts) change(w write, changesContact bool) {
	c.writes = append(c.writes, w)
	c.changed = c.changed || changesContact
	if changesContact {
		c.inserted = nil
	}
}

// drop forgets the step's writes: it failed.
func (c *txContacts) drop() {
	c.writes, c.created, c.changed, c.dealCreated, c.inserted = nil, nil, false, false, nil
}

// kind reports whether the contact id exists and is a test contact,
// reading only what the step does not know already; ErrNotFound when
// there is no such contact.
func (c *txContacts) kind(id string) (test bool, err error) {
	if slices.Contains(c.created, id) {
		return c.test, nil
	}
	if c.known != nil && c.known.ID == id && !c.test {
		// A real run's contact is a real contact, read in this
		// transaction. (A test run may name any contact: it asks.)
		return false, nil
	}
	return storage.ContactIsTest(c.tx, id)
}

// exists returns ErrNotFound when there is no contact id.
func (c *txContacts) exists(id string) error {
	_, err := c.kind(id)
	return err
}

// testOnly refuses a real contact in a test run's step. (Real runs never
// meet a test contact: their look-ups find real contacts only.)
func (c *txContacts) testOnly(contactID string) error {
	if !c.test {
		return nil
	}
	test, err := c.kind(contactID)
	if err == nil && !test {
		err = nodes.Permanentf("a test never changes a real contact (%s): it works on test contacts only", contactID)
	}
	return err
}

// ofKind returns an error unless the contact id exists and is of the
// step's kind (a test deal for a test contact).
func (c *txContacts) ofKind(id string) error {
	test, err := c.kind(id)
	if err == nil && test != c.test {
		if c.test {
			return fmt.Errorf("contact %s is a real contact, which a test run never changes: %w", id, storage.ErrNotFound)
		}
		return fmt.Errorf("contact %s is a test contact, which only test runs change: %w", id, storage.ErrNotFound)
	}
	return err
}

func (c *txContacts) Upsert(_ context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	u, err := storage.PlanUpsert(c.tx, storage.ContactInput{
		Email: in.Email, Phone: in.Phone, FirstName: in.FirstName, LastName: in.LastName,
		Company: in.Company, ExternalID: in.ExternalID, TimeZone: in.TimeZone, Fields: in.Fields, Test: c.test,
	}, c.now)
	if errors.Is(err, storage.ErrErased) {
		// Retrying cannot help: the person asked to be forgotten.
		return nodes.ContactRef{}, nodes.Permanent(err)
	}
	if err != nil {
		return nodes.ContactRef{}, err
	}
	c.change(write{kind: writeUpsert, contactID: u.ID, upsert: u}, true)
	if u.New != nil {
		c.created = append(c.created, u.ID)
		c.inserted = u.New
	}
	return nodes.ContactRef{ID: u.ID, Created: u.New != nil}, nil
}

func (c *txContacts) CreateDeal(_ context.Context, key string, in nodes.DealInput) (string, error) {
	if in.ContactID == "" || in.Title == "" {
		return "", errors.New("create deal: contact id and title are required")
	}
	if err := c.ofKind(in.ContactID); err != nil {
		return "", fmt.Errorf("create deal: %w", err)
	}
	if id, ok, err := c.createdBy(writeDeal, storage.DealByKey, key); err != nil || ok {
		return id, err
	}
	d := &storage.Deal{ID: storage.NewID(), ContactID: in.ContactID, Title: in.Title, Stage: in.Stage, Value: in.Value,
		Currency: in.Currency, Owner: in.Owner, Test: c.test}
	c.change(write{kind: writeDeal, key: key, contactID: in.ContactID, deal: d}, false)
	c.dealCreated = true
	return d.ID, nil
}

// createdBy returns the id of the record of kind created with key by an
// earlier run of the step, or asked for earlier in this one (a replay
// answers it and writes nothing).
func (c *txContacts) createdBy(kind string, byKey func(storage.Tx, string) (string, bool, error), key string) (string, bool, error) {
	if key == "" {
		return "", false, nil
	}
	for _, w := range c.writes {
		if w.kind == kind && w.key == key {
			switch kind {
			case writeDeal:
				return w.deal.ID, true, nil
			case writeTask:
				return w.task.ID, true, nil
			case writeNote:
				return w.note.ID, true, nil
			}
		}
	}
	if c.newVisit {
		return "", false, nil // a new visit's key is new
	}
	return byKey(c.tx, key)
}

func (c *txContacts) CreateTask(_ context.Context, key string, in nodes.TaskInput) (string, error) {
	if in.Title == "" {
		return "", errors.New("create task: title is required")
	}
	if in.ContactID != "" {
		if err := c.ofKind(in.ContactID); err != nil {
			return "", fmt.Errorf("create task: %w", err)
		}
	}
	if id, ok, err := c.createdBy(writeTask, storage.TaskByKey, key); err != nil || ok {
		return id, err
	}
	t := &storage.Task{ID: storage.NewID(), ContactID: in.ContactID, Title: in.Title, Notes: in.Notes, Owner: in.Owner, Test: c.test}
	if !in.DueAt.IsZero() {
		due := in.DueAt.UTC()
		t.DueAt = &due
	}
	c.change(write{kind: writeTask, key: key, contactID: in.ContactID, task: t}, false)
	return t.ID, nil
}

func (c *txContacts) AddNote(_ context.Context, key string, in nodes.NoteInput) (string, error) {
	if in.ContactID == "" {
		return "", errors.New("add note: contact id is required")
	}
	if err := c.ofKind(in.ContactID); err != nil {
		return "", fmt.Errorf("add note: %w", err)
	}
	if id, ok, err := c.createdBy(writeNote, storage.NoteByKey, key); err != nil || ok {
		return id, err
	}
	n := &storage.Note{ID: storage.NewID(), ContactID: in.ContactID, Body: in.Body, Source: in.Source, Test: c.test}
	c.change(write{kind: writeNote, key: key, contactID: in.ContactID, note: n}, false)
	return n.ID, nil
}

func (c *txContacts) AddScore(_ context.Context, key, contactID string, delta int) (int, error) {
	if err := c.testOnly(contactID); err != nil {
		return 0, err
	}
	// The stored score (as this transaction reads it), plus the changes
	// the step made before.
	var score int
	switch {
	case slices.Contains(c.created, contactID):
	case c.known != nil && c.known.ID == contactID:
		score = c.known.Score
	default:
		var err error
		if score, err = storage.ContactScore(c.tx, contactID); err != nil {
			return 0, fmt.Errorf("add score: %w", err)
		}
	}
	for _, w := range c.writes {
		if w.kind == writeScore && w.contactID == contactID {
			score += w.delta
		}
	}
	c.change(write{kind: writeScore, contactID: contactID, delta: delta}, true)
	return score + delta, nil
}

func (c *txContacts) AddToList(_ context.Context, key, contactID, list string) error {
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	if err := c.exists(contactID); err != nil {
		return fmt.Errorf("add to list %q: %w", list, err)
	}
	c.change(write{kind: writeListAdd, contactID: contactID, name: list}, true)
	return nil
}

func (c *txContacts) RemoveFromList(_ context.Context, key, contactID, list string) error {
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	// A missing contact is on no list: nothing to check.
	c.change(write{kind: writeListRemove, contactID: contactID, name: list}, true)
	return nil
}

func (c *txContacts) Tag(_ context.Context, key, contactID string, add, remove []string) error {
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	if err := c.exists(contactID); err != nil {
		return fmt.Errorf("tag contact: %w", err)
	}
	c.change(write{kind: writeTag, contactID: contactID, add: add, remove: remove}, true)
	return nil
}

// SetFields merges fields into the contact's custom fields (what a step
// returned as nodes.Result.ContactFields). ErrNotFound when there is no
// such contact.
func (c *txContacts) SetFields(contactID string, fields map[string]any) error {
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	if err := c.exists(contactID); err != nil {
		return err
	}
	c.change(write{kind: writeFields, contactID: contactID, fields: fields}, true)
	return nil
}

// Interface guards.
var _ nodes.Contacts = (*txContacts)(nil)
