package nodes

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// Logic node type ids.
const (
	TypeIf     = "logic.if"
	TypeSwitch = "logic.switch"
	TypeSplit  = "logic.split"
	TypeSet    = "data.set"
	TypeExit   = "flow.exit"
)

// Logic param names.
const (
	paramCondition = "condition"
	paramCases     = "cases"
	paramBranches  = "branches"
	paramValues    = "values"
	paramOutcome   = "outcome"
	paramReason    = "reason"

	fieldName   = "name"
	fieldWhen   = "when"
	fieldWeight = "weight"
)

// Ports of the logic nodes.
const (
	PortYes     = "yes"
	PortNo      = "no"
	PortDefault = "default"
)

// IfParams are logic.if's params.
type IfParams struct {
	// Condition is an expression returning true or false ("condition").
	Condition string `json:"condition"`
}

func ifNode() *Type {
	return define(flows.TypeSpec{
		Type:        TypeIf,
		Category:    flows.CategoryLogic,
		Title:       "If / else",
		Description: "Checks a condition and sends the contact down the Yes path when it holds, otherwise down the No path.",
		Outputs:     []flows.PortSpec{{Name: PortYes, Label: "Yes"}, {Name: PortNo, Label: "No"}},
		Params: []flows.ParamSpec{{
			Name: paramCondition, Label: "Condition", Kind: flows.KindExpression, Returns: flows.ReturnsBool, Required: true,
			Description: "What must be true to take the Yes path, for example: Lead score is at least 50.",
			Example:     "contact.score >= 50",
		}},
		Examples: []flows.Example{
			{Title: "Hot lead", Params: map[string]any{paramCondition: "contact.score >= 50"}},
			{Title: "Asked for a demo in the chat", Params: map[string]any{paramCondition: `lower(string(trigger.transcript)) contains "demo"`}},
		},
	}, runIf)
}

func runIf(_ context.Context, in *Input, _ *IfParams) (Result, error) {
	v, err := in.Node.Check(paramCondition, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramCondition, err)
	}
	port := PortNo
	if v.Holds {
		port = PortYes
	}
	out := map[string]any{"result": v.Holds}
	if r := v.Reason(); r != "" {
		out["reason"] = r
	}
	return Result{Port: port, Output: out}, nil
}

// SwitchParams are logic.switch's params.
type SwitchParams struct {
	// Cases are checked in order ("cases").
	Cases []SwitchCase `json:"cases"`
}

// SwitchCase is one path of a switch.
type SwitchCase struct {
	// Name is the port the case leads to ("name").
	Name string `json:"name"`
	// When is the case's condition ("when").
	When string `json:"when"`
}

func switchNode() *Type {
	return define(flows.TypeSpec{
		Type:     TypeSwitch,
		Category: flows.CategoryLogic,
		Title:    "Choose a path",
		Description: "Checks several conditions in order and sends the contact down the path of the first one that holds. " +
			"When none holds, the contact takes the Otherwise path.",
		Outputs:      []flows.PortSpec{{Name: PortDefault, Label: "Otherwise"}},
		DynamicPorts: paramCases,
		Params: []flows.ParamSpec{{
			Name: paramCases, Label: "Paths", Kind: flows.KindList, Required: true,
			Description: "Each path has a name (shown on its connection) and a condition; the first path whose condition holds wins.",
			Fields: []flows.ParamSpec{
				{Name: fieldName, Label: "Path name", Kind: flows.KindString, Required: true, Example: "enterprise"},
				{Name: fieldWhen, Label: "When", Kind: flows.KindExpression, Returns: flows.ReturnsBool, Required: true, Example: "contact.fields.employees >= 500"},
			},
			Example: []any{map[string]any{fieldName: "enterprise", fieldWhen: "contact.fields.employees >= 500"}},
		}},
		Rules: []flows.Rule{portNamesRule(paramCases, PortDefault), minItemsRule(paramCases, 1, "Add at least one path.")},
		Examples: []flows.Example{{
			Title: "Route by company size",
			Params: map[string]any{paramCases: []any{
				map[string]any{fieldName: "enterprise", fieldWhen: "contact.fields.employees >= 500"},
				map[string]any{fieldName: "mid_market", fieldWhen: "contact.fields.employees >= 50"},
			}},
		}},
	}, runSwitch)
}

