package nodes_test

import (
	"slices"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

func TestLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		typ   string
		start []string
		want  []string
	}{
		{"adds to a list", nodes.TypeAddToList, nil, []string{"nurture"}},
		{"adding twice keeps one", nodes.TypeAddToList, []string{"nurture"}, []string{"nurture"}},
		{"removes from a list", nodes.TypeRemoveFromList, []string{"vip", "nurture"}, []string{"vip"}},
		{"removing when not on it is fine", nodes.TypeRemoveFromList, []string{"vip"}, []string{"vip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.withContact(nodestest.Contact{Email: "ana@example.com", Lists: tt.start})
			res, err := b.run(t, tt.typ, map[string]any{"list": " nurture "})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if c, _ := b.store.Contact(id); !slices.Equal(c.Lists, tt.want) {
				t.Fatalf("lists = %v, want %v", c.Lists, tt.want)
			}
			if res.Output["list"] != "nurture" || res.Port != nodes.PortOut {
				t.Fatalf("result = %+v", res)
			}
			if calls := b.store.Calls(); len(calls) != 1 || calls[0].Key != "run1:n:1" {
				t.Fatalf("calls = %+v, want one with the step key", calls)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.run(t, nodes.TypeAddToList, map[string]any{"list": "nurture"})
	wantPermanent(t, err, "no contact yet")
	wantProblem(t, b.problems(t, nodes.TypeAddToList, map[string]any{}), "list", "")
}

func TestTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params map[string]any
		start  []string
		want   []string
	}{
		{"adds and removes", map[string]any{"add": []any{"hot-lead", " hot-lead ", ""}, "remove": []any{"cold"}}, []string{"cold", "vip"}, []string{"vip", "hot-lead"}},
		{"only removes", map[string]any{"remove": []any{"trial"}}, []string{"trial"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.withContact(nodestest.Contact{Email: "ana@example.com", Tags: tt.start})
			if _, err := b.run(t, nodes.TypeTag, tt.params); err != nil {
				t.Fatalf("run: %v", err)
			}
			if c, _ := b.store.Contact(id); !slices.Equal(c.Tags, tt.want) {
				t.Fatalf("tags = %q, want %q", c.Tags, tt.want)
			}
		})
	}
}

func TestTagNeedsATag(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeTag, map[string]any{}), "add", "at least one tag")
	wantProblem(t, b.problems(t, nodes.TypeTag, map[string]any{"add": []any{" "}}), "add", "at least one tag")
}
