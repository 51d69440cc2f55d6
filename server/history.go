package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// actorView names who made a change, as the audit log knows it.
type actorView struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// versionItem is one published version in GET /flows/:id/versions.
type versionItem struct {
	Version     int        `json:"version"`
	PublishedAt time.Time  `json:"published_at"`
	PublishedBy *actorView `json:"published_by"`
	// Summary says in a sentence what changed since the version before.
	Summary string `json:"summary"`
	// Live is true for the version new contacts start (an active
	// journey's latest version).
	Live bool `json:"live"`
}

// draftItem is the current draft in GET /flows/:id/versions.
type draftItem struct {
	SavedAt time.Time  `json:"saved_at"`
	SavedBy *actorView `json:"saved_by"`
	// UnpublishedChanges is true when the draft differs from the latest
	// published version.
	UnpublishedChanges bool `json:"unpublished_changes"`
	// Summary compares the draft with the latest published version.
	Summary string `json:"summary"`
}

// saveItem is one kept save of the draft in GET /flows/:id/versions.
type saveItem struct {
	Revision int        `json:"revision"`
	SavedAt  time.Time  `json:"saved_at"`
	SavedBy  *actorView `json:"saved_by"`
	// Summary says in a sentence what this save changed.
	Summary string `json:"summary"`
}

// saveDetail is GET /flows/:id/saves/:revision.
type saveDetail struct {
	saveItem
	Definition *flows.Flow `json:"definition"`
}

// versionDetail is GET /flows/:id/versions/:n.
type versionDetail struct {
	versionItem
	Definition *flows.Flow `json:"definition"`
}

// publishedVersion finds the version number in the audit summaries that
// publishing and importing write ("published version 3").
var publishedVersion = regexp.MustCompile(`published version (\d+)$`)

// flowAuthors reads who published each version of a flow, and who saved
// its draft last, from the audit log (nil where it does not say).
func (s *Server) flowAuthors(c *fiber.Ctx, flowID string) (map[int]*actorView, *actorView, error) {
	es, err := storage.ListAudit(s.store.Reader().WithContext(c.UserContext()),
		storage.AuditQuery{EntityType: storage.AuditFlow, EntityID: flowID, Limit: 1000})
	if err != nil {
		return nil, nil, err
	}
	published := map[int]*actorView{}
	var savedBy *actorView
	for _, e := range es { // newest first
		who := &actorView{Type: e.ActorType, Name: e.ActorName}
		if m := publishedVersion.FindStringSubmatch(e.Summary); m != nil && (e.Action == storage.AuditPublish || e.Action == storage.AuditImport) {
			if n, err := strconv.Atoi(m[1]); err == nil && published[n] == nil {
				published[n] = who
			}
		}
		if savedBy == nil && (e.Action == storage.AuditUpdate || e.Action == storage.AuditCreate || e.Action == storage.AuditImport) {
			savedBy = who
		}
	}
	return published, savedBy, nil
}

