package flows

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on templates.
const (
	// MaxTemplateLen is the longest template text, in bytes.
	MaxTemplateLen = 256 << 10
	// MaxTemplateParts is the most {{ }} parts one template may hold.
	MaxTemplateParts = 500
)

// template is a text with {{ expr }} parts, split and compiled once.
type template struct {
	source string
	parts  []templatePart
}

// templatePart is either literal text or a compiled expression.
type templatePart struct {
	literal string
	prog    *program
}

// hasTemplateParts reports whether s contains a "{{".
func hasTemplateParts(s string) bool { return strings.Contains(s, "{{") }

// compileTemplate splits src into literal text and compiled {{ }} parts.
// Errors carry 1-based positions inside src.
func compileTemplate(src string) (*template, *exprError) {
	if len(src) > MaxTemplateLen {
		return nil, &exprError{Reason: fmt.Sprintf("it is longer than %d characters", MaxTemplateLen)}
	}
	t := &template{source: src}
	rest, base := src, 0
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				t.parts = append(t.parts, templatePart{literal: rest})
			}
			return t, nil
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: rest[:open]})
		}
		body := rest[open+2:]
		end := closingBraces(body)
		if end < 0 {
			line, col := textPosition(src, base+open)
			return nil, &exprError{Line: line, Column: col, Reason: `this "{{" is never closed with "}}"`}
		}
		if len(t.parts) >= 2*MaxTemplateParts {
			return nil, &exprError{Reason: fmt.Sprintf("it has more than %d {{ }} parts", MaxTemplateParts)}
		}
		code := body[:end]
		start := base + open + 2
		if strings.TrimSpace(code) == "" {
			line, col := textPosition(src, base+open)
			return nil, &exprError{Line: line, Column: col, Reason: "this {{ }} is empty; put a value inside, like {{ contact.first_name }}"}
		}
		p, err := compileExpr(code, ReturnsAny)
		if err != nil {
			return nil, shiftError(err, src, start)
		}
		t.parts = append(t.parts, templatePart{prog: p})
		consumed := open + 2 + end + 2
		rest, base = rest[consumed:], base+consumed
	}
}

// closingBraces returns the index in body of the "}}" closing a {{ part,
// skipping string literals and nested braces (map literals), or -1.
func closingBraces(body string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(body); i++ {
		c := body[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote != '`':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '{':
			depth++
		case '}':
			if depth == 0 {
				if i+1 < len(body) && body[i+1] == '}' {
					return i
				}
				continue
			}
			depth--
		}
	}
	return -1
}

// shiftError moves an error located inside an expression starting at byte
// offset start of src into src's coordinates.
func shiftError(e *exprError, src string, start int) *exprError {
	line0, col0 := textPosition(src, start)
	out := *e
	switch {
	case e.Line == 0:
		out.Line, out.Column = line0, col0
	case e.Line == 1:
		out.Line, out.Column = line0, col0+e.Column-1
	default:
		out.Line = line0 + e.Line - 1
	}
	return &out
}

// textPosition returns the 1-based line and character column of a byte
// offset in s.
func textPosition(s string, offset int) (line, col int) {
	line, start := 1, 0
	for i := 0; i < offset && i < len(s); i++ {
		if s[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCountInString(s[start:min(offset, len(s))]) + 1
}

// render evaluates every part with env and joins the results.
func (t *template) render(env *Env) (string, error) { return t.renderWith(env, nil) }

// renderWith renders with each {{ }} value passed through escape (when
// not nil), e.g. HTML escaping; literal text is kept as written.
func (t *template) renderWith(env *Env, escape func(string) string) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].literal, nil
	}
	var b strings.Builder
	b.Grow(len(t.source))
	// The parts share one budget: a field is one evaluation.
	budget := &evalBudget{}
	for _, part := range t.parts {
		if part.prog == nil {
			if b.Len()+len(part.literal) > MaxTextLen {
				return "", errFieldTooLong
			}
			b.WriteString(part.literal)
			continue
		}
		v, _, err := part.prog.runBudget(env, budget)
		if err != nil {
			return "", err
		}
		if err := checkWrittenLen(v); err != nil {
			return "", err
		}
		text := FormatValue(v)
		if escape != nil {
			text = escape(text)
		}
		// The output is stored with the step: one field stays small.
		if b.Len()+len(text) > MaxTextLen {
			return "", errFieldTooLong
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// FormatValue writes a value the way templates show it: nil is "", numbers
// have no trailing zeros, times are RFC 3339, durations look like "1d12h",
// and lists and maps are JSON.
func FormatValue(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return formatFloat(t, 64)
	case float32:
		return formatFloat(float64(t), 32)
	case json.Number:
		return t.String()
	case time.Time:
		return t.Format(time.RFC3339)
	case time.Duration:
		return Duration(t).String()
	case Duration:
		return t.String()
	case []byte:
		return string(t)
	case fmt.Stringer:
		return t.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		if b, err := json.Marshal(v); err == nil {
			return string(b)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return ""
		}
		return FormatValue(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	if a := math.Abs(f); a < 1e21 && (a == 0 || a >= 1e-6) {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
