package e2e

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/journeyhq/journey/flows"
)

// TestConditionBuilderExpressionsCompile compiles, as the engine does,
// every form of condition the editor's builder writes (the list is kept by
// web/src/conditions/corpus.test.ts): a builder change the engine would
// refuse fails here, without a browser.
func TestConditionBuilderExpressionsCompile(t *testing.T) {
	data, err := os.ReadFile("../src/conditions/testdata/expressions.json")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	if err := json.Unmarshal(data, &exprs); err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 100 {
		t.Fatalf("only %d expressions in the list; it should hold every operator of every field type", len(exprs))
	}
	for _, src := range exprs {
		if problems := flows.CheckExpression(src, flows.ReturnsBool, false); len(problems) > 0 {
			t.Errorf("the builder writes %s, which the engine refuses: %s", src, problems[0].Message)
		}
	}
}
