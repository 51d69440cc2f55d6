package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/journeyhq/journey/storage"
)

// write is one change a step asks of the store: its handler records it
// (txContacts, and the outbox bound to the step) instead of writing, and
// runState.apply performs the writes of a step that succeeded, in order,
// before recording the step. A step that fails has written nothing, so no
// savepoint has to undo it.
type write struct {
	kind      string
	contactID string
	// key is the idempotency key of a deal, task or note.
	key    string
	upsert *storage.ContactUpsert
	deal   *storage.Deal
	task   *storage.Task
	note   *storage.Note
	// delta is a score change.
	delta int
	// name is a list, a routing counter's key, or an owner's user id.
	name        string
	add, remove []string
	fields      map[string]any
	// pos is a routing counter's new position.
	pos int64
	// do performs a write decided outside the engine (a sandbox message
	// of the channels service); what describes it.
	do   func(tx storage.Tx) error
	what string
}

// The kinds of writes.
const (
	writeUpsert     = "upsert"
	writeDeal       = "deal"
	writeTask       = "task"
	writeNote       = "note"
	writeScore      = "score"
	writeListAdd    = "list.add"
	writeListRemove = "list.remove"
	writeTag        = "tag"
	writeFields     = "fields"
	writeRouting    = "routing"
	writeOwner      = "owner"
	writeOther      = "other"
)

// apply performs w in tx. A write that the transaction's reads no longer
// allow (a contact erased or created meanwhile by another instance) is an
// error: the transaction rolls back and the job runs again.
func (w *write) apply(tx storage.Tx, now time.Time) error {
	switch w.kind {
	case writeUpsert:
		return storage.ApplyUpsert(tx, w.upsert, now)
	case writeDeal:
		return created(w.deal.ID)(storage.CreateDeal(tx, w.key, *w.deal, now))
	case writeTask:
		return created(w.task.ID)(storage.CreateTask(tx, w.key, *w.task, now))
	case writeNote:
		return created(w.note.ID)(storage.AddNote(tx, w.key, *w.note, now))
	case writeScore:
		_, err := storage.AddScore(tx, inTx, w.contactID, w.delta, now)
		return err
	case writeListAdd:
		return storage.AddToList(tx, inTx, w.contactID, w.name, now)
	case writeListRemove:
		return storage.RemoveFromList(tx, inTx, w.contactID, w.name, now)
	case writeTag:
		return storage.TagContact(tx, inTx, w.contactID, w.add, w.remove, now)
	case writeFields:
		return storage.SetContactFields(tx, w.contactID, w.fields, now)
	case writeRouting:
		return storage.SetRoutingCounter(tx, w.name, w.pos, now)
	case writeOwner:
		return storage.SetContactOwner(tx, w.contactID, &w.name, now)
	case writeOther:
		return w.do(tx)
	}
	return fmt.Errorf("unknown write %q", w.kind)
}

// created checks that a record was created with the id the step was
// answered: another id means a concurrent transaction created it first.
func created(want string) func(got string, err error) error {
	return func(got string, err error) error {
		if err == nil && got != want {
			err = fmt.Errorf("created %s, but %s holds its key: %w", want, got, storage.ErrConflict)
		}
		return err
	}
}

// String describes w for the golden traces.
func (w *write) String() string {
	var b strings.Builder
	b.WriteString(w.kind)
	switch w.kind {
	case writeUpsert:
		if w.upsert.New != nil {
			fmt.Fprintf(&b, " new %s", w.contactID)
		} else {
			fmt.Fprintf(&b, " %s", w.contactID)
		}
	case writeDeal:
		fmt.Fprintf(&b, " %s %q for %s", w.deal.ID, w.deal.Title, w.contactID)
	case writeTask:
		fmt.Fprintf(&b, " %s %q", w.task.ID, w.task.Title)
		if w.contactID != "" {
			fmt.Fprintf(&b, " for %s", w.contactID)
		}
	case writeNote:
		fmt.Fprintf(&b, " %s for %s", w.note.ID, w.contactID)
	case writeScore:
		fmt.Fprintf(&b, " %s %+d", w.contactID, w.delta)
	case writeListAdd, writeListRemove:
		fmt.Fprintf(&b, " %s %q", w.contactID, w.name)
	case writeTag:
		fmt.Fprintf(&b, " %s", w.contactID)
		if len(w.add) > 0 {
			fmt.Fprintf(&b, " +%v", w.add)
		}
		if len(w.remove) > 0 {
			fmt.Fprintf(&b, " -%v", w.remove)
		}
	case writeFields:
		fmt.Fprintf(&b, " %s %s", w.contactID, mustJSON(w.fields))
	case writeRouting:
		fmt.Fprintf(&b, " %s %d", w.name, w.pos)
	case writeOwner:
		fmt.Fprintf(&b, " %s %s", w.contactID, w.name)
	case writeOther:
		fmt.Fprintf(&b, " %s", w.what)
	}
	return b.String()
}
