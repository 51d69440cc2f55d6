package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// budgetFlow is a webhook flow whose one condition is cond.
func budgetFlow(id, stepName, cond string) string {
	c, _ := json.Marshal(cond)
	return fmt.Sprintf(`{"id":%q,"name":%q,"nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":%q},"position":{"x":0,"y":0}},
 {"id":"check","name":%q,"type":"logic.if","params":{"condition":%s},"position":{"x":0,"y":100}},
 {"id":"yes","type":"list.add","params":{"list":"done"},"position":{"x":0,"y":200}}],
 "edges":[{"from":"start","to":"check"},{"from":"check","port":"yes","to":"yes"}]}`, id, id, id, stepName, c)
}

// A condition over its budget fails its step for good, naming the step
// and the limit, while other webhooks keep being accepted meanwhile.
func TestExpressionOverBudgetFailsTheStepAndWebhooksKeepAnswering(t *testing.T) {
	t.Parallel()
	doubling := `let v0 = "xxxxxxxx"; `
	for i := 1; i <= 30; i++ {
		doubling += fmt.Sprintf("let v%d = v%d + v%d; ", i, i-1, i-1)
	}
	doubling += "len(v30) > 0"
	b := setup(t)
	publishFlow(budgetFlow("loops", "Nested loops", `let r=1..400; sum(r, sum(r, sum(r, # % 7))) > 0`), "loops")(t, b)
	publishFlow(budgetFlow("doubling", "Doubling", doubling), "doubling")(t, b)
	publishFlow(budgetFlow("light", "Light", `trigger.n >= 0`), "light")(t, b)

	heavy := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, path := range []string{"loops", "doubling"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				var hook struct{ Runs []string }
				b.request(t, "POST", "/hooks/"+path, `{"email":"heavy@example.com"}`).must(t, http.StatusAccepted).json(t, &hook)
				mu.Lock()
				heavy[path] = append(heavy[path], hook.Runs...)
				mu.Unlock()
			}
		}()
	}
	// Other webhooks complete while the heavy ones are being worked.
	for i := 0; i < 20; i++ {
		b.request(t, "POST", "/hooks/light", fmt.Sprintf(`{"email":"l%d@example.com","n":%d}`, i, i)).must(t, http.StatusAccepted)
	}
	wg.Wait()
	b.drain(t)

	for path, want := range map[string][]string{
		// The loop-step limit, or on a slow (-race, loaded) machine the
		// one-second backstop, whichever comes first: both name a limit.
		"loops":    {`The step \"Nested loops\" failed`, "went over the limit of"},
		"doubling": {`The step \"Doubling\" failed`, "262144 characters in one text"},
	} {
		if len(heavy[path]) != 3 {
			t.Fatalf("%s: runs %v", path, heavy[path])
		}
		for _, id := range heavy[path] {
			run := b.api(t, "GET", "/api/v1/runs/"+id, "").must(t, 200)
			for _, w := range append(want, `"status":"failed"`) {
				if !strings.Contains(run.body, w) {
					t.Errorf("%s run lacks %s: %s", path, w, run.body)
				}
			}
			if strings.Contains(run.body, `"status":"retrying"`) || strings.Contains(run.body, `"attempt":2`) {
				t.Errorf("%s run was retried: %s", path, run.body)
			}
		}
	}
}
