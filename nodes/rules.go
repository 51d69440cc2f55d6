package nodes

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// Problem codes used by the rules of this package.
const (
	codeInvalidParam = "invalid_param"
	codeMissingParam = flows.CodeMissingParam
)

// Helpers for flows.Rule functions, which see params as decoded JSON
// (strings, json.Number or float64 numbers, []any, map[string]any) with defaults applied.

// paramString returns params[name] as a trimmed string ("" when absent or
// not a string).
func paramString(params map[string]any, name string) string {
	s, _ := params[name].(string)
	return strings.TrimSpace(s)
}

// paramItems returns params[name] as a list of objects.
func paramItems(params map[string]any, name string) []map[string]any {
	items, _ := params[name].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// paramStrings returns params[name] as a list of non-empty trimmed strings.
func paramStrings(params map[string]any, name string) []string {
	var out []string
	switch v := params[name].(type) {
	case []any:
		for _, it := range v {
			if s, ok := it.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	case []string:
		for _, s := range v {
			if strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

// paramNumber returns params[name] as a number.
func paramNumber(params map[string]any, name string) (float64, bool) {
	switch v := params[name].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// problem builds one rule problem.
func problem(code, param, format string, args ...any) flows.Problem {
	return flows.Problem{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// portNamesRule checks the items of a DynamicPorts list: each has a name,
// names are unique, and none clashes with the type's fixed ports.
func portNamesRule(list string, fixed ...string) flows.Rule {
	return func(params map[string]any) []flows.Problem {
		var probs []flows.Problem
		seen := map[string]bool{}
		for _, f := range fixed {
			seen[f] = true
		}
		for i, item := range paramItems(params, list) {
			path := fmt.Sprintf("%s[%d].name", list, i)
			name, _ := item["name"].(string)
			name = strings.TrimSpace(name)
			switch {
			case name == "":
				probs = append(probs, problem(codeMissingParam, path, "Give path %d a name: it labels the connection that leaves from it.", i+1))
			case seen[name]:
				probs = append(probs, problem(codeInvalidParam, path, "The name %q is used twice: each path needs its own name.", name))
			}
			seen[name] = true
		}
		return probs
	}
}