// listVersions answers GET /flows/:id/versions: the draft and every
// published version, newest first, each with what changed.
func (s *Server) listVersions(c *fiber.Ctx) error {
	id := param(c, "id")
	sf, draft, err := s.eng.Draft(id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	vs, err := s.eng.Versions(id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	publishedBy, savedBy, err := s.flowAuthors(c, id)
	if err != nil {
		return err
	}
	out := make([]versionItem, len(vs))
	for i, v := range vs {
		summary := "First published version."
		if v.Changes != nil {
			summary = v.Changes.Summary()
		}
		out[i] = versionItem{Version: v.Version, PublishedAt: v.PublishedAt.UTC(), PublishedBy: publishedBy[v.Version],
			Summary: summary, Live: v.Version == sf.Version && sf.Status == storage.FlowActive}
	}
	d := draftItem{SavedAt: sf.UpdatedAt.UTC(), SavedBy: savedBy, Summary: "Not published yet."}
	if len(vs) > 0 {
		if d.UnpublishedChanges, err = s.eng.Unpublished(sf); err != nil {
			return err
		}
		d.Summary = "Same as version " + strconv.Itoa(vs[0].Version) + "."
		if diff := s.eng.Diff(vs[0].Flow, draft); d.UnpublishedChanges {
			d.Summary = diff.Summary()
		}
	}
	saves, err := s.draftSaves(id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"draft": d, "versions": out, "saves": saves})
}

// draftSaves lists the kept saves of a flow's draft, newest first, each
// with what it changed since the save before.
func (s *Server) draftSaves(id string) ([]saveItem, error) {
	stored, err := storage.ListFlowSaves(s.store.Reader(), id)
	if err != nil {
		return nil, err
	}
	docs := make([]*flows.Flow, len(stored))
	for i, sv := range stored {
		if docs[i], err = flows.Decode([]byte(sv.Definition)); err != nil {
			return nil, fmt.Errorf("stored save %d of %s: %w", sv.Revision, id, err)
		}
	}
	out := make([]saveItem, len(stored))
	for i, sv := range stored {
		summary := "The first save we kept."
		if i+1 < len(stored) {
			d := s.eng.Diff(docs[i+1], docs[i])
			summary = d.Summary()
		}
		out[i] = saveItem{Revision: sv.Revision, SavedAt: sv.SavedAt.UTC(), SavedBy: savedBy(sv.SavedBy), Summary: summary}
	}
	return out, nil
}

// savedBy names who saved: an email, a token's name or "import".
func savedBy(name string) *actorView {
	if name == "" {
		return nil
	}
	if name == "import" {
		return &actorView{Type: storage.ActorCLI, Name: name}
	}
	return &actorView{Type: storage.ActorUser, Name: name}
}

// getSave answers GET /flows/:id/saves/:revision with the saved document.
func (s *Server) getSave(c *fiber.Ctx) error {
	id := param(c, "id")
	rev, err := strconv.Atoi(param(c, "revision"))
	if err != nil || rev < 1 {
		return badRequest("The save must be a revision number from 1 up, such as /saves/3.")
	}
	sv, err := storage.GetFlowSave(s.store.Reader(), id, rev)
	if err != nil {
		return orNotFound(err, "The journey %q has no kept save %d.", id, rev)
	}
	f, err := flows.Decode([]byte(sv.Definition))
	if err != nil {
		return err
	}
	return c.JSON(saveDetail{Definition: f, saveItem: saveItem{Revision: rev, SavedAt: sv.SavedAt.UTC(), SavedBy: savedBy(sv.SavedBy)}})
}

// getVersion answers GET /flows/:id/versions/:n with the document.
func (s *Server) getVersion(c *fiber.Ctx) error {
	id := param(c, "id")
	n, err := versionNumber(param(c, "n"), "n")
	if err != nil {
		return err
	}
	sf, err := storage.GetFlow(s.store.Reader(), id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	f, at, err := s.eng.Version(id, n)
	if err != nil {
		return orNotFound(err, "The journey %q has no published version %d.", id, n)
	}
	publishedBy, _, err := s.flowAuthors(c, id)
	if err != nil {
		return err
	}
	return c.JSON(versionDetail{Definition: f, versionItem: versionItem{Version: n, PublishedAt: at.UTC(),
		PublishedBy: publishedBy[n], Live: n == sf.Version && sf.Status == storage.FlowActive}})
}

// diffFlow answers GET /flows/:id/diff?from=1&to=2 (either side may be
// "draft" or a kept save, "save:3"; to defaults to the draft): steps added, removed and changed,
// with each changed setting's before and after.
func (s *Server) diffFlow(c *fiber.Ctx) error {
	id := param(c, "id")
	if _, err := storage.GetFlow(s.store.Reader(), id); err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	from, err := s.flowAt(id, query(c, "from"), "from")
	if err != nil {
		return err
	}
	to := query(c, "to")
	if to == "" {
		to = "draft"
	}
	after, err := s.flowAt(id, to, "to")
	if err != nil {
		return err
	}
	d := s.eng.Diff(from, after)
	return c.JSON(fiber.Map{"from": query(c, "from"), "to": to, "summary": d.Summary(), "diff": d})
}

// flowAt reads the draft ("draft") or a published version of a flow.
func (s *Server) flowAt(id, which, name string) (*flows.Flow, error) {
	if which == "draft" {
		_, f, err := s.eng.Draft(id)
		return f, orNotFound(err, "There is no journey with id %q.", id)
	}
	if rev, ok := strings.CutPrefix(which, "save:"); ok {
		n, err := strconv.Atoi(rev)
		if err != nil || n < 1 {
			return nil, badRequest("%s must be a version number, draft, or save:N.", name)
		}
		sv, err := storage.GetFlowSave(s.store.Reader(), id, n)
		if err != nil {
			return nil, orNotFound(err, "The journey %q has no kept save %d.", id, n)
		}
		return flows.Decode([]byte(sv.Definition))
	}
	n, err := versionNumber(which, name)
	if err != nil {
		return nil, err
	}
	f, _, err := s.eng.Version(id, n)
	if err != nil {
		return nil, orNotFound(err, "The journey %q has no published version %d.", id, n)
	}
	return f, nil
}

// versionNumber reads a version number from the address.
func versionNumber(v, name string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		if name == "n" {
			return 0, badRequest("The version must be a whole number from 1 up, such as /versions/2.")
		}
		return 0, badRequest("%s must be a version number (1, 2, ...), draft, or save:N.", name)
	}
	return n, nil
}

// goLiveChecks answers GET /flows/:id/checks: what publishing the draft
// would do that a marketer may not expect (steps that send nothing,
// missing accounts, webhook addresses taken, unpublished changes).
func (s *Server) goLiveChecks(c *fiber.Ctx) error {
	id := param(c, "id")
	checks, err := s.eng.GoLive(id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	return c.JSON(checks)
}
