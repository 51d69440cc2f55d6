package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
)

// paramChecker checks the params of one node against its type's
// declaration, compiling expressions and templates as it goes.
type paramChecker struct {
	v     *validator
	node  *Node
	cn    *CompiledNode
	title string
}

var (
	timeOfDayPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	weekdayNames     = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	cronParser       = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
)

// problem records a problem about the param at path.
func (pc *paramChecker) problem(code, path, format string, args ...any) {
	pc.v.add(Problem{Code: code, NodeID: pc.node.ID, Param: path, Message: fmt.Sprintf(format, args...)})
}

// node is the quoted node title for messages.
func (pc *paramChecker) nodeName() string { return quoteValue(pc.title) }

// decodeParams decodes the params object; absent or null params are empty.
func (pc *paramChecker) decodeParams() (map[string]any, bool) {
	raw := bytes.TrimSpace(pc.node.Params)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil || params == nil {
		pc.problem(CodeBadParams, "", "The step %s has parameters that are not a set of named values (a JSON object).", pc.nodeName())
		return nil, false
	}
	return params, true
}

// checkObject checks obj against specs; prefix is the path of obj ("" or
// "cases[0].") and where describes it in messages (` of item 1 in "Cases"`).
// Declared defaults are filled into obj.
func (pc *paramChecker) checkObject(specs []ParamSpec, obj map[string]any, prefix, where string) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	names := make([]string, len(specs))
	for i, ps := range specs {
		names[i] = ps.Name
	}
	for _, k := range keys {
		if slices.Contains(names, k) {
			continue
		}
		msg := fmt.Sprintf("The step %s has a parameter %s%s that its type does not have", pc.nodeName(), quoteValue(k), where)
		if s := suggest(k, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += "."
		}
		pc.problem(CodeUnknownParam, prefix+k, "%s", msg)
	}
	for i := range specs {
		ps := &specs[i]
		path := prefix + ps.Name
		label := quoteValue(paramLabel(ps)) + where
		if !showIfMet(ps, specs, obj) {
			// Hidden: neither required nor checked; an expression there
			// evaluates as empty.
			pc.registerEmpty(ps, path)
			continue
		}
		v, present := obj[ps.Name]
		if !present || isEmptyValue(v) {
			if ps.Required && ps.Kind == KindCredential {
				pc.problem(CodeMissingCredential, path, "The step %s needs %s (credential kind %s): add one under Settings, Credentials, then choose it here.",
					pc.nodeName(), label, quoteValue(ps.CredentialKind))
				continue
			}
			if ps.Required {
				pc.problem(CodeMissingParam, path, "The step %s needs a value for %s.", pc.nodeName(), label)
				continue
			}
			if ps.Default == nil {
				pc.registerEmpty(ps, path)
				continue
			}
			// A default is checked and compiled like a written value,
			// so a default template renders and a default list gets
			// its items' defaults.
			v = copyValue(ps.Default)
			obj[ps.Name] = v
			if isEmptyValue(v) {
				pc.registerEmpty(ps, path)
				continue
			}
		}
		pc.checkValue(ps, v, path, label)
	}
}

// registerEmpty records an optional expression or template left empty, so
// Eval, Bool and Render give zero values for it.
func (pc *paramChecker) registerEmpty(ps *ParamSpec, path string) {
	switch ps.Kind {
	case KindExpression:
		pc.cn.programs[path] = nil
	case KindTemplate, KindDateTime:
		pc.cn.templates[path] = nil
	}
}

// checkValue checks one present, non-empty value against its declaration.
func (pc *paramChecker) checkValue(ps *ParamSpec, v any, path, label string) {
	switch ps.Kind {
	case KindString, KindCredential:
		pc.str(v, path, label)
	case KindTemplate:
		if s, ok := pc.str(v, path, label); ok {
			pc.template(s, path, label)
		}
	case KindExpression:
		if s, ok := pc.str(v, path, label); ok {
			pc.expression(s, returnsOf(ps), path, label)
		}
	case KindNumber, KindInteger:
		pc.number(ps, v, path, label)
	case KindBoolean:
		if _, ok := v.(bool); !ok {
			pc.wrongType(path, label, "true or false", v)
		}
	case KindEnum:
		if s, ok := pc.str(v, path, label); ok && !slices.Contains(ps.Enum, s) {
			pc.problem(CodeBadEnum, path, "The step %s needs one of %s in %s; %s is not one.", pc.nodeName(), orList(ps.Enum), label, quoteValue(s))
		}
	case KindDuration:
		pc.duration(v, path, label)
	case KindDateTime:
		pc.dateTime(v, path, label)
	case KindTimeOfDay:
		if s, ok := pc.str(v, path, label); ok && !timeOfDayPattern.MatchString(s) {
			pc.problem(CodeBadTimeOfDay, path, `The step %s needs a time of day like "09:30" in %s; %s is not one.`, pc.nodeName(), label, quoteValue(s))
		}
	case KindWeekdays:
		pc.weekdays(v, path, label)
	case KindCron:
		pc.cron(v, path, label)
	case KindTimeZone:
		if s, ok := pc.str(v, path, label); ok {
			if _, ok := loadLocation(s); !ok {
				pc.problem(CodeBadTimeZone, path, `The step %s needs a time zone name like "Europe/Paris" in %s; %s is not one.`, pc.nodeName(), label, quoteValue(s))
			}
		}
	case KindStringList:
		pc.stringList(v, path, label)
	case KindList:
		pc.list(ps, v, path, label)
	case KindMap:
		pc.mapping(ps, v, path, label)
	}
}

