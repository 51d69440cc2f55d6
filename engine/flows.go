package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// ErrNotFound is returned for a flow or run that does not exist.
var ErrNotFound = storage.ErrNotFound

// ErrConflict is returned when a flow id is taken or a state change is
// not possible.
var ErrConflict = errors.New("conflict")

// DraftOptions say how SaveDraft stores a draft.
type DraftOptions struct {
	// Create refuses an id that exists already.
	Create bool
	// IfRevision, when set, saves only over that revision of the draft
	// (the one the editor opened): anything newer is a RevisionConflict.
	IfRevision *int
	// By names who saves: the next conflicting save is told.
	By string
}

// RevisionConflict refuses a save or publish over a draft that someone
// saved after the caller read it. It says who saved it and when.
type RevisionConflict struct {
	Revision int
	By       string
	At       time.Time
}

func (c *RevisionConflict) Error() string {
	by := c.By
	if by == "" {
		by = "someone else"
	}
	return fmt.Sprintf("the journey was changed by %s at %s (revision %d) after you opened it", by, c.At.UTC().Format(time.RFC3339), c.Revision)
}

func (c *RevisionConflict) Unwrap() error { return ErrConflict }

// checkRevision refuses cur when want names an older revision.
func checkRevision(cur *storage.Flow, want *int) error {
	if want != nil && *want != cur.Revision {
		return &RevisionConflict{Revision: cur.Revision, By: cur.UpdatedBy, At: cur.UpdatedAt}
	}
	return nil
}

