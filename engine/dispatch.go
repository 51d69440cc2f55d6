package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"sync"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// dispatcher makes the vendor calls of the jobs this instance leased to
// itself in the transaction that wrote them (runState.dispatch), once that
// transaction commits, and records each result in a group commit
// (Engine.ingest) with the other results of the moment, after the
// webhooks and events waiting then (writeLater): a run whose next step
// calls a vendor does not wait for a worker to claim its job and read the
// run back, and its result costs no transaction of its own. The job rows
// stay the durable record: after a crash their leases expire and any
// instance's workers take them over, and at Stop the calls not started
// are given back with the instance's other leases. How many calls wait
// here counts toward Config.MaxBacklog.
type dispatcher struct {
	e  *Engine
	mu sync.Mutex
	// on is set while the engine runs (between Start and Stop).
	on bool
	// calls wait for a vendor slot.
	calls []*dispatched
	// inFlight counts the calls made and not yet committed.
	inFlight  int
	callReady chan struct{}
}

// dispatched is one leased job's vendor call.
type dispatched struct {
	job storage.Job
	typ *nodes.Type
	in  *nodes.Input
	// queued is set when the call could not start at once: every vendor
	// slot was taken when it came, or while it waited behind another
	// call (takeSlot). The calls of one batch, submitted together and
	// started one after another at once, are not queued.
	queued bool
	// st, when set, is the run as the transaction that leased the job
	// saved it: its result is recorded without reading the run back.
	// SaveRun's revision check catches a run written since, and the
	// result is then recorded again from the stored run.
	st *runState
}

func newDispatcher(e *Engine) *dispatcher {
	return &dispatcher{e: e, callReady: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// running reports whether a job leased now will be called: false before
// Start and after Stop, when the workers take every job.
func (d *dispatcher) running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.on
}

// pending counts the calls this instance holds and has not committed.
func (d *dispatcher) pending() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(len(d.calls) + d.inFlight)
}

// submit queues a committed job's call.
func (d *dispatcher) submit(c *dispatched) {
	d.mu.Lock()
	c.queued = len(d.e.vendorSlots) == cap(d.e.vendorSlots)
	d.calls = append(d.calls, c)
	d.mu.Unlock()
	signal(d.callReady)
}

// start runs the loop until ctx ends; calls run with stepCtx (see
// Engine.Start). Calls still queued at the end keep their leases, which
// Stop gives back; the results of calls made are committed before Stop
// returns.
func (d *dispatcher) start(ctx, stepCtx context.Context, done *sync.WaitGroup) {
	d.mu.Lock()
	d.on = true
	d.mu.Unlock()
	done.Add(1)
	go func() {
		defer done.Done()
		var calls sync.WaitGroup
		d.callLoop(ctx, stepCtx, &calls)
		d.mu.Lock()
		d.on = false
		d.mu.Unlock()
		calls.Wait()
	}()
}

// callLoop starts queued calls, each once a vendor slot is free.
func (d *dispatcher) callLoop(ctx, stepCtx context.Context, calls *sync.WaitGroup) {
	for {
		d.mu.Lock()
		var c *dispatched
		if len(d.calls) > 0 {
			c = d.calls[0]
			d.calls[0] = nil
			d.calls = d.calls[1:]
			d.inFlight++
		}
		d.mu.Unlock()
		if c == nil {
			select {
			case <-ctx.Done():
				return
			case <-d.callReady:
				continue
			}
		}
		if ctx.Err() != nil || !d.takeSlot(stepCtx, c) {
			d.drop()
			return
		}
		if ctx.Err() != nil || !d.callable(stepCtx, c) {
			<-d.e.vendorSlots
			d.drop()
			if ctx.Err() != nil {
				return
			}
			continue
		}
		calls.Add(1)
		go func() {
			defer calls.Done()
			defer d.drop()
			res := &remoteResult{started: d.e.clock.Now()}
			res.res, res.err = d.e.callHandler(stepCtx, c.typ, c.in, true)
			<-d.e.vendorSlots
			d.complete(stepCtx, c, res)
		}()
	}
}

// takeSlot waits for a vendor slot, marking the call queued when it had
// to wait, and the calls behind it too; false once ctx ended.
func (d *dispatcher) takeSlot(ctx context.Context, c *dispatched) bool {
	select {
	case d.e.vendorSlots <- struct{}{}:
		return true
	default:
		d.mu.Lock()
		c.queued = true
		for _, behind := range d.calls {
			behind.queued = true
		}
		d.mu.Unlock()
		return d.e.takeVendorSlot(ctx)
	}
}

