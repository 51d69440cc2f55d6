package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/journeyhq/journey/storage"
)

// SweeperConfig configures a Sweeper. Store is required.
type SweeperConfig struct {
	Store *storage.Store
	// Retention is how long finished runs (and their steps) are kept
	// after they ended; 0 keeps them forever.
	Retention time.Duration
	// TestDataAge is how long test runs and their test data are kept
	// after the test started (default TestDataAge, a day).
	TestDataAge time.Duration
	Clock       Clock
	Logger      *slog.Logger
	// Interval is the pause between sweeps (default 10 minutes).
	Interval time.Duration
	// BatchSize is how many runs one transaction deletes (default 500),
	// so that the writer is never held for long.
	BatchSize int
	// MaxBatches bounds one sweep (default 200); what is left waits for
	// the next sweep.
	MaxBatches int
}

func (c *SweeperConfig) setDefaults() error {
	if c.Store == nil || c.Retention < 0 || c.TestDataAge < 0 {
		return errors.New("sweeper: Store is required, and Retention and TestDataAge cannot be negative")
	}
	c.TestDataAge = cmp.Or(c.TestDataAge, TestDataAge)
	c.Clock = cmp.Or[Clock](c.Clock, SystemClock{})
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Interval = cmp.Or(c.Interval, 10*time.Minute)
	c.BatchSize = cmp.Or(c.BatchSize, 500)
	c.MaxBatches = cmp.Or(c.MaxBatches, 200)
	return nil
}

// Sweeper deletes finished runs older than the retention period, and test
// runs with their test data older than TestDataAge, in bounded batches,
// then returns the freed space of a SQLite file to the file system
// (incremental vacuum). Real runs still running or waiting are never
// touched.
type Sweeper struct {
	cfg SweeperConfig

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
	// warned is set once the old-database vacuum warning was logged.
	warned bool
}

// NewSweeper returns a sweeper; call Start to sweep in the background.
func NewSweeper(cfg SweeperConfig) (*Sweeper, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Sweeper{cfg: cfg}, nil
}

// SweepResult says what one sweep did.
type SweepResult struct {
	// Runs is how many finished runs were deleted (with their steps).
	Runs int
	// TestRuns and TestContacts count the old test runs and test contacts
	// deleted, with their test data.
	TestRuns, TestContacts int
	// More is set when the sweep stopped at MaxBatches with old runs left.
	More bool
}

// RunOnce deletes the test data older than TestDataAge and the finished
// runs that ended before now - Retention, in batches, then vacuums.
func (s *Sweeper) RunOnce(ctx context.Context) (SweepResult, error) {
	res, err := s.sweepTestData(ctx)
	if err != nil {
		return res, err
	}
	if s.cfg.Retention > 0 {
		if err := s.sweepRuns(ctx, &res); err != nil {
			return res, err
		}
	}
	if res.Runs+res.TestRuns+res.TestContacts == 0 {
		return res, nil
	}
	if err := s.vacuum(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// sweepTestData deletes the test runs started before now - TestDataAge
// and the test contacts created before then that no run uses.
func (s *Sweeper) sweepTestData(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	cutoff := s.cfg.Clock.Now().Add(-s.cfg.TestDataAge)
	for batch := 0; ; batch++ {
		if batch == s.cfg.MaxBatches {
			res.More = true
			return res, nil
		}
		var runs, contacts int
		err := s.cfg.Store.Write(ctx, func(tx storage.Tx) error {
			var err error
			runs, contacts, err = storage.DeleteOldTestData(tx, cutoff, s.cfg.BatchSize)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("sweep old test data: %w", err)
		}
		res.TestRuns += runs
		res.TestContacts += contacts
		if runs < s.cfg.BatchSize && contacts < s.cfg.BatchSize {
			return res, nil
		}
	}
}

// sweepRuns deletes the finished runs that ended before now - Retention.
func (s *Sweeper) sweepRuns(ctx context.Context, res *SweepResult) error {
	cutoff := s.cfg.Clock.Now().Add(-s.cfg.Retention)
	for batch := 0; ; batch++ {
		if batch == s.cfg.MaxBatches {
			res.More = true
			break
		}
		var n int
		err := s.cfg.Store.Write(ctx, func(tx storage.Tx) error {
			var err error
			n, err = storage.DeleteFinishedRuns(tx, cutoff, s.cfg.BatchSize)
			return err
		})
		if err != nil {
			return fmt.Errorf("sweep finished runs: %w", err)
		}
		res.Runs += n
		if n < s.cfg.BatchSize {
			return nil
		}
	}
	return nil
}

// vacuum gives free pages back, and says once when the SQLite file was
// created before incremental auto-vacuum (it then only reuses them).
func (s *Sweeper) vacuum(ctx context.Context) error {
	st, err := s.cfg.Store.SQLiteFileStats(ctx)
	if err != nil {
		return err
	}
	if st.File && st.AutoVacuum != storage.AutoVacuumIncremental && !s.warned {
		s.warned = true
		s.cfg.Logger.WarnContext(ctx, "this SQLite file was created without incremental auto-vacuum: deleted runs free pages "+
			"for reuse but the file does not shrink; stop journey and run once: "+
			`sqlite3 FILE "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;"`, "free_pages", st.FreePages)
	}
	return s.cfg.Store.IncrementalVacuum(ctx)
}

// Start sweeps now and then every Interval until ctx ends or Stop.
func (s *Sweeper) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx, s.done)
}

func (s *Sweeper) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := s.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.cfg.Logger.ErrorContext(ctx, "retention sweep failed", "error", err)
		case res.Runs+res.TestRuns+res.TestContacts > 0:
			s.cfg.Logger.InfoContext(ctx, "retention sweep deleted finished runs and old test data", "runs", res.Runs,
				"test_runs", res.TestRuns, "test_contacts", res.TestContacts, "more", res.More)
		}
		t.Reset(s.cfg.Interval)
	}
}

// Stop ends the background sweeps, waiting for a sweep in progress (its
// current batch rolls back when ctx ends first).
func (s *Sweeper) Stop(ctx context.Context) error {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sweeper stop: %w", ctx.Err())
	}
}
