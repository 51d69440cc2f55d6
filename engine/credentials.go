package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// credentialProblems lists the steps of f that name an account
// (credential) this server does not have, or one of another kind. A flow
// with such a step stays a draft: publishing it would fail every send.
// (A required account left empty is found by flows.Validate.)
func (e *Engine) credentialProblems(db storage.Tx, f *flows.Flow) ([]flows.Problem, error) {
	missing, err := e.missingAccounts(db, f)
	if err != nil {
		return nil, err
	}
	problems := make([]flows.Problem, len(missing))
	for i, m := range missing {
		problems[i] = m.problem
	}
	return problems, nil
}

// missingAccount is a step's account that this server does not have.
type missingAccount struct {
	problem flows.Problem
	// sandboxOK says the step works without the account (its messages
	// stay in the sandbox outbox).
	sandboxOK bool
}

func (e *Engine) missingAccounts(db storage.Tx, f *flows.Flow) ([]missingAccount, error) {
	var have map[string]string // id -> kind, loaded on first need
	var problems []missingAccount
	for i := range f.Nodes {
		n := &f.Nodes[i]
		spec, ok := e.reg.Spec(n.Type, n.Version())
		if !ok || len(n.Params) == 0 {
			continue
		}
		var params map[string]json.RawMessage
		if json.Unmarshal(n.Params, &params) != nil {
			continue // flows.Validate reports it
		}
		for _, ps := range spec.Params {
			if ps.Kind != flows.KindCredential {
				continue
			}
			var id string
			if json.Unmarshal(params[ps.Name], &id) != nil || id == "" || id == nodes.TargetBuiltin {
				continue
			}
			if have == nil {
				cs, err := storage.ListCredentials(db)
				if err != nil {
					return nil, err
				}
				have = make(map[string]string, len(cs))
				for _, c := range cs {
					have[c.ID] = c.Kind
				}
			}
			kind, exists := have[id]
			// A parameter may take several kinds ("hubspot,pipedrive").
			if exists && (ps.CredentialKind == "" || slices.Contains(strings.Split(ps.CredentialKind, ","), kind)) {
				continue
			}
			kinds := strings.ReplaceAll(strconv.Quote(ps.CredentialKind), ",", `" or "`)
			label := ps.Label
			if label == "" {
				label = ps.Name
			}
			msg := fmt.Sprintf("The step %s uses the account %s for %s, which does not exist on this server: add a credential of kind %s under Settings, Credentials, then choose it here",
				strconv.Quote(flows.StepName(f, e.reg, n.ID)), strconv.Quote(id), strconv.Quote(label), kinds)
			if c, ok := nodes.ConnectorFor(id); ok && !exists && slices.Contains(strings.Split(ps.CredentialKind, ","), id) {
				// A template's placeholder: the kind stands for "your
				// account of this kind" (see "Use this template").
				msg = fmt.Sprintf("The step %s needs your %s account for %s: choose it here (add one under Settings, Credentials if there is none yet)",
					strconv.Quote(flows.StepName(f, e.reg, n.ID)), c.Title, strconv.Quote(label))
			}
			if exists {
				msg = fmt.Sprintf("The step %s uses the account %s for %s, which is a %s account, not %s: choose a credential of kind %s here",
					strconv.Quote(flows.StepName(f, e.reg, n.ID)), strconv.Quote(id), strconv.Quote(label), kind, kinds, kinds)
			}
			msg += withoutAccountHint[ps.WithoutAccount]
			problems = append(problems, missingAccount{sandboxOK: ps.WithoutAccount != "",
				problem: flows.Problem{Code: flows.CodeMissingCredential, NodeID: n.ID, Param: ps.Name, Message: msg + "."}})
		}
	}
	return problems, nil
}

// withoutAccountHint ends the message about a missing account with what
// clearing the field would do instead.
var withoutAccountHint = map[string]string{
	flows.WithoutAccountSandbox: ", or clear the field to keep what it sends in the sandbox outbox (nothing is sent)",
	flows.WithoutAccountBuiltin: ", or clear the field to use the built-in store",
	flows.WithoutAccountNone:    ", or clear the field to call without an account",
}

// sandboxSteps lists the steps of f (messages, Slack posts) that choose no
// account for a channel and so keep what they send in the sandbox outbox.
func (e *Engine) sandboxSteps(f *flows.Flow) []string {
	var out []string
	for i := range f.Nodes {
		n := &f.Nodes[i]
		spec, ok := e.reg.Spec(n.Type, n.Version())
		if !ok {
			continue
		}
		var params map[string]json.RawMessage
		_ = json.Unmarshal(n.Params, &params)
		for _, ps := range spec.Params {
			if ps.Kind != flows.KindCredential || ps.WithoutAccount != flows.WithoutAccountSandbox {
				continue
			}
			var id string
			if json.Unmarshal(params[ps.Name], &id) != nil || id == "" {
				out = append(out, n.ID)
				break
			}
		}
	}
	return out
}

// DraftProblems returns every problem of a draft: flows.Validate's, the
// accounts it names that this server does not have, and webhook paths
// another active journey listens on.
func (e *Engine) DraftProblems(f *flows.Flow) ([]flows.Problem, error) {
	problems, _, err := e.DraftCheck(f)
	return problems, err
}

// DraftCheck returns DraftProblems' problems, which keep the draft from
// being published, and its warnings (flows.Check), which never do.
func (e *Engine) DraftCheck(f *flows.Flow) (problems, warnings []flows.Problem, err error) {
	problems, warnings = flows.Check(f, e.reg)
	more, err := e.credentialProblems(e.store.Reader(), f)
	if err != nil {
		return nil, nil, err
	}
	clashes, err := e.hookClashes(e.store.Reader(), f)
	more = append(more, clashes...)
	flows.NameProblems(f, e.reg, more)
	return append(problems, more...), warnings, err
}

// sandboxMissingAccounts clears, in f, each account that this server does
// not have on a step that works without one, so that a test run of a draft
// imported without its accounts sends to the sandbox outbox. A step that
// cannot work without its account keeps the test from running.
func (e *Engine) sandboxMissingAccounts(db storage.Tx, f *flows.Flow) error {
	missing, err := e.missingAccounts(db, f)
	if err != nil {
		return err
	}
	var blocking []flows.Problem
	for _, m := range missing {
		if !m.sandboxOK {
			blocking = append(blocking, m.problem)
			continue
		}
		for i := range f.Nodes {
			n := &f.Nodes[i]
			if n.ID != m.problem.NodeID {
				continue
			}
			var params map[string]json.RawMessage
			if err := json.Unmarshal(n.Params, &params); err != nil {
				return err
			}
			delete(params, m.problem.Param)
			raw, err := json.Marshal(params)
			if err != nil {
				return err
			}
			n.Params = raw
		}
	}
	if len(blocking) > 0 {
		return &flows.ProblemsError{Problems: blocking}
	}
	return nil
}
