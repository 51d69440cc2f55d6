package flows

import "testing"

func BenchmarkBoolEval(b *testing.B) {
	p, err := compileExpr(fiveClauses, ReturnsBool)
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.runBool(env)
		if err != nil || !ok {
			b.Fatalf("got %v, %v", ok, err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	tmpl, err := compileTemplate("Hi {{ contact.first_name }}, you have {{ contact.score }} points on the {{ upper(event.data.plan) }} plan.")
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.render(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	data := []byte(`{"id":"a","name":"A","nodes":[
		{"id":"t","type":"trigger.event","params":{"event_type":"x"}},
		{"id":"i","type":"logic.if","params":{"condition":"contact.score > 50 && hasTag(\"vip\")"}},
		{"id":"m","type":"message.email","params":{"subject":"Hi {{ contact.first_name }}"}}],
		"edges":[{"from":"t","to":"i"},{"from":"i","port":"yes","to":"m"}]}`)
	cat := testCatalog()
	b.ReportAllocs()
	for b.Loop() {
		f, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, ps := Compile(f, cat); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
