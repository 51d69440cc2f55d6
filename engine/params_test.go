package engine_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// A step's params are its own: a handler that edits the params it decoded
// (here, a list) leaves the next run of the same step the params the flow
// declares.
func TestHandlerEditingItsParamsLeavesOtherRunsAlone(t *testing.T) {
	t.Parallel()
	reg := nodes.Builtin()
	var (
		mu   sync.Mutex
		seen [][]string
	)
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.edit_params", Category: flows.CategoryIntegration, Title: "Edit params",
			Description: "Changes its own params.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}},
			Params: []flows.ParamSpec{{Name: "add", Label: "Tags", Kind: flows.KindStringList}}},
		Handler: nodes.HandlerFunc(func(_ context.Context, in *nodes.Input) (nodes.Result, error) {
			var p struct {
				Add []string `json:"add"`
			}
			if err := in.Node.Decode(&p); err != nil {
				return nodes.Result{}, err
			}
			mu.Lock()
			seen = append(seen, slices.Clone(p.Add))
			mu.Unlock()
			p.Add[0] = "changed by the handler"
			p.Add = append(p.Add, "added by the handler")
			return nodes.Result{}, nil
		}),
	})
	b := setup(t, setupOpts{reg: reg})
	b.publish(t, `{
  "id": "edits", "name": "Edits its params",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "go"}, "position": {"x":0,"y":0}},
    {"id": "edit", "type": "test.edit_params", "params": {"add": ["vip", "lead"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "edit"}]
}`)
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		b.event(t, engine.EventInput{Type: "go", Contact: storage.ContactRef{Email: email}})
		b.drain(t)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Fatalf("the step ran %d times, want 3", len(seen))
	}
	for i, got := range seen {
		if !slices.Equal(got, []string{"vip", "lead"}) {
			t.Fatalf("run %d decoded %q, want the declared [vip lead]", i+1, got)
		}
	}
}
