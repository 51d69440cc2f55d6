package flows

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// validator gathers every problem of one flow and, on the way, the pieces
// a Compiled is built from.
type validator struct {
	f        *Flow
	cat      Catalog
	problems []Problem
	// warnings never make the flow invalid (see Check).
	warnings []Problem

	// first maps a node id to the index of its first node.
	first map[string]int
	// nodes holds, per node index, its compiled form; Spec is nil when
	// the type is unknown.
	nodes []*CompiledNode
	// paramsOK is true for nodes whose params passed every check.
	paramsOK []bool
	goal     *program
	location *time.Location
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)

// ValidID reports whether id can name a flow: a slug of lowercase letters,
// digits and dashes, at most 100 characters.
func ValidID(id string) bool { return slugPattern.MatchString(id) }

func newValidator(f *Flow, cat Catalog) *validator {
	return &validator{
		f:        f,
		cat:      cat,
		first:    make(map[string]int, len(f.Nodes)),
		nodes:    make([]*CompiledNode, len(f.Nodes)),
		paramsOK: make([]bool, len(f.Nodes)),
		location: time.UTC,
	}
}

func (v *validator) add(p Problem) { v.problems = append(v.problems, p) }

// run performs every check.
func (v *validator) run() {
	v.checkFlow()
	for i := range v.f.Nodes {
		v.checkNode(i)
	}
	v.checkEdges()
	v.checkGraph()
}

// checkFlow checks the flow's id, name and settings.
func (v *validator) checkFlow() {
	f := v.f
	switch {
	case f.ID == "":
		v.add(Problem{Code: CodeBadID, Param: "id", Message: `The journey has no id; give it one like "welcome-series".`})
	case !slugPattern.MatchString(f.ID):
		v.add(Problem{Code: CodeBadID, Param: "id", Message: fmt.Sprintf(
			"The journey id %s may hold only lowercase letters, digits and dashes, must start with a letter or digit, and must be at most 100 characters long.",
			quoteValue(f.ID))})
	}
	if strings.TrimSpace(f.Name) == "" {
		v.add(Problem{Code: CodeMissingName, Param: "name", Message: "The journey has no name; give it one people will recognise in the list of journeys."})
	}
	if tz := f.Settings.TimeZone; tz != "" {
		loc, ok := loadLocation(tz)
		if ok {
			v.location = loc
		} else {
			v.add(Problem{Code: CodeBadTimeZone, Param: "settings.time_zone", Message: fmt.Sprintf(
				`The journey's time zone %s is not a time zone name like "Europe/Paris" or "America/New_York".`, quoteValue(tz))})
		}
	}
	switch r := f.Settings.Reentry; r.Policy {
	case "", ReentryAlways, ReentryOnce:
	case ReentryOncePerPeriod:
		if r.Period <= 0 {
			v.add(Problem{Code: CodeBadPeriod, Param: "settings.reentry.period", Message: `The re-entry policy "once_per_period" needs a period longer than zero, like "30d".`})
		}
	default:
		v.add(Problem{Code: CodeBadReentry, Param: "settings.reentry.policy", Message: fmt.Sprintf(
			`The re-entry policy %s is not one of "always", "once" or "once_per_period".`, quoteValue(r.Policy))})
	}
	v.checkMessaging(f.Settings.Messaging)
	if g := f.Settings.Goal; strings.TrimSpace(g) != "" {
		p, err := compileExpr(g, ReturnsBool)
		if err != nil {
			v.add(Problem{Code: CodeBadExpression, Param: "settings.goal", Line: err.Line, Column: err.Column,
				Message: "The goal of the journey does not work: " + err.Reason + "."})
		} else {
			v.goal = p
		}
	}
	v.checkGoalWindow(f.Settings)
	if n := f.Settings.MaxBodyBytes; n < 0 || n > MaxMaxBodyBytes {
		v.add(Problem{Code: CodeOutOfRange, Param: "settings.max_body_bytes", Message: fmt.Sprintf(
			"The largest webhook body must be from 1 to %d bytes (1 MiB); leave it empty for %d bytes (256 KB).", MaxMaxBodyBytes, DefaultMaxBodyBytes)})
	}
}

// checkGoalWindow refuses a window that could never apply.
func (v *validator) checkGoalWindow(s Settings) {
	switch {
	case s.GoalWindow < 0:
		v.add(Problem{Code: CodeBadGoalWindow, Param: "settings.goal_window", Message: "The goal window cannot be negative; leave it empty to count the goal for as long as a contact is in the journey."})
	case s.GoalWindow > 0 && strings.TrimSpace(s.Goal) == "":
		v.add(Problem{Code: CodeBadGoalWindow, Param: "settings.goal_window", Message: "The goal window needs a goal: set the goal, or remove the window."})
	}
}

