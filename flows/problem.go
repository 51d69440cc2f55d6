package flows

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem codes. They are stable: the editor, the CLI and tests match on them.
const (
	// Document.
	CodeBadJSON = "bad_json"

	// Flow settings.
	CodeBadID       = "bad_id"
	CodeMissingName = "missing_name"
	CodeBadTimeZone = "bad_time_zone"
	CodeBadReentry  = "bad_reentry"
	CodeBadPeriod   = "bad_period"
	// CodeBadGoalWindow is a goal window below zero or without a goal.
	CodeBadGoalWindow = "bad_goal_window"

	// Nodes and their parameters.
	CodeMissingNodeID  = "missing_node_id"
	CodeDuplicateNode  = "duplicate_node"
	CodeUnknownType    = "unknown_type"
	CodeUnknownVersion = "unknown_version"
	CodeBadParams      = "bad_params"
	CodeUnknownParam   = "unknown_param"
	CodeMissingParam   = "missing_param"
	CodeWrongType      = "wrong_type"
	CodeOutOfRange     = "out_of_range"
	CodeBadEnum        = "bad_enum"
	CodeBadDuration    = "bad_duration"
	CodeBadDateTime    = "bad_datetime"
	CodeBadTimeOfDay   = "bad_time_of_day"
	CodeBadWeekdays    = "bad_weekdays"
	CodeBadCron        = "bad_cron"
	CodeBadExpression  = "bad_expression"
	CodeBadTemplate    = "bad_template"

	// Edges.
	CodeMissingNode   = "missing_node"
	CodeMissingPort   = "missing_port"
	CodeTriggerInput  = "trigger_input"
	CodeDuplicateEdge = "duplicate_edge"

	// Graph.
	CodeNoTrigger        = "no_trigger"
	CodeUnreachable      = "unreachable"
	CodeCycleWithoutWait = "cycle_without_wait"
)

// CodeMissingCredential: a step needs an account (credential) that is not
// chosen, or that does not exist on this server. A flow whose only
// problems are these imports as a draft (see OnlyCredentialProblems).
const CodeMissingCredential = "missing_credential"

// OnlyCredentialProblems reports whether every problem of ps is a missing
// credential (and there is at least one): such a flow is complete but for
// the accounts to add on this server.
func OnlyCredentialProblems(ps []Problem) bool {
	for _, p := range ps {
		if p.Code != CodeMissingCredential {
			return false
		}
	}
	return len(ps) > 0
}

// String formats a problem on one line, as the CLI and golden files show it:
// node=ID param=PATH code=CODE at=LINE:COL: message.
func (p Problem) String() string {
	var b strings.Builder
	if p.NodeID != "" {
		fmt.Fprintf(&b, "node=%s ", p.NodeID)
	}
	if p.Param != "" {
		fmt.Fprintf(&b, "param=%s ", p.Param)
	}
	fmt.Fprintf(&b, "code=%s", p.Code)
	if p.IsWarning() {
		b.WriteString(" severity=warning")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, " at=%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// sortProblems orders problems by the document order of their node (flow
// problems first, then nodes, then unknown node ids), then by parameter
// path with numbers compared as numbers. The sort is stable.
func sortProblems(f *Flow, ps []Problem) {
	order := make(map[string]int, len(f.Nodes))
	for i, n := range f.Nodes {
		if _, dup := order[n.ID]; !dup {
			order[n.ID] = i
		}
	}
	rank := func(id string) int {
		if id == "" {
			return -1
		}
		if i, ok := order[id]; ok {
			return i
		}
		return len(f.Nodes)
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(rank(a.NodeID), rank(b.NodeID)), naturalCompare(a.Param, b.Param))
	})
}

// naturalCompare compares strings with runs of digits compared as numbers,
// so "cases[2]" sorts before "cases[10]".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && i < 18 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// suggest returns the candidate closest to s when it is close enough to be
// a likely typo (one edit per three characters, at least one), or "".
// Ties go to the earlier candidate.
func suggest(s string, candidates []string) string {
	limit := max(1, len(s)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein plus swaps of neighbours), in bytes; long inputs are not
// compared.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// quoteList writes names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// orList writes names as "a", "b" or "c".
func orList(names []string) string {
	s := quoteList(names)
	if i := strings.LastIndex(s, `" and "`); i >= 0 {
		s = s[:i] + `" or "` + s[i+len(`" and "`):]
	}
	return s
}
