package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// conversationLimit bounds a thread and the Inbox's list of replies.
const conversationLimit = 200

// conversationRoutes serves the two-way SMS and WhatsApp messages.
func (s *Server) conversationRoutes(api fiber.Router) {
	api.Get("/conversations", s.latestReceived)
	api.Get("/contacts/:id/conversation", s.contactConversation)
}

// latestReceived lists the newest messages contacts sent us.
func (s *Server) latestReceived(c *fiber.Ctx) error {
	limit, err := conversationLimitOf(c)
	if err != nil {
		return err
	}
	ms, err := s.cfg.Channels.LatestReceived(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": ms})
}

// contactConversation returns a contact's SMS and WhatsApp thread.
func (s *Server) contactConversation(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := storage.GetContact(s.store.Reader().WithContext(c.UserContext()), id); err != nil {
		return orNotFound(err, "There is no contact %q.", id)
	}
	limit, err := conversationLimitOf(c)
	if err != nil {
		return err
	}
	ms, err := s.cfg.Channels.Conversation(c.UserContext(), id, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contact_id": id, "messages": ms})
}

// conversationLimitOf reads ?limit= (1 to conversationLimit, default 50).
func conversationLimitOf(c *fiber.Ctx) (int, error) {
	q := query(c, "limit")
	if q == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > conversationLimit {
		return 0, badRequest("limit must be a number from 1 to %d.", conversationLimit)
	}
	return n, nil
}
