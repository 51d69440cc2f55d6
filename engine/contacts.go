package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// txContacts is the built-in contact store bound to a step's transaction:
// a node's changes commit together with the step that made them, and with
// the removal of the job that ran it, so each change is applied exactly
// once without the store's effects table. Upsert, AddScore, the list and
// the tag changes therefore pass no idempotency key (inTx): recording and
// looking up a key would cost two statements a change. Deals, tasks and
// notes keep theirs, which costs nothing extra (a unique column). When
// isolated, the step's savepoint is opened on the first write only, so
// steps that write nothing (logic, timing) cost no extra statements; when
// not, a step that fails after writing aborts the chunk (errIsolate),
// which runs again isolated.
type txContacts struct {
	tx        storage.Tx
	now       time.Time
	savepoint string
	isolate   bool
	opened    bool
	// test is set in a test run's steps: they find, create and change
	// test contacts and test records only (see storage/testdata.go).
	test bool
	// changed is set when the contact itself changed, so that the engine
	// reloads it for the expressions of later steps.
	changed bool
	// dealCreated is set when the step created a deal: the contact is
	// reloaded only for flows that read contact.deals_count and the like.
	dealCreated bool
	// inserted is the contact the step created, while nothing else
	// changed it: the engine then need not read it back.
	inserted *storage.Contact
}

// inTx is the idempotency key of the changes that the step's transaction
// makes exactly-once by itself (see txContacts).
const inTx = ""

// begin opens the step's savepoint before its first write.
func (c *txContacts) begin(changesContact bool) error {
	c.changed = c.changed || changesContact
	if changesContact {
		c.inserted = nil
	}
	if c.opened {
		return nil
	}
	if !c.isolate {
		c.opened = true
		return nil
	}
	if err := storage.Savepoint(c.tx, c.savepoint); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	c.opened = true
	return nil
}

// finish releases the savepoint, or rolls the step's writes back when it
// failed.
func (c *txContacts) finish(failed bool) error {
	if !c.opened {
		return nil
	}
	if !c.isolate {
		if failed {
			return errIsolate
		}
		return nil
	}
	if failed {
		if err := storage.RollbackToSavepoint(c.tx, c.savepoint); err != nil {
			return fmt.Errorf("rollback step: %w", err)
		}
	}
	return release(c.tx, c.savepoint)
}

func (c *txContacts) Upsert(_ context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	if err := c.begin(true); err != nil {
		return nodes.ContactRef{}, err
	}
	id, inserted, err := storage.UpsertContactRow(c.tx, inTx, storage.ContactInput{
		Email: in.Email, Phone: in.Phone, FirstName: in.FirstName, LastName: in.LastName,
		Company: in.Company, ExternalID: in.ExternalID, TimeZone: in.TimeZone, Fields: in.Fields, Test: c.test,
	}, c.now)
	if errors.Is(err, storage.ErrErased) {
		// Retrying cannot help: the person asked to be forgotten.
		err = nodes.Permanent(err)
	}
	c.inserted = inserted
	return nodes.ContactRef{ID: id, Created: inserted != nil}, err
}

func (c *txContacts) CreateDeal(_ context.Context, key string, in nodes.DealInput) (string, error) {
	if err := c.begin(false); err != nil {
		return "", err
	}
	c.dealCreated = true
	return storage.CreateDeal(c.tx, key, storage.Deal{
		ContactID: in.ContactID, Title: in.Title, Stage: in.Stage, Value: in.Value,
		Currency: in.Currency, Owner: in.Owner, Test: c.test,
	}, c.now)
}

func (c *txContacts) CreateTask(_ context.Context, key string, in nodes.TaskInput) (string, error) {
	if err := c.begin(false); err != nil {
		return "", err
	}
	t := storage.Task{ContactID: in.ContactID, Title: in.Title, Notes: in.Notes, Owner: in.Owner, Test: c.test}
	if !in.DueAt.IsZero() {
		due := in.DueAt.UTC()
		t.DueAt = &due
	}
	return storage.CreateTask(c.tx, key, t, c.now)
}

func (c *txContacts) AddNote(_ context.Context, key string, in nodes.NoteInput) (string, error) {
	if err := c.begin(false); err != nil {
		return "", err
	}
	return storage.AddNote(c.tx, key, storage.Note{ContactID: in.ContactID, Body: in.Body, Source: in.Source, Test: c.test}, c.now)
}

// testOnly refuses a real contact in a test run's step. (Real runs never
// meet a test contact: their look-ups find real contacts only.)
func (c *txContacts) testOnly(contactID string) error {
	if !c.test {
		return nil
	}
	test, err := storage.ContactIsTest(c.tx, contactID)
	if err == nil && !test {
		err = nodes.Permanentf("a test never changes a real contact (%s): it works on test contacts only", contactID)
	}
	return err
}

func (c *txContacts) AddScore(_ context.Context, key, contactID string, delta int) (int, error) {
	if err := c.begin(true); err != nil {
		return 0, err
	}
	if err := c.testOnly(contactID); err != nil {
		return 0, err
	}
	return storage.AddScore(c.tx, inTx, contactID, delta, c.now)
}

func (c *txContacts) AddToList(_ context.Context, key, contactID, list string) error {
	if err := c.begin(true); err != nil {
		return err
	}
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	return storage.AddToList(c.tx, inTx, contactID, list, c.now)
}

func (c *txContacts) RemoveFromList(_ context.Context, key, contactID, list string) error {
	if err := c.begin(true); err != nil {
		return err
	}
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	return storage.RemoveFromList(c.tx, inTx, contactID, list, c.now)
}

func (c *txContacts) Tag(_ context.Context, key, contactID string, add, remove []string) error {
	if err := c.begin(true); err != nil {
		return err
	}
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	return storage.TagContact(c.tx, inTx, contactID, add, remove, c.now)
}

// SetFields merges fields into the contact's custom fields (what a step
// returned as nodes.Result.ContactFields).
func (c *txContacts) SetFields(contactID string, fields map[string]any) error {
	if err := c.begin(true); err != nil {
		return err
	}
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	return storage.SetContactFields(c.tx, contactID, fields, c.now)
}

// Interface guards.
var _ nodes.Contacts = (*txContacts)(nil)
