package flows

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// Runs evaluate expressions while the engine holds the database's only
// writer, so one evaluation must stay small: expr has no time limit and
// does not count the texts it builds. Every evaluation gets a budget of
// loop steps (each item a map/filter/sum/... visits), of list items (expr's
// memory budget) and of text it builds; going over fails the step for good.
const (
	// MaxEvalSteps is the most items the loops of one evaluation visit.
	MaxEvalSteps = 100_000
	// MaxEvalItems is expr's memory budget: list and map items, plus the
	// bytes of repeat().
	MaxEvalItems = 1_000_000
	// MaxTextLen is the longest text an expression builds, and the longest
	// output of one template field.
	MaxTextLen = 256 << 10
	// MaxEvalText is the most text one evaluation builds in total.
	MaxEvalText = 4 << 20
	// MaxEvalTime is a backstop for work the counts above miss (say a
	// regular expression over a long text in every loop step): loops stop
	// once an evaluation has run this long. Far above a normal one (<10ms).
	MaxEvalTime = time.Second
)

// Names of the budget functions; users never write them.
const (
	budgetStep   = "__budgetStep"
	budgetAdd    = "__budgetAdd"
	budgetString = "__budgetString"
)

// BudgetError is an evaluation that went over one of its limits.
type BudgetError struct {
	// Limit names the limit in plain words, e.g. "100000 loop steps in
	// one evaluation".
	Limit string
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("it went over the limit of %s; use smaller lists, fewer nested loops or shorter texts", e.Limit)
}

// IsBudgetError reports whether err is an evaluation that went over a limit.
func IsBudgetError(err error) bool {
	var b *BudgetError
	return errors.As(err, &b)
}

var (
	errTooManySteps = &BudgetError{Limit: fmt.Sprintf("%d loop steps in one evaluation", MaxEvalSteps)}
	errTooManyItems = &BudgetError{Limit: fmt.Sprintf("%d list items in one evaluation", MaxEvalItems)}
	errTextTooLong  = &BudgetError{Limit: fmt.Sprintf("%d characters in one text", MaxTextLen)}
	errTooMuchText  = &BudgetError{Limit: fmt.Sprintf("%d characters of text built in one evaluation", MaxEvalText)}
	errTooSlow      = &BudgetError{Limit: fmt.Sprintf("%s of work in one evaluation", MaxEvalTime)}
	errFieldTooLong = &BudgetError{Limit: fmt.Sprintf("%d characters in one filled-in field", MaxTextLen)}
)

// evalBudget is what one evaluation has used so far.
type evalBudget struct {
	steps int
	text  int
	// started is when the evaluation began, on clock (time.Now when nil).
	started time.Time
	clock   func() time.Time
}

func (b *evalBudget) now() time.Time {
	if b.clock != nil {
		return b.clock()
	}
	return budgetClock()
}

// budgetClock is the clock of the time backstop. The tests of the count
// limits freeze it (main_test.go): under -race on a loaded machine, an
// evaluation near a count limit can take longer than MaxEvalTime, and
// would then stop at the backstop instead of the limit under test.
var budgetClock = time.Now

// start notes when the evaluation began, once.
func (b *evalBudget) start() {
	if b.started.IsZero() {
		b.started = b.now()
	}
}

// stepTimeEvery is how many loop steps pass between looks at the clock.
const stepTimeEvery = 16

// spendText counts n characters of built text.
func (b *evalBudget) spendText(n int) error {
	if n > MaxTextLen {
		return errTextTooLong
	}
	if b == nil {
		return nil
	}
	b.text += n
	if b.text > MaxEvalText {
		return errTooMuchText
	}
	return nil
}

func budgetOf(v any) *evalBudget {
	if env, ok := v.(*Env); ok {
		return env.budget
	}
	return nil
}

// budgetOptions declare the budget functions to the compiler.
func budgetOptions() []expr.Option {
	return []expr.Option{
		expr.Function(budgetStep, budgetStepFunc, new(func(any) bool)),
		expr.Function(budgetAdd, budgetAddFunc,
			new(func(string, string, any) string), new(func(any, any, any) any)),
		expr.Function(budgetString, budgetStringFunc, new(func(string, []any, any) string)),
	}
}

