package flows

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// compileBundle is a compiled test flow.
type compileBundle struct {
	c *Compiled
}

func setupCompiled(t *testing.T, goal string) *compileBundle {
	t.Helper()
	f := &Flow{
		ID: "test-flow", Name: "Test",
		Settings: Settings{TimeZone: "Europe/Paris", Goal: goal},
		Nodes: []Node{
			{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "chat.finished"})},
			{ID: "route", Type: "logic.switch", Params: mustJSON(map[string]any{"cases": []any{
				map[string]any{"name": "vip", "when": `hasTag("vip")`},
				map[string]any{"name": "big", "when": "contact.score > 90", "weight": 5},
			}})},
			{ID: "mail", Type: "message.email", Params: mustJSON(map[string]any{"subject": "Hi {{ contact.first_name }}", "body": "Plain body"})},
			{ID: "save", Type: "crm.update", Params: mustJSON(map[string]any{"mapping": map[string]any{"email": "lower(contact.email)", "vip": `hasTag("vip")`}})},
			{ID: "cron", Type: "trigger.schedule", Params: mustJSON(map[string]any{"cron": "@daily"})},
		},
		Edges: []Edge{
			{From: "start", To: "route"},
			{From: "route", Port: "vip", To: "mail"},
			{From: "route", Port: "vip", To: "save"},
			{From: "route", Port: "default", To: "save"},
			{From: "cron", Port: "out", To: "save"},
		},
	}
	c, problems := Compile(f, testCatalog())
	if len(problems) > 0 {
		t.Fatalf("Compile: %v", problems)
	}
	return &compileBundle{c: c}
}

func TestCompileBuildsTheFlow(t *testing.T) {
	t.Parallel()
	c := setupCompiled(t, "").c
	t.Run("uses the flow time zone", func(t *testing.T) {
		t.Parallel()
		if c.Location.String() != "Europe/Paris" {
			t.Fatalf("Location = %v", c.Location)
		}
	})
	t.Run("lists triggers in document order", func(t *testing.T) {
		t.Parallel()
		if len(c.Triggers) != 2 || c.Triggers[0].Node.ID != "start" || c.Triggers[1].Node.ID != "cron" {
			t.Fatalf("Triggers = %v", c.Triggers)
		}
	})
	t.Run("maps ports to next nodes in edge order with the default port named out", func(t *testing.T) {
		t.Parallel()
		if got := c.Nodes["route"].Next["vip"]; !slices.Equal(got, []string{"mail", "save"}) {
			t.Fatalf("route vip -> %v", got)
		}
		if got := c.Nodes["start"].Next[DefaultPort]; !slices.Equal(got, []string{"route"}) {
			t.Fatalf("start out -> %v", got)
		}
		if got := c.Node("save").Next; len(got) != 0 {
			t.Fatalf("save has next %v", got)
		}
	})
	t.Run("fills in defaults, also inside list items", func(t *testing.T) {
		t.Parallel()
		mail := c.Nodes["mail"].Params
		if mail["to"] != "{{ contact.email }}" || mail["priority"] != json.Number("3") || mail["track"] != true {
			t.Fatalf("mail params = %v", mail)
		}
		cases := c.Nodes["route"].Params["cases"].([]any)
		if w := cases[0].(map[string]any)["weight"]; w != json.Number("1") {
			t.Fatalf("default weight = %#v", w)
		}
	})
	t.Run("decodes params into a typed struct", func(t *testing.T) {
		t.Parallel()
		var p struct {
			To       string `json:"to"`
			Subject  string `json:"subject"`
			Priority int    `json:"priority"`
			Track    bool   `json:"track"`
		}
		if err := c.Nodes["mail"].Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.To != "{{ contact.email }}" || p.Subject != "Hi {{ contact.first_name }}" || p.Priority != 3 || !p.Track {
			t.Fatalf("decoded %+v", p)
		}
	})
}

