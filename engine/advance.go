package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// This file decides what a run does next, from data alone: the functions
// here read no storage and no clock and call no handler. runState.step
// runs a node's handler between two decisions, and runState.apply
// performs the plans (see runstate.go); the golden traces in
// testdata/traces check the decisions without a database.

// plan is what a run does after reaching a node or finishing a step.
// A plan holds at most one step and one job (values, not slices: a plan
// is made for every step, and allocations there cost the engine's speed).
type plan struct {
	// visit is the node's visit this plan counts (n == 0: none).
	visit nodeVisit
	// contactID is the run's contact from now on ("": unchanged).
	contactID string
	// vars are run variables the step set.
	vars map[string]any
	// writes are the step's changes to the store, performed in order
	// before the step is recorded (none when it failed).
	writes []write
	// step is recorded when step.NodeID is set; apply stamps its times.
	step storage.Step
	// next are the nodes to run now, in this transaction.
	next []pending
	// job is a job of this run to write, when job.Kind is set: one
	// outstanding token.
	job storage.Job
	// wait opens an event wait (its timeout job is one token).
	wait *eventWait
	// end ends the run.
	end *runEnd
}

type nodeVisit struct {
	node string
	n    int
}

// eventWait is a wait for a contact's event: one timeout job, and one
// wait row per event type sharing it (the first event takes them all,
// storage.TakeWaitGroup).
type eventWait struct {
	timeout storage.Job
	waits   []storage.Wait
}

// runEnd is how a run ends.
type runEnd struct {
	status  string // storage.RunCompleted or storage.RunFailed
	outcome string // for completed runs
	reason  string // an exit's reason; it clears the run's error unless converted
	error   string // for failed runs
}

// decider holds what decisions depend on besides the run: the compiled
// flow, the node types, and the engine's retry policy.
type decider struct {
	cf          *flows.Compiled
	lookup      func(typ string, version int) (*nodes.Type, bool)
	maxAttempts int
	// retryAt is when attempt n+1 may run after a failure (with the
	// vendor's Retry-After, if it gave one).
	retryAt func(attempt int, retryAfter time.Duration) time.Time
}

// runFacts is what decisions read about the run.
type runFacts struct {
	env        *flows.Env     // for the goal; env.Now is the step's time
	visits     map[string]int // visits so far per node
	hasContact bool
}

// stepResult is what running a node gave.
type stepResult struct {
	node     *flows.CompiledNode
	visit    int
	newVisit bool // the visit was counted when the node was reached
	attempt  int
	started  time.Time
	res      nodes.Result
	err      error
	resume   *nodes.Resume // what the node ran with, kept for its retry
	remote   bool          // the node type calls a vendor
	// simulated is an event a tester chose to happen during the wait.
	simulated *flows.Event
	// output is the JSON the step records (see runState.stepOutput).
	output string
	// writes are the changes the step asked for (see txContacts).
	writes []write
}

func failPlan(msg string) plan {
	return plan{end: &runEnd{status: storage.RunFailed, error: msg}}
}

// reach decides what happens when the run reaches p.node: run it (run is
// true, and visit is the visit it runs as), or what the plan says instead
// (the node is gone, the goal is reached, the type is unknown, or the
// node calls a vendor and gets a job of its own).
func (d *decider) reach(f runFacts, p pending) (pl plan, visit int, run bool) {
	cn := d.cf.Nodes[p.node]
	if cn == nil {
		return failPlan(fmt.Sprintf("The step %q no longer exists in this journey version.", p.node)), 0, false
	}
	if reached, err := d.cf.Goal(f.env); err == nil && reached && !cn.Spec.Trigger {
		return plan{end: &runEnd{status: storage.RunCompleted, outcome: nodes.OutcomeConverted,
			reason: "The journey's goal was reached."}}, 0, false
	}
	typ, ok := d.lookup(cn.Node.Type, cn.Node.Version())
	if !ok {
		return failPlan(fmt.Sprintf("The step %q uses an unknown node type %q.", cn.Node.ID, cn.Node.Type)), 0, false
	}
	visit = p.visit
	if visit == 0 {
		visit = f.visits[cn.Node.ID] + 1
		pl.visit = nodeVisit{node: cn.Node.ID, n: visit}
	}
	if typ.RemoteFor(cn) && p.pre == nil {
		// Network I/O never runs inside the transaction: hand it to the
		// next batch, which calls it first.
		pl.job = storage.Job{Kind: storage.JobStep, NodeID: cn.Node.ID,
			Payload: mustJSON(stepPayload{Visit: visit, Resume: p.resume, Remote: true}), DueAt: f.env.Now, Attempts: p.attempt - 1}
		return pl, visit, false
	}
	return pl, visit, true
}

