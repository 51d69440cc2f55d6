package storage

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

const runColumns = "id, flow_id, version, contact_id, status, outcome, trigger, event, vars, visits, tokens, test, test_choices, error, started_at, updated_at, ended_at, revision"

// InsertRun stores a new run. In a Store.Write its row is written with
// the transaction's other new runs (see heldRows).
func InsertRun(tx Tx, r *Run) error {
	var contactID any // the value, not the pointer: the row may be written later
	if r.ContactID != nil {
		contactID = *r.ContactID
	}
	args := []any{r.ID, r.FlowID, r.Version, contactID, r.Status, r.Outcome, r.Trigger, r.Event, r.Vars, r.Visits,
		r.Tokens, r.Test, r.TestChoices, r.Error, r.StartedAt.UTC(), r.UpdatedAt.UTC(), utcPtr(r.EndedAt), r.Revision}
	if p := holdingOf(tx); p != nil {
		p.held.runs = append(p.held.runs, args)
	} else if _, err := rawOf(tx).exec(`INSERT INTO runs (`+runColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		args...); err != nil {
		return fmt.Errorf("insert run: %w", err)
	}
	r.noteStored()
	if r.ContactID != nil && !r.Test {
		if err := MarkContactDeals(tx, *r.ContactID, r.StartedAt); err != nil {
			return err
		}
	}
	return markRun(tx, r)
}

// markRun marks the start day of a live run (its steps, status, outcome or
// contact changed) for the analytics rollups.
func markRun(tx Tx, r *Run) error {
	if r.Test {
		return nil
	}
	return markDay(rawOf(tx), r.StartedAt)
}

// GetRun returns a run.
func GetRun(db Tx, id string) (*Run, error) {
	var r Run
	err := rawOf(db).queryRow(`SELECT `+runSelect+` FROM runs WHERE id = ?`, id).Scan(
		&r.ID, &r.FlowID, &r.Version, &r.ContactID, &r.Status, &r.Outcome, &r.Trigger, &r.Event, &r.Vars,
		&r.Visits, &r.Tokens, &r.Test, &r.TestChoices, &r.Error, &r.StartedAt, &r.UpdatedAt, &r.EndedAt, &r.Revision)
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, noRows(err))
	}
	r.noteStored()
	return &r, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// GetRuns returns the runs with the given ids (any order).
func GetRuns(db Tx, ids []string) ([]Run, error) {
	var rs []Run
	if len(ids) == 0 {
		return nil, nil
	}
	if err := db.db.Where("id IN ?", ids).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("get runs: %w", err)
	}
	return rs, nil
}

// SaveRun writes the columns of r that change while it runs (not its
// flow, version, trigger or start), as the next revision of the one r was
// read at. When the stored run is at another revision (another
// transaction wrote it since r was read) or is gone, nothing is written
// and the error is ErrConflict: r was decided from a run that no longer
// is, and deciding again from the stored run is the way on.
func SaveRun(tx Tx, r *Run) error {
	// A run's contact seldom changes while it runs, and writing the
	// column, even unchanged, makes SQLite rewrite the run's entries in
	// the two indexes that hold it.
	set := `status = ?, outcome = ?, vars = ?, visits = ?, tokens = ?, error = ?, updated_at = ?, ended_at = ?, revision = ?`
	args := []any{r.Status, r.Outcome, r.Vars, r.Visits, r.Tokens, r.Error, r.UpdatedAt.UTC(), utcPtr(r.EndedAt),
		r.Revision + 1, r.ID, r.Revision}
	if !r.contactStored() {
		set = `contact_id = ?, ` + set
		args = append([]any{r.ContactID}, args...)
	}
	n, err := rawOf(tx).affected(`UPDATE runs SET `+set+` WHERE id = ? AND revision = ?`, args...)
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("save run %s: %w", r.ID, ErrConflict)
	}
	r.Revision++
	r.noteStored()
	return markRun(tx, r)
}

