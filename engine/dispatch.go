package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"runtime/debug"
	"sync"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// dispatcher makes the vendor calls of the jobs this instance leased to
// itself in the transaction that wrote them (runState.dispatch), once that
// transaction commits, and commits their results in batches: a run whose
// next step calls a vendor does not wait for a worker to claim its job and
// read the run back. The job rows stay the durable record: after a crash
// their leases expire and any instance's workers take them over, and at
// Stop the calls not started are given back with the instance's other
// leases. How many calls wait here counts toward Config.MaxBacklog.
type dispatcher struct {
	e  *Engine
	mu sync.Mutex
	// on is set while the engine runs (between Start and Stop).
	on bool
	// calls wait for a vendor slot; results wait to be committed.
	calls   []*dispatched
	results []*dispatched
	// inFlight counts the calls made and not yet committed.
	inFlight  int
	callReady chan struct{}
	resReady  chan struct{}
}

// dispatched is one leased job's vendor call.
type dispatched struct {
	job storage.Job
	typ *nodes.Type
	in  *nodes.Input
	res *remoteResult
}

func newDispatcher(e *Engine) *dispatcher {
	return &dispatcher{e: e, callReady: make(chan struct{}, 1), resReady: make(chan struct{}, 1)}
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
	d.calls = append(d.calls, c)
	d.mu.Unlock()
	signal(d.callReady)
}

// start runs the loops until ctx ends; calls run with stepCtx (see
// Engine.Start). Calls still queued at the end keep their leases, which
// Stop gives back.
func (d *dispatcher) start(ctx, stepCtx context.Context, done *sync.WaitGroup) {
	d.mu.Lock()
	d.on = true
	d.mu.Unlock()
	var calls sync.WaitGroup
	done.Add(2)
	go func() {
		defer done.Done()
		d.callLoop(ctx, stepCtx, &calls)
		d.mu.Lock()
		d.on = false
		d.mu.Unlock()
		calls.Wait() // their results are committed before Stop returns
		signal(d.resReady)
	}()
	go func() {
		defer done.Done()
		d.commitLoop(ctx, stepCtx)
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
		if ctx.Err() != nil || !d.e.takeVendorSlot(stepCtx) {
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
			defer func() { <-d.e.vendorSlots }()
			c.res = &remoteResult{started: d.e.clock.Now()}
			c.res.res, c.res.err = d.e.callHandler(stepCtx, c.typ, c.in, true)
			d.mu.Lock()
			d.results = append(d.results, c)
			d.mu.Unlock()
			signal(d.resReady)
		}()
	}
}

// callable reports whether the call is still to be made here: its job is
// still this instance's (the run was not cancelled, erased or ended
// meanwhile), and the call can finish before the job's lease ends (else a
// worker claims the job once the lease is over; a call made twice is what
// leases prevent).
func (d *dispatcher) callable(ctx context.Context, c *dispatched) bool {
	if c.job.LeaseUntil == nil || !d.e.clock.Now().Add(d.e.cfg.StepTimeout).Before(*c.job.LeaseUntil) {
		return false
	}
	held, err := storage.JobHeld(d.e.store.Reader().WithContext(ctx), c.job.ID, d.e.cfg.WorkerID)
	return err == nil && held
}

// drop forgets a call that was not made (its job keeps its lease).
func (d *dispatcher) drop() {
	d.mu.Lock()
	d.inFlight--
	d.mu.Unlock()
}

// commitLoop commits finished calls, as many as are ready at a time, the
// way a worker commits its batch's.
func (d *dispatcher) commitLoop(ctx, stepCtx context.Context) {
	for {
		d.mu.Lock()
		batch := d.results
		if len(batch) > d.e.cfg.BatchSize {
			batch = batch[:d.e.cfg.BatchSize]
		}
		d.results = d.results[len(batch):]
		stopped := !d.on && d.inFlight == len(batch)
		d.mu.Unlock()
		if len(batch) > 0 {
			jobs := make([]storage.Job, len(batch))
			pre := make(map[int64]*remoteResult, len(batch))
			for i, c := range batch {
				jobs[i] = c.job
				pre[c.job.ID] = c.res
			}
			if err := d.commit(stepCtx, jobs, pre); err != nil && stepCtx.Err() == nil {
				d.e.log.ErrorContext(ctx, "commit vendor calls", "error", err)
			}
			d.mu.Lock()
			d.inFlight -= len(batch)
			d.mu.Unlock()
			continue
		}
		if stopped && ctx.Err() != nil {
			return
		}
		<-d.resReady
	}
}

// commit records the calls' results; a panic fails the batch (its jobs
// keep their leases, and workers take them over once they expire).
func (d *dispatcher) commit(ctx context.Context, jobs []storage.Job, pre map[int64]*remoteResult) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("commit panic: %v\n%s", r, debug.Stack())
		}
	}()
	return d.e.commitJobs(ctx, jobs, pre)
}

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
	d := s.e.dispatch
	s.committed.add(func() {
		for _, c := range calls {
			d.submit(c)
		}
	})
}
