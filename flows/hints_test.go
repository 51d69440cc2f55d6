package flows

import (
	"strings"
	"testing"
)

// Common mistakes get a reason that says what would fix them, at the
// position of the mistake.
func TestExpressionProblemsSayWhatWouldFixThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		want      string
		line, col int
	}{
		{`contact.score = 50`, `a single "=" compares nothing: write "==" to compare`, 1, 15},
		{`trigger.score => 50`, `write ">=" for "at least"`, 1, 15},
		{`contact.score =< 50`, `write "<=" for "at most"`, 1, 15},
		{`contact.score =! 5`, `write "!=" for "is not"`, 1, 15},
		{`contact.score <> 5`, `"<>" is not an operator: write "!=" for "is not"`, 1, 16},
		{`contact.first_name == "Ada`, `a text is not closed: add the missing quote at its end`, 1, 27},
		{`(contact.score > 1`, `a closing bracket ")" is missing`, 1, 18},
		{`hasTag("vip"`, `a closing bracket ")" is missing`, 1, 12},
		{`hasTag(")"`, `a closing bracket ")" is missing`, 1, 10},
		{`contact.tags[0`, `a closing bracket "]" is missing`, 1, 14},
		{`contact.score > 1)`, `there is a ")" without its opening bracket`, 1, 18},
		{`contact.score >= 50 and`, `it ends after "and": add what comes after it`, 1, 23},
		{`contact.score >= 50 &&`, `it ends after "&&"`, 1, 22},
		{`contact.score > 50 AND contact.score < 90`, `write "AND" in small letters: and`, 1, 20},
		{`contact.first_name is "Ada"`, `"is" is not an operator: write "=="`, 1, 20},
		{`contact.first_name == Ada`, `there is nothing called "Ada"; to mean the text Ada, put it in quotes: "Ada"`, 1, 23},
		{`hasTag(vip)`, `put it in quotes: "vip"`, 1, 8},
		{`first_name == "Ada"`, `there is nothing called "first_name" (did you mean "contact.first_name"?)`, 1, 1},
		{`contact.score > 1 and frist_name == "Ada"`, `(did you mean "contact.first_name"?)`, 1, 23},
		{`contat.score > 1`, `there is nothing called "contat" (did you mean "contact"?)`, 1, 1},
		{`contact.frist_name == "a"`, `contact has no field "frist_name" (did you mean "first_name"?)`, 1, 9},
		{`contact.score >= "50"`, `write numbers without quotes (50, not "50")`, 1, 15},
		{`{{ contact.first_name == "Ada" }}`, `written without {{ }}`, 1, 2},
		{"contact.score > 1 and\ncontact.first_name = \"Ada\"", `a single "="`, 2, 20},
	}
	for _, tt := range tests {
		probs := CheckExpression(tt.src, ReturnsBool, false)
		if len(probs) != 1 {
			t.Errorf("%s: %+v", tt.src, probs)
			continue
		}
		p := probs[0]
		if !strings.Contains(p.Message, tt.want) || p.Line != tt.line || p.Column != tt.col {
			t.Errorf("%s:\n got %d:%d %s\nwant %d:%d ...%s...", tt.src, p.Line, p.Column, p.Message, tt.line, tt.col, tt.want)
		}
	}
}
