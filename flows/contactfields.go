package flows

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// A step that reads a contact field no step before it can provide works,
// but not as the marketer means: an SMS to a webhook's lead whom no step
// saved skips everyone who is not a contact yet, "Hi {{ contact.first_name
// }}" greets nobody. Validation says so with a warning, never an error.
//
// The analysis is conservative. A field counts as provided at a step only
// when every path from a trigger to it provides it: a trigger whose runs act
// on contacts of the store (events, segments) provides every field, as such
// a contact may have any; a "Create or update contact" step provides the
// fields it saves; a condition that tests a field counts as providing it on
// the paths after it (the journey looked before acting). A read inside a
// fallback (coalesce, ??, a condition ? a : b, a comparison) is no read.

// CodeContactFieldMissing is the warning that a step reads a contact field
// that no step before it saves and its trigger does not provide.
const CodeContactFieldMissing = "contact_field_missing"

// ContactStart is where a trigger's runs get their contact.
type ContactStart string

// Where runs start their contact.
const (
	// ContactStored: a contact of the store, with whatever fields they
	// have (event triggers, schedules with a segment). The default.
	ContactStored ContactStart = "stored"
	// ContactFromData: the contact the trigger's data names by email, when
	// the store knows them, with the fields stored; the data itself is not
	// saved on the contact (webhooks, manual starts).
	ContactFromData ContactStart = "data"
	// ContactNone: no contact until a step saves one (a schedule without
	// a segment).
	ContactNone ContactStart = "none"
)

// ContactUse is how a step uses the run's contact beyond what its
// templates and expressions read (TypeSpec.Contact).
type ContactUse struct {
	// Start, on a trigger, is where its runs get their contact.
	Start ContactStart
	// Sends, on a trigger, names the fields its data is known to carry
	// (trigger.email is "email"); nil when the data is whatever is sent.
	Sends []string
	// Saves are the contact fields the step saves: "email", "phone",
	// "first_name", "fields.plan".
	Saves []string
	// Needs are the contact fields the step needs one of to do anything,
	// e.g. "phone" for an SMS to the contact's number.
	Needs []string
	// Action says what the step does with them, e.g. "sends to" (the
	// default is "needs").
	Action string
	// Skips is true when a contact without any of Needs is skipped; else
	// the step fails for them.
	Skips bool
}

// contactFieldLabels names the contact fields a step can save, for
// messages; custom fields are "fields.NAME".
var contactFieldLabels = map[string]string{
	"email":       "email address",
	"phone":       "phone number",
	"first_name":  "first name",
	"last_name":   "last name",
	"company":     "company",
	"time_zone":   "time zone",
	"external_id": "ID in another system",
}

// contactFieldLabel is how a message names a contact field.
func contactFieldLabel(field string) string {
	if name, ok := strings.CutPrefix(field, "fields."); ok {
		return fmt.Sprintf("custom field %q", name)
	}
	return contactFieldLabels[field]
}

// fieldSet is a set of contact fields; all means every field.
type fieldSet struct {
	all    bool
	fields map[string]bool
}

func (s fieldSet) has(f string) bool { return s.all || s.fields[f] }

// intersect returns the fields in both s and o.
func (s fieldSet) intersect(o fieldSet) fieldSet {
	switch {
	case s.all:
		return o.clone()
	case o.all:
		return s.clone()
	}
	out := fieldSet{fields: map[string]bool{}}
	for f := range s.fields {
		if o.fields[f] {
			out.fields[f] = true
		}
	}
	return out
}

// with returns s plus fields.
func (s fieldSet) with(fields []string) fieldSet {
	if s.all {
		return s
	}
	out := s.clone()
	if out.fields == nil {
		out.fields = map[string]bool{}
	}
	for _, f := range fields {
		out.fields[f] = true
	}
	return out
}

func (s fieldSet) clone() fieldSet {
	if s.all {
		return s
	}
	return fieldSet{fields: maps.Clone(s.fields)}
}

