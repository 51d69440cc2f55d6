package flows

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzDecodeValidate(f *testing.F) {
	f.Add([]byte(`{"id":"a","name":"A","nodes":[{"id":"t","type":"trigger.event","params":{"event_type":"x"}}],"edges":[]}`))
	f.Add([]byte(`{"id":"a","nodes":[{"id":"s","type":"logic.switch","params":{"cases":[{"name":"x","when":"1 >"}]}}],"edges":[{"from":"s","port":"x","to":"s"}]}`))
	f.Add([]byte(`{"nodes":[{"id":"w","type":"wait.delay","params":{"mode":"until","until":"{{ now"}}]}`))
	f.Add([]byte(`[`))
	files, _ := filepath.Glob(filepath.Join("testdata", "validate", "*.golden"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			if input, _, ok := splitGolden(data); ok {
				f.Add(input)
			}
		}
	}
	cat := testCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		flow, err := Decode(data)
		if err != nil {
			return
		}
		c, problems := Compile(flow, cat)
		if (c == nil) == (len(problems) == 0) {
			t.Fatalf("Compile returned %v and %d problems", c, len(problems))
		}
		for _, p := range problems {
			if p.Code == "" || p.Message == "" {
				t.Fatalf("problem without code or message: %+v", p)
			}
		}
		// Check finds the same errors, and warnings apart.
		errs, warnings := Check(flow, cat)
		if len(errs) != len(problems) {
			t.Fatalf("Check found %d errors, Compile %d problems", len(errs), len(problems))
		}
		for _, w := range warnings {
			if !w.IsWarning() || w.Code == "" || w.Message == "" {
				t.Fatalf("a warning without severity, code or message: %+v", w)
			}
		}
	})
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"Hi {{ contact.first_name }}", "{{", "}}{{}}", `{{ "}}" }}`, "{{ {'a': {'b': 1}} }}", "a\n{{ 1 + }}", "{{ `x }}", `{{ repeat("ab", 9999) }}{{ map(1..9, #) }}`} {
		f.Add(s)
	}
	env := testEnv()
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := compileTemplate(src)
		if err != nil {
			if err.Reason == "" {
				t.Fatalf("error without a reason for %q", src)
			}
			return
		}
		if out, err := tmpl.render(env); err == nil && len(out) > MaxTextLen {
			t.Fatalf("a template rendered %d characters, over the limit of %d", len(out), MaxTextLen)
		}
		if !hasTemplateParts(src) {
			out, rerr := tmpl.render(env)
			if rerr != nil || out != src {
				t.Fatalf("text without parts rendered %q, %v", out, rerr)
			}
		}
	})
}

func FuzzExpression(f *testing.F) {
	for _, s := range []string{fiveClauses, "contact.emial", "1 +", `coalesce(vars.a, "b")`, "hoursSince(now)", "let x = 1; x", "[1,2][5]", "{}.a.b",
		`let r=1..400; sum(r, sum(r, sum(r, # % 7)))`, `reduce(1..40, #acc + #acc, "x")`, `let a="ab"; let b=a+a; b+b`,
		`join(map(1..99, repeat(string(#), 99)))`, `replace(repeat("a", 999), "", "bc")`} {
		f.Add(s)
	}
	env := testEnv()
	f.Fuzz(func(t *testing.T, src string) {
		for _, returns := range []string{ReturnsBool, ReturnsAny} {
			p, err := compileExpr(src, returns)
			if err != nil {
				continue
			}
			// A fuzzed expression never runs past its budget: the count
			// stops at the first step or text over the limit.
			b := &evalBudget{}
			_, _, _ = p.runBudget(env, b)
			if b.steps > MaxEvalSteps+1 || b.text > MaxEvalText+MaxTextLen {
				t.Fatalf("%q ran past its budget: %d steps, %d characters", src, b.steps, b.text)
			}
		}
		_ = CheckExpression(src, ReturnsBool, false)
	})
}
