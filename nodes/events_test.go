package nodes_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
)

func TestKnownEventsAreWellFormed(t *testing.T) {
	t.Parallel()
	groups := []string{nodes.EventGroupEmail, nodes.EventGroupSMS, nodes.EventGroupWhatsApp, nodes.EventGroupChat, nodes.EventGroupShop}
	seen := map[string]bool{}
	for _, e := range nodes.KnownEvents {
		if seen[e.Type] {
			t.Errorf("%s is listed twice", e.Type)
		}
		seen[e.Type] = true
		if !strings.Contains(e.Type, ".") || e.Title == "" || !strings.HasSuffix(e.Sentence, ".") {
			t.Errorf("%+v: want a dotted type, a title and a sentence", e)
		}
		if !slices.Contains(groups, e.Group) {
			t.Errorf("%s: unknown group %q", e.Type, e.Group)
		}
	}
	if _, ok := nodes.LookupEvent("email.opened"); !ok {
		t.Error("email.opened is not found")
	}
	if _, ok := nodes.LookupEvent("message.received"); ok {
		t.Error("message.received is never recorded, yet it is known")
	}
}

// The declarations' examples name only events the product records, so
// the reference never teaches an event that cannot happen.
func TestExamplesNameKnownEvents(t *testing.T) {
	t.Parallel()
	for _, typ := range nodes.Builtin().All() {
		for _, p := range typ.Spec.Params {
			if p.Options != "event_types" {
				continue
			}
			names := []any{p.Example}
			for _, ex := range typ.Spec.Examples {
				names = append(names, ex.Params[p.Name])
			}
			for _, n := range names {
				s, _ := n.(string)
				if _, ok := nodes.LookupEvent(s); s != "" && !ok {
					t.Errorf("%s, %s: the example names %q, which this product never records", typ.Spec.Type, p.Name, s)
				}
			}
		}
	}
}
