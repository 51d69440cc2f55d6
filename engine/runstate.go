package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// maxInlineSteps bounds how many nodes one job may run without a wait; a
// valid flow has no cycle without a wait, so this only guards bugs.
const maxInlineSteps = 1000

// runState is one run being advanced inside a transaction.
type runState struct {
	e      *Engine
	ctx    context.Context
	tx     storage.Tx
	run    *storage.Run
	cf     *flows.Compiled
	env    flows.Env
	visits map[string]int
	steps  []storage.Step
	dueNow bool // a job due now was written: the run is still running
	// dispatched is set when a vendor call of the run was handed to the
	// dispatcher: the run is still running, and no worker is woken.
	dispatched bool
	// calls are the vendor calls to hand over once the run is saved.
	calls []*dispatched
	ended bool
	// contactStale says env.Contact must be read again before a node or
	// the goal looks at it (the contact changed, or was never read).
	contactStale bool
	// committed, when set, collects the metrics and logs of what save
	// wrote, to report once the transaction commits (nil: at once).
	committed *onCommit
	// d decides what the run does next (see decider()).
	d decider
	// choices are what the tester chose happens at steps (test runs only).
	choices TestChoices
	// batchedSave saves the run with its batch's other saves
	// (storage.SaveRunBatched): the run is as this instance saved it
	// moments ago, and a conflict fails the batch, not the save.
	batchedSave bool
}

