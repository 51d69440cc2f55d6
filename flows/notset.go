package flows

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Data from webhooks and events is free-form: a field the journey reads may
// be missing. expr fails `trigger.score >= 50` at run time when score is
// missing ("invalid operation: <nil> >= int"); a marketer expects "not set"
// instead, as in any segment builder. So, at compile time, every operator
// that fails or silently gives false on a missing value, and has an operand
// whose type is unknown (a field of trigger, vars, event.data or
// contact.fields), is rewritten into a call of a guard function: on a missing
// operand a comparison gives false and arithmetic gives nothing, and the
// operand's name is noted so the step can say why. `==` and `!=` need no
// guard (`trigger.x != "a"` holds when x is missing). Any other error, e.g.
// `"abc" >= 5`, still fails.

// Names of the guard functions; users never write them.
const (
	guardCompare = "__notSetCompare"
	guardMath    = "__notSetMath"
	guardFetch   = "__notSetFetch"
	guardBuiltin = "__notSetBuiltin"
	guardSince   = "__notSetSince"
)

// guardedCompare and guardedMath are the operators the guards cover.
var (
	guardedCompare = []string{"<", ">", "<=", ">=", "contains", "startsWith", "endsWith", "matches", "in"}
	guardedMath    = []string{"+", "-", "*", "/", "%", "**", "^"}
	// guardedBuiltins fail on a missing argument; a missing list or text
	// has length 0, the others give nothing.
	guardedBuiltins = []string{"lower", "upper", "trim", "len"}
)

// notSetLog collects the names of the missing values one evaluation read.
type notSetLog struct{ names []string }

func (l *notSetLog) add(name string) {
	if name != "" && !slices.Contains(l.names, name) {
		l.names = append(l.names, name)
	}
}

// guardOptions declare the guard functions to the compiler.
func guardOptions() []expr.Option {
	return []expr.Option{
		expr.Function(guardCompare, guardedCompareFunc, new(func(string, any, any, string, string, any) bool)),
		expr.Function(guardMath, guardedMathFunc, new(func(string, any, any, string, string, any) any)),
		expr.Function(guardFetch, guardedFetchFunc, new(func(any, any) any)),
		expr.Function(guardBuiltin, guardedBuiltinFunc, new(func(string, any, string, any) any)),
		expr.Function(guardSince, guardedSinceFunc, new(func(string, any, string, any) any)),
	}
}

// guardedCompareFunc is (op, left, right, left name, right name, env).
func guardedCompareFunc(args ...any) (any, error) {
	op, a, b := args[0].(string), args[1], args[2]
	if noteMissing(args) {
		return false, nil
	}
	switch op {
	case "<":
		return runtime.Less(a, b), nil
	case ">":
		return runtime.More(a, b), nil
	case "<=":
		return runtime.LessOrEqual(a, b), nil
	case ">=":
		return runtime.MoreOrEqual(a, b), nil
	case "in":
		return runtime.In(a, b), nil
	}
	sa, okA := a.(string)
	sb, okB := b.(string)
	if !okA || !okB {
		return nil, fmt.Errorf("%q needs text on both sides, not %s and %s", op, describeValue(a), describeValue(b))
	}
	switch op {
	case "contains":
		return strings.Contains(sa, sb), nil
	case "startsWith":
		return strings.HasPrefix(sa, sb), nil
	case "endsWith":
		return strings.HasSuffix(sa, sb), nil
	case "matches":
		re, err := regexp.Compile(sb)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid pattern: %w", sb, err)
		}
		return re.MatchString(sa), nil
	}
	return nil, fmt.Errorf("unknown operator %q", op)
}

// guardedMathFunc is (op, left, right, left name, right name, env).
func guardedMathFunc(args ...any) (any, error) {
	op, a, b := args[0].(string), args[1], args[2]
	if noteMissing(args) {
		return nil, nil
	}
	switch op {
	case "+":
		return budgetAddFunc(a, b, args[5])
	case "-":
		return runtime.Subtract(a, b), nil
	case "*":
		return runtime.Multiply(a, b), nil
	case "/":
		return runtime.Divide(a, b), nil
	case "%":
		return runtime.Modulo(a, b), nil
	case "**", "^":
		return runtime.Exponent(a, b), nil
	}
	return nil, fmt.Errorf("unknown operator %q", op)
}

// guardedFetchFunc reads a field of a value that may be missing:
// trigger.customer.score is missing, not an error, when customer is.
func guardedFetchFunc(args ...any) (any, error) {
	if runtime.IsNil(args[0]) {
		return nil, nil
	}
	return runtime.Fetch(args[0], args[1]), nil
}

// guardedBuiltinFunc is (builtin, argument, argument name, env).
func guardedBuiltinFunc(args ...any) (any, error) {
	name, v := args[0].(string), args[1]
	if runtime.IsNil(v) {
		if env, ok := args[3].(*Env); ok && env.notSet != nil {
			env.notSet.add(args[2].(string))
		}
		if name == "len" {
			return 0, nil
		}
		return nil, nil
	}
	if name == "len" {
		return runtime.Len(v), nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%s needs a text, not %s", name, describeValue(v))
	}
	if name != "trim" {
		// lower and upper build a new text: it counts in the budget.
		if err := budgetOf(args[3]).spendText(len(s)); err != nil {
			return nil, err
		}
	}
	switch name {
	case "lower":
		return strings.ToLower(s), nil
	case "upper":
		return strings.ToUpper(s), nil
	}
	return strings.TrimSpace(s), nil
}

