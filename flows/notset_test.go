package flows

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A missing value never fails a condition: the comparison is false and the
// verdict names what was missing.
func TestMissingValuesMakeConditionsFalse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src        string
		want       bool
		wantNotSet []string
	}{
		// Every guarded operator, on each free-form source.
		{"trigger.score >= 50", false, []string{"trigger.score"}},
		{"trigger.score > 50", false, []string{"trigger.score"}},
		{"trigger.score <= 50", false, []string{"trigger.score"}},
		{"trigger.score < 50", false, []string{"trigger.score"}},
		{"50 < trigger.score", false, []string{"trigger.score"}},
		{"vars.total >= 10", false, []string{"vars.total"}},
		{"event.data.amount > 0", false, []string{"event.data.amount"}},
		{"contact.fields.employees >= 500", false, []string{"contact.fields.employees"}},
		{`trigger.plan contains "pro"`, false, []string{"trigger.plan"}},
		{`trigger.plan startsWith "pro"`, false, []string{"trigger.plan"}},
		{`trigger.plan endsWith "pro"`, false, []string{"trigger.plan"}},
		{`trigger.plan matches "^pro"`, false, []string{"trigger.plan"}},
		{`trigger.plan in ["pro", "team"]`, false, []string{"trigger.plan"}},
		{`"vip" in trigger.tags`, false, []string{"trigger.tags"}},
		{"trigger.score + 10 >= 50", false, []string{"trigger.score"}},
		{"trigger.score * 2 > 1", false, []string{"trigger.score"}},
		{"trigger.score / 2 > 1", false, []string{"trigger.score"}},
		{"trigger.score - vars.bonus > 1", false, []string{"trigger.score", "vars.bonus"}},
		{"trigger.customer.score >= 50", false, []string{"trigger.customer.score"}},
		{`contact.fields.company.size > 10`, false, []string{"contact.fields.company.size"}},
		{`lower(trigger.transcript) contains "demo"`, false, []string{"trigger.transcript"}},
		{`upper(trim(vars.code)) == "A1"`, false, []string{"vars.code"}},
		{`len(trigger.items) > 0`, false, []string{"trigger.items"}},
		{`len(trigger.items) == 0`, true, []string{"trigger.items"}},
		{`lower(contact.fields.plan) == "pro"`, true, nil},
		// Not equal to a missing value holds; equal does not.
		{`trigger.plan != "pro"`, true, nil},
		{`trigger.plan == "pro"`, false, nil},
		// One missing value does not hide the rest of the condition.
		{"trigger.score >= 50 || contact.score >= 50", true, []string{"trigger.score"}},
		{"trigger.score >= 50 && contact.score >= 50", false, []string{"trigger.score"}},
		{"not (trigger.score >= 50)", true, []string{"trigger.score"}},
		// A time that is not set (no activity yet) is missing too.
		{"daysSince(contact.last_activity_at) <= 7", false, []string{"contact.last_activity_at"}},
		{"hoursSince(contact.last_activity_at) > 48", false, []string{"contact.last_activity_at"}},
		{"daysSince(trigger.signed_up_at) <= 7", false, []string{"trigger.signed_up_at"}},
		{"daysSince(contact.created_at) <= 7", true, nil},
		// Present values compare as before.
		{"trigger.present >= 50", true, nil},
		{"event.data.amount_set > 10", true, nil},
		{`contact.fields.plan startsWith "pr"`, true, nil},
	}
	env := &Env{
		Contact: Contact{Score: 72, Fields: map[string]any{"plan": "pro"}, CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		Now:     time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Trigger: map[string]any{"present": 60},
		Event:   Event{Data: map[string]any{"amount_set": 12.5}},
		Vars:    map[string]any{},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			t.Parallel()
			p, perr := compileExpr(tt.src, ReturnsBool)
			if perr != nil {
				t.Fatalf("compile: %v", perr)
			}
			v, err := p.check(env)
			if err != nil {
				t.Fatalf("a missing value failed the condition: %v", err)
			}
			if v.Holds != tt.want {
				t.Errorf("holds = %v, want %v", v.Holds, tt.want)
			}
			if !slices.Equal(v.NotSet, tt.wantNotSet) {
				t.Errorf("not set = %q, want %q", v.NotSet, tt.wantNotSet)
			}
			if env.notSet != nil {
				t.Error("the caller's env was changed")
			}
		})
	}
}