// loadRun reads a run for processing; nil when it has already ended.
func (e *Engine) loadRun(ctx context.Context, tx storage.Tx, runID string) (*runState, error) {
	run, err := storage.GetRun(tx, runID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if isFinal(run.Status) {
		return nil, nil
	}
	cf, err := e.compiled(tx, run.FlowID, run.Version)
	if err != nil {
		// The version cannot run (e.g. a node type was removed): fail the
		// run visibly instead of retrying forever.
		st := &runState{e: e, ctx: ctx, tx: tx, run: run, visits: map[string]int{}}
		st.fail(fmt.Sprintf("This journey version can no longer run: %v", err))
		return nil, st.save()
	}
	st, err := e.newRunState(ctx, tx, run, cf)
	if err != nil {
		return nil, err
	}
	st.tx = tx
	return st, nil
}

// nextTx readies a run state that an earlier transaction of this instance
// saved (and committed) for tx: the run is as it was saved (so it is saved
// with the batch's others), the contact is read again when needed, and no
// step of this transaction is recorded yet.
func (s *runState) nextTx(ctx context.Context, tx storage.Tx) {
	s.ctx, s.tx = ctx, tx
	s.env.Now = s.e.clock.Now()
	s.steps = make([]storage.Step, 0, len(s.cf.Nodes))
	s.dueNow, s.dispatched, s.calls, s.ended = false, false, nil, false
	s.batchedSave = true // the run is as this instance saved it
	s.contactStale = true
	s.committed = nil
}

func (e *Engine) newRunState(ctx context.Context, db storage.Tx, run *storage.Run, cf *flows.Compiled) (*runState, error) {
	return e.newRunStateWith(ctx, db, run, cf, nil)
}

// newRunStateWith is newRunState with the run's trigger already decoded
// (nil: decode run.Trigger).
func (e *Engine) newRunStateWith(ctx context.Context, db storage.Tx, run *storage.Run, cf *flows.Compiled, trigger map[string]any) (*runState, error) {
	st := &runState{e: e, ctx: ctx, tx: db, run: run, cf: cf, visits: map[string]int{},
		steps: make([]storage.Step, 0, len(cf.Nodes))}
	st.env.Now = e.clock.Now()
	st.env.Run = flows.RunInfo{ID: run.ID, FlowID: run.FlowID, Version: run.Version, StartedAt: run.StartedAt}
	st.env.Vars = map[string]any{}
	st.env.Trigger = map[string]any{}
	if err := unmarshalIf(run.Vars, &st.env.Vars); err != nil {
		return nil, fmt.Errorf("run %s vars: %w", run.ID, err)
	}
	if trigger != nil {
		st.env.Trigger = trigger
	} else if err := unmarshalIf(run.Trigger, &st.env.Trigger); err != nil {
		return nil, fmt.Errorf("run %s trigger: %w", run.ID, err)
	}
	if err := unmarshalIf(run.Visits, &st.visits); err != nil {
		return nil, fmt.Errorf("run %s visits: %w", run.ID, err)
	}
	if run.Event != "" {
		if err := json.Unmarshal([]byte(run.Event), &st.env.Event); err != nil {
			return nil, fmt.Errorf("run %s event: %w", run.ID, err)
		}
	}
	if run.Test {
		if err := unmarshalIf(run.TestChoices, &st.choices); err != nil {
			return nil, fmt.Errorf("run %s test choices: %w", run.ID, err)
		}
	}
	st.contactStale = true
	return st, nil
}

func unmarshalIf(s string, v any) error {
	if s == "" || s == "{}" { // most runs have no vars yet: v stays empty
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// freshContact reads the contact again if it may have changed.
func (s *runState) freshContact() error {
	if !s.contactStale {
		return nil
	}
	s.contactStale = false
	return s.loadContact()
}

// loadContact refreshes env.Contact from the store.
func (s *runState) loadContact() error {
	if s.run.ContactID == nil {
		s.env.Contact, s.env.Owner = flows.Contact{}, flows.Owner{}
		return nil
	}
	c, err := storage.GetContact(s.tx, *s.run.ContactID)
	if errors.Is(err, storage.ErrNotFound) {
		s.env.Contact, s.env.Owner = flows.Contact{}, flows.Owner{}
		return nil
	}
	if err != nil {
		return err
	}
	return s.setContact(c)
}

// setContact makes c the run's contact for the expressions.
func (s *runState) setContact(c *storage.ContactView) error {
	s.env.Contact = envContact(c)
	owner, err := envOwner(s.tx, c.OwnerID)
	if err != nil {
		return err
	}
	s.env.Owner = owner
	return addActivity(s.tx, s.cf, &s.env.Contact)
}

func envContact(c *storage.ContactView) flows.Contact {
	out := flows.Contact{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
		Score: c.Score, TimeZone: c.TimeZone, Tags: c.Tags, Lists: c.Lists, CreatedAt: c.CreatedAt,
		Fields: map[string]any{}, Consent: map[string]bool{},
	}
	if c.Email != nil {
		out.Email = *c.Email
	}
	if c.Phone != nil {
		out.Phone = *c.Phone
	}
	if c.ExternalID != nil {
		out.ExternalID = *c.ExternalID
	}
	_ = unmarshalIf(c.Fields, &out.Fields)
	_ = unmarshalIf(c.Consent, &out.Consent)
	return out
}

// input builds a handler's Input for node cn.
func (s *runState) input(cn *flows.CompiledNode, visit, attempt int, contacts nodes.Contacts) *nodes.Input {
	return &nodes.Input{
		Node:     cn,
		Env:      &s.env,
		RunID:    s.run.ID,
		Visit:    visit,
		Attempt:  attempt,
		Key:      fmt.Sprintf("%s:%s:%d", s.run.ID, cn.Node.ID, visit),
		Location: s.cf.Location,
		Contacts: contacts,
		Channels: s.e.cfg.Channels,
		Settings: &s.cf.Flow.Settings,
		// EmailChecker serves contact.verify_email.
		EmailChecker: s.e.cfg.EmailChecker,
	}
}

type pending struct {
	node    string
	attempt int
	visit   int
	pre     *remoteResult
	// resume is set when the node runs again after a Reenter wait.
	resume *nodes.Resume
}

// execute runs node and then whatever follows it, until the run waits,
// ends, or reaches a node that must run outside the transaction.
func (s *runState) execute(node string, attempt, visit int, pre *remoteResult, resume *nodes.Resume) error {
	return s.drain([]pending{{node: node, attempt: attempt, visit: visit, pre: pre, resume: resume}})
}

// applyAndDrain performs a plan made outside a step (a wait that ended)
// and runs what it leads to.
func (s *runState) applyAndDrain(pl plan) error {
	next, err := s.apply(pl, nil)
	if err != nil {
		return err
	}
	return s.drain(next)
}

func (s *runState) drain(q []pending) error {
	for steps := 0; len(q) > 0 && !s.ended; steps++ {
		if steps > maxInlineSteps {
			s.fail("The journey ran more than 1000 steps without waiting; it was stopped.")
			return nil
		}
		p := q[0]
		q = q[1:]
		next, err := s.step(p)
		if err != nil {
			return err
		}
		q = append(q, next...)
	}
	return nil
}

// saveRemoteContact saves the contact a remote step asks for (see
// nodes.Result.SaveContact) and makes it the run's contact.
func saveRemoteContact(ctx context.Context, contacts *txContacts, key string, res nodes.Result) (nodes.Result, error) {
	ref, err := contacts.Upsert(ctx, key, *res.SaveContact)
	if err != nil {
		return res, fmt.Errorf("save the contact: %w", err)
	}
	res.ContactID = ref.ID
	if res.Output != nil {
		res.Output["builtin_contact_id"] = ref.ID
	}
	return res, nil
}

// setContactFields keeps a step's nodes.Result.ContactFields on the run's
// contact (the one the step made the run's, if it did). Without a contact,
// or when the contact was erased meanwhile, there is nothing to keep them on.
func (s *runState) setContactFields(contacts *txContacts, res nodes.Result) error {
	if len(res.ContactFields) == 0 {
		return nil
	}
	id := res.ContactID
	if id == "" && s.run.ContactID != nil {
		id = *s.run.ContactID
	}
	if id == "" {
		return nil
	}
	err := contacts.SetFields(id, res.ContactFields)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil && !nodes.IsPermanent(err) {
		err = fmt.Errorf("keep the step's result on the contact: %w", err)
	}
	return err
}

// step runs one node and returns the nodes to run next: a decision when
// the run reaches the node, the node's handler, a decision on its result,
// and apply performing each decision.
func (s *runState) step(p pending) ([]pending, error) {
	if err := s.freshContact(); err != nil {
		return nil, err
	}
	d := s.decider()
	pl, visit, run := d.reach(s.facts(), p)
	if !run {
		return s.apply(pl, nil)
	}
	r, contacts, err := s.runNode(p, visit)
	if err != nil {
		return nil, err
	}
	r.newVisit = p.visit == 0
	if r.err != nil {
		contacts = nil // a failed step writes nothing
	}
	return s.apply(d.afterStep(s.facts(), r), contacts)
}

// decider returns the run's decider (made once: its method values
// allocate).
func (s *runState) decider() *decider {
	if s.d.cf == nil {
		s.d = decider{cf: s.cf, lookup: s.e.reg.Lookup, maxAttempts: s.e.cfg.MaxAttempts, retryAt: s.e.backoff}
	}
	return &s.d
}

func (s *runState) facts() runFacts {
	return runFacts{env: &s.env, visits: s.visits, hasContact: s.run.ContactID != nil}
}

// runNode runs p's node as visit: its handler, or the result of its
// vendor call made before the transaction (p.pre), with the contact
// changes either asks for, and a tester's choice. The changes are
// recorded, not written (r.writes, see txContacts). The error is the
// store's: the step's own failure is in the result.
func (s *runState) runNode(p pending, visit int) (stepResult, *txContacts, error) {
	cn := s.cf.Nodes[p.node]
	typ, _ := s.e.reg.Lookup(cn.Node.Type, cn.Node.Version())
	r := stepResult{node: cn, visit: visit, attempt: p.attempt, resume: p.resume, remote: typ.RemoteFor(cn),
		started: s.e.clock.Now()}
	var contacts *txContacts
	var res nodes.Result
	var err error
	if p.pre != nil {
		res, err, r.started = p.pre.res, p.pre.err, p.pre.started
		if err == nil && (res.SaveContact != nil || len(res.ContactFields) > 0) {
			contacts = s.stepContacts(p)
			if res.SaveContact != nil {
				res, err = saveRemoteContact(s.ctx, contacts, s.input(cn, visit, p.attempt, contacts).Key, res)
			}
			if err == nil {
				err = s.setContactFields(contacts, res)
			}
		}
	} else {
		contacts = s.stepContacts(p)
		in := s.input(cn, visit, p.attempt, contacts)
		if b, ok := in.Channels.(ChannelsBinder); ok {
			in.Channels = b.Bind(s.tx, contacts.newVisit, func(what string, do func(storage.Tx) error) {
				contacts.change(write{kind: writeOther, what: what, do: do}, false)
			})
		}
		in.Resume = p.resume
		res, err = s.e.callHandler(s.ctx, typ, in, false)
		if err == nil {
			err = s.setContactFields(contacts, res)
		}
	}
	if err != nil && contacts != nil {
		// The step failed: it writes nothing, even when a tester's choice
		// then sends it down a path.
		contacts.drop()
	}
	if c, ok := s.choices[cn.Node.ID]; ok {
		res, r.simulated, err = s.choose(cn, c, res, err)
	}
	r.res, r.err = res, err
	if err == nil {
		r.output = s.stepOutput(res)
		if contacts != nil {
			r.writes = contacts.writes
		}
	}
	return r, contacts, nil
}

// stepContacts is the contact store for p's step.
func (s *runState) stepContacts(p pending) *txContacts {
	c := &txContacts{tx: s.tx, now: s.env.Now, test: s.run.Test, newVisit: p.visit == 0}
	if id := s.env.Contact.ID; id != "" && s.run.ContactID != nil && *s.run.ContactID == id {
		c.known = &s.env.Contact
	}
	return c
}

// apply performs a plan: the only place a decision changes the run and
// writes its jobs and waits, and a step's writes. contacts tell how the
// step the plan follows changed the contact (nil when no node ran, or the
// step failed). It returns the nodes to run next.
func (s *runState) apply(pl plan, contacts *txContacts) ([]pending, error) {
	if v := pl.visit; v.n != 0 {
		s.visits[v.node] = v.n
	}
	for i := range pl.writes {
		if err := pl.writes[i].apply(s.tx, s.env.Now); err != nil {
			return nil, err
		}
	}
	if err := s.applyContact(pl, contacts); err != nil {
		return nil, err
	}
	for k, v := range pl.vars {
		s.env.Vars[k] = v
	}
	if pl.step.NodeID != "" {
		s.record(pl.step)
	}
	if j := pl.job; j.Kind != "" {
		dispatched, err := s.dispatch(j)
		if err == nil && !dispatched {
			err = s.addJob(j)
		}
		if err != nil {
			return nil, err
		}
	}
	if w := pl.wait; w != nil {
		jobID, err := s.insertJob(w.timeout)
		if err != nil {
			return nil, err
		}
		for _, wt := range w.waits {
			wt.RunID, wt.ContactID, wt.TimeoutJobID, wt.CreatedAt = s.run.ID, *s.run.ContactID, jobID, s.env.Now
			if err := storage.InsertWait(s.tx, &wt); err != nil {
				return nil, err
			}
		}
	}
	if e := pl.end; e != nil {
		switch e.status {
		case storage.RunFailed:
			s.fail(e.error)
		default:
			s.exit(e.outcome, e.reason)
		}
		return nil, nil
	}
	return pl.next, nil
}

// applyContact makes the plan's contact the run's, and keeps what the
// expressions of later steps see of the contact current.
func (s *runState) applyContact(pl plan, contacts *txContacts) error {
	if id := pl.contactID; id != "" {
		created := contacts != nil && contacts.inserted != nil && contacts.inserted.ID == id
		if !s.run.Test && !created && (s.run.ContactID == nil || *s.run.ContactID != id) {
			// The run is credited with the contact's deals since it
			// started, and no longer with those of its former contact
			// (a contact the step just created has none).
			for _, c := range []*string{&id, s.run.ContactID} {
				if c != nil {
					if err := storage.MarkContactDeals(s.tx, *c, s.run.StartedAt); err != nil {
						return err
					}
				}
			}
		}
		s.run.ContactID = &id
	}
	if pl.contactID != "" || (contacts != nil && (contacts.changed || contacts.dealCreated && s.cf.UsesActivity())) {
		s.contactStale = true
	}
	if s.contactStale && contacts != nil && contacts.inserted != nil && !contacts.dealCreated &&
		s.run.ContactID != nil && *s.run.ContactID == contacts.inserted.ID {
		// The step created the run's contact: it is known as written, with
		// no tags or lists yet.
		if err := s.setContact(&storage.ContactView{Contact: *contacts.inserted, Tags: []string{}, Lists: []string{}}); err != nil {
			return err
		}
		s.contactStale = false
	}
	return nil
}

// reenterPort marks the jobs and waits of a Reenter wait: when they end,
// the node runs again instead of following a port. No node declares a
// port by this name ("@" is not allowed in port names).
const reenterPort = "@reenter"

// addJob writes a job of this run; each job is one outstanding token.
func (s *runState) addJob(j storage.Job) error {
	_, err := s.insertJob(j)
	return err
}

func (s *runState) insertJob(j storage.Job) (int64, error) {
	id := s.run.ID
	j.RunID = &id
	j.CreatedAt = s.env.Now
	j.DueAt = j.DueAt.UTC()
	if _, err := storage.InsertJob(s.tx, &j); err != nil {
		return 0, err
	}
	s.run.Tokens++
	if !j.DueAt.After(s.env.Now) {
		if j.LeaseOwner == "" {
			s.dueNow = true
		} else {
			s.dispatched = true
		}
	}
	return j.ID, nil
}

func (s *runState) record(step storage.Step) {
	step.RunID = s.run.ID
	if step.NodeType == "" {
		if cn := s.cf.Nodes[step.NodeID]; cn != nil {
			step.NodeType = cn.Node.Type
		}
	}
	if step.StartedAt.IsZero() {
		step.StartedAt = s.env.Now
	}
	step.FinishedAt = s.e.clock.Now()
	s.steps = append(s.steps, step)
}

func (s *runState) exit(outcome, reason string) {
	if outcome == "" {
		outcome = nodes.OutcomeExited
	}
	s.end(storage.RunCompleted)
	s.run.Outcome = outcome
	if reason != "" && outcome != nodes.OutcomeConverted {
		s.run.Error = ""
	}
}

func (s *runState) fail(msg string) {
	s.end(storage.RunFailed)
	s.run.Error = msg
}

func (s *runState) end(status string) {
	s.ended = true
	s.run.Status = status
	now := s.e.clock.Now()
	s.run.EndedAt = &now
}

// save writes the steps and the run, ending it when nothing is left.
func (s *runState) save() error { return s.write(false) }

// saveNew is save for a run not yet in the store (runInline).
func (s *runState) saveNew() error { return s.write(true) }

func (s *runState) write(isNew bool) error {
	if s.ended {
		// A new run has no jobs or waits but those it counts as tokens.
		if !isNew || s.run.Tokens > 0 {
			if err := storage.DeleteRunWork(s.tx, s.run.ID); err != nil {
				return err
			}
		}
		s.run.Tokens = 0
	} else if s.run.Tokens <= 0 {
		s.run.Tokens = 0
		s.end(storage.RunCompleted)
	} else if s.dueNow || s.dispatched {
		s.run.Status = storage.RunRunning
	} else {
		s.run.Status = storage.RunWaiting
	}
	s.run.Vars = mustJSON(s.env.Vars)
	s.run.Visits = mustJSON(s.visits)
	s.run.UpdatedAt = s.e.clock.Now()
	if err := storage.InsertSteps(s.tx, s.steps); err != nil {
		return err
	}
	saved := s.steps
	s.steps = nil
	saveRun := storage.SaveRun
	if isNew {
		saveRun = storage.InsertRun
	} else if s.batchedSave {
		saveRun = storage.SaveRunBatched
	}
	if err := saveRun(s.tx, s.run); err != nil {
		return err
	}
	s.committed.add(func() { s.observeSaved(saved) })
	s.submitCalls()
	return nil
}

// stepOutput is the JSON a step records. A trigger's output is the run's
// trigger payload, stored once with the run: the step records a reference
// (a webhook body of up to 1 MiB is not written twice).
func (s *runState) stepOutput(res nodes.Result) string {
	if res.OutputIsTrigger && s.run.Trigger != "" {
		return storage.StepOutputIsTrigger
	}
	return mustJSON(res.Output)
}
