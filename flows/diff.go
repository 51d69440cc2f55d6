package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// FlowDiff says what changed from one flow document to another, by step:
// what the version history, the conflict dialog and the canvas highlight
// show a marketer. Steps are matched by id, so a renamed step is changed,
// not removed and added.
type FlowDiff struct {
	Added   []StepRef    `json:"added"`
	Removed []StepRef    `json:"removed"`
	Changed []StepChange `json:"changed"`
	// Moved are steps only dragged to another place on the canvas: not a
	// change to what the journey does, so Summary leaves them out.
	Moved []StepRef `json:"moved"`
	// Settings are changes to the journey itself: name, description and
	// settings (dotted keys such as "reentry.policy").
	Settings []Change `json:"settings"`
}

// StepRef names a step.
type StepRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Label is what a marketer reads: the step's name, else its type's
	// title (with a catalog), else its id.
	Label string `json:"label"`
}

// StepChange is a step in both documents with something changed.
type StepChange struct {
	StepRef
	Changes []Change `json:"changes"`
}

// Change kinds.
const (
	ChangeName    = "name"    // the step's name
	ChangeType    = "type"    // the step's type or type version
	ChangeParam   = "param"   // one parameter (Key is its name)
	ChangeNext    = "next"    // the steps a path leads to (Key is the port)
	ChangeSetting = "setting" // a journey setting (Key is a dotted path)
)