// SaveRunBatched is SaveRun for a caller that expects the stored run to
// be at r's revision and gives up the whole transaction when it is not: in
// a Store.Write on PostgreSQL the update is written with the
// transaction's other batched saves (see heldRows), and a run written
// since it was read fails the transaction with ErrConflict then instead
// of this call.
func SaveRunBatched(tx Tx, r *Run) error {
	p := holdingOf(tx)
	if p == nil || !tx.dl.batchesUpdates() {
		return SaveRun(tx, r)
	}
	for _, row := range p.held.saves {
		if row[0] == r.ID { // saved twice: the first goes now
			ctx := rawOf(tx).ctx
			if err := p.send(ctx, p.takeRuns(nil)); err != nil {
				return err
			}
			break
		}
	}
	var contactID any // the value, not the pointer: the row is written later
	if r.ContactID != nil {
		contactID = *r.ContactID
	}
	p.held.saves = append(p.held.saves, []any{r.ID, r.Revision, contactID, r.Status, r.Outcome, r.Vars, r.Visits,
		r.Tokens, r.Error, r.UpdatedAt.UTC(), utcPtr(r.EndedAt)})
	r.Revision++
	r.noteStored()
	return markRun(tx, r)
}

// RunQuery filters ListRuns.
type RunQuery struct {
	FlowID    string
	Status    string
	ContactID string
	Since     time.Time
	// Test, when set, keeps only test runs (true) or only live ones (false).
	Test   *bool
	Limit  int
	Offset int
}

// ListRuns returns runs, newest first, and the total matching.
func ListRuns(db Tx, q RunQuery) ([]Run, int64, error) {
	base := db.db.Model(&Run{})
	if q.FlowID != "" {
		base = base.Where("flow_id = ?", q.FlowID)
	}
	if q.Status != "" {
		base = base.Where("status = ?", q.Status)
	}
	if q.ContactID != "" {
		base = base.Where("contact_id = ?", q.ContactID)
	}
	if !q.Since.IsZero() {
		base = base.Where("started_at >= ?", q.Since.UTC())
	}
	if q.Test != nil {
		base = base.Where("test = ?", *q.Test)
	}
	var total int64
	if err := base.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count runs: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var rs []Run
	if err := base.Order("started_at DESC, id").Limit(limit).Offset(q.Offset).Find(&rs).Error; err != nil {
		return nil, 0, fmt.Errorf("list runs: %w", err)
	}
	return rs, total, nil
}

// LastRunStart returns when the contact last started the flow (zero when
// never), for re-entry policies.
func LastRunStart(db Tx, flowID, contactID string) (time.Time, error) {
	var at time.Time
	err := rawOf(db).queryRow(`SELECT started_at FROM runs WHERE flow_id = ? AND contact_id = ? AND test = ?
ORDER BY started_at DESC LIMIT 1`, flowID, contactID, false).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last run of %s for %s: %w", flowID, contactID, err)
	}
	return at, nil
}

// InsertSteps stores step records and sets their ids. In a Store.Write
// their rows are written with the transaction's other steps (see
// heldRows), and the ids are set then.
func InsertSteps(tx Tx, steps []Step) error {
	r := rawOf(tx)
	for i := range steps {
		if err := markSplitStep(r, &steps[i]); err != nil {
			return err
		}
	}
	if len(steps) == 0 {
		return nil
	}
	if p := holdingOf(tx); p != nil {
		p.held.steps = append(p.held.steps, heldSteps{steps: steps, args: stepArgs(steps)})
		return nil
	}
	for len(steps) > 0 {
		n := min(len(steps), stepsPerInsert)
		if err := insertSteps(r, steps[:n], stepArgs(steps[:n])); err != nil {
			return fmt.Errorf("insert steps: %w", err)
		}
		steps = steps[n:]
	}
	return nil
}

// stepsPerInsert bounds one multi-row insert (12 parameters a row).
const stepsPerInsert = 32

// stepArgs are the arguments of steps' rows.
func stepArgs(steps []Step) []any {
	args := make([]any, 0, 12*len(steps))
	for i := range steps {
		st := &steps[i]
		args = append(args, st.RunID, st.NodeID, st.NodeType, st.Visit, st.Attempt,
			st.Status, st.Port, st.Input, st.Output, st.Error, st.StartedAt.UTC(), st.FinishedAt.UTC())
	}
	return args
}

// insertSteps stores steps, whose rows' arguments are args, with one
// statement: one statement costs about what one row did.
func insertSteps(r rawDB, steps []Step, args []any) error {
	return r.dl.insertSteps(r, insertStepsSQL(len(steps)), args, steps)
}

// insertStepsSQL inserts n steps' rows.
func insertStepsSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO steps (run_id, node_id, node_type, visit, attempt, status, port, input, output, error,
started_at, finished_at) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	return q.String()
}

// StepOutputIsTrigger is the output a trigger step records when its
// output is the run's trigger payload (Run.Trigger), so the payload is
// stored once. It is not JSON, so it cannot be mistaken for an output.
const StepOutputIsTrigger = "=trigger"

