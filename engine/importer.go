package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// ImportOptions control ImportAll.
type ImportOptions struct {
	// Publish publishes each flow after storing its draft. A flow whose
	// latest published version already equals the document and is active
	// is left alone, so re-running an import from git is a no-op.
	Publish bool
	// DryRun checks everything a real import checks (webhook paths taken
	// included) and reports what would change, then rolls back.
	DryRun bool
}

// ImportResult says what an import did (or, in a dry run, would do) to
// one flow.
type ImportResult struct {
	ID string `json:"id"`
	// Created is true when the flow did not exist before.
	Created bool `json:"created"`
	// DraftChanged is true when the stored draft was created or replaced.
	DraftChanged bool `json:"draft_changed"`
	// Published is true when the import published a new version.
	Published bool `json:"published"`
	// Version is the latest published version after the import (0 when
	// the flow was never published).
	Version int `json:"version"`
	// DryRun is true when nothing was written.
	DryRun bool `json:"dry_run"`
	// NeedsCredentials lists the accounts to add before the flow can be
	// published: a step needs one that is not chosen, or names one this
	// server does not have. Such a flow is stored as a draft only, even
	// when publishing was asked for.
	NeedsCredentials []flows.Problem `json:"needs_credentials,omitempty"`
	// SandboxSteps are the message and Slack steps that choose no
	// account: their messages stay in the sandbox outbox until one is
	// chosen.
	SandboxSteps []string `json:"sandbox_steps,omitempty"`
	// Warnings are what works but probably not as meant (severity
	// "warning", see flows.Check); they never stop an import or a publish.
	Warnings []flows.Problem `json:"warnings,omitempty"`
}

// Summary says in a few words what happened, for the CLI.
func (r ImportResult) Summary() string {
	verb := func(done, would string) string {
		if r.DryRun {
			return would
		}
		return done
	}
	var s string
	switch {
	case r.Created:
		s = verb("created", "would be created")
	case r.DraftChanged:
		s = verb("draft replaced", "draft would be replaced")
	default:
		s = "draft unchanged"
	}
	switch {
	case r.Published:
		s += verb(", published as version ", ", would be published as version ") + fmt.Sprint(r.Version)
	case r.Version > 0:
		s += fmt.Sprintf(", published version %d stays current", r.Version)
	}
	if len(r.NeedsCredentials) > 0 {
		s += verb(", kept as a draft", ", would be kept as a draft") + " until these accounts are added:"
		for _, p := range r.NeedsCredentials {
			s += fmt.Sprintf("\n  [node %s, param %s] %s", p.NodeID, p.Param, p.Message)
		}
	}
	if len(r.SandboxSteps) > 0 {
		s += "\n  sandbox: the messages of " + strings.Join(r.SandboxSteps, ", ") +
			" stay in the sandbox outbox until you choose an account on those steps"
	}
	return s
}

// FlowProblemsError is the problems of one flow of an import (for example a
// webhook path another active journey uses). It unwraps to a
// *flows.ProblemsError.
type FlowProblemsError struct {
	FlowID   string
	Problems []flows.Problem
}

func (e *FlowProblemsError) Error() string {
	return fmt.Sprintf("flow %s has %d problem(s)", e.FlowID, len(e.Problems))
}

