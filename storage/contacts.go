package storage

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The built-in contact store. Every function takes a Tx, which may be
// a transaction (the engine calls the writing functions inside its own
// step transaction) or a plain pool (reads). Changes take the step's
// idempotency key: applying the same key again changes nothing and returns
// the first result. An empty key means "not idempotent".
//
// Keys of operations that leave no row of their own are recorded in the
// effects table, prefixed with the operation ("contact.score:" + key), so
// that one step may use one key for several different operations.

// Effect key prefixes, one per operation.
const (
	effectUpsert     = "contact.upsert:"
	effectScore      = "contact.score:"
	effectTag        = "contact.tag:"
	effectListAdd    = "list.add:"
	effectListRemove = "list.remove:"
)

// Page size bounds for the List functions.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// ContactInput is what an upsert writes. Values are already normalised by
// the caller: email lower-case, phone E.164. Empty strings never overwrite.
type ContactInput struct {
	Email      string
	Phone      string
	FirstName  string
	LastName   string
	Company    string
	ExternalID string
	TimeZone   string
	// Fields are custom fields, merged into the stored ones: new keys are
	// added, existing keys overwritten, others kept.
	Fields map[string]any
	// Test finds or creates a test contact, never a real one.
	Test bool
}

// ContactRef names a contact by any of its identifiers. Lookups try ID,
// then Email, then Phone, then ExternalID, skipping empty ones.
type ContactRef struct {
	ID         string
	Email      string
	Phone      string
	ExternalID string
	// Test looks among the test contacts only (by ID too); without it
	// only real contacts are found.
	Test bool
}

// empty reports whether r names no contact.
func (r ContactRef) empty() bool {
	return r.ID == "" && r.Email == "" && r.Phone == "" && r.ExternalID == ""
}

// ContactView is a contact with its tags and the names of its lists, both
// sorted.
type ContactView struct {
	Contact
	Tags  []string
	Lists []string
}

// ContactQuery filters ListContacts. Empty fields do not filter.
type ContactQuery struct {
	// Search matches email, first/last/full name, phone and company,
	// case-insensitively, as a substring.
	Search string
	// List is a list name; Tag a tag.
	List string
	Tag  string
	// Limit defaults to 50 (at most 1000).
	Limit  int
	Offset int
}

// DealQuery filters ListDeals. Empty fields do not filter.
type DealQuery struct {
	ContactID string
	Stage     string
	Limit     int
	Offset    int
}

// TaskQuery filters ListTasks. Empty fields do not filter.
type TaskQuery struct {
	ContactID string
	Owner     string
	// Done, when set, selects done or open tasks.
	Done   *bool
	Limit  int
	Offset int
}

// ListWithCount is a list and its number of members.
type ListWithCount struct {
	ID        string
	Name      string
	Members   int64
	CreatedAt time.Time
}

// ErrEmptyRef is returned by lookups given a ContactRef with no identifier.
var ErrEmptyRef = errors.New("contact reference has no id, email, phone or external id")

// UpsertContact finds the contact by email, then by phone, then by external
// id, and updates its non-empty fields (custom fields are merged), or
// creates it. An identifier (email, phone, external id) that already
// belongs to another contact is not moved. With a non-empty key the call is
// idempotent: a replay returns the first call's id with created=false and
// changes nothing.
func UpsertContact(tx Tx, key string, in ContactInput, now time.Time) (id string, created bool, err error) {
	id, row, err := UpsertContactRow(tx, key, in, now)
	return id, row != nil, err
}

// UpsertContactRow is UpsertContact returning the row it inserted (nil
// when it updated a contact or replayed the key), so that the engine need
// not read a new contact back.
func UpsertContactRow(tx Tx, key string, in ContactInput, now time.Time) (id string, inserted *Contact, err error) {
	id, inserted, err = upsertContact(tx, key, in, now.UTC())
	if err != nil {
		return "", nil, fmt.Errorf("upsert contact: %w", mapErr(err))
	}
	return id, inserted, nil
}

func upsertContact(tx Tx, key string, in ContactInput, now time.Time) (string, *Contact, error) {
	if key != "" {
		res, ok, err := effectResult(tx, effectUpsert+key)
		if err != nil || ok {
			return res, nil, err
		}
	}
	// Two rounds: an insert that conflicts with a contact created by a
	// concurrent transaction finds and updates that contact instead.
	for range 2 {
		u, err := planUpsert(tx, in, now)
		if err != nil {
			return "", nil, err
		}
		err = u.apply(tx, now)
		if errors.Is(err, errUpsertConflict) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		return u.ID, u.New, recordEffect(tx, effectUpsert, key, u.ID, now)
	}
	return "", nil, errors.New("contact keeps conflicting with concurrent inserts")
}

// ContactUpsert is an upsert decided from reads (PlanUpsert) and not yet
// written (ApplyUpsert): the engine answers a step's Upsert with ID when
// the step runs, and writes the contact when it records the step.
type ContactUpsert struct {
	// ID is the contact the upsert updates or creates.
	ID string
	// New is the contact it creates (nil: it updates the contact ID).
	New *Contact
	in  ContactInput
	m   upsertMatch
}

// errUpsertConflict is an insert that met a contact created meanwhile.
var errUpsertConflict = errors.New("the contact was created meanwhile by another transaction")

// ErrConflict is a write decided from reads that a concurrent transaction
// changed since: the caller's transaction rolls back and runs again.
var ErrConflict = errors.New("a concurrent change conflicts with this write; run it again")

