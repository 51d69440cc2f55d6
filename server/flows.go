package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// flowSummary is a flow in lists and after a save.
type flowSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Version     int    `json:"version"`
	// Revision counts the draft's saves; send it back (If-Match) to save
	// or publish only what you read.
	Revision  int       `json:"revision"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// UnpublishedChanges is true when a published journey's draft differs
	// from its live version.
	UnpublishedChanges bool `json:"unpublished_changes"`
}

// flowListItem is a flow in GET /flows, with today's activity.
type flowListItem struct {
	flowSummary
	// RunsToday counts today's runs (UTC) by status; RunsTodayTotal sums them.
	RunsToday      map[string]int64 `json:"runs_today"`
	RunsTodayTotal int64            `json:"runs_today_total"`
}

func newFlowSummary(f *storage.Flow) flowSummary {
	return flowSummary{ID: f.ID, Name: f.Name, Description: f.Description, Status: f.Status,
		Version: f.Version, Revision: f.Revision, UpdatedBy: f.UpdatedBy, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// flowDetail is GET /flows/:id: the summary, the draft and its problems.
type flowDetail struct {
	flowSummary
	Definition *flows.Flow     `json:"definition"`
	Problems   []flows.Problem `json:"problems"`
	// Warnings never keep the draft from being published.
	Warnings []flows.Problem `json:"warnings"`
}

// saveResult answers a create or an update of a draft.
type saveResult struct {
	Flow     flowSummary     `json:"flow"`
	Problems []flows.Problem `json:"problems"`
	// Warnings of the saved draft, when it has any.
	Warnings []flows.Problem `json:"warnings,omitempty"`
}

func problemsOrEmpty(ps []flows.Problem) []flows.Problem {
	if ps == nil {
		return []flows.Problem{}
	}
	return ps
}

// listFlows lists every flow with today's run counts.
func (s *Server) listFlows(c *fiber.Ctx) error {
	db := s.store.Reader()
	fs, err := storage.ListFlows(db)
	if err != nil {
		return err
	}
	now := s.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	counts, err := storage.FlowRunCounts(db, today)
	if err != nil {
		return err
	}
	unpublished, err := s.eng.UnpublishedChanges(fs)
	if err != nil {
		return err
	}
	out := make([]flowListItem, len(fs))
	for i := range fs {
		byStatus := counts[fs[i].ID]
		if byStatus == nil {
			byStatus = map[string]int64{}
		}
		var total int64
		for _, n := range byStatus {
			total += n
		}
		out[i] = flowListItem{flowSummary: newFlowSummary(&fs[i]), RunsToday: byStatus, RunsTodayTotal: total}
		out[i].UnpublishedChanges = unpublished[fs[i].ID]
	}
	return c.JSON(fiber.Map{"flows": out})
}

// decodeFlow reads a flow document strictly (400 with line and column).
func decodeFlow(body []byte) (*flows.Flow, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("The request body is empty; send a flow document.")
	}
	return flows.Decode(body)
}

// checkFlowID refuses an id the flow could not be stored under.
func checkFlowID(id string) error {
	if flows.ValidID(id) {
		return nil
	}
	msg := fmt.Sprintf("The flow id %q may hold only lowercase letters, digits and dashes, must start with a letter or digit, and must be at most 100 characters long.", id)
	if id == "" {
		msg = `The flow has no id; give it one like "welcome-series".`
	}
	return invalidFlow([]flows.Problem{{Code: flows.CodeBadID, Param: "id", Message: msg}})
}

// createFlow stores a new draft; an invalid draft is kept, with its
// problems in the answer.
func (s *Server) createFlow(c *fiber.Ctx) error {
	f, err := decodeFlow(c.Body())
	if err != nil {
		return err
	}
	if err := checkFlowID(f.ID); err != nil {
		return err
	}
	problems, _, err := s.eng.SaveDraft(c.UserContext(), f, engine.DraftOptions{Create: true, By: s.actorName(c)})
	if err != nil {
		return conflictOr(err, "A journey with id %q exists already; choose another id or edit that journey.", f.ID)
	}
	s.audit(c, storage.AuditCreate, storage.AuditFlow, f.ID, "created journey "+quoted(f.Name))
	return s.respondSaved(c, http.StatusCreated, f.ID, problems, flows.Warnings(f, s.eng.Registry()))
}

func (s *Server) respondSaved(c *fiber.Ctx, status int, id string, problems, warnings []flows.Problem) error {
	sf, err := storage.GetFlow(s.store.Reader(), id)
	if err != nil {
		return err
	}
	sum, err := s.summaryOf(sf)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(saveResult{Flow: sum, Problems: problemsOrEmpty(problems), Warnings: warnings})
}

// summaryOf is newFlowSummary with whether the draft is unpublished.
func (s *Server) summaryOf(sf *storage.Flow) (flowSummary, error) {
	sum := newFlowSummary(sf)
	var err error
	sum.UnpublishedChanges, err = s.eng.Unpublished(sf)
	return sum, err
}

// getFlow returns a flow with its draft and the draft's problems.
func (s *Server) getFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	sf, f, err := s.eng.Draft(id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	problems, warnings, err := s.eng.DraftCheck(f)
	if err != nil {
		return err
	}
	sum, err := s.summaryOf(sf)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderETag, fmt.Sprintf(`"%d"`, sf.Revision))
	return c.JSON(flowDetail{flowSummary: sum, Definition: f, Problems: problemsOrEmpty(problems), Warnings: problemsOrEmpty(warnings)})
}

// updateFlow replaces the draft of an existing flow. The document's id
// must match the URL (an empty one is taken from it).
func (s *Server) updateFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	f, err := decodeFlow(c.Body())
	if err != nil {
		return err
	}
	if f.ID == "" {
		f.ID = id
	}
	if f.ID != id {
		return badRequest("The document's id %q does not match the address, which names %q.", f.ID, id)
	}
	if _, err := storage.GetFlow(s.store.Reader(), id); err != nil {
		return orNotFound(err, "There is no journey with id %q; create it with POST /api/v1/flows.", id)
	}
	ifRev, err := ifRevision(c)
	if err != nil {
		return err
	}
	problems, _, err := s.eng.SaveDraft(c.UserContext(), f, engine.DraftOptions{IfRevision: ifRev, By: s.actorName(c)})
	if err != nil {
		return err
	}
	s.audit(c, storage.AuditUpdate, storage.AuditFlow, id, "saved the draft of journey "+quoted(f.Name))
	return s.respondSaved(c, http.StatusOK, id, problems, flows.Warnings(f, s.eng.Registry()))
}

// validateFlow lists the problems of a flow document without storing it,
// so that the editor shows each step's problems as the marketer edits;
// warnings, which never block, come apart.
func (s *Server) validateFlow(c *fiber.Ctx) error {
	f, err := decodeFlow(c.Body())
	if err != nil {
		return err
	}
	problems, warnings, err := s.eng.DraftCheck(f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"problems": problemsOrEmpty(problems), "warnings": problemsOrEmpty(warnings)})
}

// ifRevision reads the draft revision a save or publish is based on: the
// If-Match header ("3", W/"3" or 3) or, for publish, a {"revision": 3}
// body. Without either the write goes through whatever the revision (the
// CLI and older API clients: last write wins).
func ifRevision(c *fiber.Ctx) (*int, error) {
	if h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch)); h != "" && h != "*" {
		v := strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, badRequest("If-Match must be the journey's revision, a whole number such as \"3\".")
		}
		return &n, nil
	}
	if c.Method() == fiber.MethodPost && len(bytes.TrimSpace(c.Body())) > 0 {
		var body struct {
			Revision *int `json:"revision"`
		}
		if err := decodeStrict(c.Body(), &body); err != nil {
			return nil, err
		}
		return body.Revision, nil
	}
	return nil, nil
}

// actorName names the signed-in user (their email) or the API token.
func (s *Server) actorName(c *fiber.Ctx) string {
	switch p := principalOf(c); {
	case p != nil && p.User != nil:
		return p.User.Email
	case p != nil && p.Token != nil:
		return p.Token.Name
	}
	return ""
}

// deleteFlow removes a flow and cancels its runs in flight.
func (s *Server) deleteFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	if err := s.eng.DeleteFlow(c.UserContext(), id); err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	s.audit(c, storage.AuditDelete, storage.AuditFlow, id, "deleted the journey and cancelled its runs")
	return c.SendStatus(http.StatusNoContent)
}

// publishFlow publishes the draft as a new version (422 with every
// problem when it is invalid).
func (s *Server) publishFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	ifRev, err := ifRevision(c)
	if err != nil {
		return err
	}
	v, err := s.eng.PublishRevision(c.UserContext(), id, ifRev)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	s.audit(c, storage.AuditPublish, storage.AuditFlow, id, fmt.Sprintf("published version %d", v))
	warnings, err := s.versionWarnings(id, v)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "version": v, "warnings": problemsOrEmpty(warnings)})
}

// versionWarnings returns the warnings of a published version: what
// works but probably not as meant, which did not stop its publishing.
func (s *Server) versionWarnings(id string, version int) ([]flows.Problem, error) {
	fv, err := storage.GetVersion(s.store.Reader(), id, version)
	if err != nil {
		return nil, err
	}
	f, err := flows.Decode([]byte(fv.Definition))
	if err != nil {
		return nil, err
	}
	return flows.Warnings(f, s.eng.Registry()), nil
}

// pauseFlow stops a flow from starting new runs.
func (s *Server) pauseFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	if err := s.eng.Pause(c.UserContext(), id); err != nil {
		if isNotFound(err) {
			return notFound("There is no journey with id %q.", id)
		}
		return conflictOr(err, "The journey %q is not active, so it cannot be paused.", id)
	}
	s.audit(c, storage.AuditPause, storage.AuditFlow, id, "paused the journey")
	return s.respondSaved(c, http.StatusOK, id, nil, nil)
}

// importRequest is the wrapped form of an import body.
type importRequest struct {
	Flow    json.RawMessage `json:"flow"`
	Publish bool            `json:"publish"`
	DryRun  bool            `json:"dry_run"`
}

// importFlow validates a flow document and stores it as the draft,
// publishing it on request (a new version; a live flow that already equals
// the document is left alone). Nothing is stored when it is invalid (422)
// or with dry_run, which reports what would change. The body is a flow
// document (with ?publish=true, ?dry_run=true) or
// {"flow": {...}, "publish": true, "dry_run": true}.
func (s *Server) importFlow(c *fiber.Ctx) error {
	body := c.Body()
	publish := c.QueryBool("publish", false)
	dryRun := c.QueryBool("dry_run", false)
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) == nil && probe["flow"] != nil && probe["nodes"] == nil {
		var req importRequest
		if err := decodeStrict(body, &req); err != nil {
			return err
		}
		body, publish, dryRun = req.Flow, publish || req.Publish, dryRun || req.DryRun
	}
	f, err := decodeFlow(body)
	if err != nil {
		return err
	}
	if err := checkFlowID(f.ID); err != nil {
		// Validate lists the bad id with every other problem.
		if ps := flows.Validate(f, s.eng.Registry()); len(ps) > 0 {
			return invalidFlow(ps)
		}
		return err
	}
	res, err := s.eng.ImportAll(c.UserContext(), []*flows.Flow{f}, engine.ImportOptions{Publish: publish, DryRun: dryRun})
	if err != nil {
		return err
	}
	if r := res[0]; !r.DryRun && (r.DraftChanged || r.Published) {
		summary := "imported journey " + quoted(f.Name)
		if r.Published {
			summary += fmt.Sprintf(" and published version %d", r.Version)
		}
		s.audit(c, storage.AuditImport, storage.AuditFlow, r.ID, summary)
	}
	status := http.StatusCreated
	if dryRun || !res[0].Created {
		status = http.StatusOK
	}
	return c.Status(status).JSON(res[0])
}

// exportFlow downloads the draft as <id>.json.
func (s *Server) exportFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	data, err := s.eng.Export(id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+id+`.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(data) // canonical JSON, newline included
}

