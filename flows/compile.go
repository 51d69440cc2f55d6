package flows

// CONTRACT FILE: the signatures below are what engine/ and nodes/ use.
// Bodies are filled in by the flows work; keep names and meanings.

import (
	"encoding/json"
	"errors"
	"time"
)

// Problem is one thing wrong with a flow, located as precisely as possible.
type Problem struct {
	// Code is stable and machine-readable, e.g. "missing_param".
	Code string `json:"code"`
	// NodeID is the node concerned, if any.
	NodeID string `json:"node_id,omitempty"`
	// Param is the parameter concerned (a path like "cases[1].when"), if any.
	Param string `json:"param,omitempty"`
	// Message is a sentence a marketer understands.
	Message string `json:"message"`
	// Line and Column locate the problem in a JSON document or expression.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// ProblemsError carries every problem of an invalid flow.
type ProblemsError struct {
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	if len(e.Problems) == 1 {
		return "flow is invalid: " + e.Problems[0].Message
	}
	return "flow is invalid: " + e.Problems[0].Message + " (and more problems)"
}

// Compiled is a validated flow with every expression and template compiled
// once. It is immutable and safe for concurrent use; the engine caches one
// per published flow version.
type Compiled struct {
	Flow *Flow
	// Location is the flow's time zone (UTC when unset).
	Location *time.Location
	// Nodes by id.
	Nodes map[string]*CompiledNode
	// Triggers are the trigger nodes, in document order.
	Triggers []*CompiledNode
	goal     *program
}

// CompiledNode is one node with its declaration and compiled parameters.
type CompiledNode struct {
	Node *Node
	Spec *TypeSpec
	// Params are the decoded params with declared defaults applied.
	Params map[string]any
	// Next maps an output port to the nodes it leads to, in edge order.
	Next map[string][]string
	// compiled expressions and templates keyed by param path
	// ("when", "cases[0].when", "mapping.email").
	programs  map[string]*program
	templates map[string]*template
}

// program and template are the compiled forms; defined by the flows work.
type program struct{}
type template struct{}

// ErrNoSuchParam is returned when a path has no compiled expression.
var ErrNoSuchParam = errors.New("no such expression parameter")

// Compile validates f against cat and compiles it. On any problem it returns
// nil and every problem found.
func Compile(f *Flow, cat Catalog) (*Compiled, []Problem) { panic("todo") }

// Validate returns every problem of f (nil when valid).
func Validate(f *Flow, cat Catalog) []Problem { _, p := Compile(f, cat); return p }

// Decode parses a flow document strictly: unknown fields and trailing data
// are errors, reported with line and column.
func Decode(data []byte) (*Flow, error) { panic("todo") }

// Encode writes f as stable, indented JSON.
func Encode(f *Flow) ([]byte, error) { return json.MarshalIndent(f, "", "  ") }

// Goal reports whether the flow's goal is reached; false when no goal is set.
func (c *Compiled) Goal(env *Env) (bool, error) { panic("todo") }

// Decode unmarshals the node's params (defaults applied) into v.
func (n *CompiledNode) Decode(v any) error { panic("todo") }

// Eval runs the expression at path and returns its value.
func (n *CompiledNode) Eval(path string, env *Env) (any, error) { panic("todo") }

// Bool runs the boolean expression at path.
func (n *CompiledNode) Bool(path string, env *Env) (bool, error) { panic("todo") }

// Render renders the template at path; a path with no {{ }} returns the
// literal text.
func (n *CompiledNode) Render(path string, env *Env) (string, error) { panic("todo") }

// CheckExpression compiles src against Env (as a condition when returns is
// "bool", as a template when isTemplate) and returns its problems with
// line and column, for live checking in the editor.
func CheckExpression(src string, returns string, isTemplate bool) []Problem { panic("todo") }