// PlanUpsert decides what an upsert of in does (see UpsertContact),
// reading only: which contact it updates, or the new contact (with its id)
// it creates. ErrErased when it would create a contact whose email or phone
// was erased.
func PlanUpsert(tx Tx, in ContactInput, now time.Time) (*ContactUpsert, error) {
	u, err := planUpsert(tx, in, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("upsert contact: %w", mapErr(err))
	}
	return u, nil
}

func planUpsert(tx Tx, in ContactInput, now time.Time) (*ContactUpsert, error) {
	m, err := matchUpsert(tx, in)
	if err != nil {
		return nil, err
	}
	if m.match != nil {
		return &ContactUpsert{ID: m.match.ID, in: in, m: m}, nil
	}
	if err := refuseErased(tx, in.Email, in.Phone); err != nil {
		return nil, err
	}
	fields, err := mergeFields("", in.Fields)
	if err != nil {
		return nil, err
	}
	nc := &Contact{
		ID:         NewID(),
		Email:      nonEmpty(in.Email),
		Phone:      nonEmpty(m.free(identPhone, in.Phone)),
		ExternalID: nonEmpty(m.free(identExternalID, in.ExternalID)),
		FirstName:  in.FirstName,
		LastName:   in.LastName,
		Company:    in.Company,
		TimeZone:   in.TimeZone,
		Fields:     fields,
		Consent:    "{}",
		Test:       in.Test,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	return &ContactUpsert{ID: nc.ID, New: nc, in: in, m: m}, nil
}

// ApplyUpsert writes the upsert PlanUpsert decided. A contact created
// meanwhile with one of the new contact's identifiers (by a concurrent
// transaction, on PostgreSQL) is ErrConflict: deciding again finds it.
func ApplyUpsert(tx Tx, u *ContactUpsert, now time.Time) error {
	err := u.apply(tx, now.UTC())
	if errors.Is(err, errUpsertConflict) {
		return fmt.Errorf("upsert contact: %w: %w", ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("upsert contact: %w", mapErr(err))
	}
	return nil
}

func (u *ContactUpsert) apply(tx Tx, now time.Time) error {
	if u.New == nil {
		if err := updateContact(tx, u.m.match, u.in, now); err != nil {
			return err
		}
		return recordConflicts(tx, u.ID, u.m.owners, u.in, now)
	}
	n, err := insertContact(tx, u.New)
	if err != nil {
		return err
	}
	if n == 0 {
		return errUpsertConflict
	}
	return recordConflicts(tx, u.ID, u.m.owners, u.in, now)
}

const contactColumns = "id, email, phone, external_id, first_name, last_name, company, score, time_zone, fields, consent, test, created_at, updated_at"

// insertContact adds c unless one of its identifiers is taken; it returns
// how many rows it inserted (0 or 1).
func insertContact(tx Tx, c *Contact) (int64, error) {
	return rawOf(tx).affected(`INSERT INTO contacts (`+contactColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT DO NOTHING`, c.ID, c.Email, c.Phone, c.ExternalID, c.FirstName, c.LastName, c.Company, c.Score,
		c.TimeZone, c.Fields, c.Consent, c.Test, c.CreatedAt.UTC(), c.UpdatedAt.UTC())
}

// contactSelect reads NULL text as "".
const contactSelect = "id, email, phone, external_id, COALESCE(first_name, ''), COALESCE(last_name, ''), COALESCE(company, ''), score, COALESCE(time_zone, ''), COALESCE(fields, ''), COALESCE(consent, ''), test, created_at, updated_at, owner_id"

// scanContact reads one contact row selected with contactSelect.
func scanContact(row interface{ Scan(...any) error }, c *Contact) error {
	return row.Scan(&c.ID, &c.Email, &c.Phone, &c.ExternalID, &c.FirstName, &c.LastName, &c.Company, &c.Score,
		&c.TimeZone, &c.Fields, &c.Consent, &c.Test, &c.CreatedAt, &c.UpdatedAt, &c.OwnerID)
}

// updateContact writes the non-empty fields of in onto c.
func updateContact(tx Tx, c *Contact, in ContactInput, now time.Time) error {
	set := map[string]any{"updated_at": now}
	for _, ident := range []struct {
		col, val string
		cur      *string
	}{
		{"email", in.Email, c.Email},
		{"phone", in.Phone, c.Phone},
		{"external_id", in.ExternalID, c.ExternalID},
	} {
		if ident.val == "" || (ident.cur != nil && *ident.cur == ident.val) {
			continue
		}
		var n int64
		if err := tx.db.Model(&Contact{}).Where(ident.col+" = ? AND id <> ? AND test = ?", ident.val, c.ID, c.Test).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			set[ident.col] = ident.val
		}
	}
	for col, val := range map[string]string{
		"first_name": in.FirstName, "last_name": in.LastName,
		"company": in.Company, "time_zone": in.TimeZone,
	} {
		if val != "" {
			set[col] = val
		}
	}
	if len(in.Fields) > 0 {
		fields, err := mergeFields(c.Fields, in.Fields)
		if err != nil {
			return err
		}
		set["fields"] = fields
	}
	return tx.db.Model(&Contact{}).Where("id = ?", c.ID).Updates(set).Error
}

// mergeFields overlays add onto the JSON object stored.
func mergeFields(stored string, add map[string]any) (string, error) {
	m := map[string]any{}
	if stored != "" {
		if err := json.Unmarshal([]byte(stored), &m); err != nil {
			return "", fmt.Errorf("decode custom fields: %w", err)
		}
		if m == nil { // stored "null"
			m = map[string]any{}
		}
	}
	for k, v := range add {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode custom fields: %w", err)
	}
	return string(b), nil
}

// CreateDeal inserts d (its CreatedAt is set here, and its ID unless the
// caller decided it) for an existing contact of the same kind (a test deal
// for a test contact) and returns its id. With a non-empty key, a replay
// returns the id of the deal created first.
func CreateDeal(tx Tx, key string, d Deal, now time.Time) (string, error) {
	if d.ContactID == "" || d.Title == "" {
		return "", errors.New("create deal: contact id and title are required")
	}
	d.ID, d.IdemKey, d.CreatedAt = cmp.Or(d.ID, NewID()), nonEmpty(key), now.UTC()
	id, err := createOnce(tx, &Deal{}, &d, d.ContactID, d.Test, key, d.ID)
	if err != nil {
		return "", fmt.Errorf("create deal: %w", mapErr(err))
	}
	if !d.Test {
		if err := markDay(rawOf(tx), d.CreatedAt); err != nil {
			return "", err
		}
	}
	return id, nil
}

// CreateTask inserts t (its CreatedAt is set here, and its ID unless the
// caller decided it) and returns its id. A task may have no contact. With a non-empty key, a replay returns
// the id of the task created first. A test task's contact must be a test
// contact, a real task's a real one.
func CreateTask(tx Tx, key string, t Task, now time.Time) (string, error) {
	if t.Title == "" {
		return "", errors.New("create task: title is required")
	}
	t.ID, t.IdemKey, t.CreatedAt = cmp.Or(t.ID, NewID()), nonEmpty(key), now.UTC()
	t.RunID = runOfKey(key)
	if t.Done && t.CompletedAt == nil {
		t.CompletedAt = &t.CreatedAt // made done: completed at its creation
	}
	if t.DueAt != nil {
		due := t.DueAt.UTC()
		t.DueAt = &due
	}
	id, err := createOnce(tx, &Task{}, &t, t.ContactID, t.Test, key, t.ID)
	if err != nil {
		return "", fmt.Errorf("create task: %w", mapErr(err))
	}
	if t.Done && t.RunID != nil {
		// Done at once: the run's first contact.
		if err := markRunDay(rawOf(tx), *t.RunID); err != nil {
			return "", err
		}
	}
	return id, nil
}

// runOfKey is the run of a step's idempotency key, "run:node:visit" (nil
// for any other key): a task a crm.create_task step creates belongs to
// its run. Migration 0016 backfills older tasks the same way.
func runOfKey(key string) *string {
	run, _, ok := strings.Cut(key, ":")
	if !ok || run == "" || len(run) > 36 {
		return nil
	}
	return &run
}

// SetTaskDone checks the task id off (done, completed at now) or opens it
// again (not done, no completion time), and returns it. A task already in
// that state is left as it was, so checking it off twice keeps the first
// time. A missing task is ErrNotFound.
func SetTaskDone(tx Tx, id string, done bool, now time.Time) (*Task, error) {
	var completed *time.Time
	if done {
		at := now.UTC()
		completed = &at
	}
	if _, err := rawOf(tx).exec(`UPDATE tasks SET done = ?, completed_at = ? WHERE id = ? AND done <> ?`, done, completed, id, done); err != nil {
		return nil, fmt.Errorf("update task %s: %w", id, err)
	}
	var t Task
	if err := tx.db.Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("task %s: %w", id, notFound(err))
	}
	if t.RunID != nil {
		// The run's first contact may have changed.
		if err := markRunDay(rawOf(tx), *t.RunID); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// AddNote inserts n (its CreatedAt is set here, and its ID unless the
// caller decided it) for an existing contact and returns its id. With a non-empty key, a replay returns the
// id of the note created first.
func AddNote(tx Tx, key string, n Note, now time.Time) (string, error) {
	if n.ContactID == "" {
		return "", errors.New("add note: contact id is required")
	}
	n.ID, n.IdemKey, n.CreatedAt = cmp.Or(n.ID, NewID()), nonEmpty(key), now.UTC()
	id, err := createOnce(tx, &Note{}, &n, n.ContactID, n.Test, key, n.ID)
	if err != nil {
		return "", fmt.Errorf("add note: %w", mapErr(err))
	}
	return id, nil
}

// createOnce inserts row (a pointer to a model whose table has id and a
// unique idem_key) unless a row with idem_key = key exists, and returns the
// id of the row that holds the key. The insert uses ON CONFLICT DO NOTHING
// so that a concurrent duplicate does not abort a PostgreSQL transaction.
func createOnce(tx Tx, model, row any, contactID string, test bool, key, id string) (string, error) {
	// No look-up before the insert: a replay or a missing contact is rare,
	// and the insert's own guard and conflict clause find them for two
	// statements less on the common path.
	n, err := insertOnce(tx, row, contactID != "")
	if err != nil {
		return "", err
	}
	if n == 1 {
		return id, nil
	}
	if contactID != "" {
		if err := contactOfKind(tx, contactID, test); err != nil {
			return "", err
		}
	}
	if key == "" {
		return "", fmt.Errorf("insert %T: skipped without an idempotency key", row)
	}
	existing, ok, err := idByIdemKey(tx, model, key)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("idempotency key %q: insert skipped but no row found", key)
	}
	return existing, nil
}

// onceInsert is an insert of a deal, task or note that skips the row when
// its idem_key is taken; guarded also skips it when its contact (the last
// two arguments: id and test) does not exist or is of the other kind.
type onceInsert struct{ plain, guarded string }

func newOnceInsert(table string, columns int) onceInsert {
	marks := strings.TrimSuffix(strings.Repeat("?,", columns), ",")
	const conflict = " ON CONFLICT (idem_key) DO NOTHING"
	return onceInsert{
		plain: "INSERT INTO " + table + " VALUES (" + marks + ")" + conflict,
		// The WHERE also keeps SQLite from reading ON as a join clause.
		guarded: "INSERT INTO " + table + " SELECT " + marks + " WHERE EXISTS (SELECT 1 FROM contacts WHERE id = ? AND test = ?)" + conflict,
	}
}

func (q onceInsert) run(r rawDB, guarded bool, contactID string, test bool, args ...any) (int64, error) {
	if guarded {
		return r.affected(q.guarded, append(args, contactID, test)...)
	}
	return r.affected(q.plain, args...)
}

var (
	dealInsert = newOnceInsert("deals (id, contact_id, title, stage, value, currency, owner, idem_key, test, created_at)", 10)
	taskInsert = newOnceInsert("tasks (id, contact_id, title, notes, owner, due_at, done, idem_key, test, created_at, completed_at, run_id)", 12)
	noteInsert = newOnceInsert("notes (id, contact_id, body, source, idem_key, test, created_at)", 7)
)

// insertOnce inserts a deal, task or note, skipping it when its idem_key
// is taken or, when guarded, its contact does not exist; it returns how
// many rows it inserted.
func insertOnce(tx Tx, row any, guarded bool) (int64, error) {
	r := rawOf(tx)
	switch v := row.(type) {
	case *Deal:
		return dealInsert.run(r, guarded, v.ContactID, v.Test, v.ID, v.ContactID, v.Title, v.Stage, v.Value, v.Currency,
			v.Owner, v.IdemKey, v.Test, v.CreatedAt.UTC())
	case *Task:
		return taskInsert.run(r, guarded, v.ContactID, v.Test, v.ID, v.ContactID, v.Title, v.Notes, v.Owner,
			utcPtr(v.DueAt), v.Done, v.IdemKey, v.Test, v.CreatedAt.UTC(), utcPtr(v.CompletedAt), v.RunID)
	case *Note:
		return noteInsert.run(r, guarded, v.ContactID, v.Test, v.ID, v.ContactID, v.Body, v.Source, v.IdemKey, v.Test, v.CreatedAt.UTC())
	}
	return 0, fmt.Errorf("insert %T: not a deal, task or note", row)
}

// DealByKey, TaskByKey and NoteByKey return the id of the deal, task or
// note created with the idempotency key, if any: what a replay of its
// creation answers.
func DealByKey(tx Tx, key string) (string, bool, error) {
	return rawIDByKey(tx, `SELECT id FROM deals WHERE idem_key = ?`, key)
}

// TaskByKey: see DealByKey.
func TaskByKey(tx Tx, key string) (string, bool, error) {
	return rawIDByKey(tx, `SELECT id FROM tasks WHERE idem_key = ?`, key)
}

// NoteByKey: see DealByKey.
func NoteByKey(tx Tx, key string) (string, bool, error) {
	return rawIDByKey(tx, `SELECT id FROM notes WHERE idem_key = ?`, key)
}

// rawIDByKey runs q, a hand-written look-up of an id by idempotency key:
// a step creating a deal, task or note asks it every time, and GORM costs
// several times as much.
func rawIDByKey(tx Tx, q, key string) (string, bool, error) {
	var id string
	err := rawOf(tx).queryRow(q, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

// ContactScore returns the contact's lead score; ErrNotFound when there is
// no such contact.
func ContactScore(db Tx, id string) (int, error) {
	var score int
	err := rawOf(db).queryRow(`SELECT score FROM contacts WHERE id = ?`, id).Scan(&score)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	return score, err
}

func idByIdemKey(tx Tx, model any, key string) (string, bool, error) {
	var ids []string
	if err := tx.db.Model(model).Where("idem_key = ?", key).Limit(1).Pluck("id", &ids).Error; err != nil {
		return "", false, err
	}
	if len(ids) == 0 {
		return "", false, nil
	}
	return ids[0], true, nil
}

// AddScore adds delta (may be negative) to the contact's score and returns
// the new score. With a non-empty key it happens once: a replay returns
// the score the first call produced.
func AddScore(tx Tx, key, contactID string, delta int, now time.Time) (newScore int, err error) {
	newScore, err = addScore(tx, key, contactID, delta, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("add score: %w", mapErr(err))
	}
	return newScore, nil
}

func addScore(tx Tx, key, contactID string, delta int, now time.Time) (int, error) {
	if key != "" {
		res, ok, err := effectResult(tx, effectScore+key)
		if err != nil {
			return 0, err
		}
		if ok {
			n, err := strconv.Atoi(res)
			if err != nil {
				return 0, fmt.Errorf("recorded score %q: %w", res, err)
			}
			return n, nil
		}
	}
	res := tx.db.Model(&Contact{}).Where("id = ?", contactID).
		Updates(map[string]any{"score": gorm.Expr("score + ?", delta), "updated_at": now})
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, ErrNotFound
	}
	var score int
	if err := tx.db.Model(&Contact{}).Select("score").Where("id = ?", contactID).Scan(&score).Error; err != nil {
		return 0, err
	}
	return score, recordEffect(tx, effectScore, key, strconv.Itoa(score), now)
}

// SetContactFields merges fields into the contact's custom fields (a
// field set here replaces the one stored under its name). ErrNotFound when
// there is no such contact.
func SetContactFields(tx Tx, contactID string, fields map[string]any, now time.Time) error {
	var c Contact
	err := tx.db.Select("id", "fields").Where("id = ?", contactID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("contact %s: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set contact fields: %w", mapErr(err))
	}
	merged, err := mergeFields(c.Fields, fields)
	if err != nil {
		return err
	}
	err = tx.db.Model(&Contact{}).Where("id = ?", contactID).Updates(map[string]any{"fields": merged, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("set contact fields: %w", mapErr(err))
	}
	return nil
}

// AddToList puts the contact on the named list, creating the list when it
// does not exist. Membership is a set: adding twice is harmless. With a
// non-empty key a replay changes nothing (even after a later removal).
func AddToList(tx Tx, key, contactID, listName string, now time.Time) error {
	if err := addToList(tx, key, contactID, strings.TrimSpace(listName), now.UTC()); err != nil {
		return fmt.Errorf("add to list %q: %w", listName, mapErr(err))
	}
	return nil
}

func addToList(tx Tx, key, contactID, name string, now time.Time) error {
	if name == "" {
		return errors.New("list name is required")
	}
	if done, err := effectDone(tx, effectListAdd, key); err != nil || done {
		return err
	}
	// Touching the contact first also tells whether it exists.
	if err := touchContact(tx, contactID, now); err != nil {
		return err
	}
	list, err := ensureList(tx, name, now)
	if err != nil {
		return err
	}
	// A test contact's membership is test data.
	if _, err := rawOf(tx).exec(`INSERT INTO list_members (list_id, contact_id, added_at, test)
SELECT ?, id, ?, test FROM contacts WHERE id = ? ON CONFLICT DO NOTHING`,
		list.ID, now.UTC(), contactID); err != nil {
		return err
	}
	return recordEffect(tx, effectListAdd, key, list.ID, now)
}

// ensureList finds the list by name or creates it.
func ensureList(tx Tx, name string, now time.Time) (*List, error) {
	var l List
	err := rawOf(tx).queryRow(`SELECT id, name, created_at FROM lists WHERE name = ?`, name).Scan(&l.ID, &l.Name, &l.CreatedAt)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return &l, err
	}
	l = List{ID: NewID(), Name: name, CreatedAt: now}
	res := tx.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}}, DoNothing: true}).Create(&l)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return &l, nil
	}
	if err := tx.db.Where("name = ?", name).Take(&l).Error; err != nil {
		return nil, err
	}
	return &l, nil
}

// RemoveFromList takes the contact off the named list. A missing list or
// membership is not an error. With a non-empty key a replay changes
// nothing (even after a later re-add).
func RemoveFromList(tx Tx, key, contactID, listName string, now time.Time) error {
	if err := removeFromList(tx, key, contactID, strings.TrimSpace(listName), now.UTC()); err != nil {
		return fmt.Errorf("remove from list %q: %w", listName, mapErr(err))
	}
	return nil
}

func removeFromList(tx Tx, key, contactID, name string, now time.Time) error {
	if name == "" {
		return errors.New("list name is required")
	}
	if done, err := effectDone(tx, effectListRemove, key); err != nil || done {
		return err
	}
	var l List
	found, err := takeOne(tx.db.Where("name = ?", name), &l)
	if err != nil {
		return err
	}
	if found {
		res := tx.db.Where("list_id = ? AND contact_id = ?", l.ID, contactID).Delete(&ListMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if err := touchContact(tx, contactID, now); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return recordEffect(tx, effectListRemove, key, "", now)
}

// TagContact removes the tags in remove, then adds the tags in add (so a
// tag in both ends up present). Tags are trimmed; empty ones are ignored.
// With a non-empty key a replay changes nothing.
func TagContact(tx Tx, key, contactID string, add, remove []string, now time.Time) error {
	if err := tagContact(tx, key, contactID, cleanTags(add), cleanTags(remove), now.UTC()); err != nil {
		return fmt.Errorf("tag contact: %w", mapErr(err))
	}
	return nil
}

func tagContact(tx Tx, key, contactID string, add, remove []string, now time.Time) error {
	if done, err := effectDone(tx, effectTag, key); err != nil || done {
		return err
	}
	// Touching the contact first also tells whether it exists, and its
	// kind: a test contact's tags are test data.
	test, err := touchContactKind(tx, contactID, now)
	if err != nil {
		return err
	}
	if len(remove) > 0 {
		if err := tx.db.Where("contact_id = ? AND tag IN ?", contactID, remove).Delete(&ContactTag{}).Error; err != nil {
			return err
		}
	}
	if len(add) > 0 {
		rows := make([]ContactTag, len(add))
		for i, t := range add {
			rows[i] = ContactTag{ContactID: contactID, Tag: t, Test: test, CreatedAt: now}
		}
		if err := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
			return err
		}
	}
	return recordEffect(tx, effectTag, key, "", now)
}

func cleanTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// GetContact returns the contact with its tags and lists.
func GetContact(db Tx, id string) (*ContactView, error) {
	r := rawOf(db)
	v := ContactView{Tags: []string{}, Lists: []string{}}
	if err := scanContact(r.queryRow(`SELECT `+contactSelect+` FROM contacts WHERE id = ?`, id), &v.Contact); err != nil {
		return nil, fmt.Errorf("get contact: %w", noRows(err))
	}
	// Tags and list names in one query: (kind, name) rows.
	rows, err := r.query(`SELECT 't', tag FROM contact_tags WHERE contact_id = ?
UNION ALL SELECT 'l', lists.name FROM list_members JOIN lists ON lists.id = list_members.list_id WHERE list_members.contact_id = ?
ORDER BY 1, 2`, id, id)
	if err != nil {
		return nil, fmt.Errorf("get contact: tags and lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return nil, fmt.Errorf("get contact: tags and lists: %w", err)
		}
		if kind == "t" {
			v.Tags = append(v.Tags, name)
		} else {
			v.Lists = append(v.Lists, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get contact: tags and lists: %w", err)
	}
	return &v, nil
}

// FindContact returns the first contact matching ref (by ID, then email,
// then phone, then external id), or ErrNotFound.
func FindContact(db Tx, ref ContactRef) (*Contact, error) {
	if ref.empty() {
		return nil, fmt.Errorf("find contact: %w", ErrEmptyRef)
	}
	c, found, err := findContact(db, ref)
	if err != nil {
		return nil, fmt.Errorf("find contact: %w", mapErr(err))
	}
	if !found {
		return nil, fmt.Errorf("find contact: %w", ErrNotFound)
	}
	return c, nil
}

func findContact(db Tx, ref ContactRef) (*Contact, bool, error) {
	by := []struct {
		col, val string
		of       func(*Contact) *string
	}{
		{"id", ref.ID, func(c *Contact) *string { return &c.ID }},
		{"email", ref.Email, func(c *Contact) *string { return c.Email }},
		{"phone", ref.Phone, func(c *Contact) *string { return c.Phone }},
		{"external_id", ref.ExternalID, func(c *Contact) *string { return c.ExternalID }},
	}
	// One query for every identifier given (each has a unique index); the
	// match by the first of them in the order above wins.
	var where []string
	var args []any
	for _, b := range by {
		if b.val != "" {
			where = append(where, b.col+" = ?")
			args = append(args, b.val)
		}
	}
	if len(where) == 0 {
		return nil, false, nil
	}
	found, err := contactsWhere(db, strings.Join(where, " OR "), append(args, ref.Test)...)
	if err != nil {
		return nil, false, err
	}
	for _, b := range by {
		for i := range found {
			if v := b.of(&found[i]); b.val != "" && v != nil && *v == b.val {
				return &found[i], true, nil
			}
		}
	}
	return nil, false, nil
}

// contactsWhere returns the (at most four) contacts matching cond, one
// identifier per OR-ed term, of the kind in the last argument (test or real).
func contactsWhere(db Tx, cond string, args ...any) ([]Contact, error) {
	rows, err := rawOf(db).query(`SELECT `+contactSelect+` FROM contacts WHERE (`+cond+`) AND test = ? LIMIT 4`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []Contact
	for rows.Next() {
		var c Contact
		if err := scanContact(rows, &c); err != nil {
			return nil, err
		}
		found = append(found, c)
	}
	return found, rows.Err()
}

// ContactIDByEmail returns the id of the real (or, with test, the test)
// contact with email (lower case), or "" when there is none.
func ContactIDByEmail(db Tx, email string, test bool) (string, error) {
	if id, ok := readAhead(db, email, test); ok {
		return id, nil
	}
	var id string
	err := rawOf(db).queryRow(`SELECT id FROM contacts WHERE email = ? AND test = ? LIMIT 1`, email, test).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("contact by email: %w", mapErr(err))
	}
	return id, nil
}

// EnsureContact finds the contact named by ref or, when it has none but ref
// has an email, phone or external id, creates one with those identifiers.
// A ref with only an unknown ID is ErrNotFound. Used for events that name a
// contact.
func EnsureContact(tx Tx, ref ContactRef, now time.Time) (id string, created bool, err error) {
	id, created, err = ensureContact(tx, ref, now.UTC())
	if err != nil {
		return "", false, fmt.Errorf("ensure contact: %w", mapErr(err))
	}
	return id, created, nil
}

func ensureContact(tx Tx, ref ContactRef, now time.Time) (string, bool, error) {
	if ref.empty() {
		return "", false, ErrEmptyRef
	}
	in := ContactInput{Email: ref.Email, Phone: ref.Phone, ExternalID: ref.ExternalID, Test: ref.Test}
	for range 2 {
		if ref.ID != "" {
			c, found, err := findContact(tx, ref)
			if err != nil || found {
				return idOf(c), false, err
			}
		}
		if ref.Email == "" && ref.Phone == "" && ref.ExternalID == "" {
			return "", false, ErrNotFound
		}
		// As an upsert matches: an event naming a new email and the phone
		// of someone else belongs to a new person, not to that someone.
		m, err := matchUpsert(tx, in)
		if err != nil {
			return "", false, err
		}
		if m.match != nil {
			return m.match.ID, false, recordConflicts(tx, m.match.ID, m.owners, in, now)
		}
		if err := refuseErased(tx, ref.Email, ref.Phone); err != nil {
			return "", false, err
		}
		nc := Contact{
			ID:         NewID(),
			Email:      nonEmpty(ref.Email),
			Phone:      nonEmpty(m.free(identPhone, ref.Phone)),
			ExternalID: nonEmpty(m.free(identExternalID, ref.ExternalID)),
			Fields:     "{}",
			Consent:    "{}",
			Test:       ref.Test,
			CreatedAt:  now,
			UpdatedAt:  now,
		}
		res := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&nc)
		if res.Error != nil {
			return "", false, res.Error
		}
		if res.RowsAffected == 1 {
			return nc.ID, true, recordConflicts(tx, nc.ID, m.owners, in, now)
		}
	}
	return "", false, errors.New("contact keeps conflicting with concurrent inserts")
}

// idOf is c's id, or "" for no contact.
func idOf(c *Contact) string {
	if c == nil {
		return ""
	}
	return c.ID
}

// ListContacts returns a page of real contacts, newest first, and the
// total number matching q.
func ListContacts(db Tx, q ContactQuery) ([]ContactView, int64, error) {
	filter := func() *gorm.DB {
		tx := db.db.Model(&Contact{}).Where("test = ?", false)
		if s := strings.TrimSpace(q.Search); s != "" {
			p := likePattern(s)
			tx = tx.Where(`(LOWER(email) LIKE ? ESCAPE '\' OR LOWER(first_name) LIKE ? ESCAPE '\'`+
				` OR LOWER(last_name) LIKE ? ESCAPE '\' OR LOWER(first_name || ' ' || last_name) LIKE ? ESCAPE '\'`+
				` OR LOWER(phone) LIKE ? ESCAPE '\' OR LOWER(company) LIKE ? ESCAPE '\')`,
				p, p, p, p, p, p)
		}
		if q.List != "" {
			tx = tx.Where("id IN (?)", db.db.Model(&ListMember{}).Select("list_members.contact_id").
				Joins("JOIN lists ON lists.id = list_members.list_id").Where("lists.name = ?", q.List))
		}
		if q.Tag != "" {
			tx = tx.Where("id IN (?)", db.db.Model(&ContactTag{}).Select("contact_id").Where("tag = ?", q.Tag))
		}
		return tx
	}
	var total int64
	if err := filter().Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list contacts: %w", err)
	}
	var cs []Contact
	limit, offset := page(q.Limit, q.Offset)
	if err := filter().Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&cs).Error; err != nil {
		return nil, 0, fmt.Errorf("list contacts: %w", err)
	}
	views, err := withTagsAndLists(db, cs)
	if err != nil {
		return nil, 0, fmt.Errorf("list contacts: %w", err)
	}
	return views, total, nil
}

