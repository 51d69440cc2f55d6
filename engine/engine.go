// Package engine is the durable runtime. A run advances by jobs: rows with a
// due time. Workers claim due jobs in batches, run node handlers and commit
// each step's result together with the next jobs in one transaction, so a
// crash loses nothing and delays cost a row, not a goroutine or a timer.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// Clock tells the time. The engine never calls time.Now itself, so tests
// drive delays with a fake clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Config configures an Engine. Zero values get defaults.
type Config struct {
	Store    *storage.Store
	Registry *nodes.Registry
	Clock    Clock
	Logger   *slog.Logger
	// WorkerID names this instance's leases (default: a random id).
	WorkerID string
	// BatchSize is how many jobs one transaction claims (default 128).
	BatchSize int
	// Lease is how long a claimed job belongs to this instance before
	// another may take it over (default 2 minutes).
	Lease time.Duration
	// PollInterval is the longest a worker sleeps when idle (default 250ms).
	PollInterval time.Duration
	// MaxAttempts bounds the tries of a failing step (default 5).
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential backoff (1s, 10m).
	RetryBase time.Duration
	RetryMax  time.Duration
	// Workers is the number of worker loops (default 1 on SQLite, which
	// has one writer; 4 on PostgreSQL, whose transactions run side by
	// side and spend most of their time waiting for the server).
	Workers int
	// StepTimeout bounds one handler call (default 30s).
	StepTimeout time.Duration
	// VendorConcurrency bounds how many vendor calls (the handlers of
	// Remote steps) this instance makes at once, across its workers; the
	// vendor steps of a claimed batch are called side by side up to this
	// limit (default 64).
	VendorConcurrency int
	// SingleInstance says no other process shares the database (SQLite):
	// leases left at start-up belong to a crashed process and are given
	// back at once instead of after they expire.
	SingleInstance bool
	// MaxTxDuration ends a batch transaction early, once another write
	// (ingestion, the API) waits for it, so that such a write waits at
	// most about this long for the writer (default 5ms on
	// SQLite; 250ms on PostgreSQL, where ingestion does not wait for the
	// batch and each commit waits for the server's disk). It is measured
	// with the wall clock, not Clock, as it is about latency.
	MaxTxDuration time.Duration
	// Channels records and sends messages for the message node types
	// (nil: message steps fail with a clear error). When it is also a
	// ChannelsBinder, message steps that call no vendor record their
	// messages inside the step's transaction.
	Channels nodes.Channels
	// EmailChecker checks addresses for the "Check the email address"
	// step (nil: such steps fail with a clear error).
	EmailChecker nodes.EmailChecker
	// ScheduleBatch is how many contacts one job of a schedule trigger
	// with a segment looks at (default 200); more follow in further jobs.
	ScheduleBatch int
	// InlineStart runs a webhook's new run at once, up to its first wait or
	// vendor call, in the transaction that accepts the webhook (see
	// runInline), instead of leaving it to the workers: one transaction
	// fewer per run, and no start job to write, claim and delete. Off for
	// an instance that only accepts webhooks (serve --role web).
	InlineStart bool
	// MaxBacklog refuses webhooks (BacklogError) while more jobs than this
	// are due and not yet taken by a worker, so that intake cannot outrun
	// the workers without bound (0: no limit).
	MaxBacklog int
	// Metrics receives the engine's counters (default: a fresh registry).
	Metrics *Metrics
}

// DefaultVendorConcurrency is Config.VendorConcurrency's default.
const DefaultVendorConcurrency = 64

// GCPercent is the garbage collector setting the binary runs the engine
// with unless GOGC is set (and the benchmarks measure it with): the live
// heap is small, so collecting a quarter as often as Go's default of 100
// costs little memory and saves CPU that the single SQLite writer
// otherwise spends on garbage (figures in the README's Benchmarks).
const GCPercent = 400

// ChannelsBinder binds an outbox to a step's transaction: the outbox reads
// in tx while the step runs, and hands each write to queue instead of
// writing (what describes it). The engine performs the writes of a step
// that succeeded, in order, before recording it, and drops those of a step
// that failed. newVisit says the step has never run before, so no message
// holds its idempotency key yet (see txContacts.newVisit).
type ChannelsBinder interface {
	Bind(tx storage.Tx, newVisit bool, queue func(what string, do func(tx storage.Tx) error)) nodes.Channels
}

func (c *Config) setDefaults() error {
	if c.Store == nil || c.Registry == nil {
		return errors.New("engine: Store and Registry are required")
	}
	c.Clock = cmp.Or[Clock](c.Clock, SystemClock{})
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.WorkerID = cmp.Or(c.WorkerID, "w-"+uuid.NewString()[:8])
	c.BatchSize = cmp.Or(c.BatchSize, 128)
	c.Lease = cmp.Or(c.Lease, 2*time.Minute)
	c.PollInterval = cmp.Or(c.PollInterval, 250*time.Millisecond)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 5)
	c.RetryBase = cmp.Or(c.RetryBase, time.Second)
	c.RetryMax = cmp.Or(c.RetryMax, 10*time.Minute)
	c.StepTimeout = cmp.Or(c.StepTimeout, 30*time.Second)
	c.VendorConcurrency = cmp.Or(c.VendorConcurrency, DefaultVendorConcurrency)
	if c.VendorConcurrency < 0 {
		return errors.New("engine: VendorConcurrency must be positive")
	}
	if c.MaxBacklog < 0 {
		return errors.New("engine: MaxBacklog must not be negative")
	}
	if c.Store.SingleWriter() {
		c.Workers = cmp.Or(c.Workers, 1)
		c.MaxTxDuration = cmp.Or(c.MaxTxDuration, 5*time.Millisecond)
	} else {
		c.Workers = cmp.Or(c.Workers, 4)
		c.MaxTxDuration = cmp.Or(c.MaxTxDuration, 250*time.Millisecond)
	}
	c.ScheduleBatch = cmp.Or(c.ScheduleBatch, 200)
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	return nil
}

