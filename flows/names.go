package flows

import (
	"fmt"
	"strings"
)

// Messages name journeys and steps as a marketer sees them in the editor:
// by their names, never by ids alone.

// JourneyName is how messages name f: its name, else its id.
func JourneyName(f *Flow) string {
	if strings.TrimSpace(f.Name) != "" {
		return f.Name
	}
	return f.ID
}

// StepName is how messages name the step with id in f: its name; else its
// type's title ("If / else"), with its id when another unnamed step has
// the same type; else its id.
func StepName(f *Flow, cat Catalog, id string) string {
	for i := range f.Nodes {
		if f.Nodes[i].ID == id {
			return stepName(f, cat, i)
		}
	}
	return id
}

// NameProblems fills in the Journey and Step of each problem of f.
func NameProblems(f *Flow, cat Catalog, ps []Problem) {
	for i := range ps {
		ps[i].Journey = JourneyName(f)
		if ps[i].NodeID != "" {
			ps[i].Step = StepName(f, cat, ps[i].NodeID)
		}
	}
}

func stepName(f *Flow, cat Catalog, i int) string {
	n := &f.Nodes[i]
	if strings.TrimSpace(n.Name) != "" {
		return n.Name
	}
	title := typeTitleOf(cat, n)
	if title == "" {
		return nodeTitle(n, i)
	}
	for j := range f.Nodes {
		if j != i && strings.TrimSpace(f.Nodes[j].Name) == "" && typeTitleOf(cat, &f.Nodes[j]) == title {
			return fmt.Sprintf("%s (%s)", title, nodeTitle(n, i))
		}
	}
	return title
}

// typeTitleOf is the title of n's type; "" when the type is unknown.
func typeTitleOf(cat Catalog, n *Node) string {
	if cat == nil || n.Type == "" {
		return ""
	}
	if spec, ok := cat.Spec(n.Type, n.Version()); ok && spec != nil {
		return typeTitle(spec)
	}
	return ""
}
