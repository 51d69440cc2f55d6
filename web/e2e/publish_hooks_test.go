package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/storage"
)

// What a marketer does in the editor reaches the journey's webhook at
// once: after Publish the next webhook starts the new version, after
// Pause it is refused, and after publishing again it starts runs again
// (the server remembers which journeys listen on each path).
func TestWebhooksFollowPublishAndPause(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	doc := `{"id":"welcome","name":"Welcome","settings":{"reentry":{"policy":"always"}},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"signup"},"position":{"x":0,"y":0}},
		{"id":"wait","type":"wait.delay","name":"Wait a while","params":{"duration":"2d"},"position":{"x":0,"y":150}}],
		"edges":[{"from":"start","to":"wait"}]}`
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, doc)); st != 201 {
		t.Fatalf("create the flow: %d", st)
	}
	b.do("open it", chromedp.Navigate(a.url+"/flows/welcome"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="wait"]')`)
	publish := func(version int) {
		t.Helper()
		b.clickText("Publish")
		b.waitJS("the checks", `!!document.querySelector('.dialog button.primary') && !document.querySelector('.dialog button.primary').disabled`)
		b.click(".dialog button.primary")
		b.waitJS(fmt.Sprintf("version %d", version), fmt.Sprintf(`document.body.innerText.includes('Published as version %d')`, version))
	}
	// signup sends a webhook and returns its status and the version of the
	// run it started (0 for none).
	signup := func(n int) (int, int) {
		t.Helper()
		st := post(t, a.url+"/hooks/signup", fmt.Sprintf(`{"email":"lead%d@example.com"}`, n))
		runs, total, err := storage.ListRuns(a.store.Reader(), storage.RunQuery{FlowID: "welcome", Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if int(total) != n || len(runs) == 0 {
			return st, 0
		}
		return st, runs[0].Version
	}

	publish(1)
	if st, v := signup(1); st != http.StatusAccepted || v != 1 {
		t.Fatalf("after publishing version 1: webhook %d, run of version %d", st, v)
	}
	// A change published as version 2 answers the very next webhook.
	b.click(`.react-flow__node[data-id="wait"]`)
	b.fill(b.fieldID(`aside[aria-label="Step settings"]`, "For"), "3d")
	b.clickText("Save")
	b.waitJS("changes not published", `document.querySelector('[role=toolbar]').innerText.includes('Changes not published')`)
	publish(2)
	if st, v := signup(2); st != http.StatusAccepted || v != 2 {
		t.Fatalf("after publishing version 2: webhook %d, run of version %d", st, v)
	}
	// Paused: the next webhook starts nothing.
	b.clickText("Pause")
	b.waitJS("paused", `document.body.innerText.includes('Paused. No new contact starts this journey')`)
	b.screenshot()
	if st, v := signup(3); st != http.StatusNotFound || v != 0 {
		t.Fatalf("after pausing: webhook %d, run of version %d; want 404 and no run", st, v)
	}
	// Published again: webhooks start runs again at once.
	publish(3)
	b.screenshot()
	if st, v := signup(3); st != http.StatusAccepted || v != 3 {
		t.Fatalf("after publishing again: webhook %d, run of version %d", st, v)
	}
	if errs := b.consoleErrors(fmt.Sprintf(signedOutProbe, a.url), fmt.Sprintf(messagesMissing, a.url)); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
