package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// The Numbers overlay shows the funnel with percentages, the A/B split's
// side panel names the winner with its confidence, and "Send everyone down
// the winner" puts all the weight on it in the draft.
func TestExperimentResultsAndFunnel(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	doc := `{"id":"ab","name":"Subject test","settings":{},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"ab"},"position":{"x":0,"y":0}},
		{"id":"split","type":"logic.split","name":"Subject line test","params":{"branches":[{"name":"a","weight":50},{"name":"b","weight":50}]},"position":{"x":0,"y":150}},
		{"id":"won","type":"flow.exit","name":"Bought","params":{"outcome":"converted"},"position":{"x":0,"y":300}}],
		"edges":[{"from":"start","to":"split"},{"from":"split","port":"a","to":"won"},{"from":"split","port":"b","to":"won"}]}`
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, doc)); st != 201 {
		t.Fatalf("create the flow: %d", st)
	}
	// 200 contacts down each path an hour ago: 20 converted on a, 40 on b.
	started := time.Now().UTC().Add(-time.Hour)
	err := a.store.Write(context.Background(), func(tx storage.Tx) error {
		for _, p := range []struct {
			port    string
			n, conv int
		}{{"a", 200, 20}, {"b", 200, 40}} {
			for i := 0; i < p.n; i++ {
				id := fmt.Sprintf("%s-%03d", p.port, i)
				r := storage.Run{ID: id, FlowID: "ab", Version: 1, Status: storage.RunCompleted, StartedAt: started, UpdatedAt: started}
				if i < p.conv {
					end := started.Add(2 * time.Hour)
					r.Outcome, r.EndedAt = storage.OutcomeConverted, &end
				}
				if err := storagetest.Insert(tx, &r); err != nil {
					return err
				}
				for _, s := range []storage.Step{
					{RunID: id, NodeID: "start", NodeType: "trigger.webhook", Visit: 1, Attempt: 1, Status: "completed", Port: "out", StartedAt: started, FinishedAt: started},
					{RunID: id, NodeID: "split", NodeType: "logic.split", Visit: 1, Attempt: 1, Status: "completed", Port: p.port, StartedAt: started, FinishedAt: started},
				} {
					if err := storagetest.Insert(tx, &s); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed runs: %v", err)
	}

	b.do("open it", chromedp.Navigate(a.url+"/flows/ab"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="split"]')`)
	b.choose("period", "1")
	b.waitJS("the split's numbers", `(document.querySelector('[data-id="split"] [data-testid=node-stats]')||{}).innerText?.includes('400 entered')`)
	card := b.text(`[data-id="split"]`)
	for _, want := range []string{"100% of entries", "a · 200 (50%)", "b · 200 (50%)"} {
		if !strings.Contains(card, want) {
			t.Errorf("the split's card lacks %q: %q", want, card)
		}
	}
	if h := b.text(`[data-testid=journey-numbers]`); !strings.Contains(h, "400 entered · 15% reached the goal (60) · median time to convert 2 h") {
		t.Errorf("the journey's numbers: %q", h)
	}

	b.openStep("split")
	b.waitJS("the verdict", `(document.querySelector('.experiment .verdict')||{}).innerText?.includes('Path b converts better, 99% confidence.')`)
	b.checkAxe("the experiment results")
	b.shot("experiment")
	b.clickText("Send everyone down the winner (b)")
	b.waitJS("the draft changed", `document.body.innerText.includes('Everyone now goes down path b in the draft')`)
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved.')`)
	got := eval[string](b, `fetch('/api/v1/flows/ab').then(r => r.json()).then(f => JSON.stringify(f.definition.nodes.find(n => n.id === 'split').params.branches))`)
	if got != `[{"name":"a","weight":0},{"name":"b","weight":100}]` {
		t.Errorf("the split's paths after sending everyone down the winner: %s", got)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