func TestCompiledNodeEvaluation(t *testing.T) {
	t.Parallel()
	c := setupCompiled(t, `hasTag("vip")`).c
	env := testEnv()
	tests := []struct {
		name    string
		node    string
		path    string
		call    string // bool, eval or render
		want    any
		wantErr error
	}{
		{"Bool runs a list item condition", "route", "cases[0].when", "bool", true, nil},
		{"Bool runs another item", "route", "cases[1].when", "bool", false, nil},
		{"Render renders a template", "mail", "subject", "render", "Hi Ada", nil},
		{"Render returns text without parts as is", "mail", "body", "render", "Plain body", nil},
		{"Render uses a default template", "mail", "to", "render", "Ada@Example.com", nil},
		{"Eval of a template gives the text", "mail", "subject", "eval", "Hi Ada", nil},
		{"Eval runs a map entry", "save", "mapping.email", "eval", "ada@example.com", nil},
		{"Render formats an expression", "save", "mapping.vip", "render", "true", nil},
		{"an empty optional condition is false", "start", "filter", "bool", false, nil},
		{"an empty optional expression is nil", "start", "filter", "eval", nil, nil},
		{"an empty optional expression renders empty", "start", "filter", "render", "", nil},
		{"an empty optional template renders empty", "mail", "body_missing", "render", "", ErrNoSuchParam},
		{"an unknown path is ErrNoSuchParam", "route", "cases[7].when", "bool", false, ErrNoSuchParam},
		{"a plain param has no program", "start", "event_type", "eval", nil, ErrNoSuchParam},
		{"a template is not a condition", "mail", "subject", "bool", false, ErrNoSuchParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := c.Nodes[tt.node]
			var got any
			var err error
			switch tt.call {
			case "bool":
				got, err = n.Bool(tt.path, env)
			case "eval":
				got, err = n.Eval(tt.path, env)
			case "render":
				got, err = n.Render(tt.path, env)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%s(%q) error = %v, want %v", tt.call, tt.path, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("%s(%q) = %#v, want %#v", tt.call, tt.path, got, tt.want)
			}
		})
	}
	t.Run("the goal reads the env", func(t *testing.T) {
		t.Parallel()
		ok, err := c.Goal(env)
		if err != nil || !ok {
			t.Fatalf("Goal = %v, %v", ok, err)
		}
		ok, err = c.Goal(&Env{})
		if err != nil || ok {
			t.Fatalf("Goal(empty) = %v, %v", ok, err)
		}
	})
	t.Run("no goal is never reached", func(t *testing.T) {
		t.Parallel()
		ok, err := setupCompiled(t, "").c.Goal(env)
		if err != nil || ok {
			t.Fatalf("Goal = %v, %v", ok, err)
		}
	})
	t.Run("a runtime error is returned, not a panic", func(t *testing.T) {
		t.Parallel()
		_, err := c.Nodes["route"].Bool("cases[0].when", nil)
		if err != nil {
			t.Fatalf("nil env: %v", err)
		}
		p, cerr := compileExpr("vars.x.y.z > 1", ReturnsBool)
		if cerr != nil {
			t.Fatal(cerr)
		}
		if _, err := p.runBool(&Env{Vars: map[string]any{"x": 1}}); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestCompileEdgeCases(t *testing.T) {
	t.Parallel()
	t.Run("a nil flow is a problem", func(t *testing.T) {
		t.Parallel()
		if _, ps := Compile(nil, testCatalog()); len(ps) != 1 {
			t.Fatalf("problems = %v", ps)
		}
	})
	t.Run("a nil catalog makes every type unknown", func(t *testing.T) {
		t.Parallel()
		f := &Flow{ID: "a", Name: "A", Nodes: []Node{{ID: "n", Type: "trigger.event"}}}
		ps := Validate(f, nil)
		if len(ps) != 2 || ps[1].Code != CodeUnknownType || ps[0].Code != CodeNoTrigger {
			t.Fatalf("problems = %v", ps)
		}
	})
	t.Run("defaults are copies, not shared with the declaration", func(t *testing.T) {
		t.Parallel()
		cat := testCatalog()
		cat["crm.update"].Params[1].Default = []any{"a"}
		f := &Flow{ID: "a", Name: "A", Nodes: []Node{
			{ID: "t", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "x"})},
			{ID: "u", Type: "crm.update", Params: mustJSON(map[string]any{"mapping": map[string]any{"x": "1"}})},
		}, Edges: []Edge{{From: "t", To: "u"}}}
		c, ps := Compile(f, cat)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		c.Nodes["u"].Params["tags"].([]any)[0] = "changed"
		if cat["crm.update"].Params[1].Default.([]any)[0] != "a" {
			t.Fatal("the declaration's default was modified")
		}
	})
	t.Run("a ProblemsError summarises", func(t *testing.T) {
		t.Parallel()
		err := &ProblemsError{Problems: []Problem{{Message: "one"}, {Message: "two"}}}
		if err.Error() != "flow is invalid: one (and more problems)" {
			t.Fatal(err.Error())
		}
	})
}