// RunSteps returns a run's steps in order.
func RunSteps(db Tx, runID string) ([]Step, error) {
	var ss []Step
	if err := db.db.Where("run_id = ?", runID).Order("id").Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("steps of run %s: %w", runID, err)
	}
	return ss, nil
}

const jobColumns = "id, run_id, node_id, kind, port, payload, due_at, attempts, lease_owner, lease_until, dedup_key, last_error, created_at"

// runSelect and jobSelect read NULL text (rows written by hand or by an
// older version) as "".
const (
	runSelect = "id, flow_id, version, contact_id, status, COALESCE(outcome, ''), COALESCE(trigger, ''), COALESCE(event, ''), COALESCE(vars, ''), COALESCE(visits, ''), tokens, test, COALESCE(test_choices, ''), COALESCE(error, ''), started_at, updated_at, ended_at, revision"
	jobSelect = "id, run_id, node_id, kind, COALESCE(port, ''), COALESCE(payload, ''), due_at, attempts, COALESCE(lease_owner, ''), lease_until, dedup_key, COALESCE(last_error, ''), created_at"
)

// InsertJob stores a job and sets its id. A job whose DedupKey exists
// already is skipped: inserted is then false. In a Store.Write on
// PostgreSQL a job without a DedupKey is written with the transaction's
// other jobs (see heldRows).
func InsertJob(tx Tx, j *Job) (inserted bool, err error) {
	if p := holdingOf(tx); p != nil && j.DedupKey == nil {
		if held, err := p.holdJob(rawOf(tx).ctx, j); held || err != nil {
			if err != nil {
				return false, fmt.Errorf("insert job: %w", err)
			}
			return true, nil
		}
	}
	const q = `INSERT INTO jobs (run_id, node_id, kind, port, payload, due_at, attempts, lease_owner,
lease_until, dedup_key, last_error, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`
	args := []any{j.RunID, j.NodeID, j.Kind, j.Port, j.Payload, j.DueAt.UTC(), j.Attempts, j.LeaseOwner, utcPtr(j.LeaseUntil),
		j.DedupKey, j.LastError, j.CreatedAt.UTC()}
	return tx.dl.insertJob(rawOf(tx), q, args, j)
}