// str requires a text value.
func (pc *paramChecker) str(v any, path, label string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		pc.wrongType(path, label, "text", v)
	}
	return s, ok
}

func (pc *paramChecker) wrongType(path, label, want string, got any) {
	pc.problem(CodeWrongType, path, "The step %s needs %s in %s, not %s.", pc.nodeName(), want, label, describeJSON(got))
}

func (pc *paramChecker) template(s, path, label string) {
	t, err := compileTemplate(s)
	if err != nil {
		pc.v.add(Problem{Code: CodeBadTemplate, NodeID: pc.node.ID, Param: path, Line: err.Line, Column: err.Column,
			Message: fmt.Sprintf("The step %s has a text in %s that does not work: %s.", pc.nodeName(), label, err.Reason)})
		return
	}
	pc.cn.templates[path] = t
}

func (pc *paramChecker) expression(s, returns, path, label string) {
	p, err := compileExpr(s, returns)
	if err != nil {
		what := "an expression"
		if returns == ReturnsBool {
			what = "a condition"
		}
		pc.v.add(Problem{Code: CodeBadExpression, NodeID: pc.node.ID, Param: path, Line: err.Line, Column: err.Column,
			Message: fmt.Sprintf("The step %s has %s in %s that does not work: %s.", pc.nodeName(), what, label, err.Reason)})
		return
	}
	pc.cn.programs[path] = p
}

func (pc *paramChecker) number(ps *ParamSpec, v any, path, label string) {
	want := "a number"
	if ps.Kind == KindInteger {
		want = "a whole number"
	}
	f, ok := asFloat(v)
	if !ok || (ps.Kind == KindInteger && f != math.Trunc(f)) {
		pc.wrongType(path, label, want, v)
		return
	}
	low := ps.Min != nil && f < *ps.Min
	high := ps.Max != nil && f > *ps.Max
	if !low && !high {
		return
	}
	var bounds string
	switch {
	case ps.Min != nil && ps.Max != nil:
		bounds = fmt.Sprintf("from %s to %s", FormatValue(*ps.Min), FormatValue(*ps.Max))
	case ps.Min != nil:
		bounds = "of at least " + FormatValue(*ps.Min)
	default:
		bounds = "of at most " + FormatValue(*ps.Max)
	}
	pc.problem(CodeOutOfRange, path, "The step %s needs %s %s in %s; %s is not.", pc.nodeName(), want, bounds, label, FormatValue(f))
}

func (pc *paramChecker) duration(v any, path, label string) {
	s, ok := pc.str(v, path, label)
	if !ok {
		return
	}
	d, err := ParseDuration(s)
	switch {
	case err != nil:
		pc.problem(CodeBadDuration, path, `The step %s needs a duration like "3d" or "48h" in %s; %s is not one.`, pc.nodeName(), label, quoteValue(s))
	case d <= 0:
		pc.problem(CodeBadDuration, path, "The step %s needs a duration longer than zero in %s.", pc.nodeName(), label)
	}
}

func (pc *paramChecker) dateTime(v any, path, label string) {
	s, ok := pc.str(v, path, label)
	if !ok {
		return
	}
	if hasTemplateParts(s) {
		pc.template(s, path, label)
		return
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		pc.problem(CodeBadDateTime, path, `The step %s needs a date and time like "2025-03-01T09:00:00Z" (or a {{ }} template giving one) in %s; %s is not one.`,
			pc.nodeName(), label, quoteValue(s))
		return
	}
	pc.template(s, path, label)
}

