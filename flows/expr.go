package flows

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Limits on expressions, so one flow cannot make compilation or runs costly.
const (
	// MaxExpressionLen is the longest expression source, in bytes.
	MaxExpressionLen = 4 << 10
	// MaxExpressionNodes bounds the syntax tree of one expression.
	MaxExpressionNodes = 2000
)

// program is one compiled expression.
type program struct {
	source  string
	returns string
	prog    *vm.Program
	// activity is set when the expression reads a contact field of
	// ActivityFields, which the engine then loads.
	activity bool
	// guarded is set when the expression reads values that may be
	// missing (see notset.go).
	guarded bool
}

// exprError is a compile error of an expression: a plain reason and a
// 1-based position inside the source (0 when unknown).
type exprError struct {
	Line, Column int
	Reason       string
}

func (e *exprError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return fmt.Sprintf("%s (line %d, column %d)", e.Reason, e.Line, e.Column)
}

// compileExpr compiles src against Env; as a condition when returns is
// ReturnsBool.
func compileExpr(src, returns string) (*program, *exprError) {
	if len(src) > MaxExpressionLen {
		return nil, &exprError{Reason: fmt.Sprintf("it is longer than %d characters", MaxExpressionLen)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &exprError{Reason: "it is empty"}
	}
	opts := []expr.Option{
		expr.Env(Env{}),
		// now is the engine's clock (env.now), never the wall clock.
		expr.DisableBuiltin("now"),
		expr.MaxNodes(MaxExpressionNodes),
		expr.Patch(helperPatch{}),
	}
	use := &activityUse{}
	notSet := &notSetPatch{}
	budget := &budgetPatch{}
	opts = append(opts, expr.Patch(use), expr.Patch(notSet), expr.Patch(budget), expr.Patch(&recheckCalls{}))
	opts = append(opts, guardOptions()...)
	opts = append(opts, budgetOptions()...)
	if returns == ReturnsBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := compileSafely(src, opts)
	if err != nil {
		return nil, explainExprError(err, returns, src)
	}
	if budget.err != nil {
		return nil, budget.err
	}
	return &program{source: src, returns: returns, prog: prog, activity: use.found, guarded: notSet.guards > 0}, nil
}

// recheckCalls makes expr check the arguments of every call again after
// the patches. expr type-checks the tree before each patch and ignores
// those errors; its final check then trusts a call that has a type and
// skips its arguments, so `hasTag(vip)` or `contat.score > 1` (a guarded
// call) would compile with an unknown name. It runs last (expr walks
// repeatable patches after the others) and forgets the calls' types.
type recheckCalls struct{}

// Visit implements ast.Visitor.
func (recheckCalls) Visit(node *ast.Node) {
	if c, ok := (*node).(*ast.CallNode); ok {
		c.SetNature(nature.Nature{})
	}
}

// Reset and ShouldRepeat make expr run the patch after the others, once.
func (recheckCalls) Reset()             {}
func (recheckCalls) ShouldRepeat() bool { return false }

// activityUse notes whether an expression reads contact.deals_count,
// contact.open_deals or contact.last_activity_at.
type activityUse struct{ found bool }

// Visit implements ast.Visitor.
func (u *activityUse) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || id.Value != "contact" {
		return
	}
	if name, ok := m.Property.(*ast.StringNode); ok && slices.Contains(ActivityFields, name.Value) {
		u.found = true
	}
}

// compileSafely runs expr.Compile and turns a panic inside expr (a bug in
// the library on odd input) into an error: user input must never crash us.
func compileSafely(src string, opts []expr.Option) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("cannot be compiled: %v", r)
		}
	}()
	return expr.Compile(src, opts...)
}

// run evaluates the program with env (an empty Env when nil).
func (p *program) run(env *Env) (any, error) {
	out, _, err := p.runNoting(env)
	return out, err
}

