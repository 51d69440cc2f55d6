package flows

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// doubling builds a text of 8<<n characters with `a+a`, n times.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString(`let v0 = "xxxxxxxx"; `)
	for i := 1; i <= n; i++ {
		b.WriteString("let v" + itoa(i) + " = v" + itoa(i-1) + " + v" + itoa(i-1) + "; ")
	}
	b.WriteString("len(v" + itoa(n) + ") > 0")
	return b.String()
}

var itoa = strconv.Itoa

func TestEvaluationOverBudgetFailsNamingTheLimit(t *testing.T) {
	for _, tc := range []struct{ name, src, limit string }{
		{"nested loops", `let r=1..400; sum(r, sum(r, sum(r, # % 7))) > 0`, "100000 loop steps"},
		{"loop over a long list", `len(filter(1..99999, # > 0)) + len(filter(1..99999, # > 0)) > 0`, "100000 loop steps"},
		{"string doubling", doubling(30), "262144 characters in one text"},
		{"doubling in a loop", `len(reduce(1..40, #acc + #acc, "x")) > 0`, "262144 characters in one text"},
		{"doubling of free-form data", `len(reduce(1..40, #acc + #acc, trigger.name)) > 0`, "262144 characters in one text"},
		{"join of many texts", `len(join(map(1..20000, repeat("a", 20)))) > 0`, "262144 characters in one text"},
		{"many texts built", `let s = "` + strings.Repeat("a", 1000) + `"; len(map(1..5000, s + s)) > 0`, "4194304 characters of text built in one evaluation"},
		{"many list items", `len(map(1..90000, [#, #, #, #, #, #, #, #, #, #, #, #])) > 0`, "1000000 list items in one evaluation"},
		{"replace that grows", `len(replace(repeat("a", 100000), "a", "bbbbbbbb")) > 0`, "262144 characters in one text"},
		{"JSON of a long list", `let s = repeat("a", 200000); len(toJSON(map(1..9000, s))) > 0`, "262144 characters in one text"},
		{"text of a long list", `let s = repeat("a", 200000); len(string(map(1..9000, s))) > 0`, "262144 characters in one text"},
		{"many upper-case copies", `let s = repeat("a", 200000); len(map(1..9000, upper(s))) > 0`, "characters of text built in one evaluation"},
		{"many lower-case copies of data", `len(map(1..9000, lower(trigger.long))) > 0`, "characters of text built in one evaluation"},
		{"many base64 copies", `let s = repeat("a", 150000); len(map(1..9000, toBase64(s))) > 0`, "characters of text built in one evaluation"},
		{"repeat of data", `len(repeat(trigger.name, 1000000)) > 0`, "262144 characters in one text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, cerr := compileExpr(tc.src, ReturnsBool)
			if cerr != nil {
				t.Fatalf("compile: %v", cerr)
			}
			env := testEnv()
			env.Trigger = map[string]any{"name": "Ada", "long": strings.Repeat("A", 200000)}
			// A clock that never moves: the count limits are under test,
			// not the time backstop a slow (-race, loaded) machine can hit
			// first (TestSlowLoopsStopAtTheTimeBackstop tests that one).
			frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			_, _, err := p.runBudget(env, &evalBudget{clock: func() time.Time { return frozen }})
			if err == nil || !IsBudgetError(err) {
				t.Fatalf("want a budget error, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.limit) {
				t.Fatalf("error %q does not name the limit %q", err, tc.limit)
			}
		})
	}
}

func TestEvaluationWithinBudgetIsUnchanged(t *testing.T) {
	for _, src := range []string{
		`sum(1..100) == 5050`,
		`let r=1..300; sum(r, sum(r, # % 7)) > 0`,
		`join(["a", "b"], ",") + repeat("c", 2) + replace("xx", "x", "y") == "a,bccyy"`,
		`len(doubling) == 8192`,
		`trigger.name + "!" == "Ada!"`,
		`upper(trigger.name) + lower("B") + toBase64("a") + fromBase64("YQ==") == "ADAbYQ==a"`,
		`toJSON([1, "a"]) == "[\n  1,\n  \"a\"\n]" && string(12) == "12" && string([1]) == "[1]"`,
		`len(reduce(1..10, #acc + #acc, "x")) == 1024`,
	} {
		src = strings.ReplaceAll(src, "len(doubling) == 8192", strings.TrimSuffix(doubling(10), " > 0")+" == 8192")
		p, cerr := compileExpr(src, ReturnsBool)
		if cerr != nil {
			t.Fatalf("%s: compile: %v", src, cerr)
		}
		env := testEnv()
		env.Trigger = map[string]any{"name": "Ada"}
		ok, err := p.runBool(env)
		if err != nil || !ok {
			t.Fatalf("%s: got %v, %v", src, ok, err)
		}
	}
}