// withTagsAndLists loads the tags and list names of cs in two queries.
func withTagsAndLists(db Tx, cs []Contact) ([]ContactView, error) {
	views := make([]ContactView, len(cs))
	if len(cs) == 0 {
		return views, nil
	}
	ids := make([]string, len(cs))
	index := make(map[string]int, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		index[c.ID] = i
		views[i] = ContactView{Contact: c, Tags: []string{}, Lists: []string{}}
	}
	var tags []ContactTag
	if err := db.db.Where("contact_id IN ?", ids).Order("tag").Find(&tags).Error; err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	for _, t := range tags {
		v := &views[index[t.ContactID]]
		v.Tags = append(v.Tags, t.Tag)
	}
	var lists []struct {
		ContactID string
		Name      string
	}
	if err := db.db.Model(&ListMember{}).Select("list_members.contact_id, lists.name").
		Joins("JOIN lists ON lists.id = list_members.list_id").
		Where("list_members.contact_id IN ?", ids).Order("lists.name").Scan(&lists).Error; err != nil {
		return nil, fmt.Errorf("load lists: %w", err)
	}
	for _, l := range lists {
		v := &views[index[l.ContactID]]
		v.Lists = append(v.Lists, l.Name)
	}
	return views, nil
}

// ContactDeals returns the contact's deals, newest first.
func ContactDeals(db Tx, contactID string) ([]Deal, error) {
	var ds []Deal
	if err := db.db.Where("contact_id = ?", contactID).Order("created_at DESC, id DESC").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("contact deals: %w", err)
	}
	return ds, nil
}