// runNoting evaluates the program and also returns the names of the
// missing values it read (see notset.go).
func (p *program) runNoting(env *Env) (any, []string, error) {
	return p.runBudget(env, &evalBudget{})
}

// runBudget evaluates the program counting its work in budget.
func (p *program) runBudget(env *Env, budget *evalBudget) (any, []string, error) {
	if env == nil {
		env = &Env{}
	}
	// A copy carries this evaluation's budget and log: the caller's env
	// may be shared.
	e := *env
	budget.start()
	e.budget = budget
	var log *notSetLog
	if p.guarded {
		log = &notSetLog{}
		e.notSet = log
	}
	machine := vm.VM{MemoryBudget: MaxEvalItems}
	out, err := machine.Run(p.prog, &e)
	if err != nil {
		return nil, nil, &EvalError{Source: p.source, Err: budgetExceeded(err)}
	}
	if log != nil {
		return out, log.names, nil
	}
	return out, nil, nil
}

// runBool evaluates the program and requires a boolean result.
func (p *program) runBool(env *Env) (bool, error) {
	v, err := p.check(env)
	return v.Holds, err
}

// check evaluates the program as a condition.
func (p *program) check(env *Env) (Verdict, error) {
	out, notSet, err := p.runNoting(env)
	if err != nil {
		return Verdict{}, err
	}
	b, ok := out.(bool)
	if !ok {
		return Verdict{}, fmt.Errorf("evaluate %q: %w", p.source, &ResultError{Got: out})
	}
	return Verdict{Holds: b, NotSet: notSet}, nil
}

// Verdict is the result of a condition.
type Verdict struct {
	Holds bool
	// NotSet names the missing values the condition read, as written
	// (e.g. "trigger.score"), each once.
	NotSet []string
}

// Reason explains a false verdict that read missing values, in plain
// words; it is "" otherwise.
func (v Verdict) Reason() string {
	if v.Holds {
		return ""
	}
	return NotSetReason(v.NotSet)
}

// EvalError is an expression that failed while a run evaluated it.
type EvalError struct {
	// Source is the expression as written.
	Source string
	Err    error
}

func (e *EvalError) Error() string { return fmt.Sprintf("evaluate %q: %v", e.Source, e.Err) }

func (e *EvalError) Unwrap() error { return e.Err }

// Reason is the failure on one line, without expr's excerpt of the source.
func (e *EvalError) Reason() string {
	var fe *file.Error
	if errors.As(e.Err, &fe) {
		return fe.Message
	}
	first, _, _ := strings.Cut(e.Err.Error(), "\n")
	return first
}

// ResultError is returned when a condition does not give true or false.
type ResultError struct {
	// Got is the value the expression gave.
	Got any
}

func (e *ResultError) Error() string {
	return fmt.Sprintf("the condition gave %s, not true or false", describeValue(e.Got))
}

func describeValue(v any) string {
	if v == nil {
		return "nothing (nil)"
	}
	return fmt.Sprintf("a %T (%v)", v, v)
}

// helperPatch maps the helper names users write (hasTag) to the Env
// methods implementing them (HasTag).
type helperPatch struct{}

// Visit implements ast.Visitor.
func (helperPatch) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); ok {
		if method, ok := helperNames[id.Value]; ok {
			id.Value = method
		}
	}
}

