package server

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// maxRunsPage is the largest page storage.ListRuns serves.
const maxRunsPage = 500

// runSummary is a run in lists.
type runSummary struct {
	ID        string  `json:"id"`
	FlowID    string  `json:"flow_id"`
	Version   int     `json:"version"`
	ContactID *string `json:"contact_id"`
	// The contact's name, email and phone (each when known), so that a list
	// names the person; empty once the contact is erased.
	ContactName  string     `json:"contact_name,omitempty"`
	ContactEmail string     `json:"contact_email,omitempty"`
	ContactPhone string     `json:"contact_phone,omitempty"`
	Status       string     `json:"status"`
	Outcome      string     `json:"outcome,omitempty"`
	Error        string     `json:"error,omitempty"`
	Test         bool       `json:"test"`
	StartedAt    time.Time  `json:"started_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	EndedAt      *time.Time `json:"ended_at"`
}

func newRunSummary(r *storage.Run) runSummary {
	return runSummary{ID: r.ID, FlowID: r.FlowID, Version: r.Version, ContactID: r.ContactID, Status: r.Status,
		Outcome: r.Outcome, Error: r.Error, Test: r.Test, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, EndedAt: r.EndedAt}
}

// nameContacts fills in the contact fields of runs, in one query.
func nameContacts(db storage.Tx, runs []runSummary) error {
	ids := make([]string, 0, len(runs))
	for _, r := range runs {
		if r.ContactID != nil {
			ids = append(ids, *r.ContactID)
		}
	}
	labels, err := storage.ContactLabels(db, ids)
	if err != nil {
		return err
	}
	for i, r := range runs {
		if r.ContactID == nil {
			continue
		}
		l := labels[*r.ContactID]
		runs[i].ContactName, runs[i].ContactEmail, runs[i].ContactPhone = l.Name, l.Email, l.Phone
	}
	return nil
}

// runDetail is GET /runs/:id: the run, its data and every step.
type runDetail struct {
	runSummary
	Trigger json.RawMessage `json:"trigger"`
	Event   json.RawMessage `json:"event"`
	Vars    json.RawMessage `json:"vars"`
	Steps   []stepView      `json:"steps"`
}

// stepView is one execution (attempt) of a node.
type stepView struct {
	NodeID     string          `json:"node_id"`
	NodeType   string          `json:"node_type"`
	Visit      int             `json:"visit"`
	Attempt    int             `json:"attempt"`
	Status     string          `json:"status"`
	Port       string          `json:"port,omitempty"`
	Input      json.RawMessage `json:"input"`
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
}

// runStatuses are the statuses GET /runs filters on.
var runStatuses = []string{storage.RunRunning, storage.RunWaiting, storage.RunCompleted, storage.RunFailed, storage.RunCancelled}

// listRuns lists runs, newest first:
// ?flow=&status=&contact=&since=&test=&limit=&offset=.
func (s *Server) listRuns(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	since, err := s.sinceQuery(c, 0)
	if err != nil {
		return err
	}
	q := storage.RunQuery{FlowID: query(c, "flow"), Status: query(c, "status"), ContactID: query(c, "contact"),
		Since: since, Limit: min(limit, maxRunsPage), Offset: offset}
	switch c.Query("test") {
	case "":
	case "true", "false":
		test := c.Query("test") == "true"
		q.Test = &test
	default:
		return badRequest("test must be true (only test runs) or false (only runs of real contacts).")
	}
	if q.Status != "" && !slices.Contains(runStatuses, q.Status) {
		return badRequest("status must be one of running, waiting, completed, failed or cancelled.")
	}
	db := s.store.Reader()
	runs, total, err := storage.ListRuns(db, q)
	if err != nil {
		return err
	}
	out := make([]runSummary, len(runs))
	for i := range runs {
		out[i] = newRunSummary(&runs[i])
	}
	if err := nameContacts(db, out); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"runs": out, "total": total})
}

// getRun returns a run with its steps.
func (s *Server) getRun(c *fiber.Ctx) error {
	return s.respondRun(c, param(c, "id"))
}

// respondRun answers with the run detail of id.
func (s *Server) respondRun(c *fiber.Ctx, id string) error {
	d, err := s.runDetail(id)
	if err != nil {
		return orNotFound(err, "There is no run with id %q.", id)
	}
	return c.JSON(d)
}

func (s *Server) runDetail(id string) (*runDetail, error) {
	db := s.store.Reader()
	run, err := storage.GetRun(db, id)
	if err != nil {
		return nil, err
	}
	steps, err := storage.RunSteps(db, id)
	if err != nil {
		return nil, err
	}
	d := &runDetail{runSummary: newRunSummary(run), Trigger: rawJSON(run.Trigger), Event: rawJSON(run.Event),
		Vars: rawJSON(run.Vars), Steps: make([]stepView, len(steps))}
	one := []runSummary{d.runSummary}
	if err := nameContacts(db, one); err != nil {
		return nil, err
	}
	d.runSummary = one[0]
	for i, st := range steps {
		d.Steps[i] = stepView{NodeID: st.NodeID, NodeType: st.NodeType, Visit: st.Visit, Attempt: st.Attempt,
			Status: st.Status, Port: st.Port, Input: rawJSON(st.Input), Output: rawJSON(st.Output), Error: st.Error,
			StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
		if st.Output == storage.StepOutputIsTrigger {
			d.Steps[i].Output = d.Trigger // stored once, with the run
		}
	}
	return d, nil
}

// retryRun restarts a failed run at its failed step (409 otherwise).
func (s *Server) retryRun(c *fiber.Ctx) error {
	id := param(c, "id")
	if err := s.eng.RetryRun(c.UserContext(), id); err != nil {
		if isNotFound(err) {
			return notFound("There is no run with id %q.", id)
		}
		return conflictOr(err, "Only a failed run can be retried.")
	}
	return s.respondRun(c, id)
}

// cancelRun stops a running or waiting run (409 when it has ended).
func (s *Server) cancelRun(c *fiber.Ctx) error {
	id := param(c, "id")
	if err := s.eng.CancelRun(c.UserContext(), id); err != nil {
		if isNotFound(err) {
			return notFound("There is no run with id %q.", id)
		}
		return conflictOr(err, "The run has already ended, so it cannot be cancelled.")
	}
	return s.respondRun(c, id)
}