// ContactTasks returns the contact's tasks, newest first.
func ContactTasks(db Tx, contactID string) ([]Task, error) {
	var ts []Task
	if err := db.db.Where("contact_id = ?", contactID).Order("created_at DESC, id DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("contact tasks: %w", err)
	}
	return ts, nil
}

// ContactNotes returns the contact's notes, newest first.
func ContactNotes(db Tx, contactID string) ([]Note, error) {
	var ns []Note
	if err := db.db.Where("contact_id = ?", contactID).Order("created_at DESC, id DESC").Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("contact notes: %w", err)
	}
	return ns, nil
}

// ListDeals returns a page of real deals, newest first, and the total
// matching.
func ListDeals(db Tx, q DealQuery) ([]Deal, int64, error) {
	filter := func() *gorm.DB {
		tx := db.db.Model(&Deal{}).Where("test = ?", false)
		if q.ContactID != "" {
			tx = tx.Where("contact_id = ?", q.ContactID)
		}
		if q.Stage != "" {
			tx = tx.Where("stage = ?", q.Stage)
		}
		return tx
	}
	var total int64
	if err := filter().Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list deals: %w", err)
	}
	var ds []Deal
	limit, offset := page(q.Limit, q.Offset)
	if err := filter().Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&ds).Error; err != nil {
		return nil, 0, fmt.Errorf("list deals: %w", err)
	}
	return ds, total, nil
}