func TestBudgetIsPerEvaluation(t *testing.T) {
	// 60000 steps each: two runs of the same program must both pass.
	p, cerr := compileExpr(`len(filter(1..60000, # > 0)) == 60000`, ReturnsBool)
	if cerr != nil {
		t.Fatal(cerr)
	}
	env := testEnv()
	for i := 0; i < 3; i++ {
		if ok, err := p.runBool(env); err != nil || !ok {
			t.Fatalf("evaluation %d: %v, %v", i, ok, err)
		}
	}
}

func TestSizesKnownAtDesignTimeAreRefused(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`len(1..1000000) > 0`, "the range 1..1000000 has more than 100000 numbers"},
		{`repeat("ab", 999999) != ""`, "makes a text longer than 262144 characters"},
	} {
		_, err := compileExpr(tc.src, ReturnsBool)
		if err == nil || !strings.Contains(err.Reason, tc.want) {
			t.Fatalf("%s: want %q, got %v", tc.src, tc.want, err)
		}
	}
}

func TestTemplateOutputIsBounded(t *testing.T) {
	tmpl, cerr := compileTemplate(`Hi {{ repeat("ab", 100000) }}{{ repeat("cd", 100000) }}`)
	if cerr != nil {
		t.Fatal(cerr)
	}
	_, err := tmpl.render(testEnv())
	if err == nil || !strings.Contains(err.Error(), "262144 characters in one filled-in field") {
		t.Fatalf("want the field limit, got %v", err)
	}
	list, cerr := compileTemplate(`{{ let s = repeat("a", 200000); map(1..9000, s) }}`)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if _, err := list.render(testEnv()); err == nil || !strings.Contains(err.Error(), "in one filled-in field") {
		t.Fatalf("a long list: want the field limit, got %v", err)
	}
	small, cerr := compileTemplate(`Hi {{ repeat("ab", 1000) }}`)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if out, err := small.render(testEnv()); err != nil || len(out) != 2003 {
		t.Fatalf("got %d characters, %v", len(out), err)
	}
}

func TestTemplatePartsShareOneBudget(t *testing.T) {
	// Each part alone is within the budget; together they are not.
	part := `{{ len(filter(1..60000, # > 0)) }}`
	tmpl, cerr := compileTemplate(part + " " + part)
	if cerr != nil {
		t.Fatal(cerr)
	}
	_, err := tmpl.render(testEnv())
	if err == nil || !strings.Contains(err.Error(), "100000 loop steps") {
		t.Fatalf("want the loop limit, got %v", err)
	}
	one, cerr := compileTemplate(part)
	if cerr != nil {
		t.Fatal(cerr)
	}
	if out, err := one.render(testEnv()); err != nil || out != "60000" {
		t.Fatalf("one part: %q, %v", out, err)
	}
}

func TestValuesOfStepsAreBounded(t *testing.T) {
	long := `let s = repeat("a", 200000); map(1..9000, s)`
	f := &Flow{ID: "big", Name: "Big", Nodes: []Node{
		{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "chat.finished"})},
		{ID: "save", Type: "crm.update", Params: mustJSON(map[string]any{"mapping": map[string]any{"list": long, "small": "[1, 2]"}})},
	}, Edges: []Edge{{From: "start", To: "save"}}}
	c, problems := Compile(f, testCatalog())
	if len(problems) > 0 {
		t.Fatalf("Compile: %v", problems)
	}
	n := c.Nodes["save"]
	if _, err := n.Eval("mapping.list", testEnv()); err == nil || !strings.Contains(err.Error(), "262144 characters in one filled-in field") {
		t.Fatalf("Eval: want the field limit, got %v", err)
	}
	if _, err := n.Render("mapping.list", testEnv()); err == nil || !IsBudgetError(err) {
		t.Fatalf("Render: want the field limit, got %v", err)
	}
	if v, err := n.Eval("mapping.small", testEnv()); err != nil || FormatValue(v) != "[1,2]" {
		t.Fatalf("a small value: %v, %v", v, err)
	}
}

func TestSlowLoopsStopAtTheTimeBackstop(t *testing.T) {
	// A clock that moves 10ms each time it is read: the loop, well within
	// its step count, runs past a second of work.
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b := &evalBudget{clock: func() time.Time { at = at.Add(10 * time.Millisecond); return at }}
	p, cerr := compileExpr(`len(map(1..50000, # + 1)) == 50000`, ReturnsBool)
	if cerr != nil {
		t.Fatal(cerr)
	}
	_, _, err := p.runBudget(testEnv(), b)
	if err == nil || !strings.Contains(err.Error(), "1s of work in one evaluation") {
		t.Fatalf("want the time limit, got %v", err)
	}
	if b.steps >= 50000 {
		t.Fatalf("the loop ran to its end: %d steps", b.steps)
	}
}