// testFlow runs the draft once, with a webhook body read as a real
// request's or a sample payload, and the tester's choices (readTestRequest),
// and answers with the run as GET /runs/:id shows it, once it stopped
// running (or after the test wait, still running).
func (s *Server) testFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	in, err := readTestRequest(c.Body())
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	runID, err := s.eng.TestRunWith(ctx, id, in)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	deadline := time.NewTimer(s.cfg.TestWait)
	defer deadline.Stop()
	tick := time.NewTicker(testPollInterval)
	defer tick.Stop()
	for {
		run, err := storage.GetRun(s.store.Reader(), runID)
		if err != nil {
			return err
		}
		if run.Status != storage.RunRunning {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return s.respondRun(c, runID)
		case <-tick.C:
		}
	}
	return s.respondRun(c, runID)
}

// templateView is a shipped template.
type templateView struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Definition  *flows.Flow `json:"definition"`
	// About says how the template starts and which accounts it uses.
	About *flows.TemplateAbout `json:"about,omitempty"`
}

// listTemplates lists the shipped flow templates, by id.
func (s *Server) listTemplates(c *fiber.Ctx) error {
	out := []templateView{}
	if s.cfg.Templates != nil {
		names, err := fs.Glob(s.cfg.Templates, "*.json")
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, name := range names {
			data, err := fs.ReadFile(s.cfg.Templates, name)
			if err != nil {
				return err
			}
			f, err := flows.Decode(data)
			if err != nil {
				// A broken shipped file is our bug (500), not the caller's.
				return fmt.Errorf("template %s: %v", name, err)
			}
			about, err := flows.ReadTemplateAbout(s.cfg.Templates, f.ID)
			if err != nil {
				return err
			}
			out = append(out, templateView{ID: f.ID, Name: f.Name, Description: f.Description, Definition: f, About: about})
		}
	}
	return c.JSON(fiber.Map{"templates": out})
}

// conflictOr turns engine.ErrConflict into a 409 with msg.
func conflictOr(err error, format string, args ...any) error {
	if isConflict(err) {
		return conflict(fmt.Sprintf(format, args...))
	}
	return err
}
