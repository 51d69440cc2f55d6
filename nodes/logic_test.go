package nodes_test

import (
	"fmt"
	"testing"

	"github.com/journeyhq/journey/nodes"
)

func TestIf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		condition string
		score     int
		trigger   map[string]any
		want      string
	}{
		{name: "true takes yes", condition: "contact.score >= 50", score: 60, want: nodes.PortYes},
		{name: "false takes no", condition: "contact.score >= 50", score: 10, want: nodes.PortNo},
		{name: "reads the trigger", condition: `trigger.plan == "pro"`, trigger: map[string]any{"plan": "pro"}, want: nodes.PortYes},
		{name: "a missing trigger field is no", condition: `trigger.plan == "pro"`, want: nodes.PortNo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Contact.Score = tt.score
			if tt.trigger != nil {
				b.env.Trigger = tt.trigger
			}
			res, err := b.run(t, nodes.TypeIf, map[string]any{"condition": tt.condition})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Port != tt.want {
				t.Fatalf("port = %q, want %q", res.Port, tt.want)
			}
		})
	}
}

func TestIfRuntimeErrorIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{"n": "not a number"}
	_, err := b.run(t, nodes.TypeIf, map[string]any{"condition": "trigger.n > 5"})
	wantPermanent(t, err, "Condition")
}

// A missing value takes the No path and the step says why, in plain words.
func TestIfMissingValueIsNoWithReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{}
	res, err := b.run(t, nodes.TypeIf, map[string]any{"condition": "trigger.score >= 50"})
	if err != nil {
		t.Fatalf("a missing score failed the step: %v", err)
	}
	want := "Score (trigger.score) is not set, so the condition is false."
	if res.Port != nodes.PortNo || res.Output["result"] != false || res.Output["reason"] != want {
		t.Fatalf("port %q, output %v; want no with reason %q", res.Port, res.Output, want)
	}
	b.env.Trigger = map[string]any{"score": 70}
	res, err = b.run(t, nodes.TypeIf, map[string]any{"condition": "trigger.score >= 50"})
	if err != nil || res.Port != nodes.PortYes || res.Output["reason"] != nil {
		t.Fatalf("with a score: port %q, output %v, err %v", res.Port, res.Output, err)
	}
}

func TestSwitchMissingValueTakesOtherwiseWithReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Contact.Fields = map[string]any{}
	cases := []any{map[string]any{"name": "enterprise", "when": "contact.fields.employees >= 500"}}
	res, err := b.run(t, nodes.TypeSwitch, map[string]any{"cases": cases})
	if err != nil {
		t.Fatalf("a missing field failed the step: %v", err)
	}
	want := `Path "enterprise": Employees (contact.fields.employees) is not set, so the condition is false.`
	if res.Port != nodes.PortDefault || res.Output["reason"] != want {
		t.Fatalf("port %q, output %v; want otherwise with %q", res.Port, res.Output, want)
	}
}

func TestIfNeedsCondition(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeIf, map[string]any{}), "condition", "")
	wantProblem(t, b.problems(t, nodes.TypeIf, map[string]any{"condition": "contact.score >="}), "condition", "")
}

func TestSwitch(t *testing.T) {
	t.Parallel()
	cases := []any{
		map[string]any{"name": "enterprise", "when": "contact.fields.employees >= 500"},
		map[string]any{"name": "mid", "when": "contact.fields.employees >= 50"},
	}
	tests := []struct {
		name      string
		employees int
		want      string
	}{
		{"first matching case wins", 1000, "enterprise"},
		{"second case", 100, "mid"},
		{"no case takes default", 3, nodes.PortDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Contact.Fields = map[string]any{"employees": tt.employees}
			res, err := b.run(t, nodes.TypeSwitch, map[string]any{"cases": cases})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Port != tt.want || res.Output["path"] != tt.want {
				t.Fatalf("port = %q, output %v; want %q", res.Port, res.Output, tt.want)
			}
		})
	}
}

func TestSwitchRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dup := []any{
		map[string]any{"name": "a", "when": "true"},
		map[string]any{"name": "a", "when": "false"},
	}
	wantProblem(t, b.problems(t, nodes.TypeSwitch, map[string]any{"cases": dup}), "cases[1].name", "used twice")
	reserved := []any{map[string]any{"name": "default", "when": "true"}}
	wantProblem(t, b.problems(t, nodes.TypeSwitch, map[string]any{"cases": reserved}), "cases[0].name", "used twice")
	wantProblem(t, b.problems(t, nodes.TypeSwitch, map[string]any{"cases": []any{}}), "cases", "")
}

func TestSplitIsStablePerContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	n := b.compile(t, nodes.TypeSplit, map[string]any{"branches": []any{
		map[string]any{"name": "send", "weight": 90},
		map[string]any{"name": "control", "weight": 10},
	}})
	counts := map[string]int{}
	for i := range 2000 {
		b.env.Contact.ID = fmt.Sprintf("contact-%d", i)
		first, err := b.runNode(t, n, "k")
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		again, err := b.runNode(t, n, "k2")
		if err != nil {
			t.Fatalf("run again: %v", err)
		}
		if first.Port != again.Port {
			t.Fatalf("contact %d got %q then %q: the split must be stable", i, first.Port, again.Port)
		}
		counts[first.Port]++
	}
	if counts["control"] < 120 || counts["control"] > 280 {
		t.Fatalf("control got %d of 2000 contacts, want about 200 (10%%)", counts["control"])
	}
	if counts["send"]+counts["control"] != 2000 {
		t.Fatalf("unexpected ports: %v", counts)
	}
}

func TestSplitWithoutContactUsesRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	n := b.compile(t, nodes.TypeSplit, map[string]any{"branches": []any{
		map[string]any{"name": "a", "weight": 50},
		map[string]any{"name": "b", "weight": 50},
	}})
	seen := map[string]bool{}
	for i := range 50 {
		b.env.Run.ID = fmt.Sprintf("run-%d", i)
		res, err := b.runNode(t, n, "k")
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		seen[res.Port] = true
	}
	if !seen["a"] || !seen["b"] {
		t.Fatalf("50 runs without a contact all took one path: %v", seen)
	}
}

func TestPickBranch(t *testing.T) {
	t.Parallel()
	if got := nodes.PickBranch("c1", "n", []int{0, 0}); got != -1 {
		t.Fatalf("no positive weight picked %d, want -1", got)
	}
	if got := nodes.PickBranch("c1", "n", []int{0, 5}); got != 1 {
		t.Fatalf("only branch 1 has weight, picked %d", got)
	}
	first := nodes.PickBranch("c1", "n1", []int{1, 1})
	for range 10 {
		if got := nodes.PickBranch("c1", "n1", []int{1, 1}); got != first {
			t.Fatalf("PickBranch gave %d then %d: it must be deterministic", first, got)
		}
	}
}

func TestSplitRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	one := []any{map[string]any{"name": "a", "weight": 100}}
	wantProblem(t, b.problems(t, nodes.TypeSplit, map[string]any{"branches": one}), "branches", "at least two")
	// Everyone down one path (an experiment's winner) is allowed; nobody
	// down any path is not.
	winner := []any{map[string]any{"name": "a", "weight": 0}, map[string]any{"name": "b", "weight": 100}}
	if probs := b.problems(t, nodes.TypeSplit, map[string]any{"branches": winner}); len(probs) != 0 {
		t.Fatalf("a weight of 0 beside a weight of 100 was refused: %v", probs)
	}
	none := []any{map[string]any{"name": "a", "weight": 0}, map[string]any{"name": "b", "weight": 0}}
	wantProblem(t, b.problems(t, nodes.TypeSplit, map[string]any{"branches": none}), "branches", "weight above zero")
	negative := []any{map[string]any{"name": "a", "weight": -1}, map[string]any{"name": "b", "weight": 50}}
	if probs := b.problems(t, nodes.TypeSplit, map[string]any{"branches": negative}); len(probs) == 0 {
		t.Fatalf("a weight of -1 was accepted")
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{"plan": "pro"}
	b.env.Contact.Score = 70
	res, err := b.run(t, nodes.TypeSet, map[string]any{"values": map[string]any{
		"plan": "trigger.plan", "hot": "contact.score >= 50", "double": "contact.score * 2",
	}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := map[string]any{"plan": "pro", "hot": true, "double": 140}
	for k, v := range want {
		if res.Vars[k] != v {
			t.Fatalf("vars[%s] = %#v, want %#v (vars %v)", k, res.Vars[k], v, res.Vars)
		}
	}
	if res.Port != nodes.PortOut {
		t.Fatalf("port = %q", res.Port)
	}
}

func TestSetRejectsBadNames(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeSet, map[string]any{"values": map[string]any{"my plan": "1"}}), "values.my plan", "cannot be used")
}

func TestExit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params map[string]any
		want   nodes.Exit
	}{
		{"default outcome is exited", map[string]any{}, nodes.Exit{Outcome: nodes.OutcomeExited}},
		{"converted with a reason", map[string]any{"outcome": "converted", "reason": "booked"}, nodes.Exit{Outcome: nodes.OutcomeConverted, Reason: "booked"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, nodes.TypeExit, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Exit == nil || *res.Exit != tt.want {
				t.Fatalf("exit = %+v, want %+v", res.Exit, tt.want)
			}
		})
	}
}
