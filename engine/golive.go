package engine

import (
	"encoding/json"
	"fmt"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// GoLiveCheck is one thing to know about a step before publishing.
type GoLiveCheck struct {
	NodeID string `json:"node_id"`
	// Step is what the marketer calls the step.
	Step    string `json:"step"`
	Message string `json:"message"`
}

// GoLiveChecks is what publishing the draft would do that a marketer may
// not expect: steps that send nothing, steps that cannot work, webhook
// addresses taken.
type GoLiveChecks struct {
	// Sandboxed are message (and Slack) steps with no account chosen:
	// what they send is kept in the sandbox outbox, not delivered.
	Sandboxed []GoLiveCheck `json:"sandboxed"`
	// MissingAccounts are steps whose account is required but not
	// chosen, or names one this server does not have; they block
	// publishing.
	MissingAccounts []GoLiveCheck `json:"missing_accounts"`
	// HookClashes are webhook triggers whose address another active
	// journey listens on; they block publishing.
	HookClashes []GoLiveCheck `json:"hook_clashes"`
	// UnpublishedChanges is true when the draft differs from the live
	// version (always false for a journey never published).
	UnpublishedChanges bool `json:"unpublished_changes"`
}

// GoLive checks the stored draft of flowID before it is published.
func (e *Engine) GoLive(flowID string) (*GoLiveChecks, error) {
	db := e.store.Reader()
	sf, f, err := e.Draft(flowID)
	if err != nil {
		return nil, err
	}
	out := &GoLiveChecks{Sandboxed: []GoLiveCheck{}, MissingAccounts: []GoLiveCheck{}, HookClashes: []GoLiveCheck{}}
	for _, id := range e.sandboxSteps(f) {
		label := e.stepLabel(f, id)
		out.Sandboxed = append(out.Sandboxed, GoLiveCheck{NodeID: id, Step: label, Message: fmt.Sprintf(
			"“%s” has no account chosen, so its messages stay in the sandbox outbox: nobody receives them. Choose an account on the step to send for real.", label)})
	}
	missing, err := e.credentialProblems(db, f)
	if err != nil {
		return nil, err
	}
	for _, p := range flows.Validate(f, e.reg) {
		if p.Code == flows.CodeMissingCredential {
			missing = append(missing, p)
		}
	}
	out.MissingAccounts = e.checksOf(f, missing)
	clashes, err := e.hookClashes(db, f)
	if err != nil {
		return nil, err
	}
	out.HookClashes = e.checksOf(f, clashes)
	out.UnpublishedChanges, err = e.unpublished(db, sf)
	return out, err
}

func (e *Engine) checksOf(f *flows.Flow, ps []flows.Problem) []GoLiveCheck {
	out := make([]GoLiveCheck, len(ps))
	for i, p := range ps {
		out[i] = GoLiveCheck{NodeID: p.NodeID, Step: e.stepLabel(f, p.NodeID), Message: p.Message}
	}
	return out
}

func (e *Engine) stepLabel(f *flows.Flow, nodeID string) string {
	if n := f.Node(nodeID); n != nil {
		return flows.StepLabel(n, e.reg)
	}
	return nodeID
}

// hookClashes lists the webhook triggers of f whose path another active
// journey already listens on. It reads the draft's params directly, so an
// unfinished draft is checked too (at every save, not only at publish).
func (e *Engine) hookClashes(db storage.Tx, f *flows.Flow) ([]flows.Problem, error) {
	var out []flows.Problem
	for i := range f.Nodes {
		n := &f.Nodes[i]
		spec, ok := e.reg.Spec(n.Type, n.Version())
		if !ok || spec.Type != nodes.TypeWebhookTrigger {
			continue
		}
		var p nodes.WebhookParams
		if json.Unmarshal(n.Params, &p) != nil || p.Path == "" {
			continue // flows.Validate reports it
		}
		problem, err := hookClash(db, f.ID, n.ID, p.Path)
		if err != nil {
			return nil, err
		}
		if problem != nil {
			out = append(out, *problem)
		}
	}
	return out, nil
}

// hookClash is the problem of a webhook trigger whose path another active
// journey listens on (nil when the path is free).
func hookClash(db storage.Tx, flowID, nodeID, path string) (*flows.Problem, error) {
	other, err := storage.HookPathTaken(db, path, flowID)
	if err != nil || other == "" {
		return nil, err
	}
	return &flows.Problem{Code: "hook_path_taken", NodeID: nodeID, Param: "path",
		Message: fmt.Sprintf("The webhook path %q is already used by the active journey %q; choose another path or pause that journey.", path, other)}, nil
}