func (s fieldSet) equal(o fieldSet) bool {
	if s.all || o.all {
		return s.all == o.all
	}
	return maps.Equal(s.fields, o.fields)
}

// contactUse returns the declared use of node i (zero when undeclared or
// its params are not readable).
func (v *validator) contactUse(i int) ContactUse {
	cn := v.nodes[i]
	if cn == nil || cn.Spec == nil || cn.Spec.Contact == nil || !v.paramsOK[i] {
		return ContactUse{}
	}
	return cn.Spec.Contact(cn.Params)
}

// checkContactFields adds a warning for every step that reads a contact
// field no path to it provides (see the top of this file).
func (v *validator) checkContactFields() {
	n := len(v.nodes)
	adj := v.adjacency()
	preds := make([][]int, n)
	for from, tos := range adj {
		for _, to := range tos {
			preds[to] = append(preds[to], from)
		}
	}
	uses := make([]ContactUse, n)
	reads := make([]map[string]string, n) // field -> first param path reading it
	checks := make([][]string, n)
	var triggers []int
	for i, cn := range v.nodes {
		if cn == nil || cn.Spec == nil || !v.isFirst(i) {
			continue
		}
		uses[i] = v.contactUse(i)
		reads[i], checks[i] = cn.contactReads()
		if cn.Spec.Trigger {
			triggers = append(triggers, i)
		}
	}
	if len(triggers) == 0 {
		return
	}
	// Forward "provided on every path" analysis: out = in + saved;
	// in = the intersection of the predecessors' outs. Unreached nodes
	// start as every field and are not reported.
	reached := make([]bool, n)
	out := make([]fieldSet, n)
	in := make([]fieldSet, n)
	for i := range out {
		out[i] = fieldSet{all: true}
		in[i] = fieldSet{all: true}
	}
	queue := slices.Clone(triggers)
	for _, t := range triggers {
		reached[t] = true
		start := fieldSet{fields: map[string]bool{}}
		if s := uses[t].Start; s == "" || s == ContactStored {
			start = fieldSet{all: true}
		}
		in[t] = start
		out[t] = start.with(uses[t].Saves).with(checks[t])
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, j := range adj[i] {
			if v.nodes[j] == nil || v.nodes[j].Spec == nil || v.nodes[j].Spec.Trigger {
				continue
			}
			first := !reached[j]
			reached[j] = true
			next := fieldSet{all: true}
			for _, p := range preds[j] {
				if reached[p] {
					next = next.intersect(out[p])
				}
			}
			nextOut := next.with(uses[j].Saves).with(checks[j])
			if first || !nextOut.equal(out[j]) || !next.equal(in[j]) {
				in[j], out[j] = next, nextOut
				queue = append(queue, j)
			}
		}
	}
	sends := map[string]bool{}
	for _, t := range triggers {
		for _, s := range uses[t].Sends {
			sends[s] = true
		}
	}
	for i := range v.nodes {
		if !reached[i] {
			continue
		}
		v.warnNeeds(i, in[i], uses[i], sends)
		v.warnReads(i, in[i], reads[i], uses[i].Needs, sends)
	}
}

// triggerKeys are the trigger data fields that carry each contact field.
var triggerKeys = map[string][]string{
	"first_name": {"first_name", "name"},
	"last_name":  {"last_name", "name"},
}

// sentAs returns how the trigger's data carries field ("trigger.phone"),
// or "" when it is not known to.
func sentAs(field string, sends map[string]bool) string {
	keys := triggerKeys[field]
	if keys == nil {
		keys = []string{field}
	}
	for _, k := range keys {
		if sends[k] {
			return "trigger." + k
		}
	}
	return ""
}