// ClaimJobs leases up to limit due jobs to owner until leaseUntil. Jobs
// whose lease expired (a crashed worker) are claimed again. Where writers
// overlap (PostgreSQL) concurrent claimers skip each other's rows.
func ClaimJobs(tx Tx, owner string, now, leaseUntil time.Time, limit int) ([]Job, error) {
	lock := tx.dl.skipLocked()
	now = now.UTC()
	q := `UPDATE jobs SET lease_owner = ?, lease_until = ?
WHERE id IN (SELECT id FROM jobs WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
ORDER BY due_at, id LIMIT ?` + lock + `)
RETURNING ` + jobSelect
	rows, err := rawOf(tx).query(q, owner, leaseUntil.UTC(), now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	defer rows.Close()
	js := make([]Job, 0, limit)
	for rows.Next() {
		var j Job
		if err := rows.Scan(&j.ID, &j.RunID, &j.NodeID, &j.Kind, &j.Port, &j.Payload, &j.DueAt, &j.Attempts,
			&j.LeaseOwner, &j.LeaseUntil, &j.DedupKey, &j.LastError, &j.CreatedAt); err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		js = append(js, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	// RETURNING gives no order; handle jobs in due order.
	slices.SortFunc(js, func(a, b Job) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return js, nil
}

// DeleteJob removes a job the owner holds; false when the lease was lost
// (another worker claimed it after the lease expired).
func DeleteJob(tx Tx, id int64, owner string) (bool, error) {
	n, err := rawOf(tx).affected(`DELETE FROM jobs WHERE id = ? AND lease_owner = ?`, id, owner)
	if err != nil {
		return false, fmt.Errorf("delete job %d: %w", id, err)
	}
	return n == 1, nil
}

// DeleteJobBatched is DeleteJob for a caller that expects owner to hold
// the job and gives up the whole transaction when it does not (a job no
// longer held is ErrConflict): in a Store.Write on PostgreSQL the delete
// is written with the transaction's other batched deletes (see
// heldRows), and the transaction fails then instead of this call.
func DeleteJobBatched(tx Tx, id int64, owner string) error {
	p := holdingOf(tx)
	if p == nil || !tx.dl.batchesUpdates() {
		owned, err := DeleteJob(tx, id, owner)
		if err == nil && !owned {
			err = fmt.Errorf("delete job %d: no longer held by %s: %w", id, owner, ErrConflict)
		}
		return err
	}
	if p.held.deletes == nil {
		p.held.deletes = map[string][]int64{}
	}
	p.held.deletes[owner] = append(p.held.deletes[owner], id)
	return nil
}

// JobHeld reports whether owner still holds job id: false once the job was
// deleted (its run ended, was cancelled or erased) or taken over.
func JobHeld(db Tx, id int64, owner string) (bool, error) {
	var one int
	err := rawOf(db).queryRow(`SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ?`, id, owner).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("job %d: %w", id, err)
	}
	return true, nil
}

// DeleteJobByID removes a job whoever holds it.
func DeleteJobByID(tx Tx, id int64) (bool, error) {
	res := tx.db.Where("id = ?", id).Delete(&Job{})
	if res.Error != nil {
		return false, fmt.Errorf("delete job %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseJob gives a job back unfinished, to run again at dueAt.
func ReleaseJob(tx Tx, id int64, owner string, attempts int, dueAt time.Time, lastErr string) error {
	err := tx.db.Model(&Job{}).Where("id = ? AND lease_owner = ?", id, owner).Updates(map[string]any{
		"attempts": attempts, "due_at": dueAt.UTC(), "last_error": lastErr, "lease_owner": "", "lease_until": nil,
	}).Error
	if err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	return nil
}

// DeleteRunWork removes every job and wait of a run (cancel, exit, goal).
func DeleteRunWork(tx Tx, runID string) error {
	if err := tx.db.Where("run_id = ?", runID).Delete(&Job{}).Error; err != nil {
		return fmt.Errorf("delete jobs of run %s: %w", runID, err)
	}
	if err := tx.db.Where("run_id = ?", runID).Delete(&Wait{}).Error; err != nil {
		return fmt.Errorf("delete waits of run %s: %w", runID, err)
	}
	return nil
}

// NextDueAt returns the earliest due time of an unleased job (zero when none).
func NextDueAt(db Tx) (time.Time, error) {
	var j Job
	err := db.db.Select("due_at").Where("lease_until IS NULL").Order("due_at").Limit(1).Take(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("next due job: %w", err)
	}
	return j.DueAt, nil
}

// JobStats counts jobs due now and pending in the future.
func JobStats(db Tx, now time.Time) (due, pending int64, err error) {
	if err = db.db.Model(&Job{}).Where("due_at <= ?", now.UTC()).Count(&due).Error; err != nil {
		return 0, 0, fmt.Errorf("count due jobs: %w", err)
	}
	if err = db.db.Model(&Job{}).Where("due_at > ?", now.UTC()).Count(&pending).Error; err != nil {
		return 0, 0, fmt.Errorf("count pending jobs: %w", err)
	}
	return due, pending, nil
}

// InsertWait stores an event wait.
func InsertWait(tx Tx, w *Wait) error {
	if err := tx.db.Create(w).Error; err != nil {
		return fmt.Errorf("insert wait: %w", err)
	}
	return nil
}

// WaitsFor returns the waits of a contact for an event type.
func WaitsFor(tx Tx, contactID, eventType string) ([]Wait, error) {
	// Hand-written: every contact event asks (and almost always finds none).
	rows, err := rawOf(tx).query(`SELECT id, run_id, node_id, visit, contact_id, event_type, expires_at, event_port,
COALESCE(match_param, ''), COALESCE(timeout_job_id, 0), created_at FROM waits WHERE contact_id = ? AND event_type = ? ORDER BY id`,
		contactID, eventType)
	if err != nil {
		return nil, fmt.Errorf("waits for %s: %w", eventType, err)
	}
	defer rows.Close()
	var ws []Wait
	for rows.Next() {
		var w Wait
		if err := rows.Scan(&w.ID, &w.RunID, &w.NodeID, &w.Visit, &w.ContactID, &w.EventType, &w.ExpiresAt, &w.EventPort,
			&w.MatchParam, &w.TimeoutJobID, &w.CreatedAt); err != nil {
			return nil, fmt.Errorf("waits for %s: %w", eventType, err)
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("waits for %s: %w", eventType, err)
	}
	return ws, nil
}

// TakeWait deletes a wait; false when it was already taken (resumed or
// timed out).
func TakeWait(tx Tx, id int64) (bool, error) {
	res := tx.db.Where("id = ?", id).Delete(&Wait{})
	if res.Error != nil {
		return false, fmt.Errorf("take wait %d: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// WaitByTimeoutJob returns the wait a timeout job belongs to.
func WaitByTimeoutJob(tx Tx, jobID int64) (*Wait, error) {
	var w Wait
	if err := tx.db.Where("timeout_job_id = ?", jobID).Take(&w).Error; err != nil {
		return nil, fmt.Errorf("wait of timeout job %d: %w", jobID, notFound(err))
	}
	return &w, nil
}

// JobPayload returns the payload of a job; a missing job is ErrNotFound.
func JobPayload(tx Tx, id int64) (string, error) {
	var j Job
	if err := tx.db.Select("payload").Where("id = ?", id).Take(&j).Error; err != nil {
		return "", fmt.Errorf("payload of job %d: %w", id, notFound(err))
	}
	return j.Payload, nil
}

// ResumeJobAt turns a job (a wait's timeout) into one of kind that
// follows port with payload, due at dueAt: the wait's event came first.
func ResumeJobAt(tx Tx, id int64, kind, port, payload string, dueAt time.Time) error {
	err := tx.db.Model(&Job{}).Where("id = ?", id).Updates(map[string]any{
		"kind": kind, "port": port, "payload": payload, "due_at": dueAt,
	}).Error
	if err != nil {
		return fmt.Errorf("resume job %d: %w", id, err)
	}
	return nil
}

// LastFailedStep returns the latest failed step of a run; a run without
// one is ErrNotFound.
func LastFailedStep(tx Tx, runID string) (*Step, error) {
	var last Step
	err := tx.db.Where("run_id = ? AND status = ?", runID, "failed").Order("id DESC").Limit(1).Take(&last).Error
	if err != nil {
		return nil, fmt.Errorf("last failed step of run %s: %w", runID, notFound(err))
	}
	return &last, nil
}

// ActiveRunIDs returns the ids of a flow's runs in flight (running or
// waiting).
func ActiveRunIDs(tx Tx, flowID string) ([]string, error) {
	var ids []string
	if err := tx.db.Model(&Run{}).Where("flow_id = ? AND status IN ?", flowID,
		[]string{RunRunning, RunWaiting}).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("runs in flight of flow %s: %w", flowID, err)
	}
	return ids, nil
}

// InsertEvent stores an event once: an event whose DedupKey exists is
// skipped and inserted is false.
func InsertEvent(tx Tx, e *Event) (inserted bool, err error) {
	// Hand-written: every contact event and idempotent webhook inserts one.
	// An event of a test contact is test data (e.Test need not say so).
	n, err := rawOf(tx).affected(`INSERT INTO events (id, contact_id, type, data, source, at, dedup_key, received_at, test)
VALUES (?,?,?,?,?,?,?,?,`+markTest+`) ON CONFLICT DO NOTHING`, e.ID, e.ContactID, e.Type, e.Data, e.Source, e.At.UTC(), e.DedupKey,
		e.ReceivedAt.UTC(), e.Test, e.ContactID)
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	if n == 1 && e.Type == "chat.started" && !e.Test {
		if err := markDay(rawOf(tx), e.At); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// EventByDedupKey returns the stored event with a dedup key.
func EventByDedupKey(db Tx, key string) (*Event, error) {
	var e Event
	if err := db.db.Where("dedup_key = ?", key).Take(&e).Error; err != nil {
		return nil, fmt.Errorf("event %s: %w", key, notFound(err))
	}
	return &e, nil
}

// EventAfter reports whether the contact had an event of type after t.
func EventAfter(db Tx, contactID, eventType string, after time.Time) (bool, error) {
	var n int64
	err := db.db.Model(&Event{}).Where("contact_id = ? AND type = ? AND at > ?", contactID, eventType, after.UTC()).
		Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look for %s after %s: %w", eventType, after, err)
	}
	return n > 0, nil
}

// ContactEvents returns a contact's events, newest first.
func ContactEvents(db Tx, contactID string, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 100
	}
	var es []Event
	if err := db.db.Where("contact_id = ?", contactID).Order("at DESC, id").Limit(limit).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("events of %s: %w", contactID, err)
	}
	return es, nil
}

// ReleaseAllLeases gives back every claimed job. Only for a store that a
// single instance uses (SQLite): at start-up, any lease left belongs to a
// process that died, and waiting for it to expire would only delay work.
func ReleaseAllLeases(tx Tx) (int64, error) {
	res := tx.db.Model(&Job{}).Where("lease_until IS NOT NULL").
		Updates(map[string]any{"lease_owner": "", "lease_until": nil})
	if res.Error != nil {
		return 0, fmt.Errorf("release leases: %w", res.Error)
	}
	return res.RowsAffected, nil
}