// SaveDraft creates or replaces the draft of a flow. A draft may be
// invalid (nothing a marketer does is lost); its problems are returned
// with the draft's new revision.
func (e *Engine) SaveDraft(ctx context.Context, f *flows.Flow, opts DraftOptions) ([]flows.Problem, int, error) {
	problems, err := e.DraftProblems(f)
	if err != nil {
		return nil, 0, err
	}
	f.Version = 0
	def, err := flows.Encode(f)
	if err != nil {
		return nil, 0, err
	}
	now := e.clock.Now()
	var revision int
	defer e.hooks.forget()
	err = e.store.Write(ctx, func(tx storage.Tx) error {
		cur, err := storage.GetFlow(tx, f.ID)
		if errors.Is(err, storage.ErrNotFound) {
			revision = 1
			if err := storage.CreateFlow(tx, &storage.Flow{ID: f.ID, Name: f.Name, Description: f.Description,
				Draft: string(def), Status: storage.FlowDraft, Revision: revision, UpdatedBy: opts.By, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			return storage.RecordFlowSave(tx, &storage.FlowSave{FlowID: f.ID, Revision: revision, Definition: string(def), SavedAt: now, SavedBy: opts.By})
		}
		if err != nil {
			return err
		}
		if opts.Create {
			return fmt.Errorf("a journey with id %q exists already: %w", f.ID, ErrConflict)
		}
		if err := checkRevision(cur, opts.IfRevision); err != nil {
			return err
		}
		cur.Name, cur.Description, cur.Draft, cur.UpdatedAt = f.Name, f.Description, string(def), now
		cur.Revision++
		cur.UpdatedBy = opts.By
		revision = cur.Revision
		if err := storage.SaveFlow(tx, cur); err != nil {
			return err
		}
		return storage.RecordFlowSave(tx, &storage.FlowSave{FlowID: f.ID, Revision: revision, Definition: string(def), SavedAt: now, SavedBy: opts.By})
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil, 0, fmt.Errorf("a journey with id %q exists already: %w", f.ID, ErrConflict)
	}
	return problems, revision, err
}

// Draft returns the stored draft of a flow.
func (e *Engine) Draft(flowID string) (*storage.Flow, *flows.Flow, error) {
	sf, err := storage.GetFlow(e.store.Reader(), flowID)
	if err != nil {
		return nil, nil, err
	}
	f, err := flows.Decode([]byte(sf.Draft))
	if err != nil {
		return nil, nil, fmt.Errorf("stored draft of %s: %w", flowID, err)
	}
	f.Version = sf.Version
	return sf, f, nil
}

// Publish validates the draft and stores it as a new immutable version that
// new runs use; runs in flight finish on the version they started on.
// An invalid draft returns a *flows.ProblemsError.
func (e *Engine) Publish(ctx context.Context, flowID string) (int, error) {
	return e.PublishRevision(ctx, flowID, nil)
}

// PublishRevision publishes the draft only while it is at revision
// ifRevision (when set): what the publisher saw is what goes live.
func (e *Engine) PublishRevision(ctx context.Context, flowID string, ifRevision *int) (int, error) {
	var version int
	defer e.hooks.forget()
	err := e.store.Write(ctx, func(tx storage.Tx) error {
		if ifRevision != nil {
			cur, err := storage.GetFlow(tx, flowID)
			if err != nil {
				return err
			}
			if err := checkRevision(cur, ifRevision); err != nil {
				return err
			}
		}
		var err error
		version, err = e.publishTx(tx, flowID)
		return err
	})
	return version, err
}

// publishTx publishes the draft of flowID inside tx. It leaves the compiled
// cache alone: tx may still roll back (an import that fails later, a dry
// run), and the cache must only hold versions that exist.
func (e *Engine) publishTx(tx storage.Tx, flowID string) (int, error) {
	sf, err := storage.GetFlow(tx, flowID)
	if err != nil {
		return 0, err
	}
	f, err := flows.Decode([]byte(sf.Draft))
	if err != nil {
		return 0, err
	}
	version := sf.Version + 1
	f.Version = version
	cf, problems := flows.Compile(f, e.reg)
	if len(problems) > 0 {
		return 0, &flows.ProblemsError{Problems: problems}
	}
	if problems, err := e.credentialProblems(tx, f); err != nil || len(problems) > 0 {
		if err != nil {
			return 0, err
		}
		return 0, &flows.ProblemsError{Problems: problems}
	}
	triggers, problems, err := e.triggerIndex(tx, cf)
	if err != nil {
		return 0, err
	}
	if len(problems) > 0 {
		return 0, &flows.ProblemsError{Problems: problems}
	}
	def, err := flows.Encode(f)
	if err != nil {
		return 0, err
	}
	now := e.clock.Now()
	if err := storage.InsertVersion(tx, &storage.FlowVersion{FlowID: flowID, Version: version, Definition: string(def), PublishedAt: now}); err != nil {
		return 0, err
	}
	sf.Version, sf.Status, sf.UpdatedAt = version, storage.FlowActive, now
	if err := storage.SaveFlow(tx, sf); err != nil {
		return 0, err
	}
	for i := range triggers {
		triggers[i].Version = version
	}
	if err := storage.ReplaceTriggers(tx, flowID, triggers); err != nil {
		return 0, err
	}
	return version, e.scheduleTicks(tx, cf)
}

// triggerIndex lists the trigger rows of a compiled flow, and problems such
// as a webhook path another active journey already uses.
func (e *Engine) triggerIndex(tx storage.Tx, cf *flows.Compiled) ([]storage.Trigger, []flows.Problem, error) {
	var out []storage.Trigger
	var problems []flows.Problem
	for _, cn := range cf.Triggers {
		t := storage.Trigger{FlowID: cf.Flow.ID, NodeID: cn.Node.ID}
		switch cn.Node.Type {
		case nodes.TypeWebhookTrigger:
			var p nodes.WebhookParams
			if err := cn.Decode(&p); err != nil {
				return nil, nil, err
			}
			clash, err := hookClash(tx, cf.Flow.ID, cn.Node.ID, p.Path)
			if err != nil {
				return nil, nil, err
			}
			if clash != nil {
				problems = append(problems, *clash)
			}
			t.Kind, t.Key = "webhook", p.Path
		case nodes.TypeEventTrigger:
			var p nodes.EventParams
			if err := cn.Decode(&p); err != nil {
				return nil, nil, err
			}
			t.Kind, t.Key = "event", p.EventType
		case nodes.TypeAbsenceTrigger:
			var p nodes.AbsenceParams
			if err := cn.Decode(&p); err != nil {
				return nil, nil, err
			}
			t.Kind, t.Key = "absence", p.Event
		case nodes.TypeScheduleTrigger:
			t.Kind = "schedule"
		default:
			t.Kind = "manual"
		}
		out = append(out, t)
	}
	return out, problems, nil
}

// schedulePayload is the payload of a schedule tick job.
type schedulePayload struct {
	FlowID  string    `json:"flow_id"`
	Version int       `json:"version"`
	Tick    time.Time `json:"tick"`
	// After is set on the follow-up jobs of a tick over a segment: the
	// id of the last contact the previous batch looked at.
	After string `json:"after,omitempty"`
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// nextTick returns the first tick of a schedule trigger after t.
func nextTick(cn *flows.CompiledNode, fallback *time.Location, after time.Time) (time.Time, error) {
	var p nodes.ScheduleParams
	if err := cn.Decode(&p); err != nil {
		return time.Time{}, err
	}
	loc := fallback
	if p.TimeZone != "" {
		l, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			return time.Time{}, err
		}
		loc = l
	}
	sched, err := cronParser.Parse(p.Cron)
	if err != nil {
		return time.Time{}, err
	}
	return sched.Next(after.In(loc)).UTC(), nil
}

// scheduleTicks inserts the next tick job of every schedule trigger. The
// job's dedup key (flow, version, node, tick) keeps instances from queueing
// a tick twice, and the schedule_ticks row written when it fires makes each
// tick start one run even if two versions' jobs share a tick.
func (e *Engine) scheduleTicks(tx storage.Tx, cf *flows.Compiled) error {
	for _, cn := range cf.Triggers {
		if cn.Node.Type != nodes.TypeScheduleTrigger {
			continue
		}
		if err := e.insertTick(tx, cf, cn, e.clock.Now()); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) insertTick(tx storage.Tx, cf *flows.Compiled, cn *flows.CompiledNode, after time.Time) error {
	tick, err := nextTick(cn, cf.Location, after)
	if err != nil {
		return err
	}
	// The version is part of the key: a republished flow's first tick may
	// be the same instant as the old version's pending one, which must
	// not swallow it (the old job fires as a no-op).
	key := fmt.Sprintf("tick:%s:v%d:%s:%d", cf.Flow.ID, cf.Flow.Version, cn.Node.ID, tick.Unix())
	_, err = storage.InsertJob(tx, &storage.Job{NodeID: cn.Node.ID, Kind: storage.JobSchedule, DueAt: tick,
		Payload:  mustJSON(schedulePayload{FlowID: cf.Flow.ID, Version: cf.Flow.Version, Tick: tick}),
		DedupKey: &key, CreatedAt: e.clock.Now()})
	return err
}

// fireSchedule starts a run for a tick and schedules the next tick, unless
// the flow was paused or republished (a new version brings its own ticks).
func (e *Engine) fireSchedule(ctx context.Context, tx storage.Tx, j *storage.Job) error {
	var p schedulePayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return fmt.Errorf("schedule payload: %w", err)
	}
	f, err := storage.GetFlow(tx, p.FlowID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (f.Status != storage.FlowActive || f.Version != p.Version)) {
		return nil
	}
	if err != nil {
		return err
	}
	cf, err := e.compiled(tx, p.FlowID, p.Version)
	if err != nil {
		return err
	}
	cn := cf.Nodes[j.NodeID]
	if cn == nil {
		return nil
	}
	var params nodes.ScheduleParams
	if err := cn.Decode(&params); err != nil {
		return err
	}
	if p.After == "" {
		// The tick's first job: fire it once, whichever instance or
		// duplicate job gets here first.
		fresh, err := storage.ClaimScheduleTick(tx, &storage.ScheduleTick{FlowID: p.FlowID, NodeID: j.NodeID,
			Tick: p.Tick, Version: p.Version, CreatedAt: e.clock.Now()})
		if err != nil || !fresh {
			return err // fired already: its next tick was queued then
		}
	}
	if strings.TrimSpace(params.Segment) != "" {
		if err := e.startSegmentBatch(ctx, tx, cf, cn, p); err != nil {
			return err
		}
		if p.After != "" {
			return nil // a follow-up batch: the first one scheduled the next tick
		}
		return e.insertTick(tx, cf, cn, maxTime(p.Tick, e.clock.Now()))
	}
	runID, err := e.startRun(tx, startRequest{cf: cf, node: j.NodeID, trigger: map[string]any{"tick": p.Tick}})
	if err != nil {
		return err
	}
	if runID != "" {
		if err := storage.SetScheduleTickRun(tx, p.FlowID, j.NodeID, p.Tick, runID); err != nil {
			return err
		}
	}
	// Catch up without a burst: after downtime the next tick is the first
	// one after now, not every missed one.
	return e.insertTick(tx, cf, cn, maxTime(p.Tick, e.clock.Now()))
}

// startSegmentBatch looks at the next ScheduleBatch contacts of a tick
// over a segment and starts a run for each one in the segment (the flow's
// re-entry policy still applies). When there may be more contacts, it
// queues a follow-up job for the rest: each batch commits with its runs
// and its follow-up, so every (tick, contact) is considered exactly once,
// and a tick over many contacts never holds the writer for long.
func (e *Engine) startSegmentBatch(ctx context.Context, tx storage.Tx, cf *flows.Compiled, cn *flows.CompiledNode, p schedulePayload) error {
	page, err := storage.ContactsAfter(tx, p.After, e.cfg.ScheduleBatch)
	if err != nil {
		return err
	}
	contacts := make([]flows.Contact, len(page))
	refs := make([]*flows.Contact, len(page))
	for i := range page {
		contacts[i] = envContact(&page[i])
		refs[i] = &contacts[i]
	}
	if err := addActivity(tx, cf, refs...); err != nil {
		return err
	}
	trigger := map[string]any{"tick": p.Tick}
	for i := range contacts {
		env := flows.Env{Contact: contacts[i], Now: p.Tick, Vars: map[string]any{}, Trigger: trigger}
		in, err := cn.Bool(paramSegment, &env)
		if err != nil {
			// One contact whose data the condition cannot read does not
			// hold up the others.
			e.log.WarnContext(ctx, "schedule segment condition failed for a contact", "flow_id", cf.Flow.ID,
				"node_id", cn.Node.ID, "contact_id", contacts[i].ID, "error", err)
			continue
		}
		if !in {
			continue
		}
		if _, err := e.startRun(tx, startRequest{cf: cf, node: cn.Node.ID, contactID: contacts[i].ID, trigger: trigger}); err != nil {
			return err
		}
	}
	if len(page) < e.cfg.ScheduleBatch {
		return nil
	}
	next := p
	next.After = page[len(page)-1].ID
	key := fmt.Sprintf("tick:%s:%s:%d:after:%s", cf.Flow.ID, cn.Node.ID, p.Tick.Unix(), next.After)
	_, err = storage.InsertJob(tx, &storage.Job{NodeID: cn.Node.ID, Kind: storage.JobSchedule, DueAt: e.clock.Now(),
		Payload: mustJSON(next), DedupKey: &key, CreatedAt: e.clock.Now()})
	return err
}

// paramSegment is the schedule trigger's segment condition.
const paramSegment = "segment"

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Pause stops a flow from starting new runs; runs in flight go on.
func (e *Engine) Pause(ctx context.Context, flowID string) error {
	defer e.hooks.forget()
	return e.store.Write(ctx, func(tx storage.Tx) error {
		sf, err := storage.GetFlow(tx, flowID)
		if err != nil {
			return err
		}
		if sf.Status != storage.FlowActive {
			return fmt.Errorf("the journey %q is not active: %w", flowID, ErrConflict)
		}
		sf.Status, sf.UpdatedAt = storage.FlowPaused, e.clock.Now()
		return storage.SaveFlow(tx, sf)
	})
}

// DeleteFlow removes a flow and cancels its runs in flight.
func (e *Engine) DeleteFlow(ctx context.Context, flowID string) error {
	defer e.hooks.forget()
	return e.store.Write(ctx, func(tx storage.Tx) error {
		if err := storage.DeleteFlow(tx, flowID); err != nil {
			return err
		}
		ids, err := storage.ActiveRunIDs(tx, flowID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := e.cancelRun(tx, id, "The journey was deleted."); err != nil {
				return err
			}
		}
		return nil
	})
}

// Import validates a flow and stores it as the draft (creating the flow or
// replacing its draft); with publish it is published too, as a new version
// (published versions are never changed). An invalid flow is refused with
// a *flows.ProblemsError and nothing is stored. It returns the latest
// published version (0 when there is none).
func (e *Engine) Import(ctx context.Context, f *flows.Flow, publish bool) (int, error) {
	res, err := e.ImportAll(ctx, []*flows.Flow{f}, ImportOptions{Publish: publish})
	if err != nil {
		var fe *FlowProblemsError
		if errors.As(err, &fe) {
			return 0, &flows.ProblemsError{Problems: fe.Problems}
		}
		return 0, err
	}
	return res[0].Version, nil
}
