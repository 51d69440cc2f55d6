package flows

import "testing"

// Every problem carries the journey's and the step's names, for the
// editor and the CLI to show instead of ids.
func TestProblemsNameTheJourneyAndTheStep(t *testing.T) {
	t.Parallel()
	f := &Flow{ID: "welcome", Name: "Welcome series", Nodes: []Node{
		{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "x"})},
		{ID: "is_hot", Type: "logic.if", Params: mustJSON(map[string]any{"condition": "contact.score >"})},
		{ID: "wait", Name: "Give them a day", Type: "wait.delay", Params: mustJSON(map[string]any{"duration": "nope"})},
	}, Edges: []Edge{{From: "start", To: "is_hot"}, {From: "is_hot", Port: "yes", To: "wait"}}}
	probs := Validate(f, testCatalog())
	want := map[string]string{"is_hot": "If / else", "wait": "Give them a day"}
	if len(probs) != len(want) {
		t.Fatalf("problems: %+v", probs)
	}
	for _, p := range probs {
		if p.Journey != "Welcome series" || p.Step != want[p.NodeID] {
			t.Errorf("%s: journey %q, step %q; want %q, %q", p.NodeID, p.Journey, p.Step, "Welcome series", want[p.NodeID])
		}
	}
	if got := StepName(f, testCatalog(), "ghost"); got != "ghost" {
		t.Errorf("an unknown step is named by its id: %q", got)
	}
	f.Name = ""
	if got := JourneyName(f); got != "welcome" {
		t.Errorf("a journey without a name: %q", got)
	}
}
