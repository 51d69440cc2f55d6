package flows

// CONTRACT FILE: the signatures below are what engine/ and nodes/ use.
// Bodies are filled in by the flows work; keep names and meanings.

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"reflect"
	"strings"
	"sync"
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
	// Journey and Step name the flow and the node as the editor shows
	// them (see NameProblems).
	Journey string `json:"journey,omitempty"`
	Step    string `json:"step,omitempty"`
	// Severity is SeverityWarning for a warning: something that works but
	// probably not as meant, which never blocks a save, an import or a
	// publish. Empty for errors, which do.
	Severity string `json:"severity,omitempty"`
}

// SeverityWarning marks a Problem that does not block (see Check).
const SeverityWarning = "warning"

// IsWarning reports whether p is a warning rather than an error.
func (p Problem) IsWarning() bool { return p.Severity == SeverityWarning }

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
	// goalFor is the goal window (0: no limit).
	goalFor  time.Duration
	activity bool
}

// UsesActivity reports whether an expression or template of the flow
// reads a contact field of ActivityFields: only then does the engine load
// them.
func (c *Compiled) UsesActivity() bool { return c.activity }

// Node returns the compiled node with the given id, or nil.
func (c *Compiled) Node(id string) *CompiledNode { return c.Nodes[id] }

// CompiledNode is one node with its declaration and compiled parameters.
type CompiledNode struct {
	Node *Node
	Spec *TypeSpec
	// Params are the decoded params with declared defaults applied, in
	// the shapes JSON decoding gives (numbers are json.Number).
	Params map[string]any
	// Next maps an output port to the nodes it leads to, in edge order.
	Next map[string][]string
	// compiled expressions and templates keyed by param path
	// ("when", "cases[0].when", "mapping.email").
	programs  map[string]*program
	templates map[string]*template
	// paramsJSON is Params encoded once at compile time, for Decode.
	paramsJSON []byte
	// decoded holds, by type, params Decode decoded once and may copy
	// (see plainValue).
	decoded sync.Map
}

// ErrNoSuchParam is returned when a path has no compiled expression.
var ErrNoSuchParam = errors.New("no such expression parameter")

// Compile validates f against cat and compiles it. On any problem it returns
// nil and every problem found.
func Compile(f *Flow, cat Catalog) (*Compiled, []Problem) {
	if f == nil {
		return nil, []Problem{{Code: CodeBadJSON, Message: "There is no flow to check."}}
	}
	v := newValidator(f, cat)
	v.run()
	if len(v.problems) > 0 {
		sortProblems(f, v.problems)
		NameProblems(f, cat, v.problems)
		return nil, v.problems
	}
	return v.build(), nil
}

// Validate returns every problem of f (nil when valid). Warnings are not
// problems here: see Check.
func Validate(f *Flow, cat Catalog) []Problem { _, p := Compile(f, cat); return p }

// Check validates f and returns its errors, which make it invalid, and its
// warnings (Severity SeverityWarning), which never do: steps that will work,
// but probably not as meant. Errors are exactly Validate's.
func Check(f *Flow, cat Catalog) (errs, warnings []Problem) {
	if f == nil {
		return Validate(f, cat), nil
	}
	v := newValidator(f, cat)
	v.run()
	v.checkContactFields()
	for _, ps := range [][]Problem{v.problems, v.warnings} {
		sortProblems(f, ps)
		NameProblems(f, cat, ps)
	}
	return v.problems, v.warnings
}

// Warnings returns the warnings of f (see Check).
func Warnings(f *Flow, cat Catalog) []Problem { _, w := Check(f, cat); return w }

// Encode writes f as stable, indented JSON.
func Encode(f *Flow) ([]byte, error) { return json.MarshalIndent(f, "", "  ") }

// Goal reports whether the flow's goal is reached; false when no goal is
// set, or when the goal window has passed since the run started.
func (c *Compiled) Goal(env *Env) (bool, error) {
	if c.goal == nil {
		return false, nil
	}
	if c.goalFor > 0 && !env.Run.StartedAt.IsZero() && env.Now.Sub(env.Run.StartedAt) > c.goalFor {
		return false, nil
	}
	ok, err := c.goal.runBool(env)
	if err != nil {
		return false, fmt.Errorf("flow goal: %w", err)
	}
	return ok, nil
}

// Decode unmarshals the node's params (defaults applied) into v, a
// pointer. Every caller gets values of its own, which it may change
// freely: a handler that edits its params cannot change another step's or
// run's. Params that share nothing when copied (no list, map or pointer
// holds anything: see plainValue) are decoded once per type and copied;
// others are decoded afresh from the JSON encoded at compile time.
func (n *CompiledNode) Decode(v any) error {
	dst := reflect.ValueOf(v)
	if dst.Kind() == reflect.Pointer && !dst.IsNil() {
		if c, ok := n.decoded.Load(dst.Type()); ok {
			dst.Elem().Set(reflect.ValueOf(c).Elem())
			return nil
		}
	}
	if err := json.Unmarshal(n.paramsJSON, v); err != nil {
		return fmt.Errorf("node %q: decode params: %w", n.Node.ID, err)
	}
	if dst.Kind() == reflect.Pointer && plainValue(dst.Elem()) {
		c := reflect.New(dst.Type().Elem())
		c.Elem().Set(dst.Elem())
		n.decoded.Store(dst.Type(), c.Interface())
	}
	return nil
}