// budgetStepFunc is (env): one more item visited by a loop.
func budgetStepFunc(args ...any) (any, error) {
	if b := budgetOf(args[0]); b != nil {
		b.steps++
		if b.steps > MaxEvalSteps {
			return nil, errTooManySteps
		}
		if b.steps%stepTimeEvery == 0 && b.now().Sub(b.started) > MaxEvalTime {
			return nil, errTooSlow
		}
	}
	return true, nil
}

// budgetAddFunc is (left, right, env): `+` that counts the text it builds.
func budgetAddFunc(args ...any) (any, error) {
	a, b := args[0], args[1]
	sa, okA := a.(string)
	sb, okB := b.(string)
	if okA && okB {
		if err := budgetOf(args[2]).spendText(len(sa) + len(sb)); err != nil {
			return nil, err
		}
		return sa + sb, nil
	}
	return runtime.Add(a, b), nil
}

// budgetStringFunc is (builtin name, arguments, env): the text builtins
// whose result can be much longer than their arguments, checked before
// the text is built.
func budgetStringFunc(args ...any) (any, error) {
	name, in := args[0].(string), args[1].([]any)
	if err := budgetOf(args[2]).spendText(builtTextLen(name, in)); err != nil {
		return nil, err
	}
	f := builtin.Builtins[builtin.Index[name]]
	if f.Fast != nil && len(in) == 1 {
		return f.Fast(in[0]), nil
	}
	if f.Safe != nil {
		out, _, err := f.Safe(in...)
		return out, err
	}
	return f.Func(in...)
}

// textBuiltins are the builtins budgetStringFunc checks.
var textBuiltins = map[string]bool{"join": true, "replace": true, "repeat": true, "toJSON": true, "string": true,
	// These build a text as long as their argument (a third longer for
	// base64): many of them in a loop would still add up.
	"upper": true, "lower": true, "toBase64": true, "fromBase64": true}

// builtTextLen is the length of the text a builtin would build, or 0 when
// the arguments are not what it takes (the builtin then says so).
func builtTextLen(name string, in []any) int {
	switch {
	case name == "repeat" && len(in) == 2:
		s, ok := in[0].(string)
		if !ok {
			return 0
		}
		n := runtime.ToInt(in[1])
		if n > 0 && len(s) > 0 && n > MaxTextLen/len(s) {
			return MaxTextLen + 1
		}
		return len(s) * max(n, 0)
	case name == "replace" && len(in) >= 3:
		s, okS := in[0].(string)
		old, okO := in[1].(string)
		repl, okR := in[2].(string)
		if !okS || !okO || !okR {
			return 0
		}
		return len(s) + strings.Count(s, old)*max(len(repl)-len(old), 0)
	case (name == "upper" || name == "lower" || name == "fromBase64") && len(in) == 1:
		s, _ := in[0].(string)
		return len(s)
	case name == "toBase64" && len(in) == 1:
		s, _ := in[0].(string)
		return (len(s) + 2) / 3 * 4
	case (name == "toJSON" || name == "string") && len(in) == 1:
		return writtenLen(reflect.ValueOf(in[0]), MaxTextLen+1)
	case name == "join" && len(in) >= 1:
		sep := ""
		if len(in) == 2 {
			sep, _ = in[1].(string)
		}
		rv := reflect.ValueOf(in[0])
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return 0
		}
		total := 0
		for i := 0; i < rv.Len() && total <= MaxTextLen; i++ {
			if s, ok := rv.Index(i).Interface().(string); ok {
				total += len(s) + len(sep)
			}
		}
		return total
	}
	return 0
}

// budgetPatch puts the budget into the program: a step count in every
// loop body, `+` on texts counted, and the text builtins checked. Sizes
// known when the flow is saved (a range 1..1000000, repeat("ab", 999999))
// are refused then, with a plain reason.
type budgetPatch struct{ err *exprError }

