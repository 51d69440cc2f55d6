package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// scoreFlow branches on a score the webhook may not send.
const scoreFlow = `{"id":"score","name":"Score","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"score"},"position":{"x":0,"y":0}},
 {"id":"is_hot","name":"Is it a hot lead?","type":"logic.if","params":{"condition":"trigger.score >= 50"},"position":{"x":0,"y":100}},
 {"id":"hot","type":"list.add","params":{"list":"hot"},"position":{"x":0,"y":200}},
 {"id":"nurture","type":"list.add","params":{"list":"nurture"},"position":{"x":200,"y":200}}],
 "edges":[{"from":"start","to":"is_hot"},{"from":"is_hot","port":"yes","to":"hot"},{"from":"is_hot","port":"no","to":"nurture"}]}`

// A real webhook without the score takes the No path and the step says
// why; it used to fail the run with "invalid operation: <nil> >= int".
func TestMissingScoreTakesNoWithAReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(scoreFlow, "score")(t, b)
	var hook struct{ Runs []string }
	b.request(t, "POST", "/hooks/score", `{"email":"ana@example.com"}`).must(t, http.StatusAccepted).json(t, &hook)
	if len(hook.Runs) != 1 {
		t.Fatalf("runs: %v", hook.Runs)
	}
	b.drain(t)
	run := b.api(t, "GET", "/api/v1/runs/"+hook.Runs[0], "").must(t, 200)
	for _, want := range []string{`"status":"completed"`, `"node_id":"nurture"`,
		`"reason":"Score (trigger.score) is not set, so the condition is false."`} {
		if !strings.Contains(run.body, want) {
			t.Errorf("run lacks %s: %s", want, run.body)
		}
	}
	if strings.Contains(run.body, "invalid operation") || strings.Contains(run.body, `"node_id":"hot"`) {
		t.Errorf("run: %s", run.body)
	}
}
