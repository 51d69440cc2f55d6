package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/journeyhq/journey/storage"
)

// Log attribute keys of engine log lines (snake_case, stable: log queries
// depend on them).
const (
	logRunID    = "run_id"
	logFlowID   = "flow_id"
	logStepID   = "step_id"
	logNodeID   = "node_id"
	logNodeType = "node_type"
)

// abortGrace is how long Stop waits for cancelled steps to return after
// its deadline, before it gives their jobs back anyway.
const abortGrace = 2 * time.Second

// releaseTimeout bounds the release of leases at Stop.
const releaseTimeout = 5 * time.Second

// Running reports whether the worker loops were started and not told to
// stop (for /readyz).
func (e *Engine) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped == nil {
		return false
	}
	select {
	case <-e.stopped:
		return false
	default:
		return true
	}
}

// Metrics returns the engine's metrics (served by /metrics).
func (e *Engine) Metrics() *Metrics { return e.cfg.Metrics }

// releaseLeases gives back the jobs this instance still holds, due at
// once, so another worker (or the next start) takes them without waiting
// for the lease to expire.
func (e *Engine) releaseLeases(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	var n int64
	err := e.store.Write(ctx, func(tx storage.Tx) error {
		var err error
		n, err = storage.ReleaseLeasesOf(tx, e.cfg.WorkerID)
		return err
	})
	switch {
	case err != nil:
		e.log.ErrorContext(ctx, "give back unfinished jobs at stop", "error", err)
	case n > 0:
		e.log.InfoContext(ctx, "gave back unfinished jobs at stop", "jobs", n)
	}
}

// runLogger scopes the engine's logger to a run.
func (s *runState) runLogger() *slog.Logger {
	return s.e.log.With(logRunID, s.run.ID, logFlowID, s.run.FlowID)
}

// observeSaved reports the steps and the run just written: metrics, and a
// log line per failed step (warn), retried step (info) and, at debug
// level, every step; the ids come from the stored rows.
func (s *runState) observeSaved(steps []storage.Step) {
	m := s.e.cfg.Metrics
	ctx := s.ctx
	log := s.e.log
	debug := log.Enabled(ctx, slog.LevelDebug)
	for i := range steps {
		st := &steps[i]
		m.StepDone(st.NodeType, st.FinishedAt.Sub(st.StartedAt))
		var level slog.Level
		var msg string
		switch st.Status {
		case "failed":
			level, msg = slog.LevelWarn, "step failed"
		case "retrying":
			level, msg = slog.LevelInfo, "step failed, will retry"
		default:
			if !debug {
				continue
			}
			level, msg = slog.LevelDebug, "step "+st.Status
		}
		attrs := []slog.Attr{
			slog.String(logRunID, s.run.ID), slog.String(logFlowID, s.run.FlowID),
			slog.Int64(logStepID, st.ID), slog.String(logNodeID, st.NodeID), slog.String(logNodeType, st.NodeType),
			slog.Int("attempt", st.Attempt), slog.String("port", st.Port),
		}
		if st.Error != "" {
			attrs = append(attrs, slog.String("error", st.Error))
		}
		log.LogAttrs(ctx, level, msg, attrs...)
	}
	if !s.ended {
		return
	}
	m.RunEnded(s.run.FlowID, s.run.Status)
	switch {
	case s.run.Status == storage.RunFailed:
		s.runLogger().WarnContext(ctx, "run failed", "error", s.run.Error)
	case debug:
		s.runLogger().DebugContext(ctx, "run ended", "status", s.run.Status, "outcome", s.run.Outcome)
	}
}

// orNone is the value of an optional id, "" when absent.
func orNone(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}