// checkNode checks one node's id, type and params.
func (v *validator) checkNode(i int) {
	n := &v.f.Nodes[i]
	cn := &CompiledNode{Node: n, programs: map[string]*program{}, templates: map[string]*template{}}
	v.nodes[i] = cn
	switch _, dup := v.first[n.ID]; {
	case n.ID == "":
		v.add(Problem{Code: CodeMissingNodeID, Message: fmt.Sprintf("The step %s (number %d) has no id; every step needs one.", quoteValue(v.stepName(i)), i+1)})
	case dup:
		v.add(Problem{Code: CodeDuplicateNode, NodeID: n.ID, Message: fmt.Sprintf(
			"Two steps share the id %s; every step needs its own id.", quoteValue(n.ID))})
	default:
		v.first[n.ID] = i
	}
	spec := v.lookup(n, i)
	if spec == nil {
		return
	}
	cn.Spec = spec
	pc := &paramChecker{v: v, node: n, cn: cn, title: v.stepName(i)}
	params, ok := pc.decodeParams()
	if !ok {
		return
	}
	before := len(v.problems)
	pc.checkObject(spec.Params, params, "", "")
	cn.Params = params
	v.paramsOK[i] = len(v.problems) == before
	if v.paramsOK[i] {
		for _, rule := range spec.Rules {
			for _, p := range rule(params) {
				p.NodeID = n.ID
				v.add(p)
			}
		}
	}
}

// lookup resolves a node's type, reporting unknown types and versions.
func (v *validator) lookup(n *Node, i int) *TypeSpec {
	title := quoteValue(v.stepName(i))
	if n.Type == "" {
		v.add(Problem{Code: CodeUnknownType, NodeID: n.ID, Message: fmt.Sprintf("The step %s has no type.", title)})
		return nil
	}
	if v.cat != nil {
		if spec, ok := v.cat.Spec(n.Type, n.Version()); ok && spec != nil {
			return spec
		}
		if n.Version() > 1 {
			if spec, ok := v.cat.Spec(n.Type, 1); ok && spec != nil {
				v.add(Problem{Code: CodeUnknownVersion, NodeID: n.ID, Message: fmt.Sprintf(
					"The step %s uses version %d of %s, which this server does not know yet; update the server or use an older version.",
					title, n.Version(), quoteValue(typeTitle(spec)))})
				return nil
			}
		}
	}
	v.add(Problem{Code: CodeUnknownType, NodeID: n.ID, Message: fmt.Sprintf(
		"The step %s has the type %s, which does not exist.", title, quoteValue(n.Type))})
	return nil
}

// build assembles the Compiled of a valid flow.
func (v *validator) build() *Compiled {
	c := &Compiled{
		Flow:     v.f,
		Location: v.location,
		Nodes:    make(map[string]*CompiledNode, len(v.nodes)),
		goal:     v.goal,
		goalFor:  time.Duration(v.f.Settings.GoalWindow),
	}
	c.activity = v.goal != nil && v.goal.activity
	for _, cn := range v.nodes {
		c.activity = c.activity || cn.usesActivity()
		c.Nodes[cn.Node.ID] = cn
		// Params are decoded into a handler's struct at every step; the
		// JSON it decodes from is made once.
		cn.paramsJSON, _ = json.Marshal(cn.Params)
		if cn.Next == nil {
			cn.Next = map[string][]string{}
		}
		if cn.Spec.Trigger {
			c.Triggers = append(c.Triggers, cn)
		}
	}
	for _, e := range v.f.Edges {
		from := c.Nodes[e.From]
		from.Next[e.PortName()] = append(from.Next[e.PortName()], e.To)
	}
	return c
}

// stepName is how messages name node i (see StepName).
func (v *validator) stepName(i int) string { return stepName(v.f, v.cat, i) }

// nodeTitle is how messages name a node: its name, else its id, else its
// position.
func nodeTitle(n *Node, i int) string {
	switch {
	case strings.TrimSpace(n.Name) != "":
		return n.Name
	case n.ID != "":
		return n.ID
	}
	return "number " + strconv.Itoa(i+1)
}

// typeTitle is how messages name a node type.
func typeTitle(s *TypeSpec) string {
	if s.Title != "" {
		return s.Title
	}
	return s.Type
}

// quoteValue quotes a text for a message, shortening long ones.
func quoteValue(s string) string {
	const limit = 60
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "..."
	}
	return strconv.Quote(s)
}

// loadLocation loads an IANA zone, refusing "Local" (which depends on the
// machine) and overlong names.
func loadLocation(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}
