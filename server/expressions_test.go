package server_test

import "testing"

// The live check gives the position and what would fix the expression.
func TestExpressionCheckSaysWhatWouldFixIt(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "one = is explained", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"contact.score = 50","returns":"bool"}`, status: 200,
			contains: []string{`"ok":false`, `"line":1`, `"column":15`, `a single \"=\" compares nothing: write \"==\" to compare`}},
		{name: "an unknown field is guessed", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"contact.frist_name == \"Ada\"","returns":"bool"}`, status: 200,
			contains: []string{`did you mean \"first_name\"?`}},
		{name: "a missing bracket is named", method: "POST", url: "/api/v1/expressions/check",
			body: `{"expression":"Hi {{ lower(contact.first_name }}","template":true}`, status: 200,
			contains: []string{`a closing bracket \")\" is missing`}},
	})
}
