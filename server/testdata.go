package server

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// deleteFlowTests removes a journey's test runs, whatever their status,
// with the test contacts, deals, tasks, notes, list memberships, events
// and messages they made. Real runs and records stay.
func (s *Server) deleteFlowTests(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := storage.GetFlow(s.store.Reader(), id); err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	n, err := s.eng.DeleteFlowTests(c.UserContext(), id)
	if err != nil {
		return err
	}
	if n > 0 {
		s.audit(c, storage.AuditDelete, storage.AuditFlow, id, fmt.Sprintf("removed %d test runs and their test data", n))
	}
	return c.JSON(fiber.Map{"removed_runs": n})
}