func runSwitch(_ context.Context, in *Input, p *SwitchParams) (Result, error) {
	// reasons say which paths were passed over for a missing value.
	var reasons []string
	for i, c := range p.Cases {
		path := fmt.Sprintf("%s[%d].%s", paramCases, i, fieldWhen)
		v, err := in.Node.Check(path, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, path, err)
		}
		if v.Holds {
			return Result{Port: c.Name, Output: switchOutput(c.Name, reasons)}, nil
		}
		if r := v.Reason(); r != "" {
			reasons = append(reasons, fmt.Sprintf("Path %q: %s", c.Name, r))
		}
	}
	return Result{Port: PortDefault, Output: switchOutput(PortDefault, reasons)}, nil
}

func switchOutput(path string, reasons []string) map[string]any {
	out := map[string]any{"path": path}
	if len(reasons) > 0 {
		out["reason"] = strings.Join(reasons, " ")
	}
	return out
}

// SplitParams are logic.split's params.
type SplitParams struct {
	// Branches share the contacts by weight ("branches").
	Branches []SplitBranch `json:"branches"`
}

// SplitBranch is one branch of an A/B split.
type SplitBranch struct {
	// Name is the port the branch leads to ("name").
	Name string `json:"name"`
	// Weight is the branch's share, 0 (nobody) to 100 ("weight").
	Weight int `json:"weight"`
}

func splitNode() *Type {
	// A weight of 0 sends nobody down a path: that is how an experiment's
	// winner gets everyone while the other paths stay in place.
	minW, maxW := 0.0, 100.0
	return define(flows.TypeSpec{
		Type:     TypeSplit,
		Category: flows.CategoryLogic,
		Title:    "A/B split",
		Description: "Shares contacts between several paths by weight, e.g. 50/50 to test two messages. " +
			"A contact always lands on the same path, even if it goes through the journey again.",
		DynamicPorts: paramBranches,
		Params: []flows.ParamSpec{{
			Name: paramBranches, Label: "Paths", Kind: flows.KindList, Required: true,
			Description: "Each path has a name and a weight; a path with weight 30 out of a total of 100 gets about 30% of contacts, and a path with weight 0 gets nobody.",
			Fields: []flows.ParamSpec{
				{Name: fieldName, Label: "Path name", Kind: flows.KindString, Required: true, Example: "a"},
				{Name: fieldWeight, Label: "Weight", Kind: flows.KindInteger, Required: true, Min: &minW, Max: &maxW, Example: 50},
			},
			Example: []any{map[string]any{fieldName: "a", fieldWeight: 50}, map[string]any{fieldName: "b", fieldWeight: 50}},
		}},
		Rules: []flows.Rule{portNamesRule(paramBranches), minItemsRule(paramBranches, 2, "An A/B split needs at least two paths."), splitWeightsRule},
		Examples: []flows.Example{
			{Title: "50/50 test", Params: map[string]any{paramBranches: []any{
				map[string]any{fieldName: "a", fieldWeight: 50}, map[string]any{fieldName: "b", fieldWeight: 50},
			}}},
			{Title: "Hold out 10%", Params: map[string]any{paramBranches: []any{
				map[string]any{fieldName: "send", fieldWeight: 90}, map[string]any{fieldName: "control", fieldWeight: 10},
			}}},
		},
	}, runSplit)
}

// minItemsRule requires at least n items in a list param.
func minItemsRule(list string, n int, msg string) flows.Rule {
	return func(params map[string]any) []flows.Problem {
		if len(paramItems(params, list)) < n {
			return []flows.Problem{problem(codeMissingParam, list, "%s", msg)}
		}
		return nil
	}
}

// splitWeightsRule checks that the weights add up to more than zero.
func splitWeightsRule(params map[string]any) []flows.Problem {
	total := 0.0
	for _, b := range paramItems(params, paramBranches) {
		if w, ok := paramNumber(b, fieldWeight); ok && w > 0 {
			total += w
		}
	}
	if len(paramItems(params, paramBranches)) > 0 && total <= 0 {
		return []flows.Problem{problem(codeInvalidParam, paramBranches, "Give at least one path a weight above zero.")}
	}
	return nil
}

func runSplit(_ context.Context, in *Input, p *SplitParams) (Result, error) {
	subject := in.RunID
	if in.Env != nil && in.Env.Contact.ID != "" {
		subject = in.Env.Contact.ID
	}
	nodeID := ""
	if in.Node != nil && in.Node.Node != nil {
		nodeID = in.Node.Node.ID
	}
	weights := make([]int, len(p.Branches))
	for i, b := range p.Branches {
		weights[i] = b.Weight
	}
	i := PickBranch(subject, nodeID, weights)
	if i < 0 {
		return Result{}, Permanentf("this A/B split has no path with a weight above zero")
	}
	name := p.Branches[i].Name
	return Result{Port: name, Output: map[string]any{"path": name}}, nil
}

