package flows

import (
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func testEnv() *Env {
	return &Env{
		Contact: Contact{
			Email: "Ada@Example.com", FirstName: "Ada", Score: 72,
			Tags: []string{"vip", "newsletter"}, Lists: []string{"nurture"},
			Fields:    map[string]any{"plan": "pro", "seats": 3.0},
			CreatedAt: testNow.Add(-36 * time.Hour),
		},
		Event:   Event{Type: "chat.finished", Data: map[string]any{"plan": "pro", "amount": 12.5}},
		Trigger: map[string]any{"email": "ADA@example.com", "signed_up": "2025-03-09T12:00:00Z"},
		Vars:    map[string]any{"count": 2},
		Run:     RunInfo{ID: "run-1"},
		Now:     testNow,
	}
}

func TestExpressionEval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		returns string
		want    any
	}{
		{"reads contact fields by their snake_case names", "contact.first_name", ReturnsAny, "Ada"},
		{"hoursSince uses env.now", "hoursSince(contact.created_at)", ReturnsAny, 36.0},
		{"daysSince uses env.now", "daysSince(contact.created_at)", ReturnsAny, 1.5},
		{"daysSince accepts RFC 3339 text", "daysSince(trigger.signed_up)", ReturnsAny, 1.0},
		{"hasTag finds a tag", `hasTag("vip")`, ReturnsBool, true},
		{"hasTag misses a tag", `hasTag("churned")`, ReturnsBool, false},
		{"inList finds a list", `inList("nurture")`, ReturnsBool, true},
		{"lower is available", "lower(contact.email)", ReturnsAny, "ada@example.com"},
		{"upper is available", "upper(contact.first_name)", ReturnsAny, "ADA"},
		{"trim is available", `trim("  x ")`, ReturnsAny, "x"},
		{"coalesce skips empty values", `coalesce(contact.company, vars.missing, "none")`, ReturnsAny, "none"},
		{"coalesce keeps the first value", `coalesce(contact.first_name, "x")`, ReturnsAny, "Ada"},
		{"now is the env clock", "now == contact.created_at.Add(duration(\"36h\"))", ReturnsBool, true},
		{"map fields are open", `event.data.plan == "pro" && trigger.email != ""`, ReturnsBool, true},
		{"a five-clause condition", fiveClauses, ReturnsBool, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := compileExpr(tt.src, tt.returns)
			if err != nil {
				t.Fatalf("compile %q: %v", tt.src, err)
			}
			got, runErr := p.run(testEnv())
			if runErr != nil {
				t.Fatalf("run %q: %v", tt.src, runErr)
			}
			if got != tt.want {
				t.Fatalf("%q = %#v, want %#v", tt.src, got, tt.want)
			}
		})
	}
}

const fiveClauses = `contact.score >= 50 && hasTag("vip") && !inList("customers") && event.data.plan == "pro" && daysSince(contact.created_at) < 30`

func TestExpressionCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		src       string
		returns   string
		line, col int
		reason    string
	}{
		{"a misspelt contact field", "contact.emial == \"\"", ReturnsBool, 1, 9, `contact has no field "emial" (did you mean "email"?)`},
		{"an unknown name", "cotnact.email", ReturnsAny, 1, 1, `nothing called "cotnact" (did you mean "contact"?)`},
		{"a condition that is not boolean", "contact.first_name", ReturnsBool, 0, 0, "gives a text"},
		{"a syntax error on line 2", "true &&\n  (", ReturnsBool, 2, 3, `a closing bracket ")" is missing`},
		{"a helper with wrong arguments names the helper", "hasTag()", ReturnsBool, 1, 1, "hasTag"},
		{"the wall clock builtin is gone", "now()", ReturnsAny, 1, 1, "not callable"},
		{"an empty expression", "  ", ReturnsAny, 0, 0, "empty"},
		{"an overlong expression", strings.Repeat("1+", MaxExpressionLen) + "1", ReturnsAny, 0, 0, "longer than"},
		{"a huge syntax tree", strings.Repeat("1+", 1500) + "1", ReturnsAny, 1, 2002, "too complex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := compileExpr(tt.src, tt.returns)
			if err == nil {
				t.Fatalf("compile %q succeeded", tt.src)
			}
			if err.Line != tt.line || err.Column != tt.col || !strings.Contains(err.Reason, tt.reason) {
				t.Fatalf("got %d:%d %q, want %d:%d containing %q", err.Line, err.Column, err.Reason, tt.line, tt.col, tt.reason)
			}
		})
	}
}

func TestExpressionConcurrentEnvs(t *testing.T) {
	t.Parallel()
	p, err := compileExpr(`hasTag("vip") && contact.first_name == vars.name`, ReturnsBool)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			vip := i%2 == 0
			env := &Env{Contact: Contact{FirstName: "n"}, Vars: map[string]any{"name": "n"}}
			if vip {
				env.Contact.Tags = []string{"vip"}
			}
			for range 200 {
				got, err := p.runBool(env)
				if err != nil || got != vip {
					t.Errorf("goroutine %d: got %v, %v; want %v", i, got, err, vip)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCheckExpression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		src        string
		returns    string
		isTemplate bool
		wantCode   string
		line, col  int
	}{
		{"a valid condition", `hasTag("a")`, ReturnsBool, false, "", 0, 0},
		{"an empty expression is left to required checks", "", ReturnsBool, false, "", 0, 0},
		{"a bad condition", `contact.nope`, ReturnsBool, false, CodeBadExpression, 1, 9},
		{"a valid template", "Hi {{ contact.first_name }}", "", true, "", 0, 0},
		{"an unclosed template", "Hi {{ contact.first_name", "", true, CodeBadTemplate, 1, 4},
		{"a template error on line 2", "Hi\n  {{ contact.nope }}", "", true, CodeBadTemplate, 2, 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ps := CheckExpression(tt.src, tt.returns, tt.isTemplate)
			if tt.wantCode == "" {
				if len(ps) != 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			if len(ps) != 1 || ps[0].Code != tt.wantCode || ps[0].Line != tt.line || ps[0].Column != tt.col {
				t.Fatalf("got %v, want one %s at %d:%d", ps, tt.wantCode, tt.line, tt.col)
			}
		})
	}
}