func TestCompiledUsesActivityOnlyWhenAnExpressionReadsIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, goal string
		want       bool
	}{
		{"no goal and no activity field", "", false},
		{"a goal on other contact fields", `contact.score > 50 && hasTag("vip")`, false},
		{"a goal on deals", "contact.deals_count > 0", true},
		{"a goal on open deals", "contact.open_deals >= 1", true},
		{"a goal on the last activity", "daysSince(contact.last_activity_at) < 1", true},
		{"a goal naming the field by index", `contact["deals_count"] > 0`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := setupCompiled(t, tc.goal).c.UsesActivity(); got != tc.want {
				t.Fatalf("UsesActivity() = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("a template part reading deals", func(t *testing.T) {
		t.Parallel()
		f := &Flow{ID: "tpl", Name: "T", Nodes: []Node{
			{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "chat.finished"})},
			{ID: "mail", Type: "message.email", Params: mustJSON(map[string]any{"subject": "You have {{ contact.open_deals }} open deals", "body": "b"})},
		}, Edges: []Edge{{From: "start", To: "mail"}}}
		c, problems := Compile(f, testCatalog())
		if len(problems) > 0 {
			t.Fatalf("Compile: %v", problems)
		}
		if !c.UsesActivity() {
			t.Fatal("UsesActivity() = false for a template reading contact.open_deals")
		}
	})
}

func TestARequiredAccountLeftEmptyIsAMissingCredential(t *testing.T) {
	t.Parallel()
	cat := testCatalog()
	cat["notify.chat"] = &TypeSpec{Type: "notify.chat", Version: 1, Category: CategoryIntegration, Title: "Notify a chat room",
		Outputs: []PortSpec{{Name: "out", Label: "Next"}},
		Params: []ParamSpec{
			{Name: "account", Label: "Chat account", Kind: KindCredential, CredentialKind: "chatapp", Required: true},
			{Name: "text", Label: "Text", Kind: KindTemplate, Required: true},
		}}
	f := &Flow{ID: "notify", Name: "Notify", Nodes: []Node{
		{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "chat.finished"})},
		{ID: "tell", Name: "Tell sales", Type: "notify.chat", Params: mustJSON(map[string]any{"text": "New lead"})},
	}, Edges: []Edge{{From: "start", To: "tell"}}}
	problems := Validate(f, cat)
	if len(problems) != 1 || problems[0].Code != CodeMissingCredential || problems[0].NodeID != "tell" || problems[0].Param != "account" ||
		!strings.Contains(problems[0].Message, `"Chat account" (credential kind "chatapp")`) {
		t.Fatalf("problems = %+v, want one missing_credential on tell.account naming the kind", problems)
	}
	if !OnlyCredentialProblems(problems) {
		t.Fatal("OnlyCredentialProblems = false for a flow missing only an account")
	}
	f.Nodes[1].Params = mustJSON(map[string]any{})
	if OnlyCredentialProblems(Validate(f, cat)) {
		t.Fatal("OnlyCredentialProblems = true although the text is missing too")
	}
}

// Decode hands each caller its own params: a handler that changes its copy
// (plain values, lists or maps) changes nothing for the next step.
func TestDecodeGivesEachCallerItsOwnParams(t *testing.T) {
	t.Parallel()
	c := setupCompiled(t, "").c
	mail := c.Nodes["mail"]
	type plain struct {
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
	for range 3 {
		var p plain
		if err := mail.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Hi {{ contact.first_name }}" || p.Body != "Plain body" {
			t.Fatalf("decoded %+v", p)
		}
		p.Subject = "changed by a handler"
	}
	type withList struct {
		Cases []map[string]any `json:"cases"`
	}
	route := c.Nodes["route"]
	for range 3 {
		var p withList
		if err := route.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if len(p.Cases) != 2 || p.Cases[0]["name"] != "vip" {
			t.Fatalf("decoded %+v", p)
		}
		p.Cases[0]["name"] = "changed by a handler"
	}
	// Plain params are decoded once and copied: a list the params leave
	// empty, that a handler fills, stays empty for the next step.
	type withEmptyList struct {
		Subject string   `json:"subject"`
		Extra   []string `json:"extra"`
		Also    *string  `json:"also"`
	}
	for range 3 {
		var p withEmptyList
		if err := mail.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Subject != "Hi {{ contact.first_name }}" || len(p.Extra) != 0 || p.Also != nil {
			t.Fatalf("decoded %+v", p)
		}
		p.Subject = "changed by a handler"
		p.Extra = append(p.Extra, "added by a handler")
		also := "set by a handler"
		p.Also = &also
	}
}