// ListTasks returns a page of real tasks, newest first, and the total
// matching.
func ListTasks(db Tx, q TaskQuery) ([]Task, int64, error) {
	filter := func() *gorm.DB {
		tx := db.db.Model(&Task{}).Where("test = ?", false)
		if q.ContactID != "" {
			tx = tx.Where("contact_id = ?", q.ContactID)
		}
		if q.Owner != "" {
			tx = tx.Where("owner = ?", q.Owner)
		}
		if q.Done != nil {
			tx = tx.Where("done = ?", *q.Done)
		}
		return tx
	}
	var total int64
	if err := filter().Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	var ts []Task
	limit, offset := page(q.Limit, q.Offset)
	if err := filter().Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&ts).Error; err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	return ts, total, nil
}

// ListLists returns every list with its number of real members, by name.
func ListLists(db Tx) ([]ListWithCount, error) {
	var out []ListWithCount
	err := db.db.Model(&List{}).
		Select("lists.id, lists.name, lists.created_at, COUNT(list_members.contact_id) AS members").
		Joins("LEFT JOIN list_members ON list_members.list_id = lists.id AND list_members.test = ?", false).
		Group("lists.id, lists.name, lists.created_at").
		Order("lists.name").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list lists: %w", err)
	}
	return out, nil
}

