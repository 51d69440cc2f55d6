package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// stepPayload is the payload of a step job: which visit of the node it
// continues, so a retry keeps the idempotency key of the first try.
type stepPayload struct {
	Visit int `json:"visit,omitempty"`
	// Resume is set when a Reenter wait ended: the node runs again.
	Resume *nodes.Resume `json:"resume,omitempty"`
	// Remote marks a node that does network I/O: its handler runs before
	// the batch transaction opens (runRemote). Other jobs cost that pass
	// nothing, not even a read.
	Remote bool `json:"remote,omitempty"`
}

// resumePayload carries the event that ended an event wait, and for a
// Reenter wait the visit and the node's state.
type resumePayload struct {
	Event *flows.Event    `json:"event,omitempty"`
	Visit int             `json:"visit,omitempty"`
	State json.RawMessage `json:"state,omitempty"`
}

// RunOnce claims one batch of due jobs and processes it. It returns how
// many jobs it claimed.
func (e *Engine) RunOnce(ctx context.Context) (int, error) {
	now := e.clock.Now()
	var jobs []storage.Job
	err := e.workerWrite(ctx, func(tx storage.Tx) error {
		var err error
		jobs, err = storage.ClaimJobs(tx, e.cfg.WorkerID, now, now.Add(e.cfg.Lease), e.cfg.BatchSize)
		return err
	})
	if err != nil {
		return 0, err
	}
	e.backlog.claimed(len(jobs), len(jobs) == e.cfg.BatchSize)
	if len(jobs) == 0 {
		return 0, nil
	}
	pre := e.runRemote(ctx, jobs)
	return len(jobs), e.commitJobs(ctx, jobs, pre)
}

// workerWrite runs one of a worker's transactions (claims, the jobs of a
// batch, releases) unless ctx, the steps' context, has ended: then a
// vendor call it cut short must not be recorded, and the job runs again.
// Once begun, the transaction is not watched for ctx's end: on SQLite
// database/sql watches a context that can end with a goroutine for each
// transaction and each query, a measurable share of what a fired delay
// costs (see the README's Benchmarks), and a worker's transactions are
// short.
func (e *Engine) workerWrite(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.store.Write(context.WithoutCancel(ctx), fn)
}

// commitJobs processes leased jobs (with the results of their vendor
// calls, pre) in short transactions: the single SQLite writer is shared
// with webhook and event ingestion, which must not queue behind a long
// batch. A job that returns an error (a database error: a step's own
// failure is recorded, and a failed step has written nothing) rolls its
// chunk back; the jobs before it run again without it, and it runs alone
// (bad), so that one bad job does not hold up the others.
func (e *Engine) commitJobs(ctx context.Context, jobs []storage.Job, pre map[int64]*remoteResult) error {
	bad := -1
	for start := 0; start < len(jobs); {
		if start == bad {
			if err := e.processAlone(ctx, &jobs[start], pre[jobs[start].ID]); err != nil {
				e.releaseAll(ctx, jobs[start:], err)
				return fmt.Errorf("process batch: %w", err)
			}
			start++
			continue
		}
		limit := len(jobs)
		if bad > start {
			limit = bad
		}
		end, err := e.processChunk(ctx, jobs, start, limit, pre)
		if err != nil && end >= limit {
			// Every job ran and the commit failed: no job is to blame.
			e.releaseAll(ctx, jobs[start:], err)
			return fmt.Errorf("process batch: %w", err)
		}
		if err != nil {
			bad = end
			continue
		}
		start = end
	}
	return nil
}

func (e *Engine) releaseAll(ctx context.Context, jobs []storage.Job, cause error) {
	due := e.clock.Now().Add(e.cfg.RetryBase)
	_ = e.workerWrite(ctx, func(tx storage.Tx) error {
		for _, j := range jobs {
			if err := storage.ReleaseJob(tx, j.ID, e.cfg.WorkerID, j.Attempts, due, cause.Error()); err != nil {
				return err
			}
		}
		return nil
	})
}

