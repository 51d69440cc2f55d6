package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Publishing lists the steps that only write to the sandbox outbox;
// after a change is published as version 2, History compares it with
// version 1 (marking the changed step on the canvas) and restores
// version 1 as the draft.
func TestHistoryComparesAndRestoresVersions(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	doc := `{"id":"welcome","name":"Welcome","settings":{},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"welcome"},"position":{"x":0,"y":0}},
		{"id":"wait","type":"wait.delay","name":"Wait a while","params":{"duration":"2d"},"position":{"x":0,"y":150}},
		{"id":"mail","type":"message.email","name":"Welcome email","params":{"to":"{{ contact.email }}","subject":"Hi","body":"Hello"},"position":{"x":0,"y":300}}],
		"edges":[{"from":"start","to":"wait"},{"from":"wait","to":"mail"}]}`
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, doc)); st != 201 {
		t.Fatalf("create the flow: %d", st)
	}
	b.do("open it", chromedp.Navigate(a.url+"/flows/welcome"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="wait"]')`)

	// Version 1: the dialog names the email step that sends nothing.
	b.clickText("Publish")
	b.waitJS("the sandboxed step", `(document.querySelector('[data-testid=pub-sandboxed]')||{}).innerText?.includes('“Welcome email”')`)
	if d := b.text(".dialog"); !strings.Contains(d, "These steps send nothing") {
		t.Errorf("the publish dialog does not say the email is not sent: %q", d)
	}
	if v := b.axe(); len(v) > 0 {
		t.Errorf("accessibility of the publish dialog: %v", v)
	}
	b.click(".dialog button.primary")
	b.waitJS("version 1", `document.body.innerText.includes('Published as version 1')`)

	// Version 2: the wait becomes three days.
	b.openStep("wait")
	b.fill(b.fieldID(`aside[aria-label="Step settings"]`, "For"), "3d")
	b.clickText("Save")
	b.waitJS("changes not published", `document.querySelector('[role=toolbar]').innerText.includes('Changes not published')`)
	b.clickText("Publish")
	b.waitJS("the checks", `!!document.querySelector('[data-testid=pub-sandboxed]')`)
	b.click(".dialog button.primary")
	b.waitJS("version 2", `document.body.innerText.includes('Published as version 2')`)
	b.waitJS("nothing left unpublished", `!document.querySelector('[role=toolbar]').innerText.includes('Changes not published')`)

	// History compares version 1 and version 2.
	b.clickText("History")
	b.clickLabel("What changed in version 2")
	b.waitJS("the comparison", `!!document.querySelector('.diff-table')`)
	diff := b.text(".diff")
	for _, want := range []string{"From version 1 to version 2", "Changed “Wait a while”.", "In version 1", "2d", "3d"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the comparison lacks %q: %q", want, diff)
		}
	}
	b.waitJS("the changed step is marked", `!!document.querySelector('.card-node.lit-changed[data-node-id="wait"]')`)
	if v := b.axe(); len(v) > 0 {
		t.Errorf("accessibility of the history panel: %v", v)
	}

	// Restoring version 1 makes it the draft.
	eval[bool](b, `(window.confirm = () => true, true)`)
	b.clickLabel("Restore this version (version 1)")
	b.waitJS("restored", `document.body.innerText.includes('Version 1 is now the draft')`)
	b.waitJS("changes not published again", `document.querySelector('[role=toolbar]').innerText.includes('Changes not published')`)
	draft := eval[string](b, `fetch('/api/v1/flows/welcome').then(r => r.json()).then(f => JSON.stringify(f.definition.nodes.find(n => n.id === 'wait').params) + ' ' + f.unpublished_changes)`)
	if draft != `{"duration":"2d"} true` {
		t.Errorf("the stored draft after restoring version 1: %s", draft)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