// Errors that are not about missing values still fail the condition.
func TestWrongValuesStillFailConditions(t *testing.T) {
	t.Parallel()
	env := &Env{Trigger: map[string]any{"name": "Ada", "score": 10}}
	for _, src := range []string{
		`trigger.name >= 5`,
		`trigger.score contains "a"`,
		`trigger.name + 1 > 2`,
		`trigger.name matches "("`,
		`lower(trigger.score) == "x"`,
	} {
		p, perr := compileExpr(src, ReturnsBool)
		if perr != nil {
			t.Fatalf("%s: compile: %v", src, perr)
		}
		if v, err := p.check(env); err == nil {
			t.Errorf("%s: want an error, got %+v", src, v)
		}
	}
	// Typed values keep their compile-time checks.
	if _, perr := compileExpr(`contact.score >= "high"`, ReturnsBool); perr == nil {
		t.Error(`contact.score >= "high" compiled`)
	}
}

// Arithmetic on a missing value gives nothing, which a template shows empty.
func TestMissingValueInArithmeticIsNothing(t *testing.T) {
	t.Parallel()
	p, perr := compileExpr("trigger.price * 2", ReturnsAny)
	if perr != nil {
		t.Fatal(perr)
	}
	out, err := p.run(&Env{Trigger: map[string]any{}})
	if err != nil || out != nil {
		t.Fatalf("got %v, %v; want nothing", out, err)
	}
	out, err = p.run(&Env{Trigger: map[string]any{"price": 4}})
	if err != nil || out != 8 {
		t.Fatalf("got %v, %v; want 8", out, err)
	}
}

func TestNotSetReason(t *testing.T) {
	t.Parallel()
	if got := (Verdict{Holds: false, NotSet: []string{"trigger.lead_score"}}).Reason(); got != "Lead score (trigger.lead_score) is not set, so the condition is false." {
		t.Errorf("one: %q", got)
	}
	got := (Verdict{NotSet: []string{"trigger.score", "vars.plan", "event.data.amount"}}).Reason()
	if !strings.HasPrefix(got, "Score (trigger.score), Plan (vars.plan) and Amount (event.data.amount) are not set") {
		t.Errorf("several: %q", got)
	}
	if got := (Verdict{Holds: true, NotSet: []string{"trigger.score"}}).Reason(); got != "" {
		t.Errorf("a condition that holds needs no reason: %q", got)
	}
}

// Patched calls are checked like the rest: an unknown name inside a guard
// or a helper call still does not compile.
func TestUnknownNamesInsideCallsDoNotCompile(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{
		`contat.score > 1`:           `there is nothing called "contat" (did you mean "contact"?)`,
		`trigger.score > contat.x`:   `there is nothing called "contat"`,
		`hasTag(vip)`:                `there is nothing called "vip"`,
		`inList(lower(nurture))`:     `there is nothing called "nurture"`,
		`coalesce(trigger.x, boo)`:   `there is nothing called "boo"`,
		`trigger.a.b contains frist`: `there is nothing called "frist"`,
	} {
		_, err := compileExpr(src, ReturnsBool)
		if err == nil || !strings.Contains(err.Reason, want) {
			t.Errorf("%s: got %v, want %q", src, err, want)
		}
	}
}

// One compiled condition serves many runs at once: each evaluation notes
// its own missing values.
func TestMissingValuesAreNotedPerEvaluation(t *testing.T) {
	t.Parallel()
	p, perr := compileExpr("trigger.score >= 50", ReturnsBool)
	if perr != nil {
		t.Fatal(perr)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			env := &Env{Trigger: map[string]any{}}
			if i%2 == 0 {
				env.Trigger["score"] = 60
			}
			for range 100 {
				v, err := p.check(env)
				if err != nil || v.Holds != (i%2 == 0) || (len(v.NotSet) == 0) != v.Holds {
					t.Errorf("evaluation %d: %+v, %v", i, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