// ListMembers returns a page of the named list's real contacts, most
// recently added first, and their count. A missing list is ErrNotFound.
func ListMembers(db Tx, listName string, limit, offset int) ([]Contact, int64, error) {
	var l List
	if err := db.db.Where("name = ?", listName).Take(&l).Error; err != nil {
		return nil, 0, fmt.Errorf("list members of %q: %w", listName, mapErr(err))
	}
	var total int64
	if err := db.db.Model(&ListMember{}).Where("list_id = ? AND test = ?", l.ID, false).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("list members of %q: %w", listName, err)
	}
	var cs []Contact
	limit, offset = page(limit, offset)
	err := db.db.Joins("JOIN list_members ON list_members.contact_id = contacts.id AND list_members.list_id = ?", l.ID).
		Where("contacts.test = ?", false).
		Order("list_members.added_at DESC, contacts.id").Limit(limit).Offset(offset).Find(&cs).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list members of %q: %w", listName, err)
	}
	return cs, total, nil
}

// EraseContact is EraseContactAt now (see erasure.go). A missing contact
// is ErrNotFound.
func EraseContact(tx Tx, id string) error {
	return EraseContactAt(tx, id, time.Now())
}

// ContactExists returns ErrNotFound when there is no contact id.
func ContactExists(tx Tx, id string) error {
	var one int
	err := rawOf(tx).queryRow(`SELECT 1 FROM contacts WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	return err
}

// ContactIsTest reports whether the contact id is a test contact;
// ErrNotFound when there is no such contact.
func ContactIsTest(db Tx, id string) (bool, error) {
	var test bool
	err := rawOf(db).queryRow(`SELECT test FROM contacts WHERE id = ?`, id).Scan(&test)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("contact %s: %w", id, err)
	}
	return test, nil
}

// contactOfKind returns ErrNotFound when there is no contact id of the
// kind asked (test or real): a test never touches a real contact.
func contactOfKind(tx Tx, id string, test bool) error {
	is, err := ContactIsTest(tx, id)
	if err == nil && is != test {
		if test {
			return fmt.Errorf("contact %s is a real contact, which a test run never changes: %w", id, ErrNotFound)
		}
		return fmt.Errorf("contact %s is a test contact, which only test runs change: %w", id, ErrNotFound)
	}
	return err
}

// touchContactKind is touchContact that also tells whether the contact is
// a test contact.
func touchContactKind(tx Tx, id string, now time.Time) (test bool, err error) {
	err = rawOf(tx).queryRow(`UPDATE contacts SET updated_at = ? WHERE id = ? RETURNING test`, now.UTC(), id).Scan(&test)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	return test, err
}

// touchContact marks the contact as changed now; ErrNotFound when there is
// no such contact.
func touchContact(tx Tx, id string, now time.Time) error {
	n, err := rawOf(tx).affected(`UPDATE contacts SET updated_at = ? WHERE id = ?`, now.UTC(), id)
	if err == nil && n == 0 {
		err = fmt.Errorf("contact %s: %w", id, ErrNotFound)
	}
	return err
}

// effectResult returns the result recorded for key.
func effectResult(tx Tx, key string) (string, bool, error) {
	var result string
	err := rawOf(tx).queryRow(`SELECT result FROM effects WHERE key = ?`, key).Scan(&result)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return result, err == nil, err
}

// effectDone reports whether prefix+key was applied already (never for an
// empty key).
func effectDone(tx Tx, prefix, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	_, found, err := effectResult(tx, prefix+key)
	return found, err
}

// recordEffect remembers that prefix+key was applied (nothing for an empty
// key).
func recordEffect(tx Tx, prefix, key, result string, now time.Time) error {
	if key == "" {
		return nil
	}
	_, err := rawOf(tx).exec(`INSERT INTO effects (key, result, created_at) VALUES (?,?,?) ON CONFLICT DO NOTHING`,
		prefix+key, result, now.UTC())
	return err
}

// takeOne runs q into dest and reports whether a row was found.
func takeOne(q *gorm.DB, dest any) (bool, error) {
	err := q.Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// likePattern lower-cases s and escapes LIKE wildcards (ESCAPE '\').
func likePattern(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s))
	return "%" + s + "%"
}

func page(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = defaultPageSize
	}
	return min(limit, maxPageSize), max(offset, 0)
}