// afterStep decides what follows a step's result.
func (d *decider) afterStep(f runFacts, r stepResult) plan {
	cn := r.node
	var pl plan
	if r.newVisit {
		pl.visit = nodeVisit{node: cn.Node.ID, n: r.visit}
	}
	step := storage.Step{NodeID: cn.Node.ID, NodeType: cn.Node.Type, Visit: r.visit, Attempt: r.attempt,
		StartedAt: r.started, Input: string(cn.Node.Params)}
	if r.err != nil {
		d.stepFailed(&pl, cn, step, r)
		return pl
	}
	res := r.res
	pl.writes = r.writes
	pl.contactID = res.ContactID
	pl.vars = res.Vars
	step.Output = r.output
	switch {
	case res.Exit != nil:
		step.Status = "completed"
		pl.step = step
		outcome := res.Exit.Outcome
		if outcome == "" {
			outcome = nodes.OutcomeExited
		}
		pl.end = &runEnd{status: storage.RunCompleted, outcome: outcome, reason: res.Exit.Reason}
		return pl
	case res.Wait != nil:
		step.Status = "waiting"
		if res.Wait.Event == "" {
			// A delay leaves through its port; an event wait's port is
			// known only when it ends (resumed, or timedOut).
			step.Port = res.Wait.Port
		}
		pl.step = step
		d.wait(&pl, f.hasContact || res.ContactID != "", cn, r.visit, res.Wait, r.simulated)
		return pl
	}
	port := res.Port
	if port == "" {
		port = flows.DefaultPort
	}
	step.Status = "completed"
	step.Port = port
	pl.step = step
	pl.next = nextOf(cn, port)
	return pl
}

func nextOf(cn *flows.CompiledNode, port string) []pending {
	var next []pending
	for _, n := range cn.Next[port] {
		next = append(next, pending{node: n, attempt: 1})
	}
	return next
}

// stepFailed plans a retry, or the node's "failed" port, or the run's
// failure, recording the error where the run detail shows it.
func (d *decider) stepFailed(pl *plan, cn *flows.CompiledNode, step storage.Step, r stepResult) {
	err := r.err
	step.Error = err.Error()
	var ra *nodes.RetryAfterError
	retryAfter := time.Duration(0)
	if errors.As(err, &ra) {
		retryAfter = ra.After
	}
	if !nodes.IsPermanent(err) && step.Attempt < d.maxAttempts {
		step.Status = "retrying"
		pl.step = step
		pl.job = storage.Job{Kind: storage.JobStep, NodeID: cn.Node.ID,
			Payload:  mustJSON(stepPayload{Visit: step.Visit, Resume: r.resume, Remote: r.remote}),
			Attempts: step.Attempt, DueAt: d.retryAt(step.Attempt, retryAfter), LastError: err.Error()}
		return
	}
	step.Status = "failed"
	if targets := cn.Next["failed"]; len(targets) > 0 {
		step.Port = "failed"
		pl.step = step
		pl.next = nextOf(cn, "failed")
		return
	}
	pl.step = step
	pl.end = &runEnd{status: storage.RunFailed, error: fmt.Sprintf("The step %q failed: %v", nodeName(cn), err)}
}

// wait plans the pause of this branch of the run at cn. A simulated event
// (a test's choice) ends the wait at once through the event's path.
func (d *decider) wait(pl *plan, hasContact bool, cn *flows.CompiledNode, visit int, w *nodes.Wait, simulated *flows.Event) {
	port := w.Port
	if port == "" {
		port = flows.DefaultPort
	}
	payload := ""
	if w.Reenter {
		// The node runs again (same visit, so the same idempotency key)
		// with its state, instead of following a port.
		port = reenterPort
		payload = mustJSON(resumePayload{Visit: visit, State: w.State})
	}
	if w.Event == "" {
		pl.job = storage.Job{Kind: storage.JobResume, NodeID: cn.Node.ID, Port: port, DueAt: w.Until, Payload: payload}
		return
	}
	if simulated != nil && !w.Reenter {
		pl.job = simulatedResume(cn.Node.ID, w, simulated)
		return
	}
	if !hasContact {
		pl.end = &runEnd{status: storage.RunFailed,
			error: fmt.Sprintf("The step %q waits for an event of a contact, but the run has no contact yet.", cn.Node.ID)}
		return
	}
	eventPort := w.EventPort
	if eventPort == "" {
		eventPort = "event"
	}
	if w.Reenter {
		eventPort = reenterPort
	}
	ew := &eventWait{timeout: storage.Job{Kind: storage.JobTimeout, NodeID: cn.Node.ID, Port: port, DueAt: w.Until, Payload: payload}}
	for _, typ := range append([]string{w.Event}, w.Events...) {
		ew.waits = append(ew.waits, storage.Wait{NodeID: cn.Node.ID, Visit: visit, EventType: typ,
			ExpiresAt: w.Until, EventPort: eventPort, MatchParam: w.MatchParam})
	}
	pl.wait = ew
}

// resumed decides what follows when a wait at node ends through port:
// ev is the awaited event that arrived, nil for a delay that is over.
// Only the event's type, id and time are recorded: run history outlives
// an erased contact, and event data may name them.
func (d *decider) resumed(node, port string, ev *flows.Event) plan {
	var pl plan
	if ev != nil {
		pl.step = storage.Step{NodeID: node, Status: "completed", Port: port, Output: mustJSON(map[string]any{
			"message": fmt.Sprintf("The awaited event %s arrived at %s.", ev.Type, ev.At.UTC().Format(time.RFC3339)),
			"event":   map[string]any{"id": ev.ID, "type": ev.Type, "at": ev.At.UTC()},
		})}
	}
	if cn := d.cf.Nodes[node]; cn != nil {
		pl.next = nextOf(cn, port)
	}
	return pl
}

// timedOut decides what follows when no awaited event arrived at node in
// time: the wait's timeout port.
func (d *decider) timedOut(node, port string) plan {
	pl := plan{step: storage.Step{NodeID: node, Status: "timed_out", Port: port,
		Output: mustJSON(map[string]any{"message": "No matching event arrived in time."})}}
	if cn := d.cf.Nodes[node]; cn != nil {
		pl.next = nextOf(cn, port)
	}
	return pl
}
