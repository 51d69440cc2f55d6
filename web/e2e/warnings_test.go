package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// smsWithoutPhone: a webhook journey whose SMS step sends to the contact's
// phone, which no step before it saves.
const smsWithoutPhone = `{"id": "welcome-sms", "name": "Welcome SMS", "nodes": [
  {"id": "hook", "type": "trigger.webhook", "name": "Someone signs up", "params": {"path": "welcome-sms"}, "position": {"x": 0, "y": 0}},
  {"id": "sms", "type": "message.sms", "name": "Send welcome SMS", "params": {"body": "Welcome aboard!"}, "position": {"x": 0, "y": 180}}
], "edges": [{"from": "hook", "to": "sms"}]}`

// A marketer opens a journey whose SMS step has no phone to send to: the
// step says so in plain words, in amber rather than as a problem, and the
// journey still saves and publishes.
func TestWarningShownAndJourneyStillPublishes(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)

	file := filepath.Join(t.TempDir(), "welcome-sms.json")
	if err := os.WriteFile(file, []byte(smsWithoutPhone), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("import the file", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid=import-file]`), []string{file}))
	const plain = `people without a phone number will be skipped`
	// Wait for the sentence, not the list: the card may show the list a
	// moment before its text (the live check answers after the import).
	b.waitJS("the warning on the SMS step", `((document.querySelector('.react-flow__node[data-id="sms"] [data-testid=node-warnings]') || {}).innerText || '').includes('`+plain+`')`)
	if got := b.text(`.react-flow__node[data-id="sms"] [data-testid=node-warnings]`); !strings.Contains(got, `"Send welcome SMS" sends to the contact's phone number, but no step before it saves a phone number`) || !strings.Contains(got, plain) {
		t.Errorf("the SMS step says %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid=node-problems], .card-node.has-problems').length`); n != 0 {
		t.Errorf("%d problem marks: a warning is not a problem", n)
	}
	if !eval[bool](b, `document.querySelector('.react-flow__node[data-id="sms"] .card-node').classList.contains('has-warnings')`) {
		t.Errorf("the SMS card is not marked as worth checking")
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid=node-warnings]').length`); n != 1 {
		t.Errorf("%d steps show warnings, want only the SMS", n)
	}
	if !strings.Contains(b.text("main"), "1 step is worth checking") {
		t.Errorf("the import message does not mention the step worth checking: %q", b.text("main"))
	}

	// The step's panel says it too, and says it does not block.
	b.click(`.react-flow__node[data-id="sms"] .card-title`)
	b.waitJS("the step's warning in its panel", `!!document.querySelector('[data-testid=step-warnings]')`)
	if got := b.text(`[data-testid=step-warnings]`); !strings.Contains(got, plain) || !strings.Contains(got, "does not stop you saving or publishing") {
		t.Errorf("the panel says %q", got)
	}
	b.shot("warning-sms-without-phone")

	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved. 1 step is worth checking')`)
	b.clickText("Publish")
	b.waitJS("the publish summary", `!!document.querySelector('[role=dialog]')`)
	b.waitJS("the checks are in", `!document.querySelector('[role=dialog] button.primary').disabled`)
	if got := b.text(`[role=dialog] [data-testid=pub-warnings]`); !strings.Contains(got, plain) || !strings.Contains(got, "you can still publish") {
		t.Errorf("the publish dialog says %q", got)
	}
	b.shot("warning-sms-publish-dialog")
	b.do("confirm", chromedp.Click(chromedp.CSS(`[role=dialog] button.primary`), chromedp.NodeVisible))
	b.waitJS("published", `document.body.innerText.includes('Published as version 1')`)
	b.waitJS("still marked after publishing", `!!document.querySelector('.react-flow__node[data-id="sms"] [data-testid=node-warnings]')`)
	b.shot("warning-sms-published")
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