// guardedSinceFunc is hoursSince or daysSince (name, time, time's name,
// env): a time that is not set (a contact with no activity yet) gives
// nothing, so the comparison it feeds is false, not an error.
func guardedSinceFunc(args ...any) (any, error) {
	name, v := args[0].(string), args[1]
	env, _ := args[3].(*Env)
	if env == nil {
		return nil, fmt.Errorf("%s: no environment", name)
	}
	if isEmptyValue(v) {
		if env.notSet != nil {
			env.notSet.add(args[2].(string))
		}
		return nil, nil
	}
	if name == "DaysSince" {
		return env.DaysSince(v)
	}
	return env.HoursSince(v)
}

// noteMissing reports whether an operand of a guard call is missing, and
// notes the missing operands' names in the env's log.
func noteMissing(args []any) bool {
	a, b := args[1], args[2]
	missA, missB := runtime.IsNil(a), runtime.IsNil(b)
	if !missA && !missB {
		return false
	}
	if env, ok := args[5].(*Env); ok && env.notSet != nil {
		if missA {
			env.notSet.add(args[3].(string))
		}
		if missB {
			env.notSet.add(args[4].(string))
		}
	}
	return true
}

// notSetPatch rewrites the guarded operators (see the top of this file).
type notSetPatch struct{ guards int }

// Visit implements ast.Visitor. Walk visits children first, so an operand
// that is itself a guard call is already rewritten, and may give nothing.
func (p *notSetPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		fn := guardCompare
		switch {
		case slices.Contains(guardedCompare, n.Operator):
		case slices.Contains(guardedMath, n.Operator):
			fn = guardMath
		default:
			return
		}
		if !mayBeMissing(n.Left) && !mayBeMissing(n.Right) {
			return
		}
		p.guards++
		ast.Patch(node, &ast.CallNode{
			Callee: &ast.IdentifierNode{Value: fn},
			Arguments: []ast.Node{
				&ast.StringNode{Value: n.Operator}, n.Left, n.Right,
				&ast.StringNode{Value: operandName(n.Left)}, &ast.StringNode{Value: operandName(n.Right)},
				&ast.IdentifierNode{Value: "$env"},
			},
		})
	case *ast.BuiltinNode:
		if !slices.Contains(guardedBuiltins, n.Name) || len(n.Arguments) != 1 || !mayBeMissing(n.Arguments[0]) {
			return
		}
		p.guards++
		ast.Patch(node, &ast.CallNode{
			Callee: &ast.IdentifierNode{Value: guardBuiltin},
			Arguments: []ast.Node{&ast.StringNode{Value: n.Name}, n.Arguments[0],
				&ast.StringNode{Value: operandName(n.Arguments[0])}, &ast.IdentifierNode{Value: "$env"}},
		})
	case *ast.CallNode:
		// helperPatch has already named the Env method (HoursSince).
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || (id.Value != "HoursSince" && id.Value != "DaysSince") || len(n.Arguments) != 1 {
			return
		}
		p.guards++
		ast.Patch(node, &ast.CallNode{
			Callee: &ast.IdentifierNode{Value: guardSince},
			Arguments: []ast.Node{&ast.StringNode{Value: id.Value}, n.Arguments[0],
				&ast.StringNode{Value: operandName(n.Arguments[0])}, &ast.IdentifierNode{Value: "$env"}},
		})
	case *ast.MemberNode:
		if n.Optional || n.Method || !mayBeMissing(n.Node) {
			return
		}
		p.guards++
		ast.Patch(node, &ast.CallNode{
			Callee:    &ast.IdentifierNode{Value: guardFetch},
			Arguments: []ast.Node{n.Node, n.Property},
		})
	}
}

// mayBeMissing reports whether a value's type is unknown until run time
// (a field of free-form data), or it is a guard call, which may give nothing.
func mayBeMissing(n ast.Node) bool {
	if c, ok := n.(*ast.CallNode); ok {
		if id, ok := c.Callee.(*ast.IdentifierNode); ok && (id.Value == guardMath || id.Value == guardFetch || id.Value == guardBuiltin || id.Value == guardSince) {
			return true
		}
	}
	if _, ok := n.(*ast.NilNode); ok {
		return false
	}
	t := n.Type()
	return t == nil || t.Kind() == reflect.Interface
}

// operandName is the operand as the user wrote it, e.g. trigger.score; ""
// for arithmetic that is guarded itself, which names its own missing operand.
func operandName(n ast.Node) string {
	if c, ok := n.(*ast.CallNode); ok {
		id, _ := c.Callee.(*ast.IdentifierNode)
		if id != nil && (id.Value == guardMath || id.Value == guardBuiltin || id.Value == guardSince) {
			return ""
		}
		if id != nil && id.Value == guardFetch && len(c.Arguments) == 2 {
			if s, ok := c.Arguments[1].(*ast.StringNode); ok {
				return operandName(c.Arguments[0]) + "." + s.Value
			}
		}
	}
	return n.String()
}

// NotSetReason explains, in plain words, that a condition is false because
// the named values are missing: "Score (trigger.score) is not set, so the
// condition is false." It is "" when names is empty.
func NotSetReason(names []string) string {
	if len(names) == 0 {
		return ""
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%s)", fieldTitle(n), n)
	}
	verb := "is"
	if len(parts) > 1 {
		verb = "are"
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return fmt.Sprintf("%s %s not set, so the condition is false.", list, verb)
}

// fieldTitle turns the last part of a path into a title: trigger.lead_score
// gives "Lead score".
func fieldTitle(path string) string {
	last := path
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		last = path[i+1:]
	}
	last = strings.Trim(last, `"']`)
	last = strings.TrimSpace(strings.ReplaceAll(last, "_", " "))
	if last == "" {
		return "A value"
	}
	return strings.ToUpper(last[:1]) + last[1:]
}
