package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// skipResult answers POST /runs/:id/skip-waits: the waits skipped (with
// when they would have ended) and the run after it went on.
type skipResult struct {
	Skipped []storage.SkippedWait `json:"skipped"`
	Run     *runDetail            `json:"run"`
}

// skipWaits fast-forwards a test run: its delays and event timeouts fall
// due now, and the answer comes once the run went on (or after the test
// wait). Only test runs may be fast-forwarded (409 otherwise).
func (s *Server) skipWaits(c *fiber.Ctx) error {
	id := param(c, "id")
	var skipped []storage.SkippedWait
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		skipped, err = storage.SkipTestWaits(tx, id, s.now())
		return err
	})
	if errors.Is(err, storage.ErrNotTestRun) {
		return conflict("Only test runs can skip their waits; real contacts wait for real.")
	}
	if err != nil {
		return orNotFound(err, "There is no run with id %q.", id)
	}
	if len(skipped) > 0 {
		s.eng.Wake()
	}
	ids := make([]int64, len(skipped))
	for i, w := range skipped {
		ids[i] = w.JobID
	}
	ctx := c.UserContext()
	deadline := time.NewTimer(s.cfg.TestWait)
	defer deadline.Stop()
	tick := time.NewTicker(testPollInterval)
	defer tick.Stop()
	for {
		left, err := storage.JobsLeft(s.store.Reader(), ids)
		if err != nil {
			return err
		}
		run, err := storage.GetRun(s.store.Reader(), id)
		if err != nil {
			return err
		}
		if left == 0 && run.Status != storage.RunRunning {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return s.respondSkipped(c, id, skipped)
		case <-tick.C:
		}
	}
	return s.respondSkipped(c, id, skipped)
}

func (s *Server) respondSkipped(c *fiber.Ctx, id string, skipped []storage.SkippedWait) error {
	d, err := s.runDetail(id)
	if err != nil {
		return err
	}
	if skipped == nil {
		skipped = []storage.SkippedWait{}
	}
	return c.Status(http.StatusOK).JSON(skipResult{Skipped: skipped, Run: d})
}
