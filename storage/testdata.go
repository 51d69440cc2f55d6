package storage

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Test data. A test run (runs.test) works on test contacts only: looking
// up or upserting a contact for a test finds or creates a test contact,
// never a real one, even with a real contact's email (the identifiers are
// unique per kind, real or test). What a test run writes is marked test:
// its contacts, their tags and list memberships, deals, tasks, notes,
// events and messages. The lists, counts and exports leave test data out,
// and it is deleted with its test runs (DeleteTestRuns) or a day later
// (DeleteOldTestData).

// markTest is the test column's value of an inserted row: its own mark
// (first argument) or its contact's (the contact id, second argument).
const markTest = `(? OR EXISTS (SELECT 1 FROM contacts WHERE id = ? AND test = true))`

// FlowTestRunIDs returns the ids of up to limit test runs of a flow.
func FlowTestRunIDs(db Tx, flowID string, limit int) ([]string, error) {
	var ids []string
	if err := db.db.Model(&Run{}).Where("flow_id = ? AND test = ?", flowID, true).Order("id").Limit(limit).
		Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("test runs of %s: %w", flowID, err)
	}
	return ids, nil
}

// DeleteTestRuns deletes the test runs among ids, whatever their status,
// with their steps, jobs, waits and messages, the deals, tasks and notes
// they created, and their test contacts that no other run uses (with
// everything of those contacts). Real runs among ids are left alone. It
// returns how many runs it deleted.
func DeleteTestRuns(tx Tx, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var runs []Run
	if err := tx.db.Select("id, contact_id").Where("id IN ? AND test = ?", ids, true).Find(&runs).Error; err != nil {
		return 0, fmt.Errorf("find test runs: %w", err)
	}
	if len(runs) == 0 {
		return 0, nil
	}
	runIDs := make([]string, len(runs))
	var contactIDs []string
	for i, r := range runs {
		runIDs[i] = r.ID
		if r.ContactID != nil {
			contactIDs = append(contactIDs, *r.ContactID)
		}
	}
	for _, model := range []any{&Step{}, &Job{}, &Wait{}, &Message{}} {
		if err := tx.db.Where("run_id IN ?", runIDs).Delete(model).Error; err != nil {
			return 0, fmt.Errorf("delete data of test runs: %w", err)
		}
	}
	if err := deleteRunRecords(tx, runIDs, contactIDs); err != nil {
		return 0, err
	}
	if err := tx.db.Where("id IN ?", runIDs).Delete(&Run{}).Error; err != nil {
		return 0, fmt.Errorf("delete test runs: %w", err)
	}
	unused, err := unusedTestContacts(tx.db.Where("id IN ?", contactIDs))
	if err != nil {
		return 0, err
	}
	if err := deleteTestContacts(tx, unused); err != nil {
		return 0, err
	}
	return len(runIDs), nil
}

// deleteRunRecords deletes the test deals, tasks and notes that the runs'
// steps created: their idempotency key starts with the run's id. They
// belong to the runs' contacts or, for a task, to none: looking there
// first keeps the key patterns off the whole table.
func deleteRunRecords(tx Tx, runIDs, contactIDs []string) error {
	var like []string
	var args []any
	for _, id := range runIDs {
		like = append(like, `idem_key LIKE ? ESCAPE '\'`)
		args = append(args, likePrefix(id+":"))
	}
	where := "contact_id IN ? AND test = ? AND (" + strings.Join(like, " OR ") + ")"
	args = append([]any{append(contactIDs, ""), true}, args...)
	for _, model := range []any{&Deal{}, &Task{}, &Note{}} {
		if err := tx.db.Where(where, args...).Delete(model).Error; err != nil {
			return fmt.Errorf("delete the records of test runs: %w", err)
		}
	}
	return nil
}

// likePrefix is a LIKE pattern (ESCAPE '\') matching strings that start
// with s.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// unusedTestContacts returns the ids of the test contacts selected by q
// (a query on contacts) that no run uses.
func unusedTestContacts(q *gorm.DB) ([]string, error) {
	var ids []string
	err := q.Model(&Contact{}).Where("test = ? AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.contact_id = contacts.id)", true).
		Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find unused test contacts: %w", err)
	}
	return ids, nil
}

// deleteTestContacts deletes test contacts (never real ones) with their
// tags, list memberships, deals, tasks, notes, events and messages.
func deleteTestContacts(tx Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, model := range []any{&ContactTag{}, &ListMember{}, &Deal{}, &Task{}, &Note{}, &Event{}, &Message{}} {
		if err := tx.db.Where("contact_id IN ? AND test = ?", ids, true).Delete(model).Error; err != nil {
			return fmt.Errorf("delete the data of test contacts: %w", err)
		}
	}
	if err := tx.db.Where("id IN ? AND test = ?", ids, true).Delete(&Contact{}).Error; err != nil {
		return fmt.Errorf("delete test contacts: %w", err)
	}
	return nil
}

// DeleteOldTestData deletes at most limit test runs started before cutoff
// (running and waiting ones too: a test is not left to run for days) as
// DeleteTestRuns does, then at most limit test contacts created before
// cutoff that no run uses. It returns how many runs and contacts it
// deleted; fewer than limit of each means nothing older is left.
func DeleteOldTestData(tx Tx, cutoff time.Time, limit int) (runs, contacts int, err error) {
	var ids []string
	if err := tx.db.Model(&Run{}).Where("test = ? AND started_at < ?", true, cutoff.UTC()).Order("started_at").Limit(limit).
		Pluck("id", &ids).Error; err != nil {
		return 0, 0, fmt.Errorf("find old test runs: %w", err)
	}
	if runs, err = DeleteTestRuns(tx, ids); err != nil {
		return 0, 0, err
	}
	unused, err := unusedTestContacts(tx.db.Where("created_at < ?", cutoff.UTC()).Order("created_at").Limit(limit))
	if err != nil {
		return 0, 0, err
	}
	if err := deleteTestContacts(tx, unused); err != nil {
		return 0, 0, err
	}
	return runs, len(unused), nil
}
