package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// auditEntityTypes are the values ?entity= accepts.
var auditEntityTypes = map[string]bool{
	storage.AuditFlow: true, storage.AuditCredential: true, storage.AuditUser: true,
	storage.AuditToken: true, storage.AuditContact: true,
}

// auditEntry describes a change by the caller of c. The summary must be
// built from names, ids and roles only: never from request bodies, which
// may hold passwords, tokens or credential fields.
func (s *Server) auditEntry(c *fiber.Ctx, action, entityType, entityID, summary string) storage.AuditEntry {
	e := storage.AuditEntry{At: s.now(), Action: action, EntityType: entityType, EntityID: entityID,
		Summary: summary, RequestID: requestIDOf(c)}
	switch p := principalOf(c); {
	case p != nil && p.User != nil:
		e.ActorType, e.ActorID, e.ActorName = storage.ActorUser, p.User.ID, p.User.Email
	case p != nil && p.Token != nil:
		e.ActorType, e.ActorID, e.ActorName = storage.ActorToken, p.Token.ID, p.Token.Name
	}
	return e
}

// auditTx records a change inside the transaction that makes it.
func (s *Server) auditTx(tx storage.Tx, c *fiber.Ctx, action, entityType, entityID, summary string) error {
	return storage.RecordAudit(tx, s.auditEntry(c, action, entityType, entityID, summary))
}

// audit records a change that the engine already committed in its own
// transaction. The change stands even if this write fails; the failure
// is logged loudly, with the entry, so that it can be traced.
func (s *Server) audit(c *fiber.Ctx, action, entityType, entityID, summary string) {
	e := s.auditEntry(c, action, entityType, entityID, summary)
	if err := s.store.Write(c.UserContext(), func(tx storage.Tx) error { return storage.RecordAudit(tx, e) }); err != nil {
		s.log.ErrorContext(c.UserContext(), "could not record an audit entry", "request_id", e.RequestID,
			"actor_type", e.ActorType, "actor_id", e.ActorID, "action", e.Action,
			"entity_type", e.EntityType, "entity_id", e.EntityID, "error", err)
	}
}

// auditView is an audit entry as GET /audit shows it.
type auditView struct {
	ID        int64       `json:"id"`
	At        time.Time   `json:"at"`
	Actor     auditActor  `json:"actor"`
	Action    string      `json:"action"`
	Entity    auditEntity `json:"entity"`
	Summary   string      `json:"summary"`
	RequestID string      `json:"request_id"`
}

type auditActor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

type auditEntity struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// listAudit answers GET /audit?entity=flow[:ID]&actor=&limit=&before=,
// newest first. "next" is the before= value of the next page (0: none).
func (s *Server) listAudit(c *fiber.Ctx) error {
	var q storage.AuditQuery
	if v := query(c, "entity"); v != "" {
		q.EntityType, q.EntityID, _ = strings.Cut(v, ":")
		if !auditEntityTypes[q.EntityType] {
			return badRequest("entity must be flow, credential, user, token or contact, optionally followed by :ID (e.g. flow:welcome).")
		}
	}
	q.Actor = query(c, "actor")
	q.Limit = 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit must be a whole number from 1 to 1000.")
		}
		q.Limit = n
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badRequest("before must be the id of an audit entry (a whole number).")
		}
		q.Before = n
	}
	es, err := storage.ListAudit(s.store.Reader().WithContext(c.UserContext()), q)
	if err != nil {
		return err
	}
	out := make([]auditView, len(es))
	for i, e := range es {
		out[i] = auditView{ID: e.ID, At: e.At.UTC(), Action: e.Action, Summary: e.Summary, RequestID: e.RequestID,
			Actor:  auditActor{Type: e.ActorType, ID: e.ActorID, Name: e.ActorName},
			Entity: auditEntity{Type: e.EntityType, ID: e.EntityID}}
	}
	var next int64
	if len(es) == q.Limit {
		next = es[len(es)-1].ID
	}
	return c.JSON(fiber.Map{"entries": out, "next": next})
}

// quoted renders a user-given name for a summary.
func quoted(name string) string { return fmt.Sprintf("%q", name) }

// changedSecrets names (never shows) the secret fields an update set.
func changedSecrets(fields map[string]any, secrets []string) string {
	var names []string
	for _, name := range secrets {
		if v, ok := fields[name].(string); ok && v != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "; replaced secret " + strings.Join(names, ", ")
}