func (pc *paramChecker) weekdays(v any, path, label string) {
	items, ok := v.([]any)
	if !ok {
		pc.wrongType(path, label, "a list of days", v)
		return
	}
	for _, item := range items {
		s, _ := item.(string)
		if !slices.Contains(weekdayNames, s) {
			pc.problem(CodeBadWeekdays, path, "The step %s needs days written as mon, tue, wed, thu, fri, sat or sun in %s; %s is not one.",
				pc.nodeName(), label, describeJSON(item))
			return
		}
	}
}

func (pc *paramChecker) cron(v any, path, label string) {
	s, ok := pc.str(v, path, label)
	if !ok {
		return
	}
	if _, err := parseCron(s); err != nil {
		pc.problem(CodeBadCron, path, `The step %s needs a schedule like "0 9 * * 1-5" (09:00 on weekdays) or "@daily" in %s; %s is not one (%v).`,
			pc.nodeName(), label, quoteValue(s), err)
	}
}

// parseCron parses a standard 5-field cron expression or a descriptor,
// turning a panic of the parser on odd input into an error.
func parseCron(s string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("it cannot be read")
		}
	}()
	if len(s) > 200 {
		return nil, fmt.Errorf("it is too long")
	}
	return cronParser.Parse(s)
}

func (pc *paramChecker) stringList(v any, path, label string) {
	items, ok := v.([]any)
	if !ok {
		pc.wrongType(path, label, "a list of texts", v)
		return
	}
	for i, item := range items {
		if _, ok := item.(string); !ok {
			pc.problem(CodeWrongType, fmt.Sprintf("%s[%d]", path, i), "The step %s needs only texts in %s, but item %d is %s.",
				pc.nodeName(), label, i+1, describeJSON(item))
			return
		}
	}
}

func (pc *paramChecker) list(ps *ParamSpec, v any, path, label string) {
	items, ok := v.([]any)
	if !ok {
		pc.wrongType(path, label, "a list of items", v)
		return
	}
	for i, item := range items {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := item.(map[string]any)
		if !ok {
			pc.problem(CodeWrongType, itemPath, "The step %s needs each item of %s to be a set of named values, but item %d is %s.",
				pc.nodeName(), label, i+1, describeJSON(item))
			continue
		}
		where := fmt.Sprintf(" of item %d in %s", i+1, label)
		pc.checkObject(ps.Fields, obj, itemPath+".", where)
	}
}

func (pc *paramChecker) mapping(ps *ParamSpec, v any, path, label string) {
	obj, ok := v.(map[string]any)
	if !ok {
		pc.wrongType(path, label, "a set of named expressions", v)
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		entryPath := path + "." + k
		entryLabel := quoteValue(k) + " in " + label
		s, ok := obj[k].(string)
		if !ok {
			pc.wrongType(entryPath, entryLabel, "an expression (text)", obj[k])
			continue
		}
		pc.expression(s, returnsOf(ps), entryPath, entryLabel)
	}
}

// showIfMet reports whether every ShowIf condition of ps holds in obj;
// an absent sibling counts with its default.
func showIfMet(ps *ParamSpec, specs []ParamSpec, obj map[string]any) bool {
	for other, allowed := range ps.ShowIf {
		v, ok := obj[other]
		if !ok || v == nil {
			for i := range specs {
				if specs[i].Name == other {
					v = specs[i].Default
				}
			}
		}
		if !slices.Contains(allowed, scalarText(v)) {
			return false
		}
	}
	return true
}

// scalarText writes a scalar as ShowIf compares it.
func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return t.String()
	case float64, int, int64:
		return FormatValue(t)
	}
	return fmt.Sprint(v)
}

// paramLabel is how messages name a parameter.
func paramLabel(ps *ParamSpec) string {
	if ps.Label != "" {
		return ps.Label
	}
	return ps.Name
}

func returnsOf(ps *ParamSpec) string {
	if ps.Returns == ReturnsBool {
		return ReturnsBool
	}
	return ReturnsAny
}

func asFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// describeJSON names a decoded JSON value for a message: `"abc"`, 12,
// true, a list, a set of named values.
func describeJSON(v any) string {
	switch t := v.(type) {
	case nil:
		return "nothing"
	case string:
		return "the text " + quoteValue(t)
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		return "the number " + t.String()
	case float64:
		return "the number " + FormatValue(t)
	case []any:
		return "a list"
	case map[string]any:
		return "a set of named values"
	}
	return fmt.Sprintf("%v", v)
}

// copyValue returns a deep copy of a declared default in the shapes JSON
// decoding gives (map[string]any, []any, json.Number, string, bool), so
// defaults are checked like written values and never shared between nodes.
// A default that cannot be encoded is kept as is.
func copyValue(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return out
}