// Change is one changed value. Before or After is absent when the value
// was not set on that side.
type Change struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	// Label is the form label of a parameter (with a catalog), the port
	// of a path, or the key.
	Label  string          `json:"label"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// secretMask replaces the value of a secret parameter in a diff.
var secretMask = json.RawMessage(`"(hidden)"`)

// Empty reports whether nothing but positions changed.
func (d *FlowDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0 && len(d.Settings) == 0
}

// Diff compares flow a (before) with flow b (after). It is a pure
// function of the two documents; labels fall back to step ids.
func Diff(a, b *Flow) FlowDiff { return DiffWith(a, b, nil) }

// DiffWith is Diff with labels from cat (type titles, parameter labels)
// and secret parameters masked; cat may be nil.
func DiffWith(a, b *Flow, cat Catalog) FlowDiff {
	d := FlowDiff{Added: []StepRef{}, Removed: []StepRef{}, Changed: []StepChange{}, Moved: []StepRef{}, Settings: []Change{}}
	inA := nodesByID(a)
	inB := nodesByID(b)
	nextA, nextB := nextSteps(a), nextSteps(b)
	for i := range b.Nodes {
		nb := &b.Nodes[i]
		na := inA[nb.ID]
		if na == nil {
			d.Added = append(d.Added, stepRef(nb, cat))
			continue
		}
		cs := nodeChanges(na, nb, cat)
		cs = append(cs, nextChanges(nextA[nb.ID], nextB[nb.ID], inA, inB, portLabels(nb, cat), cat)...)
		switch {
		case len(cs) > 0:
			d.Changed = append(d.Changed, StepChange{StepRef: stepRef(nb, cat), Changes: cs})
		case na.Position != nb.Position:
			d.Moved = append(d.Moved, stepRef(nb, cat))
		}
	}
	for i := range a.Nodes {
		if inB[a.Nodes[i].ID] == nil {
			d.Removed = append(d.Removed, stepRef(&a.Nodes[i], cat))
		}
	}
	d.Settings = settingChanges(a, b)
	return d
}

func nodesByID(f *Flow) map[string]*Node {
	m := make(map[string]*Node, len(f.Nodes))
	for i := range f.Nodes {
		m[f.Nodes[i].ID] = &f.Nodes[i]
	}
	return m
}

func stepRef(n *Node, cat Catalog) StepRef {
	return StepRef{ID: n.ID, Type: n.Type, Label: StepLabel(n, cat)}
}

// StepLabel is what a marketer calls a step: its name, else its type's
// title (cat may be nil), else its id.
func StepLabel(n *Node, cat Catalog) string {
	if n.Name != "" {
		return n.Name
	}
	if spec := specOf(n, cat); spec != nil && spec.Title != "" {
		return spec.Title
	}
	return n.ID
}

func specOf(n *Node, cat Catalog) *TypeSpec {
	if cat == nil {
		return nil
	}
	spec, _ := cat.Spec(n.Type, n.Version())
	return spec
}

// nodeChanges compares the name, type and parameters of one step.
func nodeChanges(a, b *Node, cat Catalog) []Change {
	var out []Change
	if a.Name != b.Name {
		out = append(out, Change{Kind: ChangeName, Key: "name", Label: "Name", Before: jsonString(a.Name), After: jsonString(b.Name)})
	}
	if a.Type != b.Type || a.Version() != b.Version() {
		out = append(out, Change{Kind: ChangeType, Key: "type", Label: "Kind of step",
			Before: jsonString(fmt.Sprintf("%s v%d", a.Type, a.Version())), After: jsonString(fmt.Sprintf("%s v%d", b.Type, b.Version()))})
	}
	pa, pb := objectOf(a.Params), objectOf(b.Params)
	spec := specOf(b, cat)
	for _, k := range unionKeys(pa, pb) {
		before, after := canonical(pa[k]), canonical(pb[k])
		if bytes.Equal(before, after) {
			continue
		}
		c := Change{Kind: ChangeParam, Key: k, Label: k, Before: before, After: after}
		if spec != nil {
			if ps := spec.Param(k); ps != nil {
				c.Label = cmpOr(ps.Label, k)
				if ps.Secret {
					c.Before, c.After = maskIfSet(c.Before), maskIfSet(c.After)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// nextSteps maps each step to its paths: port -> the ids of the steps it
// leads to, sorted.
func nextSteps(f *Flow) map[string]map[string][]string {
	m := map[string]map[string][]string{}
	for _, e := range f.Edges {
		if m[e.From] == nil {
			m[e.From] = map[string][]string{}
		}
		m[e.From][e.PortName()] = append(m[e.From][e.PortName()], e.To)
	}
	for _, ports := range m {
		for _, to := range ports {
			sort.Strings(to)
		}
	}
	return m
}

// nextChanges compares where each path of a step leads; before and after
// name the steps as each document labels them.
func nextChanges(a, b map[string][]string, inA, inB map[string]*Node, ports map[string]string, cat Catalog) []Change {
	var out []Change
	for _, port := range unionKeys(a, b) {
		if slices.Equal(a[port], b[port]) {
			continue
		}
		out = append(out, Change{Kind: ChangeNext, Key: port, Label: cmpOr(ports[port], port),
			Before: labelsJSON(a[port], inA, cat), After: labelsJSON(b[port], inB, cat)})
	}
	return out
}

// portLabels maps a step's declared ports to their labels.
func portLabels(n *Node, cat Catalog) map[string]string {
	m := map[string]string{}
	if spec := specOf(n, cat); spec != nil {
		for _, p := range spec.Outputs {
			m[p.Name] = p.Label
		}
	}
	return m
}

func labelsJSON(ids []string, in map[string]*Node, cat Catalog) json.RawMessage {
	if len(ids) == 0 {
		return nil
	}
	labels := make([]string, len(ids))
	for i, id := range ids {
		labels[i] = id
		if n := in[id]; n != nil {
			labels[i] = StepLabel(n, cat)
		}
	}
	raw, _ := json.Marshal(labels)
	return raw
}

// settingChanges compares the journey's name, description and settings,
// each nested setting by its dotted path.
func settingChanges(a, b *Flow) []Change {
	out := []Change{}
	if a.Name != b.Name {
		out = append(out, Change{Kind: ChangeSetting, Key: "name", Label: "name", Before: jsonString(a.Name), After: jsonString(b.Name)})
	}
	if a.Description != b.Description {
		out = append(out, Change{Kind: ChangeSetting, Key: "description", Label: "description", Before: jsonString(a.Description), After: jsonString(b.Description)})
	}
	sa, sb := flatSettings(a.Settings), flatSettings(b.Settings)
	for _, k := range unionKeys(sa, sb) {
		before, after := canonical(sa[k]), canonical(sb[k])
		if !bytes.Equal(before, after) {
			out = append(out, Change{Kind: ChangeSetting, Key: k, Label: k, Before: before, After: after})
		}
	}
	return out
}

// flatSettings turns settings into dotted path -> value, objects opened
// up so that one changed quiet-hours field is one change.
func flatSettings(s Settings) map[string]json.RawMessage {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	out := map[string]json.RawMessage{}
	var walk func(prefix string, v json.RawMessage)
	walk = func(prefix string, v json.RawMessage) {
		obj := objectOf(v)
		if obj == nil || prefix != "" && len(obj) == 0 {
			if prefix != "" {
				out[prefix] = v
			}
			return
		}
		for k, x := range obj {
			walk(strings.TrimPrefix(prefix+"."+k, "."), x)
		}
	}
	walk("", raw)
	return out
}

// objectOf decodes a JSON object (nil when v is not one).
func objectOf(v json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return nil
	}
	return m
}

// canonical is v compact with sorted keys, so that equal values compare
// equal; nil for an absent or null value.
func canonical(v json.RawMessage) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	c, err := CanonicalJSON(v)
	if err != nil {
		return v
	}
	var buf bytes.Buffer
	if json.Compact(&buf, c) != nil {
		return v
	}
	return buf.Bytes()
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func jsonString(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	raw, _ := json.Marshal(s)
	return raw
}

func maskIfSet(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return nil
	}
	return secretMask
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// Summary says in one sentence what changed, e.g. `Added “Send SMS”,
// changed “Wait 2 days”.`
func (d *FlowDiff) Summary() string {
	var parts []string
	if len(d.Added) > 0 {
		parts = append(parts, "added "+quoteLabels(d.Added))
	}
	if len(d.Removed) > 0 {
		parts = append(parts, "removed "+quoteLabels(d.Removed))
	}
	if len(d.Changed) > 0 {
		refs := make([]StepRef, len(d.Changed))
		for i, c := range d.Changed {
			refs[i] = c.StepRef
		}
		parts = append(parts, "changed "+quoteLabels(refs))
	}
	if len(d.Settings) > 0 {
		parts = append(parts, "changed the journey’s settings")
	}
	if len(parts) == 0 {
		if len(d.Moved) > 0 {
			return "Moved steps on the canvas; nothing else changed."
		}
		return "No changes."
	}
	s := strings.Join(parts, ", ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// quoteLabels lists up to three step labels in quotes, then how many more.
func quoteLabels(refs []StepRef) string {
	const shown = 3
	var qs []string
	for i, r := range refs {
		if i == shown {
			break
		}
		qs = append(qs, "“"+r.Label+"”")
	}
	if more := len(refs) - len(qs); more > 0 {
		return strings.Join(qs, ", ") + fmt.Sprintf(" and %d more", more)
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return strings.Join(qs[:len(qs)-1], ", ") + " and " + qs[len(qs)-1]
}
