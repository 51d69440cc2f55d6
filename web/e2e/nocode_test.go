package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// shot saves a screenshot named name where JOURNEY_E2E_SCREENSHOTS points,
// to look at the screens as a marketer sees them.
func (b *browser) shot(name string) {
	dir := os.Getenv("JOURNEY_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := eval0(b, chromedp.CaptureScreenshot())
	_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}

func eval0(b *browser, a chromedp.Action[[]byte]) []byte {
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return v
}

// pick chooses a step in the open step picker.
func (b *browser) pick(nodeType string) {
	b.t.Helper()
	before := eval[int](b, `document.querySelectorAll('.react-flow__node').length`)
	b.click(fmt.Sprintf(`.step-picker .step-choice[data-type=%q]`, nodeType))
	b.waitJS(nodeType+" on the canvas", fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length === %d`, before+1))
	b.waitJS("its form", `!!document.querySelector('aside[aria-label="Step settings"]')`)
}

// noOverlap fails the test when two cards on the canvas overlap.
func (b *browser) noOverlap(when string) {
	b.t.Helper()
	pairs := eval[[]string](b, `(() => { const rs = [...document.querySelectorAll('.react-flow__node')].map(n => [n.dataset.id, n.getBoundingClientRect()]); const out = []; for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) { const [a, r] = rs[i], [c, q] = rs[j]; if (r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom) out.push(a + '/' + c) } return out })()`)
	if len(pairs) > 0 {
		b.t.Errorf("%s: cards overlap: %v", when, pairs)
	}
}

// edges lists the canvas's connections as "from:port->to".
func (b *browser) edges() []string {
	return eval[[]string](b, `[...document.querySelectorAll('.react-flow__edge')].map(e => e.getAttribute('data-testid').replace('rf__edge-', '')).sort()`)
}

// Every step is added with "+" buttons and the picker: from the empty
// canvas, after a step, on each path of a branch, between two steps, by a
// connection dropped on empty canvas, and by pressing a palette item with
// a step selected. Each lands connected and nothing overlaps.
func TestAddStepsWithPlusButtons(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.clickText("New journey")
	b.fill("new-name", "Chat lead")
	b.clickText("Create")
	b.waitJS("the empty canvas", `document.body.innerText.includes('Choose how the journey starts')`)
	if strings.Contains(b.text("main"), "no trigger") {
		t.Errorf("a brand-new journey opens with an error: %q", b.text("main"))
	}
	b.shot("01-empty")
	b.clickText("Choose how the journey starts")
	b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
	if n := eval[int](b, `document.querySelectorAll('.step-picker .step-choice:not([data-type^="trigger."])').length`); n != 0 {
		t.Errorf("the start picker offers %d steps that are not triggers", n)
	}
	b.shot("02-picker")
	b.pick("trigger.webhook")
	b.fillParam("Web address", "chat-lead")
	b.clickLabel("Add a step after “When a webhook is received”")
	b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
	b.shot("03-picker-after")
	b.pick("crm.upsert_contact")
	b.clickLabel("Add a step after “Create or update contact”")
	b.pick("logic.if")
	// Problems show on the card as the journey is edited, before any save.
	b.waitJS("the empty condition is flagged on its card", `(document.querySelector('.react-flow__node[data-id="if"] [data-testid=node-problems]')||{}).innerText?.includes('Condition')`)
	b.clickLabel("Add a step on the “Yes” path of “If / else”")
	b.pick("crm.create_deal")
	b.clickLabel("Add a step on the “No” path of “If / else”")
	b.pick("list.add")
	b.noOverlap("after adding on both paths")
	want := []string{"if:no->add", "if:yes->create_deal", "upsert_contact:out->if", "webhook:out->upsert_contact"}
	if got := b.edges(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("connections %v, want %v", got, want)
	}

	// Between two steps: the steps below move down.
	b.clickLabel("Insert a step between “Create or update contact” and “If / else”")
	b.pick("crm.add_note")
	b.noOverlap("after inserting between two steps")
	if got := strings.Join(b.edges(), ","); !strings.Contains(got, "upsert_contact:out->add_note") || !strings.Contains(got, "add_note:out->if") || strings.Contains(got, "upsert_contact:out->if") {
		t.Errorf("the note is not between the contact and the branch: %s", got)
	}

	// A palette press with a step selected adds after it.
	b.click(`.react-flow__node[data-id="create_deal"]`)
	b.click(`.palette-item[data-type="crm.create_task"]`)
	b.waitJS("the task after the deal", `[...document.querySelectorAll('.react-flow__edge')].some(e => e.getAttribute('data-testid') === 'rf__edge-create_deal:out->create_task')`)

	// A connection dropped on empty canvas opens the picker there.
	fx, fy := b.center(`.react-flow__node[data-id="create_task"] .react-flow__handle[data-handleid="out"]`)
	b.do("drop a connection on empty canvas", chromedp.DragAndDropXY(fx, fy, fx+40, fy+170, 12))
	b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
	b.pick("notify.slack")
	b.waitJS("connected", `[...document.querySelectorAll('.react-flow__edge')].some(e => e.getAttribute('data-testid') === 'rf__edge-create_task:out->slack')`)
	b.noOverlap("at the end")
	b.shot("04-built")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// axe runs axe-core on the page and returns its serious and critical
// violations, one line each.
func (b *browser) axe() []string {
	b.t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		b.t.Fatalf("axe-core is not installed (npm ci in web/): %v", err)
	}
	b.do("load axe-core", chromedp.Evaluate[chromedp.Void](string(src)))
	return eval[[]string](b, `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').flatMap(v => v.nodes.map(n => v.id + ' (' + v.impact + '): ' + n.target.join(' ') + ' ' + (n.failureSummary || '').split('\n').slice(1, 2).join(''))))`)
}

// checkAxe fails the test with every serious or critical axe-core
// violation on the screen.
func (b *browser) checkAxe(screen string) {
	b.t.Helper()
	for _, v := range b.axe() {
		b.t.Errorf("%s: %s", screen, v)
	}
}

// Every screen of the editor, with its pickers and panels open, has no
// serious or critical accessibility problem (axe-core in Chromium).
func TestNoSeriousAccessibilityProblems(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.checkAxe("journeys list")
	b.clickText("Start from a template")
	b.waitJS("the gallery", `document.querySelectorAll('.templates li').length > 2`)
	b.checkAxe("template gallery")
	b.clickLabel("Use this template: Chat lead qualification")
	b.waitJS("the canvas", `document.querySelectorAll('.react-flow__node').length > 3`)
	b.checkAxe("canvas of a template")
	b.openStep("is_hot")
	b.checkAxe("condition step's form")
	b.click(`.react-flow__node[data-id="notify_sales"]`)
	b.waitJS("its form", `document.querySelector('aside[aria-label="Step settings"]')?.innerText.includes('Slack')`)
	b.checkAxe("Slack step's form")
	b.clickLabel("Insert a step between “Save the lead” and “Save the chat transcript”")
	b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
	b.checkAxe("step picker")
	b.do("close the picker", chromedp.KeyEvent(kb.Escape))
	b.clickText("Test")
	b.waitJS("the test panel", `!!document.querySelector('.test-panel')`)
	b.checkAxe("test panel")
	b.clickText("Run test")
	b.waitJS("the test run finished", `(document.querySelector('[data-testid=test-status]')||{}).innerText?.includes('finished')`)
	b.checkAxe("test result")

	b.do("journeys", chromedp.Navigate(a.url+"/flows"))
	b.clickText("New journey")
	b.fill("new-name", "Empty")
	b.clickText("Create")
	b.waitJS("the empty canvas", `document.body.innerText.includes('Choose how the journey starts')`)
	b.checkAxe("empty canvas")
	for _, page := range []string{"runs", "results", "contacts", "inbox", "settings"} {
		b.do(page, chromedp.Navigate(a.url+"/"+page))
		b.waitJS(page+" shown", `!!document.querySelector('main h1, main h2')`)
		b.checkAxe(page)
	}
}
