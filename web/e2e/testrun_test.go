package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A test run stops at a two-day wait; skipping it finishes the run and the
// steps after it show when they would have run.
func TestTestRunSkipsAWait(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	doc := `{"id":"nudge","name":"Nudge","settings":{},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"nudge"},"position":{"x":0,"y":0}},
		{"id":"pause","type":"wait.delay","params":{"duration":"2d"},"position":{"x":0,"y":150}},
		{"id":"note","type":"data.set","params":{"values":{"done":"true"}},"position":{"x":0,"y":300}}],
		"edges":[{"from":"start","to":"pause"},{"from":"pause","to":"note"}]}`
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, doc)); st != 201 {
		t.Fatalf("create the flow: %d", st)
	}
	b.do("open it", chromedp.Navigate(a.url+"/flows/nudge"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="pause"]')`)
	b.waitJS("the wait card says what it does", `document.querySelector('.react-flow__node[data-id="pause"]').innerText.includes('Wait 2 days')`)
	b.clickText("Test")
	b.clickText("Run test")
	b.waitJS("the run waits", `(document.querySelector('[data-testid=test-status]')||{}).innerText?.includes('is waiting')`)
	b.waitJS("the wait is lit", `!!document.querySelector('.card-node.lit-waiting[data-node-id="pause"]')`)
	if steps := b.text(".test-result"); !strings.Contains(steps, "would go on at") {
		t.Errorf("the waiting step does not say when it goes on: %q", steps)
	}
	b.clickText("Skip the wait")
	b.waitJS("the run finished", `(document.querySelector('[data-testid=test-status]')||{}).innerText?.includes('finished')`)
	b.waitJS("the last step is lit", `!!document.querySelector('.card-node.lit-done[data-node-id="note"]')`)
	if sim := b.text("[data-testid=sim-clock]"); !strings.Contains(sim, "48 hours ahead") && !strings.Contains(sim, "47.9 hours ahead") {
		t.Errorf("simulated clock: %q", sim)
	}
	if !strings.Contains(b.text(".test-result"), "(simulated)") {
		t.Errorf("no step shows its simulated time: %q", b.text(".test-result"))
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