// processChunk processes jobs from start (up to limit) in one transaction
// until the chunk's time budget is spent, and returns where it stopped:
// after an error, at the job that returned it (the chunk rolled back).
func (e *Engine) processChunk(ctx context.Context, jobs []storage.Job, start, limit int, pre map[int64]*remoteResult) (int, error) {
	txStart := time.Now()
	end := start
	var committed onCommit // the chunk's metrics and logs
	err := e.workerWrite(ctx, func(tx storage.Tx) error {
		end = start
		committed.reset()
		for end < limit {
			if err := e.handleJob(ctx, tx, &jobs[end], pre[jobs[end].ID], &committed, nil); err != nil {
				return err
			}
			end++
			// Past its time budget the chunk commits as soon as another
			// writer (webhooks, events, the API) waits; alone, it runs on
			// to the end of the batch, saving commits.
			if time.Since(txStart) >= e.cfg.MaxTxDuration && e.store.WritersWaiting() {
				break
			}
		}
		return nil
	})
	if err == nil {
		committed.run()
	}
	return end, err
}

// processAlone handles a job that failed its chunk, in a transaction of
// its own. When it fails again, it is released to be retried later, with
// the error; the error returned is the database's only.
func (e *Engine) processAlone(ctx context.Context, j *storage.Job, pre *remoteResult) error {
	var committed onCommit
	err := e.workerWrite(ctx, func(tx storage.Tx) error {
		committed.reset()
		return e.handleJob(ctx, tx, j, pre, &committed, nil)
	})
	if err == nil {
		committed.run()
		return nil
	}
	return e.retryLater(ctx, j, err)
}

// retryLater gives back a job whose transaction failed (a database error:
// a step's own failure is recorded), to run again after a backoff, with
// the error.
func (e *Engine) retryLater(ctx context.Context, j *storage.Job, err error) error {
	e.log.ErrorContext(ctx, "job failed, will retry", "job_id", j.ID, "kind", j.Kind, logNodeID, j.NodeID, logRunID, orNone(j.RunID), "error", err)
	return e.workerWrite(ctx, func(tx storage.Tx) error {
		return storage.ReleaseJob(tx, j.ID, e.cfg.WorkerID, j.Attempts+1, e.backoff(j.Attempts+1, 0), err.Error())
	})
}