// PickBranch chooses a branch by weight, stably: the same subject (a
// contact or run id) and node always get the same branch. It hashes
// subject and node with FNV-1a and maps the hash onto the cumulative
// weights; weights of zero or less never win. It returns -1 when no weight
// is positive.
func PickBranch(subject, nodeID string, weights []int) int {
	total := 0
	for _, w := range weights {
		if w > 0 {
			total += w
		}
	}
	if total == 0 {
		return -1
	}
	h := fnv.New64a()
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write([]byte(nodeID))
	n := int(h.Sum64() % uint64(total))
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		if n < w {
			return i
		}
		n -= w
	}
	return -1 // unreachable
}

// SetParams are data.set's params.
type SetParams struct {
	// Values maps variable names to expressions ("values").
	Values map[string]string `json:"values"`
}

// varNamePattern is what a variable name may look like.
var varNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func setNode() *Type {
	return define(flows.TypeSpec{
		Type:        TypeSet,
		Category:    flows.CategoryLogic,
		Title:       "Remember values",
		Description: "Works out values and keeps them for the rest of the journey, where later steps read them as vars followed by the name, e.g. vars.plan.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{{
			Name: paramValues, Label: "Values", Kind: flows.KindMap, Returns: flows.ReturnsAny, Required: true,
			Description: "Each value's name and how to work it out, e.g. plan = trigger.plan.",
			Example:     map[string]any{"plan": "trigger.plan", "is_vip": "contact.score > 80"},
		}},
		Rules: []flows.Rule{setNamesRule},
		Examples: []flows.Example{{
			Title:  "Keep the plan and whether the lead is hot",
			Params: map[string]any{paramValues: map[string]any{"plan": "trigger.plan", "hot": "contact.score >= 50"}},
		}},
	}, runSet)
}

// setNamesRule checks that variable names can be written as vars.<name>.
func setNamesRule(params map[string]any) []flows.Problem {
	values, _ := params[paramValues].(map[string]any)
	var probs []flows.Problem
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !varNamePattern.MatchString(name) {
			probs = append(probs, problem(codeInvalidParam, paramValues+"."+name,
				"The name %q cannot be used: use letters, digits and underscores, starting with a letter.", name))
		}
	}
	return probs
}

func runSet(_ context.Context, in *Input, p *SetParams) (Result, error) {
	vars := make(map[string]any, len(p.Values))
	for _, name := range slices.Sorted(maps.Keys(p.Values)) {
		path := paramValues + "." + name
		v, err := in.Node.Eval(path, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, path, err)
		}
		vars[name] = v
	}
	return Result{Port: PortOut, Vars: vars, Output: maps.Clone(vars)}, nil
}

// ExitParams are flow.exit's params.
type ExitParams struct {
	// Outcome is "exited" or "converted" ("outcome").
	Outcome string `json:"outcome"`
	// Reason is shown on the run ("reason").
	Reason string `json:"reason,omitempty"`
}

func exitNode() *Type {
	return define(flows.TypeSpec{
		Type:        TypeExit,
		Category:    flows.CategoryLogic,
		Title:       "End the journey",
		Description: "Ends the journey for this contact here, either as reaching the goal (converted) or simply leaving.",
		Params: []flows.ParamSpec{
			{
				Name: paramOutcome, Label: "Outcome", Kind: flows.KindEnum, Enum: []string{OutcomeExited, OutcomeConverted},
				Default: OutcomeExited, Description: "converted counts the contact as reaching the journey's goal; exited just ends it.",
			},
			{
				Name: paramReason, Label: "Reason", Kind: flows.KindString,
				Description: "A short note shown on the run, e.g. 'already a customer'.", Example: "already a customer",
			},
		},
		Examples: []flows.Example{
			{Title: "Goal reached", Params: map[string]any{paramOutcome: OutcomeConverted, paramReason: "booked a demo"}},
			{Title: "Stop here", Params: map[string]any{paramReason: "already a customer"}},
		},
	}, runExit)
}

func runExit(_ context.Context, _ *Input, p *ExitParams) (Result, error) {
	outcome := p.Outcome
	if outcome == "" {
		outcome = OutcomeExited
	}
	return Result{
		Exit:   &Exit{Outcome: outcome, Reason: p.Reason},
		Output: map[string]any{"outcome": outcome, "reason": p.Reason},
	}, nil
}
