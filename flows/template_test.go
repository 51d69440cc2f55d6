package flows

import (
	"strings"
	"testing"
	"time"
)

func TestTemplateRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"text without parts renders as itself", "Hello there", "Hello there"},
		{"a single braces pair is literal", "a { b } c", "a { b } c"},
		{"a field", "Hi {{ contact.first_name }}!", "Hi Ada!"},
		{"several parts", "{{contact.first_name}} has {{ contact.score }} points", "Ada has 72 points"},
		{"nil renders empty", "[{{ vars.missing }}]", "[]"},
		{"floats lose trailing zeros", "{{ event.data.amount }} and {{ contact.fields.seats }}", "12.5 and 3"},
		{"times are RFC 3339", "{{ now }}", "2025-03-10T12:00:00Z"},
		{"lists are JSON", "{{ contact.tags }}", `["vip","newsletter"]`},
		{"maps are JSON", "{{ contact.fields }}", `{"plan":"pro","seats":3}`},
		{"booleans", `{{ hasTag("vip") }}`, "true"},
		{"closing braces inside strings", `{{ "}}" + contact.first_name }}`, "}}Ada"},
		{"map literals inside parts", `{{ {"a": {"b": 1}}.a.b }}`, "1"},
		{"multi-line text", "Dear {{ contact.first_name }},\nwelcome.", "Dear Ada,\nwelcome."},
		{"empty template", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := compileTemplate(tt.src)
			if err != nil {
				t.Fatalf("compile %q: %v", tt.src, err)
			}
			got, rerr := tmpl.render(testEnv())
			if rerr != nil {
				t.Fatalf("render %q: %v", tt.src, rerr)
			}
			if got != tt.want {
				t.Fatalf("render %q = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestTemplateCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		src       string
		line, col int
		reason    string
	}{
		{"an unclosed part points at its braces", "Hi {{ contact.first_name", 1, 4, "never closed"},
		{"an unclosed string inside a part", `Hi {{ "abc }}`, 1, 4, "never closed"},
		{"an empty part", "Hi {{  }}", 1, 4, "empty"},
		{"an error inside a part is placed in the text", "Hi {{ contact.nmae }}", 1, 15, `no field "nmae"`},
		{"an error on a later line", "line one\né {{ contact.x }}", 2, 14, `no field "x"`},
		{"an error on the second line of a part", "ab {{ true &&\n  ( }}", 2, 4, `a closing bracket ")" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := compileTemplate(tt.src)
			if err == nil {
				t.Fatalf("compile %q succeeded", tt.src)
			}
			if err.Line != tt.line || err.Column != tt.col || !strings.Contains(err.Reason, tt.reason) {
				t.Fatalf("got %d:%d %q, want %d:%d containing %q", err.Line, err.Column, err.Reason, tt.line, tt.col, tt.reason)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"whole float", 3.0, "3"},
		{"fraction", 0.25, "0.25"},
		{"large float without exponent", 1234567.5, "1234567.5"},
		{"int", 42, "42"},
		{"time in its zone", time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600)), "2025-01-02T03:04:05+01:00"},
		{"duration", 36 * time.Hour, "1d12h"},
		{"nil pointer", (*int)(nil), ""},
		{"string slice", []string{"a"}, `["a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := FormatValue(tt.in); got != tt.want {
				t.Fatalf("FormatValue(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