// plainValue reports whether a copy of v shares nothing with v that either
// could change: every slice in it is empty without room to grow into, and
// every map, pointer, interface, channel or function is nil.
func plainValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if !plainValue(v.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i := range v.Len() {
			if !plainValue(v.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		return v.Cap() == 0
	case reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return v.IsNil()
	default:
		return true // strings are immutable; numbers and bools are values
	}
}

// Eval runs the expression at path and returns its value.
//
// An expression parameter left empty gives nil. A template parameter gives
// its rendered text.
func (n *CompiledNode) Eval(path string, env *Env) (any, error) {
	if p, ok := n.programs[path]; ok {
		if p == nil {
			return nil, nil
		}
		out, err := p.run(env)
		if err == nil {
			// The value is stored with the step: it stays as small as a field.
			err = checkWrittenLen(out)
		}
		if err != nil {
			return nil, fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
		}
		return out, nil
	}
	if t, ok := n.templates[path]; ok {
		return n.render(path, t, env)
	}
	return nil, n.noSuchParam(path)
}

// Bool runs the boolean expression at path.
// An expression parameter left empty gives false.
func (n *CompiledNode) Bool(path string, env *Env) (bool, error) {
	v, err := n.Check(path, env)
	return v.Holds, err
}

// Check runs the boolean expression at path and tells which missing
// values it read: a comparison with a missing value is false, not an
// error (see notset.go). An expression parameter left empty gives false.
func (n *CompiledNode) Check(path string, env *Env) (Verdict, error) {
	p, ok := n.programs[path]
	if !ok {
		return Verdict{}, n.noSuchParam(path)
	}
	if p == nil {
		return Verdict{}, nil
	}
	v, err := p.check(env)
	if err != nil {
		return Verdict{}, fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
	}
	return v, nil
}

// Render renders the template at path; a path with no {{ }} returns the
// literal text.
// An expression parameter renders its value as a template part would; left
// empty, it renders "".
func (n *CompiledNode) Render(path string, env *Env) (string, error) {
	if t, ok := n.templates[path]; ok {
		return n.render(path, t, env)
	}
	if p, ok := n.programs[path]; ok {
		if p == nil {
			return "", nil
		}
		out, err := p.run(env)
		if err == nil {
			err = checkWrittenLen(out)
		}
		if err != nil {
			return "", fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
		}
		return FormatValue(out), nil
	}
	return "", n.noSuchParam(path)
}

// RenderHTML renders the template at path for an HTML document: the
// values of its {{ }} parts are HTML-escaped (a contact named
// "<b>Ana</b>" shows as written, and cannot inject markup), the template's
// own text is kept.
func (n *CompiledNode) RenderHTML(path string, env *Env) (string, error) {
	t, ok := n.templates[path]
	if !ok {
		return "", n.noSuchParam(path)
	}
	if t == nil {
		return "", nil
	}
	s, err := t.renderWith(env, html.EscapeString)
	if err != nil {
		return "", fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
	}
	return s, nil
}

func (n *CompiledNode) render(path string, t *template, env *Env) (string, error) {
	if t == nil {
		return "", nil
	}
	s, err := t.render(env)
	if err != nil {
		return "", fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
	}
	return s, nil
}

func (n *CompiledNode) noSuchParam(path string) error {
	return fmt.Errorf("node %q, %q: %w", n.Node.ID, path, ErrNoSuchParam)
}

// HasExpression reports whether path holds a compiled expression or
// template (possibly empty).
func (n *CompiledNode) HasExpression(path string) bool {
	_, p := n.programs[path]
	_, t := n.templates[path]
	return p || t
}

// CheckExpression compiles src against Env (as a condition when returns is
// "bool", as a template when isTemplate) and returns its problems with
// line and column, for live checking in the editor.
//
// An empty expression has no problem here: whether a value is required is
// checked with the flow.
func CheckExpression(src string, returns string, isTemplate bool) []Problem {
	if isTemplate {
		if _, err := compileTemplate(src); err != nil {
			return []Problem{{Code: CodeBadTemplate, Message: "This text does not work: " + err.Reason + ".", Line: err.Line, Column: err.Column}}
		}
		return nil
	}
	if strings.TrimSpace(src) == "" {
		return nil
	}
	if returns != ReturnsBool {
		returns = ReturnsAny
	}
	if _, err := compileExpr(src, returns); err != nil {
		what := "expression"
		if returns == ReturnsBool {
			what = "condition"
		}
		return []Problem{{Code: CodeBadExpression, Message: "This " + what + " does not work: " + err.Reason + ".", Line: err.Line, Column: err.Column}}
	}
	return nil
}

// usesActivity reports whether an expression or template of the node
// reads a contact field of ActivityFields.
func (n *CompiledNode) usesActivity() bool {
	for _, p := range n.programs {
		if p != nil && p.activity {
			return true
		}
	}
	for _, t := range n.templates {
		if t == nil {
			continue
		}
		for _, part := range t.parts {
			if part.prog != nil && part.prog.activity {
				return true
			}
		}
	}
	return false
}

// RenderJSON renders the template at path for a JSON document: the values
// of its {{ }} parts are escaped as JSON string content, so a contact
// named `Ana "the boss"` cannot break the document written around them
// (write "{{ contact.first_name }}" inside quotes for text, bare for
// numbers).
func (n *CompiledNode) RenderJSON(path string, env *Env) (string, error) {
	t, ok := n.templates[path]
	if !ok {
		return "", n.noSuchParam(path)
	}
	if t == nil {
		return "", nil
	}
	s, err := t.renderWith(env, jsonStringContent)
	if err != nil {
		return "", fmt.Errorf("node %q, %s: %w", n.Node.ID, path, err)
	}
	return s, nil
}

// jsonStringContent escapes s as the inside of a JSON string.
func jsonStringContent(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
