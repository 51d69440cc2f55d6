package flows

import (
	"encoding/json"
	"fmt"
)

// fakeCatalog is a small Catalog for tests: one spec per type, version 1
// unless the spec says otherwise.
type fakeCatalog map[string]*TypeSpec

func (c fakeCatalog) Spec(typ string, version int) (*TypeSpec, bool) {
	s, ok := c[typ]
	if !ok {
		for _, spec := range c {
			for _, alias := range spec.Aliases {
				if alias == typ {
					s, ok = spec, true
				}
			}
		}
	}
	if !ok || version < 1 || version > s.Version {
		return nil, false
	}
	return s, true
}

func ptr(f float64) *float64 { return &f }

// testCatalog returns a fresh fake catalog (specs are not shared between
// parallel tests).
func testCatalog() fakeCatalog {
	specs := []*TypeSpec{
		{
			Type: "trigger.event", Version: 1, Category: CategoryTrigger, Title: "When an event happens",
			Trigger: true, Outputs: []PortSpec{{Name: "out", Label: "Next"}},
			Params: []ParamSpec{
				{Name: "event_type", Label: "Event", Kind: KindString, Required: true},
				{Name: "filter", Label: "Only when", Kind: KindExpression, Returns: ReturnsBool},
			},
		},
		{
			Type: "logic.if", Version: 2, Aliases: []string{"logic.condition"}, Category: CategoryLogic, Title: "If / else",
			Outputs: []PortSpec{{Name: "yes", Label: "Yes"}, {Name: "no", Label: "No"}},
			Params: []ParamSpec{
				{Name: "condition", Label: "Condition", Kind: KindExpression, Returns: ReturnsBool, Required: true},
			},
		},
		{
			Type: "wait.delay", Version: 1, Category: CategoryTiming, Title: "Wait for a while", Waits: true,
			Outputs: []PortSpec{{Name: "out", Label: "Next"}},
			Params: []ParamSpec{
				{Name: "mode", Label: "Wait", Kind: KindEnum, Enum: []string{"duration", "until"}, Default: "duration"},
				{Name: "duration", Label: "Wait for", Kind: KindDuration, Required: true, ShowIf: map[string][]string{"mode": {"duration"}}},
				{Name: "until", Label: "Wait until", Kind: KindDateTime, Required: true, ShowIf: map[string][]string{"mode": {"until"}}},
			},
		},
		{
			Type: "logic.switch", Version: 1, Category: CategoryLogic, Title: "Switch",
			Outputs: []PortSpec{{Name: "default", Label: "Otherwise"}}, DynamicPorts: "cases",
			Params: []ParamSpec{
				{Name: "cases", Label: "Cases", Kind: KindList, Required: true, Fields: []ParamSpec{
					{Name: "name", Label: "Name", Kind: KindString, Required: true},
					{Name: "when", Label: "When", Kind: KindExpression, Returns: ReturnsBool, Required: true},
					{Name: "weight", Label: "Weight", Kind: KindInteger, Default: 1, Min: ptr(0), Max: ptr(100)},
				}},
			},
		},
		{
			Type: "message.email", Version: 1, Category: CategoryMessage, Title: "Send an email", Credential: "smtp",
			Outputs: []PortSpec{{Name: "sent", Label: "Sent"}, {Name: "failed", Label: "Failed"}},
			Params: []ParamSpec{
				{Name: "to", Label: "To", Kind: KindTemplate, Default: "{{ contact.email }}"},
				{Name: "subject", Label: "Subject", Kind: KindTemplate, Required: true},
				{Name: "body", Label: "Body", Kind: KindTemplate},
				{Name: "credential", Label: "Account", Kind: KindCredential},
				{Name: "priority", Label: "Priority", Kind: KindInteger, Default: 3, Min: ptr(1), Max: ptr(5)},
				{Name: "track", Label: "Track opens", Kind: KindBoolean, Default: true},
			},
		},
		{
			Type: "crm.update", Version: 1, Category: CategoryCRM, Title: "Update the contact",
			Outputs: []PortSpec{{Name: "out", Label: "Next"}},
			Params: []ParamSpec{
				{Name: "mapping", Label: "Fields", Kind: KindMap, Required: true},
				{Name: "tags", Label: "Tags", Kind: KindStringList},
				{Name: "score", Label: "Score", Kind: KindNumber, Min: ptr(-100), Max: ptr(100)},
				{Name: "min_score", Label: "Lowest score", Kind: KindNumber},
				{Name: "max_score", Label: "Highest score", Kind: KindNumber},
			},
			Rules: []Rule{func(p map[string]any) []Problem {
				lo, ok1 := asFloat(p["min_score"])
				hi, ok2 := asFloat(p["max_score"])
				if ok1 && ok2 && lo > hi {
					return []Problem{{Code: "bad_range", Param: "min_score", Message: fmt.Sprintf(
						"The lowest score (%v) is above the highest score (%v).", lo, hi)}}
				}
				return nil
			}},
		},
		{
			Type: "trigger.schedule", Version: 1, Category: CategoryTrigger, Title: "On a schedule", Trigger: true,
			Outputs: []PortSpec{{Name: "out", Label: "Next"}},
			Params: []ParamSpec{
				{Name: "cron", Label: "Schedule", Kind: KindCron, Required: true},
				{Name: "time_zone", Label: "Time zone", Kind: KindTimeZone},
				{Name: "days", Label: "Days", Kind: KindWeekdays},
				{Name: "at", Label: "At", Kind: KindTimeOfDay},
			},
		},
	}
	c := fakeCatalog{}
	for _, s := range specs {
		c[s.Type] = s
	}
	return c
}

// mustJSON marshals v for test input.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