// warnNeeds warns when none of the fields a step needs is provided.
func (v *validator) warnNeeds(i int, in fieldSet, use ContactUse, sends map[string]bool) {
	if len(use.Needs) == 0 {
		return
	}
	for _, f := range use.Needs {
		if in.has(f) {
			return
		}
	}
	labels := make([]string, len(use.Needs))
	var sent []string
	for k, f := range use.Needs {
		labels[k] = contactFieldLabel(f)
		if s := sentAs(f, sends); s != "" {
			sent = append(sent, s)
		}
	}
	what := strings.Join(labels, " or ")
	action := cmp.Or(use.Action, "needs")
	consequence := fmt.Sprintf("people without %s will be skipped", withArticle(labels, "or"))
	if !use.Skips {
		consequence = fmt.Sprintf("the step fails for people without %s", withArticle(labels, "or"))
	}
	var msg string
	if len(sent) > 0 {
		msg = fmt.Sprintf("%s %s the contact's %s, but no step before it saves the trigger's %s (%s) on the contact: %s unless they are already contacts with one. Add a \"Create or update contact\" step before it that saves it.",
			quoteValue(v.stepName(i)), action, what, what, strings.Join(sent, ", "), consequence)
	} else {
		msg = fmt.Sprintf("%s %s the contact's %s, but no step before it saves %s and the trigger does not provide one: %s.",
			quoteValue(v.stepName(i)), action, what, withArticle(labels, "or"), consequence)
	}
	v.warn(Problem{Code: CodeContactFieldMissing, NodeID: v.f.Nodes[i].ID, Message: msg})
}

// warnReads warns about each contact field a step's texts or values read
// that is not provided (fields it needs are warned about by warnNeeds).
func (v *validator) warnReads(i int, in fieldSet, reads map[string]string, needs []string, sends map[string]bool) {
	for _, f := range slices.Sorted(maps.Keys(reads)) {
		if in.has(f) || contactFieldLabel(f) == "" || (len(needs) > 0 && slices.Contains(needs, f)) {
			continue
		}
		label := contactFieldLabel(f)
		where := v.paramLabel(i, reads[f])
		var msg string
		if s := sentAs(f, sends); s != "" {
			msg = fmt.Sprintf("%s uses the contact's %s%s, but no step before it saves the trigger's %s (%s) on the contact: it will be empty for people who are not already contacts with one. Add a \"Create or update contact\" step before it that saves it.",
				quoteValue(v.stepName(i)), label, where, label, s)
		} else {
			msg = fmt.Sprintf("%s uses the contact's %s%s, but no step before it saves %s and the trigger does not provide one: it will be empty for people without one.",
				quoteValue(v.stepName(i)), label, where, withArticle([]string{label}, "or"))
		}
		v.warn(Problem{Code: CodeContactFieldMissing, NodeID: v.f.Nodes[i].ID, Param: reads[f], Message: msg})
	}
}

// paramLabel is " in Subject" for a param path, or "" when unknown.
func (v *validator) paramLabel(i int, path string) string {
	name := path
	if k := strings.IndexAny(name, ".["); k >= 0 {
		name = name[:k]
	}
	if spec := v.nodes[i].Spec; spec != nil {
		if p := spec.Param(name); p != nil && p.Label != "" {
			return fmt.Sprintf(" in %q", p.Label)
		}
	}
	return ""
}

// withArticle writes "a phone number or an email address".
func withArticle(labels []string, conj string) string {
	out := make([]string, len(labels))
	for k, l := range labels {
		switch {
		case l == "":
			out[k] = "a value"
		case strings.HasPrefix(l, "custom field"):
			out[k] = "a value in the " + l
		case strings.ContainsRune("aeiou", rune(l[0])) && !strings.HasPrefix(l, "ID"):
			out[k] = "an " + l
		case strings.HasPrefix(l, "ID"):
			out[k] = "an " + l
		default:
			out[k] = "a " + l
		}
	}
	return strings.Join(out, " "+conj+" ")
}

func (v *validator) warn(p Problem) {
	p.Severity = SeverityWarning
	v.warnings = append(v.warnings, p)
}

