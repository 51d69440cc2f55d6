package server

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
)

// eventSource marks events that came in through the API.
const eventSource = "api"

// eventRequest is the body of POST /events.
type eventRequest struct {
	// ID, when given, deduplicates: the same id is stored once.
	ID      string `json:"id"`
	Type    string `json:"type"`
	Contact struct {
		ID         string `json:"id"`
		Email      string `json:"email"`
		Phone      string `json:"phone"`
		ExternalID string `json:"external_id"`
	} `json:"contact"`
	Data map[string]any `json:"data"`
	// OccurredAt is RFC 3339; empty means now.
	OccurredAt string `json:"occurred_at"`
}

// eventResponse is what an event did.
type eventResponse struct {
	EventID     string   `json:"event_id"`
	ContactID   string   `json:"contact_id"`
	Duplicate   bool     `json:"duplicate"`
	ResumedRuns []string `json:"resumed_runs"`
	StartedRuns []string `json:"started_runs"`
}

// postEvent stores a contact event once and lets it resume waiting runs
// and start journeys; it answers 202 (the runs continue in the workers).
func (s *Server) postEvent(c *fiber.Ctx) error {
	var in eventRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.ID) > 150 {
		return badRequest("The event id is at most 150 characters long.")
	}
	var at time.Time
	if in.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.OccurredAt)
		if err != nil {
			return badRequest("occurred_at %q is not a date and time like \"2025-01-31T09:30:00Z\" (RFC 3339).", in.OccurredAt)
		}
		at = t
	}
	res, err := s.eng.IngestEvent(c.UserContext(), engine.EventInput{
		ID: in.ID, Type: in.Type, Data: in.Data, OccurredAt: at, Source: eventSource,
		Contact: storage.ContactRef{ID: in.Contact.ID, Email: in.Contact.Email, Phone: in.Contact.Phone, ExternalID: in.Contact.ExternalID},
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(eventResponse{EventID: res.EventID, ContactID: res.ContactID,
		Duplicate: res.Duplicate, ResumedRuns: orNone(res.Resumed), StartedRuns: orNone(res.Started)})
}

// orNone makes a nil list an empty JSON array.
func orNone(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