// Engine runs flows durably.
type Engine struct {
	cfg   Config
	store *storage.Store
	reg   *nodes.Registry
	clock Clock
	log   *slog.Logger
	cache compiledCache
	// ingest groups the transactions of concurrent webhooks and events.
	ingest *groupCommit
	// hooks remembers the journeys listening on each webhook path.
	hooks hookTriggers
	// vendorSlots holds a token per vendor call in flight (runRemote and
	// dispatch).
	vendorSlots chan struct{}
	// dispatch calls vendors for jobs as soon as they are committed.
	dispatch *dispatcher
	// backlog refuses webhooks while the workers are too far behind.
	backlog backlog

	wake chan struct{}
	mu   sync.Mutex
	// stop ends the worker loops (no new batch is claimed); abort also
	// cancels the steps of the batch in flight. stopped is closed once
	// the loops were told to stop.
	stop    context.CancelFunc
	abort   context.CancelFunc
	stopped <-chan struct{}
	done    sync.WaitGroup
}

// New returns an engine; call Start to run workers.
func New(cfg Config) (*Engine, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	cfg.Metrics.watchQueue(cfg.Store, cfg.Clock, cfg.Logger)
	e := &Engine{
		cfg:    cfg,
		store:  cfg.Store,
		reg:    cfg.Registry,
		clock:  cfg.Clock,
		log:    cfg.Logger,
		wake:   make(chan struct{}, 1),
		ingest: &groupCommit{store: cfg.Store, parallel: groupCommitsAtOnce(cfg.Store)},

		vendorSlots: make(chan struct{}, cfg.VendorConcurrency),
	}
	e.dispatch = newDispatcher(e)
	e.backlog.limit = int64(cfg.MaxBacklog)
	if u, ok := cfg.Channels.(EventsUser); ok {
		u.UseEvents(e) // the outbox records channel.sent events
	}
	return e, nil
}

// Registry returns the node-type registry the engine runs.
func (e *Engine) Registry() *nodes.Registry { return e.reg }

// Start launches the worker loops; they stop claiming work when ctx ends
// or Stop is called, and the batch in flight still finishes (see Stop).
func (e *Engine) Start(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stop != nil {
		return
	}
	// Steps in flight must not see the end of ctx (a SIGTERM): they run
	// with their own context, cancelled only when Stop's deadline passes.
	stepCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	ctx, e.stop = context.WithCancel(ctx)
	e.abort, e.stopped = abort, ctx.Done()
	if e.cfg.SingleInstance {
		err := e.store.Write(ctx, func(tx storage.Tx) error {
			n, err := storage.ReleaseAllLeases(tx)
			if n > 0 {
				e.log.InfoContext(ctx, "took back jobs left by a stopped process", "jobs", n)
			}
			return err
		})
		if err != nil {
			e.log.ErrorContext(ctx, "release leases", "error", err)
		}
	}
	for i := 0; i < e.cfg.Workers; i++ {
		e.done.Add(1)
		go e.work(ctx, stepCtx)
	}
	e.dispatch.start(ctx, stepCtx, &e.done)
}

// Stop ends the worker loops and waits, until ctx ends, for the batch in
// flight to finish: its steps complete and commit. When ctx ends first,
// the remaining steps are cancelled and the jobs this instance still holds
// are given back at once, so no lease is left to expire.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	stop, abort := e.stop, e.abort
	e.stop, e.abort, e.stopped = nil, nil, nil
	e.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	finished := make(chan struct{})
	go func() { e.done.Wait(); close(finished) }()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = fmt.Errorf("engine stop: %w", ctx.Err())
		abort()
		select {
		case <-finished:
		case <-time.After(abortGrace):
		}
	}
	abort()
	e.releaseLeases(ctx)
	return err
}

// Wake makes an idle worker look for due jobs now (called when this
// instance inserted work that is due at once).
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// madeDue wakes a worker for a job this instance committed due now, and
// counts it in the backlog.
func (e *Engine) madeDue() {
	e.backlog.madeDue(1)
	e.Wake()
}

func (e *Engine) work(ctx, stepCtx context.Context) {
	defer e.done.Done()
	for ctx.Err() == nil {
		n, err := e.safeRunOnce(stepCtx)
		if err != nil && stepCtx.Err() == nil {
			e.log.ErrorContext(ctx, "worker batch failed", "error", err)
		}
		if n == e.cfg.BatchSize && err == nil {
			continue // more may be due
		}
		e.idle(ctx)
	}
}

// idle sleeps until woken, the poll interval passes, or the next job is due.
func (e *Engine) idle(ctx context.Context) {
	wait := e.cfg.PollInterval
	if next, err := storage.NextDueAt(e.store.Reader()); err == nil && !next.IsZero() {
		if d := next.Sub(e.clock.Now()); d < wait {
			wait = max(d, time.Millisecond)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-e.wake:
	case <-t.C:
	}
}

func (e *Engine) safeRunOnce(ctx context.Context) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("worker panic: %v\n%s", r, debug.Stack())
		}
	}()
	return e.RunOnce(ctx)
}

// Drain runs batches until no job is due; for tests and the CLI.
func (e *Engine) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := e.RunOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}