// contactReads lists the contact fields the node's templates and
// expressions use (field -> first param path), and those its conditions
// test. A use inside a fallback is not a read.
func (n *CompiledNode) contactReads() (reads map[string]string, checks []string) {
	reads = map[string]string{}
	note := func(path string, fields []string) {
		for _, f := range fields {
			if _, ok := reads[f]; !ok {
				reads[f] = path
			}
		}
	}
	for _, path := range n.paramOrder(n.programs) {
		p := n.programs[path]
		if p == nil {
			continue
		}
		used, tested := contactFieldsOf(p.source)
		if p.returns == ReturnsBool {
			// A condition tests what it reads.
			checks = append(checks, used...)
			checks = append(checks, tested...)
			continue
		}
		note(path, used)
	}
	for _, path := range n.paramOrder(n.templates) {
		t := n.templates[path]
		if t == nil {
			continue
		}
		for _, part := range t.parts {
			if part.prog != nil {
				used, _ := contactFieldsOf(part.prog.source)
				note(path, used)
			}
		}
	}
	return reads, checks
}

// paramOrder returns the keys of m (param paths) in the order the node
// type declares its params, as the editor's form shows them.
func (n *CompiledNode) paramOrder(m any) []string {
	var paths []string
	switch m := m.(type) {
	case map[string]*program:
		paths = slices.Collect(maps.Keys(m))
	case map[string]*template:
		paths = slices.Collect(maps.Keys(m))
	}
	rank := func(path string) int {
		name := path
		if k := strings.IndexAny(name, ".["); k >= 0 {
			name = name[:k]
		}
		if n.Spec != nil {
			for i, p := range n.Spec.Params {
				if p.Name == name {
					return i
				}
			}
		}
		return len(paths) + 1<<20
	}
	slices.SortFunc(paths, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), naturalCompare(a, b)) })
	return paths
}

// contactFieldsOf parses an expression and returns the contact fields it
// uses plainly, and those it uses only inside a fallback or a test.
func contactFieldsOf(src string) (used, tested []string) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, nil
	}
	all := &contactMembers{}
	ast.Walk(&tree.Node, all)
	excused := &contactMembers{}
	ast.Walk(&tree.Node, &fallbacks{inner: excused})
	for k, m := range all.nodes {
		if slices.Contains(excused.nodes, m) {
			tested = append(tested, all.fields[k])
		} else {
			used = append(used, all.fields[k])
		}
	}
	return used, tested
}

// contactMembers collects contact.X and contact.fields.X member nodes.
type contactMembers struct {
	nodes  []*ast.MemberNode
	fields []string
}

// Visit implements ast.Visitor.
func (c *contactMembers) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	switch base := m.Node.(type) {
	case *ast.IdentifierNode:
		if base.Value == "contact" && contactFieldLabels[prop.Value] != "" {
			c.nodes, c.fields = append(c.nodes, m), append(c.fields, prop.Value)
		}
	case *ast.MemberNode:
		id, ok1 := base.Node.(*ast.IdentifierNode)
		p, ok2 := base.Property.(*ast.StringNode)
		if ok1 && ok2 && id.Value == "contact" && p.Value == "fields" {
			c.nodes, c.fields = append(c.nodes, m), append(c.fields, "fields."+prop.Value)
		}
	}
}

// fallbackOperators use their operands to test or fall back on them.
var fallbackOperators = []string{"??", "==", "!=", "<", ">", "<=", ">=", "in", "contains", "startsWith", "endsWith", "matches", "and", "or", "&&", "||", "not", "!"}

// fallbacks walks each fallback construct's subtree with inner.
type fallbacks struct{ inner *contactMembers }

// Visit implements ast.Visitor.
func (f *fallbacks) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.ConditionalNode:
	case *ast.BinaryNode:
		if !slices.Contains(fallbackOperators, n.Operator) {
			return
		}
	case *ast.UnaryNode:
		if n.Operator != "not" && n.Operator != "!" {
			return
		}
	case *ast.BuiltinNode:
		if n.Name != "len" {
			return
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || id.Value != "coalesce" {
			return
		}
	default:
		return
	}
	sub := *node
	ast.Walk(&sub, f.inner)
}