// handleJob runs a leased job in tx. saved, when set, is the job's run as
// this instance last saved it (see dispatched.st); else the run is read.
func (e *Engine) handleJob(ctx context.Context, tx storage.Tx, j *storage.Job, pre *remoteResult, committed *onCommit, saved *runState) error {
	// A timeout races with the event it waits for: the one that takes
	// the wait row wins. Take it before the job so both paths lock in
	// the same order (wait, then job).
	var wait *storage.Wait
	if j.Kind == storage.JobTimeout {
		w, err := storage.WaitByTimeoutJob(tx, j.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if w != nil {
			ok, err := storage.TakeWaitGroup(tx, w)
			if err != nil {
				return err
			}
			if ok {
				wait = w
			}
		}
		if wait == nil {
			// The event won and turned this job into a resume job; give it
			// back so that it runs as such.
			return storage.ReleaseJob(tx, j.ID, e.cfg.WorkerID, j.Attempts, e.clock.Now(), "")
		}
	}
	if saved != nil {
		// Its call's result, moments after this instance leased it: the
		// delete waits for the batch's others, and a lease lost since
		// fails the batch, whose requests then run again alone.
		if err := storage.DeleteJobBatched(tx, j.ID, e.cfg.WorkerID); err != nil {
			return err
		}
	} else if owned, err := storage.DeleteJob(tx, j.ID, e.cfg.WorkerID); err != nil || !owned {
		return err // a lost lease: another worker has the job now
	}
	switch j.Kind {
	case storage.JobSchedule:
		return e.fireSchedule(ctx, tx, j)
	case storage.JobAbsence:
		return e.fireAbsence(ctx, tx, j)
	}
	if j.RunID == nil {
		return nil
	}
	st := saved
	var err error
	if st != nil {
		st.nextTx(ctx, tx)
	} else if st, err = e.loadRun(ctx, tx, *j.RunID); err != nil || st == nil {
		return err
	}
	st.committed = committed
	st.run.Tokens-- // this job was one of the run's outstanding tokens
	switch j.Kind {
	case storage.JobStep:
		var p stepPayload
		_ = json.Unmarshal([]byte(j.Payload), &p)
		err = st.execute(j.NodeID, j.Attempts+1, p.Visit, pre, p.Resume)
	case storage.JobResume:
		var p resumePayload
		_ = json.Unmarshal([]byte(j.Payload), &p)
		if j.Port == reenterPort {
			err = st.execute(j.NodeID, 1, p.Visit, nil, &nodes.Resume{Event: p.Event, State: p.State})
			break
		}
		if p.Event != nil {
			st.env.Event = *p.Event
		}
		err = st.applyAndDrain(st.decider().resumed(j.NodeID, j.Port, p.Event))
	case storage.JobTimeout:
		if j.Port == reenterPort {
			var p resumePayload
			_ = json.Unmarshal([]byte(j.Payload), &p)
			err = st.execute(j.NodeID, 1, p.Visit, nil, &nodes.Resume{TimedOut: true, State: p.State})
			break
		}
		err = st.applyAndDrain(st.decider().timedOut(j.NodeID, j.Port))
	default:
		err = fmt.Errorf("unknown job kind %q", j.Kind)
	}
	if err != nil {
		return err
	}
	return st.save()
}

// backoff returns when attempt n+1 may run: exponential from RetryBase,
// capped at RetryMax, with ±20% jitter, and never before a vendor's
// Retry-After.
func (e *Engine) backoff(attempt int, retryAfter time.Duration) time.Time {
	d := e.cfg.RetryBase << min(attempt-1, 20)
	if d <= 0 || d > e.cfg.RetryMax {
		d = e.cfg.RetryMax
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	if retryAfter > d {
		d = retryAfter
	}
	return e.clock.Now().Add(d)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

// remoteResult is the outcome of a Remote node's handler, run before the
// batch transaction opens (no transaction is held across network I/O).
type remoteResult struct {
	res     nodes.Result
	err     error
	started time.Time
}

// runRemote runs the handlers of jobs whose node type does network I/O.
// What the calls need is read first, one job after another; then the
// calls run side by side, each on its own input, with at most
// Config.VendorConcurrency of this instance's calls in flight (the slots
// are shared by its workers). The results are keyed by job, and the
// transactions that record them do not depend on their order. Once ctx
// ends, calls not started yet are not made: their jobs go back to the
// queue unchanged (handleJob finds no result and schedules the call
// again).
func (e *Engine) runRemote(ctx context.Context, jobs []storage.Job) map[int64]*remoteResult {
	type call struct {
		job *storage.Job
		typ *nodes.Type
		in  *nodes.Input
		res *remoteResult
	}
	var calls []call
	for i := range jobs {
		j := &jobs[i]
		if j.Kind != storage.JobStep || j.RunID == nil {
			continue
		}
		var p stepPayload
		if json.Unmarshal([]byte(j.Payload), &p) != nil || !p.Remote {
			continue
		}
		run, err := storage.GetRun(e.store.Reader(), *j.RunID)
		if err != nil || isFinal(run.Status) {
			continue
		}
		cf, err := e.compiled(e.store.Reader(), run.FlowID, run.Version)
		if err != nil {
			continue
		}
		cn := cf.Nodes[j.NodeID]
		if cn == nil {
			continue
		}
		typ, ok := e.reg.Lookup(cn.Node.Type, cn.Node.Version())
		if !ok || !typ.RemoteFor(cn) {
			continue
		}
		st, err := e.newRunState(ctx, e.store.Reader(), run, cf)
		if err != nil || st.freshContact() != nil {
			continue
		}
		visit := p.Visit
		if visit == 0 {
			visit = st.visits[j.NodeID] + 1
		}
		in := st.input(cn, visit, j.Attempts+1, nil)
		in.Resume = p.Resume
		calls = append(calls, call{job: j, typ: typ, in: in, res: &remoteResult{}})
	}
	out := make(map[int64]*remoteResult, len(calls))
	var wg sync.WaitGroup
	for i := range calls {
		c := &calls[i]
		if !e.takeVendorSlot(ctx) {
			break
		}
		c.res.started = e.clock.Now()
		out[c.job.ID] = c.res
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-e.vendorSlots }()
			c.res.res, c.res.err = e.callHandler(ctx, c.typ, c.in, true)
		}()
	}
	wg.Wait()
	return out
}

// takeVendorSlot waits for a free vendor-call slot; false once ctx ended.
func (e *Engine) takeVendorSlot(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case e.vendorSlots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// callHandler runs a handler (a remote one with a timeout), turning a panic
// into an error.
func (e *Engine) callHandler(ctx context.Context, typ *nodes.Type, in *nodes.Input, remote bool) (res nodes.Result, err error) {
	// The timeout bounds network calls. A step inside the transaction
	// makes none, and its SQL on the writer does not watch the context
	// (storage.cachingConn): a timer there would only cost.
	if remote {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.StepTimeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = nodes.Permanentf("the step crashed: %v", r)
		}
	}()
	return typ.Handler.Run(ctx, in)
}

func isFinal(status string) bool {
	switch status {
	case storage.RunCompleted, storage.RunFailed, storage.RunCancelled:
		return true
	}
	return false
}