// Messages of expr rewritten into plain words.
var (
	reUnknownName  = regexp.MustCompile(`^unknown name (\S+)$`)
	reNoField      = regexp.MustCompile(`^type (\S+) has no field (\S+)$`)
	reExpectedBool = regexp.MustCompile(`^expected bool, but got (\S+)$`)
	reMismatched   = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (\S+) and (\S+)\)$`)
)

// envNames maps Go type names of the env to the names users write.
var envNames = map[string]string{
	"flows.Env":     "the environment",
	"flows.Contact": "contact",
	"flows.Event":   "event",
	"flows.RunInfo": "run",
	"flows.Owner":   "owner",
}

// explainExprError converts an expr error into an exprError with a plain
// reason and a 1-based position.
func explainExprError(err error, returns, src string) *exprError {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return &exprError{Reason: plainExprMessage(err.Error(), returns)}
	}
	line, col := fe.Line, fe.Column+1
	if line == 0 {
		line, col = 0, 0
	}
	reason := plainExprMessage(fe.Message, returns)
	if hint := fixHint(fe.Message, reason, src, line, col); hint != "" {
		reason = hint
	}
	return &exprError{Line: line, Column: col, Reason: reason}
}

func plainExprMessage(msg, returns string) string {
	for user, method := range helperNames {
		msg = strings.ReplaceAll(msg, method, user)
	}
	if strings.Contains(msg, "exceeds maximum allowed nodes") {
		return fmt.Sprintf("it is too complex (more than %d parts); split it into smaller steps", MaxExpressionNodes)
	}
	if msg == "unexpected token EOF" {
		return "it ends too early; something is missing at the end"
	}
	if m := reUnknownName.FindStringSubmatch(msg); m != nil {
		s := fmt.Sprintf("there is nothing called %q", m[1])
		g := suggest(m[1], topLevelNames())
		if g == "" {
			g = suggestNested(m[1])
		}
		if g != "" {
			s += fmt.Sprintf(" (did you mean %q?)", g)
		}
		return s
	}
	if m := reNoField.FindStringSubmatch(msg); m != nil {
		owner, ok := envNames[m[1]]
		if !ok {
			owner = m[1]
		}
		s := fmt.Sprintf("%s has no field %q", owner, m[2])
		if g := suggest(m[2], exprFieldNames(m[1])); g != "" {
			s += fmt.Sprintf(" (did you mean %q?)", g)
		}
		return s
	}
	if m := reExpectedBool.FindStringSubmatch(msg); m != nil && returns == ReturnsBool {
		return fmt.Sprintf("a condition must give true or false, but this gives %s", typeWord(m[1]))
	}
	if m := reMismatched.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%q cannot combine %s with %s", m[1], typeWord(m[2]), typeWord(m[3]))
	}
	return msg
}

// typeWord names a Go type in plain words, with an article.
func typeWord(goType string) string {
	switch goType {
	case "int", "int64", "float64", "float32", "int32", "uint", "uint64":
		return "a number"
	case "string":
		return "a text"
	case "bool":
		return "true or false"
	case "time.Time":
		return "a time"
	case "time.Duration":
		return "a duration"
	}
	switch {
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "flows."):
		return "a set of values"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return "a " + goType
}

// topLevelNames are the names an expression may start with.
func topLevelNames() []string {
	names := exprFieldNames("flows.Env")
	for user := range helperNames {
		names = append(names, user)
	}
	slices.Sort(names)
	return names
}

// suggestNested finds a field of contact, event or run close to a name
// written without its prefix (first_name), and returns it with the prefix
// (contact.first_name), or "".
func suggestNested(name string) string {
	for _, owner := range []struct{ prefix, typ string }{
		{"contact", "flows.Contact"}, {"event", "flows.Event"}, {"run", "flows.RunInfo"}, {"owner", "flows.Owner"},
	} {
		if f := suggest(name, exprFieldNames(owner.typ)); f != "" {
			return owner.prefix + "." + f
		}
	}
	return ""
}

// exprFieldNames lists the expr names of the fields of an env type.
func exprFieldNames(typeName string) []string {
	var t reflect.Type
	switch typeName {
	case "flows.Env":
		t = reflect.TypeFor[Env]()
	case "flows.Contact":
		t = reflect.TypeFor[Contact]()
	case "flows.Event":
		t = reflect.TypeFor[Event]()
	case "flows.RunInfo":
		t = reflect.TypeFor[RunInfo]()
	case "flows.Owner":
		t = reflect.TypeFor[Owner]()
	default:
		return nil
	}
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" {
			names = append(names, tag)
		}
	}
	return names
}