func (e *FlowProblemsError) Unwrap() error { return &flows.ProblemsError{Problems: e.Problems} }

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// ImportAll validates every flow first and then stores them all in one
// transaction: either every flow is imported or none is. An existing id
// gets its draft replaced and, with Publish, a new version; published
// versions are never overwritten. Problems come back as a
// *FlowProblemsError naming the flow; two documents with one id are an
// *InputError.
func (e *Engine) ImportAll(ctx context.Context, fs []*flows.Flow, opt ImportOptions) ([]ImportResult, error) {
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.ID] {
			return nil, &InputError{Message: fmt.Sprintf("The flow id %q appears in more than one document; each flow may be imported once.", f.ID)}
		}
		seen[f.ID] = true
		// A flow complete but for the accounts to add imports as a draft.
		if problems := flows.Validate(f, e.reg); len(problems) > 0 && !flows.OnlyCredentialProblems(problems) {
			return nil, &FlowProblemsError{FlowID: f.ID, Problems: problems}
		}
	}
	var results []ImportResult
	defer e.hooks.forget()
	err := e.store.Write(ctx, func(tx storage.Tx) error {
		results = results[:0]
		for _, f := range fs {
			r, err := e.importTx(tx, f, opt.Publish)
			if err != nil {
				return err
			}
			r.DryRun = opt.DryRun
			results = append(results, r)
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return results, nil
}

func (e *Engine) importTx(tx storage.Tx, f *flows.Flow, publish bool) (ImportResult, error) {
	r := ImportResult{ID: f.ID}
	doc := *f
	doc.Version = 0
	def, err := flows.Encode(&doc)
	if err != nil {
		return r, err
	}
	now := e.clock.Now()
	cur, err := storage.GetFlow(tx, f.ID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		r.Created, r.DraftChanged = true, true
		cur = &storage.Flow{ID: f.ID, Name: f.Name, Description: f.Description, Draft: string(def),
			Status: storage.FlowDraft, Revision: 1, UpdatedBy: "import", CreatedAt: now, UpdatedAt: now}
		if err := storage.CreateFlow(tx, cur); err != nil {
			return r, err
		}
		if err := storage.RecordFlowSave(tx, &storage.FlowSave{FlowID: f.ID, Revision: 1, Definition: string(def), SavedAt: now, SavedBy: cur.UpdatedBy}); err != nil {
			return r, err
		}
	case err != nil:
		return r, err
	case !sameDocument(cur.Draft, def):
		r.DraftChanged = true
		cur.Name, cur.Description, cur.Draft, cur.UpdatedAt = f.Name, f.Description, string(def), now
		// An import is a save like any other: editors who opened the
		// previous draft are told when they save.
		cur.Revision++
		cur.UpdatedBy = "import"
		if err := storage.SaveFlow(tx, cur); err != nil {
			return r, err
		}
		if err := storage.RecordFlowSave(tx, &storage.FlowSave{FlowID: f.ID, Revision: cur.Revision, Definition: string(def), SavedAt: now, SavedBy: cur.UpdatedBy}); err != nil {
			return r, err
		}
	}
	r.Version = cur.Version
	r.SandboxSteps = e.sandboxSteps(f)
	needs, err := e.credentialProblems(tx, f)
	if err != nil {
		return r, err
	}
	problems, warnings := flows.Check(f, e.reg)
	for _, p := range problems {
		if p.Code == flows.CodeMissingCredential {
			needs = append(needs, p)
		}
	}
	r.NeedsCredentials, r.Warnings = needs, warnings
	if !publish || len(needs) > 0 {
		return r, nil
	}
	if cur.Version > 0 && cur.Status == storage.FlowActive {
		latest, err := storage.GetVersion(tx, f.ID, cur.Version)
		if err != nil {
			return r, err
		}
		if sameDocument(withoutVersion(latest.Definition), def) {
			return r, nil // already live exactly as imported
		}
	}
	v, err := e.publishTx(tx, f.ID)
	if err != nil {
		var pe *flows.ProblemsError
		if errors.As(err, &pe) {
			return r, &FlowProblemsError{FlowID: f.ID, Problems: pe.Problems}
		}
		return r, fmt.Errorf("publish %s: %w", f.ID, err)
	}
	r.Published, r.Version = true, v
	return r, nil
}

// sameDocument compares two flow documents by their canonical form.
func sameDocument(a string, b []byte) bool {
	ca, errA := flows.CanonicalJSON([]byte(a))
	cb, errB := flows.CanonicalJSON(b)
	return errA == nil && errB == nil && bytes.Equal(ca, cb)
}

// withoutVersion drops the "version" of a published definition so it
// compares with a draft.
func withoutVersion(def string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(def), &m) != nil {
		return def
	}
	delete(m, "version")
	out, err := json.Marshal(m)
	if err != nil {
		return def
	}
	return string(out)
}

// Export returns the flow's draft in the canonical form kept in git (see
// flows.Canonical): no version number, no timestamps, and no value of a
// parameter declared secret.
func (e *Engine) Export(flowID string) ([]byte, error) {
	_, f, err := e.Draft(flowID)
	if err != nil {
		return nil, err
	}
	return e.canonicalExport(f)
}

// ExportVersion returns a published version in the same form as Export.
func (e *Engine) ExportVersion(flowID string, version int) ([]byte, error) {
	v, err := storage.GetVersion(e.store.Reader(), flowID, version)
	if err != nil {
		return nil, err
	}
	f, err := flows.Decode([]byte(v.Definition))
	if err != nil {
		return nil, fmt.Errorf("stored version %s v%d: %w", flowID, version, err)
	}
	return e.canonicalExport(f)
}

func (e *Engine) canonicalExport(f *flows.Flow) ([]byte, error) {
	f.Version = 0
	for i := range f.Nodes {
		n := &f.Nodes[i]
		spec, ok := e.reg.Spec(n.Type, n.Version())
		if !ok || len(n.Params) == 0 {
			continue
		}
		var params map[string]json.RawMessage
		if json.Unmarshal(n.Params, &params) != nil {
			continue
		}
		dropped := false
		for _, p := range spec.Params {
			if _, has := params[p.Name]; has && p.Secret {
				delete(params, p.Name)
				dropped = true
			}
		}
		if dropped {
			raw, err := json.Marshal(params)
			if err != nil {
				return nil, err
			}
			n.Params = raw
		}
	}
	return flows.Canonical(f)
}
