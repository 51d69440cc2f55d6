package flows

import (
	"fmt"
	"regexp"
	"strings"
)

// A marketer who writes an expression by hand makes a few mistakes again
// and again: one = to compare, AND in capitals, a text without quotes, a
// missing bracket or quote, {{ }} around a condition. fixHint says what
// would fix them, from expr's message and the source around the position.

var (
	reUnexpected = regexp.MustCompile(`^unexpected token (\w+)\("(.*)"\)$`)
	reNothing    = regexp.MustCompile(`^there is nothing called "([^"]+)"$`)
	reTextNumber = regexp.MustCompile(`cannot combine (a number with a text|a text with a number)$`)
)

// fixHint returns a plain reason with what would fix the error, or "" to
// keep the reason as it is. raw is expr's message, reason its plain form,
// line and col the 1-based position.
func fixHint(raw, reason, src string, line, col int) string {
	if strings.HasPrefix(strings.TrimSpace(src), "{{") {
		return "conditions and expressions are written without {{ }}: write contact.first_name, not {{ contact.first_name }}"
	}
	if m := reUnexpected.FindStringSubmatch(raw); m != nil {
		return unexpectedHint(m[1], m[2], src, line, col)
	}
	switch {
	case raw == "literal not terminated":
		return "a text is not closed: add the missing quote at its end"
	case raw == "unexpected token EOF":
		return endHint(src)
	}
	// A bare word after an operator or inside a call is a text left
	// without quotes; at the start it is rather a misspelt name.
	if m := reNothing.FindStringSubmatch(reason); m != nil && isWord(m[1]) && (line > 1 || col > 1) {
		return fmt.Sprintf("there is nothing called %q; to mean the text %s, put it in quotes: \"%s\"", m[1], m[1], m[1])
	}
	if reTextNumber.MatchString(reason) {
		return reason + "; write numbers without quotes (50, not \"50\")"
	}
	return ""
}

// unexpectedHint explains a token expr did not expect.
func unexpectedHint(kind, token, src string, line, col int) string {
	at := offsetOf(src, line, col)
	next, prev := byteAt(src, at+1), byteAt(src, at-1)
	switch {
	case kind == "Operator" && token == "=" && next == '>':
		return `"=>" is not an operator: write ">=" for "at least"`
	case kind == "Operator" && token == "=" && next == '<':
		return `"=<" is not an operator: write "<=" for "at most"`
	case kind == "Operator" && token == "=" && next == '!':
		return `"=!" is not an operator: write "!=" for "is not"`
	case kind == "Operator" && token == "=":
		return `a single "=" compares nothing: write "==" to compare, like contact.score == 50`
	case kind == "Operator" && token == ">" && prev == '<':
		return `"<>" is not an operator: write "!=" for "is not"`
	case kind == "Bracket" && (token == ")" || token == "]" || token == "}"):
		return fmt.Sprintf("there is a %q without its opening bracket", token)
	case kind == "Identifier" && (token == "AND" || token == "OR" || token == "NOT"):
		return fmt.Sprintf("write %q in small letters: %s", token, strings.ToLower(token))
	case kind == "Identifier" && (token == "is" || token == "equals"):
		return fmt.Sprintf(`%q is not an operator: write "==" to compare`, token)
	case kind == "Identifier":
		return fmt.Sprintf(`%q is not expected here: is an operator such as "==" or "and" missing before it?`, token)
	}
	return ""
}

// endHint explains an expression that ends too early.
func endHint(src string) string {
	if b := unclosedBracket(src); b != 0 {
		return fmt.Sprintf("a closing bracket %q is missing", closing[b])
	}
	fields := strings.Fields(src)
	if len(fields) > 0 {
		if last := fields[len(fields)-1]; strings.Trim(last, "=!<>&|+-*/%") == "" || last == "and" || last == "or" || last == "not" {
			return fmt.Sprintf("it ends after %q: add what comes after it", last)
		}
	}
	return ""
}

var closing = map[byte]string{'(': ")", '[': "]", '{': "}"}

// unclosedBracket returns the innermost bracket left open outside texts
// (0 when every bracket is closed).
func unclosedBracket(src string) byte {
	var stack []byte
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, c)
		case (c == ')' || c == ']' || c == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return 0
	}
	return stack[len(stack)-1]
}

// offsetOf is the byte offset of a 1-based line and (character) column.
func offsetOf(src string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(src); c++ {
		_, size := nextRune(src[off:])
		off += size
	}
	return off
}

func nextRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

func byteAt(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

// isWord reports whether s is a plain word, as a text left unquoted is.
func isWord(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}
