package nodes_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// testNow is the fixed clock of the handler tests: a Tuesday.
var testNow = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// testBundle is what one handler test works with.
type testBundle struct {
	store *nodestest.Contacts
	env   *flows.Env
	reg   *nodes.Registry
}

// setup returns a fresh bundle: an empty fake store and an env at testNow.
func setup(t *testing.T) *testBundle {
	t.Helper()
	return &testBundle{
		store: nodestest.NewContacts(),
		env:   &flows.Env{Now: testNow, Trigger: map[string]any{}, Vars: map[string]any{}, Run: flows.RunInfo{ID: "run1", FlowID: "test"}},
		reg:   nodes.Builtin(),
	}
}

// withContact stores c and makes it the run's contact.
func (b *testBundle) withContact(c nodestest.Contact) string {
	id := b.store.Add(c)
	b.env.Contact = b.store.Env(id)
	return id
}

// compileFlow compiles a flow holding a manual trigger "start" and a node
// "n" of typ with params, and returns node "n".
func (b *testBundle) compile(t *testing.T, typ string, params map[string]any) *flows.CompiledNode {
	t.Helper()
	c, probs := b.compileFlow(t, typ, params)
	if len(probs) > 0 {
		t.Fatalf("flow with %s %v is invalid: %+v", typ, params, probs)
	}
	return c.Nodes["n"]
}

// problems returns the problems of a flow holding typ with params.
func (b *testBundle) problems(t *testing.T, typ string, params map[string]any) []flows.Problem {
	t.Helper()
	_, probs := b.compileFlow(t, typ, params)
	return probs
}

func (b *testBundle) compileFlow(t *testing.T, typ string, params map[string]any) (*flows.Compiled, []flows.Problem) {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encode params: %v", err)
	}
	spec, ok := b.reg.Spec(typ, 1)
	if !ok {
		t.Fatalf("type %s is not registered", typ)
	}
	f := &flows.Flow{ID: "test", Name: "Test", Settings: flows.Settings{TimeZone: "Europe/Madrid"}}
	if spec.Trigger {
		f.Nodes = []flows.Node{{ID: "n", Type: typ, Params: raw}}
	} else {
		f.Nodes = []flows.Node{{ID: "start", Type: nodes.TypeManualTrigger}, {ID: "n", Type: typ, Params: raw}}
		f.Edges = []flows.Edge{{From: "start", To: "n"}}
	}
	return flows.Compile(f, b.reg)
}

// run compiles a node of typ with params and runs its handler once, with
// key "run1:n:1".
func (b *testBundle) run(t *testing.T, typ string, params map[string]any) (nodes.Result, error) {
	t.Helper()
	return b.runNode(t, b.compile(t, typ, params), "run1:n:1")
}

// runNode runs the handler of n with idempotency key key.
func (b *testBundle) runNode(t *testing.T, n *flows.CompiledNode, key string) (nodes.Result, error) {
	t.Helper()
	typ, ok := b.reg.Lookup(n.Node.Type, n.Node.Version())
	if !ok {
		t.Fatalf("type %s is not registered", n.Node.Type)
	}
	in := &nodes.Input{
		Node: n, Env: b.env, RunID: b.env.Run.ID, Visit: 1, Attempt: 1, Key: key,
		Location: mustLoad(t, "Europe/Madrid"), Contacts: b.store,
	}
	return typ.Handler.Run(context.Background(), in)
}

// mustLoad loads a time zone.
func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// wantPermanent fails unless err is a permanent error mentioning substr.
func wantPermanent(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a permanent one about %q", substr)
	}
	if !nodes.IsPermanent(err) {
		t.Fatalf("error %q is not permanent", err)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not mention %q", err, substr)
	}
}

// wantProblem fails unless probs has one on param whose message mentions substr.
func wantProblem(t *testing.T, probs []flows.Problem, param, substr string) {
	t.Helper()
	for _, p := range probs {
		if p.Param == param && strings.Contains(p.Message, substr) {
			return
		}
	}
	t.Fatalf("no problem on %q mentioning %q in %+v", param, substr, probs)
}