// Visit implements ast.Visitor.
func (p *budgetPatch) Visit(node *ast.Node) {
	env := func() ast.Node { return &ast.IdentifierNode{Value: "$env"} }
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		step := &ast.CallNode{Callee: &ast.IdentifierNode{Value: budgetStep}, Arguments: []ast.Node{env()}}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{step, n.Node}}
	case *ast.BinaryNode:
		if n.Operator == ".." {
			p.checkRange(n)
			return
		}
		if n.Operator != "+" || !mayBeText(n.Left, n.Right) {
			return
		}
		ast.Patch(node, &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: budgetAdd},
			Arguments: []ast.Node{n.Left, n.Right, env()},
		})
	case *ast.BuiltinNode:
		if !textBuiltins[n.Name] {
			return
		}
		p.checkConstantText(n.Name, n.Arguments)
		ast.Patch(node, &ast.CallNode{
			Callee: &ast.IdentifierNode{Value: budgetString},
			Arguments: []ast.Node{&ast.StringNode{Value: n.Name},
				&ast.ArrayNode{Nodes: n.Arguments}, env()},
		})
	}
}

// mayBeText reports whether `l + r` may join texts: both are texts, or one
// is unknown until run time and the other is a text or unknown too.
func mayBeText(l, r ast.Node) bool {
	kl, kr := textKind(l), textKind(r)
	return kl != "" && kr != "" && (kl == "text" || kr == "text" || kl == "unknown")
}

func textKind(n ast.Node) string {
	t := n.Type()
	switch {
	case t == nil || t.Kind() == reflect.Interface:
		return "unknown"
	case t.Kind() == reflect.String:
		return "text"
	}
	return ""
}

// checkRange refuses a range of constant numbers longer than a run may use.
func (p *budgetPatch) checkRange(n *ast.BinaryNode) {
	from, okF := n.Left.(*ast.IntegerNode)
	to, okT := n.Right.(*ast.IntegerNode)
	if okF && okT && p.err == nil && to.Value-from.Value >= MaxEvalSteps {
		p.err = &exprError{Reason: fmt.Sprintf("the range %d..%d has more than %d numbers, more than one step may go through", from.Value, to.Value, MaxEvalSteps)}
	}
}

// checkConstantText refuses repeat() of a constant text longer than a run
// may build.
func (p *budgetPatch) checkConstantText(name string, args []ast.Node) {
	if name != "repeat" || len(args) != 2 || p.err != nil {
		return
	}
	s, okS := args[0].(*ast.StringNode)
	k, okK := args[1].(*ast.IntegerNode)
	if okS && okK && builtTextLen(name, []any{s.Value, k.Value}) > MaxTextLen {
		p.err = &exprError{Reason: fmt.Sprintf("this repeat() makes a text longer than %d characters, more than one step may build", MaxTextLen)}
	}
}

// budgetExceeded turns expr's own "memory budget exceeded" into a
// BudgetError that names the limit; other errors are kept.
func budgetExceeded(err error) error {
	if !IsBudgetError(err) && strings.Contains(err.Error(), "memory budget exceeded") {
		return errTooManyItems
	}
	return err
}

// writtenLen estimates how long v is once written out (as JSON or by
// FormatValue), counting no further than limit: a list of a million
// copies of one long text is small in memory but huge written.
func writtenLen(v reflect.Value, limit int) int {
	n := 0
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if n > limit {
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.String:
			n += v.Len() + 2
		case reflect.Slice, reflect.Array:
			n += 2
			for i := 0; i < v.Len() && n <= limit; i++ {
				n++
				walk(v.Index(i))
			}
		case reflect.Map:
			n += 2
			it := v.MapRange()
			for it.Next() && n <= limit {
				n += 2
				walk(it.Key())
				walk(it.Value())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField() && n <= limit; i++ {
				if v.Type().Field(i).IsExported() {
					n += 4 + len(v.Type().Field(i).Name)
					walk(v.Field(i))
				}
			}
		default:
			n += 24
		}
	}
	walk(v)
	return n
}

// checkWrittenLen fails when v written out would be longer than one
// field may be.
func checkWrittenLen(v any) error {
	switch v.(type) {
	case nil, string, bool, int, int64, float64:
		return nil
	}
	if writtenLen(reflect.ValueOf(v), MaxTextLen+1) > MaxTextLen {
		return errFieldTooLong
	}
	return nil
}