// callable reports whether the call is still to be made here: it can
// finish before the job's lease ends (else a worker claims the job once
// the lease is over; a call made twice is what leases prevent), and, when
// it waited in the queue, its job is still this instance's (the run was
// not cancelled, erased or ended meanwhile). A call that starts at once
// follows the commit that leased its job by moments: asking again would
// cost a read per call and close no gap that a cancellation arriving
// during the call does not leave open anyway (handleJob finds the job gone
// and records nothing).
func (d *dispatcher) callable(ctx context.Context, c *dispatched) bool {
	if c.job.LeaseUntil == nil || !d.e.clock.Now().Add(d.e.cfg.StepTimeout).Before(*c.job.LeaseUntil) {
		return false
	}
	if !c.queued {
		return true
	}
	held, err := storage.JobHeld(d.e.store.Reader().WithContext(ctx), c.job.ID, d.e.cfg.WorkerID)
	return err == nil && held
}

// drop forgets a call that was not made (its job keeps its lease), or
// one whose result was committed.
func (d *dispatcher) drop() {
	d.mu.Lock()
	d.inFlight--
	d.mu.Unlock()
}

// complete records a call's result in a group commit (again, alone, when
// its first try or its batch failed). When that fails too, the job is
// released to be retried later, with the error, as a worker's job would
// be (retryLater); a panic leaves the job its lease, and workers take it
// over once it expires.
func (d *dispatcher) complete(ctx context.Context, c *dispatched, res *remoteResult) {
	j := c.job
	var committed onCommit
	err := d.e.ingest.writeLater(ctx, func(tx storage.Tx, _ bool) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = &panicError{fmt.Sprintf("%v\n%s", r, debug.Stack())}
			}
		}()
		committed.reset()
		// The saved state serves the first try only: a try that failed
		// may have changed it. Later tries read the run.
		st := c.st
		c.st = nil
		return d.e.handleJob(ctx, tx, &j, res, &committed, st)
	})
	if err == nil {
		committed.run()
		return
	}
	if ctx.Err() != nil {
		return // stopping: the job keeps its lease until Stop gives it back
	}
	var p *panicError
	if errors.As(err, &p) {
		d.e.log.ErrorContext(ctx, "commit vendor call panic", "job_id", j.ID, "panic", p.msg)
		return
	}
	if err := d.e.retryLater(ctx, &j, err); err != nil {
		d.e.log.ErrorContext(ctx, "release job", "job_id", j.ID, "error", err)
	}
}

// panicError is a panic while recording a result.
type panicError struct{ msg string }

func (p *panicError) Error() string { return "commit panic: " + p.msg }

// dispatch writes a vendor call's job leased to this instance and, once
// the run is saved and the transaction commits, hands the call to the
// dispatcher (submitCalls). It returns
// false, writing nothing, when the job is left to the workers instead (the
// engine is not running, or nothing reports the commit).
func (s *runState) dispatch(j storage.Job) (bool, error) {
	d := s.e.dispatch
	if s.committed == nil || j.Kind != storage.JobStep || j.DueAt.After(s.env.Now) || !d.running() {
		return false, nil
	}
	var p stepPayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil || !p.Remote {
		return false, nil
	}
	cn := s.cf.Nodes[j.NodeID]
	typ, ok := s.e.reg.Lookup(cn.Node.Type, cn.Node.Version())
	if !ok {
		return false, nil
	}
	if err := s.freshContact(); err != nil {
		return false, err
	}
	until := s.e.clock.Now().Add(s.e.cfg.Lease)
	j.LeaseOwner, j.LeaseUntil = s.e.cfg.WorkerID, &until
	id, err := s.insertJob(j)
	if err != nil {
		return false, err
	}
	runID := s.run.ID
	j.ID, j.RunID = id, &runID
	// The call sees the run as it is now: a later branch of this run may
	// set variables before the transaction ends.
	env := s.env
	env.Vars = maps.Clone(s.env.Vars)
	in := s.input(cn, p.Visit, j.Attempts+1, nil)
	in.Env, in.Resume = &env, p.Resume
	s.calls = append(s.calls, &dispatched{job: j, typ: typ, in: in})
	return true, nil
}

// submitCalls hands the run's calls to the dispatcher once the transaction
// commits, unless the run ended meanwhile (its jobs are deleted with it).
func (s *runState) submitCalls() {
	calls := s.calls
	s.calls = nil
	if s.ended || len(calls) == 0 {
		return
	}
	if len(calls) == 1 && s.run.Tokens == 1 {
		// The call's job is all the run waits for: the run will be as this
		// transaction saves it until the result comes, unless something
		// else (a cancellation, an erasure, another instance) writes it,
		// which its revision tells (see dispatched.st).
		calls[0].st = s
	}
	d := s.e.dispatch
	s.committed.add(func() {
		for _, c := range calls {
			d.submit(c)
		}
	})
}
