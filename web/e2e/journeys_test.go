package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// The acceptance test: a marketer builds the two core journeys
// from an empty canvas with clicks, pickers, choices and plain values. It
// never types "{{", "}}", an operator, a duration code, an event id or
// JSON; every text it types is listed by typed() and checked for those.

// typedTexts records what the marketer typed, to check it is plain.
type typedTexts []string

func (tt *typedTexts) check(t *testing.T) {
	t.Helper()
	for _, s := range *tt {
		for _, code := range []string{"{{", "}}", ">=", "<=", "==", "&&", "||", "48h", "2d", "{", "}", ".opened", ".undelivered", "trigger.", "contact."} {
			if strings.Contains(s, code) {
				t.Errorf("the marketer had to type code: %q contains %q", s, code)
			}
		}
	}
}

// side is the step settings panel.
const side = `aside[aria-label="Step settings"]`

// typeInto types plain text into the side panel's field with this label.
func (b *browser) typeInto(tt *typedTexts, label, text string) {
	b.t.Helper()
	*tt = append(*tt, text)
	b.fill(b.fieldID(side, label), text)
	b.do("close suggestions", chromedp.KeyEvent(kb.Escape))
}

// chooseOption picks, in the select with this accessible name (its label
// or aria-label), the option whose text is text, as a user would.
func (b *browser) chooseOption(name, text string) {
	b.t.Helper()
	find := fmt.Sprintf(`[...document.querySelectorAll('select')].find(s => s.offsetParent !== null && (s.getAttribute('aria-label') === %q || (s.labels && [...s.labels].some(l => l.textContent.replace(/\s*\*$/, '').trim() === %q))))`, name, name)
	b.waitJS("the choice "+name, fmt.Sprintf(`(() => { const s = %s; return !!s && [...s.options].some(o => o.textContent.trim() === %q) })()`, find, text))
	ok := eval[bool](b, fmt.Sprintf(`(() => { const s = %s; const o = [...s.options].find(o => o.textContent.trim() === %q); const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; set.call(s, o.value); s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, find, text))
	if !ok {
		b.t.Fatalf("no option %q in %s", text, name)
	}
}

// typeLabelled types plain text into the visible input with this aria-label.
func (b *browser) typeLabelled(tt *typedTexts, name, text string) {
	b.t.Helper()
	*tt = append(*tt, text)
	id := eval[string](b, fmt.Sprintf(`(() => { const e = [...document.querySelectorAll('input, textarea, [contenteditable]')].find(e => e.offsetParent !== null && e.getAttribute('aria-label') === %q); if (!e) return ''; if (!e.id) e.id = 'x' + Math.random().toString(36).slice(2); return e.id })()`, name))
	if id == "" {
		b.t.Fatalf("no field named %q", name)
	}
	b.fill(id, text)
}

// insertField inserts a field into a template field with the picker.
func (b *browser) insertField(label, field string) {
	b.t.Helper()
	b.clickLabel("Insert a field into " + label)
	b.waitJS("the field picker", fmt.Sprintf(`!!document.querySelector('[role=dialog][aria-label=%q]')`, "Insert a field into "+label))
	js := fmt.Sprintf(`[...document.querySelectorAll('[role=option]')].find(o => o.textContent.trim() === %q)`, field)
	b.waitJS("the field "+field, "!!"+js)
	x, y := b.centerOf(js)
	b.do("choose "+field, chromedp.MouseClickXY(x, y))
	b.waitJS("the picker closed", fmt.Sprintf(`!document.querySelector('[role=dialog][aria-label=%q]')`, "Insert a field into "+label))
}

// addAfter presses the "+" with this label and picks the step type.
func (b *browser) addAfter(plus, nodeType string) {
	b.t.Helper()
	b.waitJS("the journey is checked", `!document.querySelector('.canvas[data-checking]')`)
	// Out of sight, the marketer shows the whole journey first.
	inView := fmt.Sprintf(`(() => { const e = [...document.querySelectorAll('button')].find(e => e.getAttribute('aria-label') === %q); if (!e) return false; const r = e.getBoundingClientRect(), c = document.querySelector('.canvas').getBoundingClientRect(); return r.top > c.top && r.bottom < c.bottom - 10 && r.left > c.left && r.right < c.right })()`, plus)
	if !eval[bool](b, inView) {
		b.click(".react-flow__controls-fitview")
		b.waitJS("the button in view", inView)
	}
	b.clickLabel(plus)
	b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
	b.pick(nodeType)
}

func TestBuildTheChatLeadJourneyWithoutCode(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	var typed typedTexts
	b.signUp(a)
	b.clickText("New journey")
	typed = append(typed, "Chat lead")
	b.fill("new-name", "Chat lead")
	b.clickText("Create")
	b.waitJS("the empty canvas", `document.body.innerText.includes('Choose how the journey starts')`)
	b.clickText("Choose how the journey starts")
	b.pick("trigger.webhook")
	b.typeInto(&typed, "Web address", "chat-lead")
	b.chooseOption("Chat platform", "Intercom")
	// Every chat platform is offered by its plain name.
	platforms := eval[[]string](b, `[...[...document.querySelectorAll('select')].find(s => s.offsetParent !== null && s.labels && [...s.labels].some(l => l.textContent.replace(/\s*\*$/, '').trim() === 'Chat platform')).options].map(o => o.textContent.trim())`)
	for _, name := range []string{"Intercom", "ManyChat", "Chatfuel", "Drift", "Microsoft Bot Framework (Azure Bot Service, Teams)", "Dialogflow CX"} {
		if !slices.Contains(platforms, name) {
			t.Errorf("the chat platforms %q do not offer %q", platforms, name)
		}
	}
	b.shot("chat-01-trigger")

	b.addAfter("Add a step after “When a webhook is received”", "crm.upsert_contact")
	b.shot("chat-02-contact")
	b.addAfter("Add a step after “Create or update contact”", "logic.if")
	b.chooseOption("Field of condition 1", "Trigger · Score")
	b.chooseOption("Operator of condition 1", "is at least")
	b.typeLabelled(&typed, "Value of condition 1", "50")
	b.shot("chat-03-condition")

	b.addAfter("Add a step on the “Yes” path of “If / else”", "crm.create_deal")
	b.typeInto(&typed, "Stage", "qualified")
	b.addAfter("Add a step after “Create deal”", "crm.create_task")
	b.typeInto(&typed, "Task", "Call back ")
	b.insertField("Task", "Contact · First name")
	b.typeInto(&typed, "Due in", "1")
	b.chooseOption("Due in: unit", "hours")
	b.shot("chat-04-task")
	b.addAfter("Add a step after “Create task”", "notify.slack")
	b.typeInto(&typed, "Message", "New hot lead: ")
	b.insertField("Message", "Contact · Email")
	b.typeInto(&typed, "Channel", "#sales")
	b.addAfter("Add a step on the “No” path of “If / else”", "list.add")
	b.typeInto(&typed, "List", "nurture")
	b.noOverlap("the chat lead journey")
	b.shot("chat-05-built")
	b.checkAxe("the built chat lead journey")
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved.')`)

	// Test with the Intercom sample: a lead scoring 72 takes the Yes path.
	b.clickText("Test")
	b.waitJS("the Intercom sample", `(document.querySelector('#test-payload')||{}).value?.includes('lead_score')`)
	hot := eval[string](b, `document.querySelector('#test-payload').value`)
	b.clickText("Run test")
	b.waitJS("the test finished", `(document.querySelector('[data-testid=test-status]')||{}).innerText?.includes('finished')`)
	hotPath := []string{"add", "create_deal", "create_task", "if", "slack", "upsert_contact", "webhook"}
	b.waitJS("the hot path lights up", fmt.Sprintf(`[...document.querySelectorAll('.card-node.lit-done')].map(e => e.dataset.nodeId).filter(id => id !== 'add').length === %d`, len(hotPath)-1))
	testHot := b.testRunPath()
	b.shot("chat-06-test")
	b.checkAxe("the test of the chat lead journey")

	// The tester takes the No path instead, by choice.
	b.chooseOption("At “If / else”", "Take ‘No’")
	first := eval[string](b, `document.querySelector('.test-result a[href^="/runs/"]').getAttribute('href')`)
	b.clickText("Run test")
	b.waitJS("a new test run", fmt.Sprintf(`(document.querySelector('.test-result a[href^="/runs/"]')||{getAttribute: () => %q}).getAttribute('href') !== %q`, first, first))
	b.waitJS("the No path", `(() => { const lit = [...document.querySelectorAll('.card-node.lit-done')].map(e => e.dataset.nodeId); return lit.includes('add') && !lit.includes('create_deal') })()`)
	b.chooseOption("At “If / else”", "Let the journey decide")

	// The other Intercom sample has no lead score: the condition is false,
	// not an error, and the step says why.
	b.chooseOption("Sample", eval[string](b, `[...document.querySelector('#test-sample').options].map(o => o.textContent.trim()).find(t => t.startsWith('Intercom') && t.includes('no lead score'))`))
	cold := eval[string](b, `document.querySelector('#test-payload').value`)
	if strings.Contains(cold, "lead_score") {
		t.Fatalf("the second Intercom sample has a score: %s", cold)
	}
	before := eval[string](b, `document.querySelector('.test-result a[href^="/runs/"]').getAttribute('href')`)
	b.clickText("Run test")
	b.waitJS("a new test run", fmt.Sprintf(`(document.querySelector('.test-result a[href^="/runs/"]')||{getAttribute: () => %q}).getAttribute('href') !== %q`, before, before))
	b.waitJS("the cold lead on the No path", `(() => { const lit = [...document.querySelectorAll('.card-node.lit-done')].map(e => e.dataset.nodeId); return lit.includes('add') && !lit.includes('create_deal') })()`)
	testCold := b.testRunPath()
	if out := b.text(".test-result"); !strings.Contains(out, "not set") {
		t.Errorf("the test does not say why the condition was false: %q", out)
	}

	// Publish, then the same bodies as real webhooks take the same paths.
	b.clickText("Close test")
	b.clickText("Publish")
	b.waitJS("the checks are in", `!document.querySelector('[role=dialog] button.primary').disabled`)
	if d := b.text(".dialog"); !strings.Contains(d, "Tell the team on Slack") {
		t.Errorf("the publish dialog does not name the Slack step that stays in the sandbox: %q", d)
	}
	b.checkAxe("the publish dialog")
	b.click(".dialog button.primary")
	b.waitJS("published", `document.body.innerText.includes('Published as version 1')`)
	for _, c := range []struct {
		body string
		want []string
	}{{hot, testHot}, {cold, testCold}} {
		if st := postRaw(t, a.url+"/hooks/chat-lead", c.body); st != 202 {
			t.Fatalf("the real webhook answered %d", st)
		}
		if got := b.lastRealRunPath("chat-lead"); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("the real request took %v, its test took %v", got, c.want)
		}
	}
	// What the real runs did, and nothing of the tests.
	deals := eval[[]string](b, `fetch('/api/v1/deals').then(r => r.json()).then(r => r.deals.map(d => d.stage))`)
	if strings.Join(deals, ",") != "qualified" {
		t.Errorf("deals %v, want the one qualified deal of the real hot lead (test deals are test data)", deals)
	}
	members := eval[int](b, `fetch('/api/v1/lists/nurture/members').then(r => r.json()).then(r => (r.members || r.contacts || []).length)`)
	if members != 1 {
		t.Errorf("%d nurture members, want the real cold lead only", members)
	}
	posts := eval[[]string](b, `fetch('/api/v1/messages?channel=slack').then(r => r.json()).then(r => r.messages.map(m => m.body_text))`)
	if len(posts) != 1 || !strings.HasPrefix(posts[0], "New hot lead: ") || !strings.Contains(posts[0], "@") {
		t.Errorf("Slack posts %q, want one naming the hot lead's email", posts)
	}
	typed.check(t)
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// testRunPath is the steps of the test run shown in the test panel, as
// "node:port" in order.
func (b *browser) testRunPath() []string {
	b.t.Helper()
	return eval[[]string](b, `(() => { const id = document.querySelector('.test-result a[href^="/runs/"]').getAttribute('href').split('/').pop(); return fetch('/api/v1/runs/' + id).then(r => r.json()).then(r => r.steps.map(s => s.node_id + ':' + (s.port || ''))) })()`)
}

// lastRealRunPath is the steps of the newest real run of the journey.
func (b *browser) lastRealRunPath(flow string) []string {
	b.t.Helper()
	js := fmt.Sprintf(`fetch('/api/v1/runs?flow=%s&test=false&limit=1').then(r => r.json()).then(r => fetch('/api/v1/runs/' + r.runs[0].id)).then(r => r.json()).then(r => r.steps.map(s => s.node_id + ':' + (s.port || '')))`, flow)
	return eval[[]string](b, js)
}

// postRaw posts a body to the app and returns the status.
func postRaw(t *testing.T, url, body string) int {
	t.Helper()
	return post(t, url, body)
}

// chooseOptionValue picks the option whose value is value, by the text
// the marketer reads (the sentence), and returns that text.
func (b *browser) chooseEvent(name, event string) string {
	b.t.Helper()
	find := fmt.Sprintf(`[...document.querySelectorAll('select')].find(s => s.offsetParent !== null && s.labels && [...s.labels].some(l => l.textContent.replace(/\s*\*$/, '').trim() === %q))`, name)
	b.waitJS("the event "+event, fmt.Sprintf(`(() => { const s = %s; return !!s && [...s.options].some(o => o.value === %q) })()`, find, event))
	text := eval[string](b, fmt.Sprintf(`[...(%s).options].find(o => o.value === %q).textContent.trim()`, find, event))
	if strings.Contains(text, ".") && !strings.Contains(text, " ") {
		b.t.Errorf("the event %s is shown as a code, not a sentence: %q", event, text)
	}
	b.chooseOption(name, text)
	return text
}

// The welcome journey: when a contact signs up, a welcome email; not
// opened within 48 hours, an SMS; the SMS not delivered, WhatsApp. Built
// with clicks and plain values, tested by choosing what happens at each
// wait, published, and run for real with events.
func TestBuildTheWelcomeJourneyWithoutCode(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	var typed typedTexts
	b.signUp(a)
	// The marketer's website already reports sign-ups: the event picker
	// offers what this server has seen.
	if st := b.apiPost(`/api/v1/events`, `{"type":"signed_up","contact":{"email":"early@example.com"}}`); st != 202 {
		t.Fatalf("seed event: %d", st)
	}
	b.clickText("New journey")
	typed = append(typed, "Welcome, then SMS")
	b.fill("new-name", "Welcome, then SMS")
	b.clickText("Create")
	b.clickText("Choose how the journey starts")
	b.pick("trigger.event")
	b.chooseEvent("Event", "signed_up")

	b.addAfter("Add a step after “When something happens to a contact”", "message.email")
	b.typeInto(&typed, "Subject", "Welcome aboard")
	b.typeInto(&typed, "Text", "Hi ")
	b.insertField("Text", "Contact · First name")
	b.waitJS("the preview", `(document.querySelector('section.preview')||{}).innerText?.includes('Welcome aboard')`)
	b.shot("welcome-01-email")
	b.checkAxe("the email step with its preview")

	b.addAfter("Add a step on the “Sent” path of “Send email”", "wait.event")
	b.typeInto(&typed, "Name on the canvas", "Opened the welcome email?")
	b.chooseEvent("Event", "email.opened")
	b.typeInto(&typed, "Give up after", "48")
	b.chooseOption("Give up after: unit", "hours")
	b.addAfter("Add a step on the “Timed out” path of “Opened the welcome email?”", "message.sms")
	b.typeInto(&typed, "Text", "Welcome aboard! Your account is ready.")
	b.waitJS("the SMS length and parts", `/1 SMS part/.test((document.querySelector('section.preview')||{}).innerText || '')`)
	b.addAfter("Add a step on the “Sent” path of “Send SMS”", "wait.event")
	b.typeInto(&typed, "Name on the canvas", "SMS not delivered?")
	b.chooseEvent("Event", "sms.undelivered")
	b.typeInto(&typed, "Give up after", "1")
	b.chooseOption("Give up after: unit", "days")
	b.addAfter("Add a step on the “Happened” path of “SMS not delivered?”", "message.whatsapp")
	b.typeInto(&typed, "Text", "Welcome aboard! Your account is ready.")
	b.noOverlap("the welcome journey")
	b.shot("welcome-02-built")
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved.')`)
	if n := eval[int](b, `document.querySelectorAll('[data-testid=node-problems]').length`); n != 0 {
		t.Errorf("%d steps have problems: %s", n, b.text(".canvas"))
	}

	// Test: the email is not opened, then the SMS is not delivered.
	b.clickText("Test")
	b.chooseOption("At “Opened the welcome email?”", "It never happens")
	b.chooseOption("At “Send SMS”", "Pretend it was not delivered")
	b.clickText("Run test")
	b.waitJS("the test finished", `(document.querySelector('[data-testid=test-status]')||{}).innerText?.includes('finished')`)
	testPath := b.testRunPath()
	lastStep := testPath[len(testPath)-1]
	if !strings.HasPrefix(lastStep, "whatsapp") {
		t.Errorf("the test path %v does not end with WhatsApp", testPath)
	}
	b.shot("welcome-03-test")
	b.clickText("Close test")

	b.clickText("Publish")
	b.waitJS("the checks are in", `!document.querySelector('[role=dialog] button.primary').disabled`)
	b.click(".dialog button.primary")
	b.waitJS("published", `document.body.innerText.includes('Published as version 1')`)

	// For real: Ana opens the email; Bo does not, and his SMS bounces.
	for _, who := range []string{"ana", "bo"} {
		if st := b.apiPost(`/api/v1/events`, fmt.Sprintf(`{"type":"signed_up","contact":{"email":"%s@example.com","phone":"+34600111%03d"},"data":{}}`, who, len(who))); st != 202 {
			t.Fatalf("sign-up event: %d", st)
		}
	}
	b.apiPost(`/api/v1/events`, `{"type":"email.opened","contact":{"email":"ana@example.com"}}`)
	bo := b.realRunOf("bo@example.com")
	b.waitJS("Bo waits for the open", fmt.Sprintf(`fetch('/api/v1/runs/%s').then(r => r.json()).then(r => r.status === 'waiting')`, bo))
	// 48 hours pass.
	a.passTime(t, bo)
	b.waitJS("Bo's SMS", fmt.Sprintf(`fetch('/api/v1/runs/%s').then(r => r.json()).then(r => r.steps.some(s => s.node_id === 'sms' && s.status === 'completed'))`, bo))
	b.apiPost(`/api/v1/events`, `{"type":"sms.undelivered","contact":{"email":"bo@example.com"}}`)
	b.waitJS("Bo's run ends", fmt.Sprintf(`fetch('/api/v1/runs/%s').then(r => r.json()).then(r => r.status === 'completed')`, bo))
	realPath := eval[[]string](b, fmt.Sprintf(`fetch('/api/v1/runs/%s').then(r => r.json()).then(r => r.steps.map(s => s.node_id + ':' + (s.port || '')))`, bo))
	if strings.Join(realPath, " ") != strings.Join(testPath, " ") {
		t.Errorf("Bo's real run took %v, the test took %v", realPath, testPath)
	}
	channels := func(email string) string {
		return strings.Join(eval[[]string](b, fmt.Sprintf(`fetch('/api/v1/contacts?search=%s').then(r => r.json()).then(r => fetch('/api/v1/messages?contact=' + r.contacts[0].id)).then(r => r.json()).then(r => r.messages.map(m => m.channel).sort())`, email)), ",")
	}
	if got := channels("ana@example.com"); got != "email" {
		t.Errorf("Ana got %s, want only the email (she opened it)", got)
	}
	if got := channels("bo@example.com"); got != "email,sms,whatsapp" {
		t.Errorf("Bo got %s, want email, SMS and WhatsApp", got)
	}
	typed.check(t)
}

// apiPost posts JSON from the page (the signed-in session) and returns the status.
func (b *browser) apiPost(path, body string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`fetch(%q, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, path, body))
}

// realRunOf is the id of the newest real run of the contact with this email.
func (b *browser) realRunOf(email string) string {
	b.t.Helper()
	js := fmt.Sprintf(`fetch('/api/v1/contacts?search=%s').then(r => r.json()).then(r => fetch('/api/v1/runs?test=false&contact=' + r.contacts[0].id)).then(r => r.json()).then(r => (r.runs[0] || {}).id || '')`, email)
	b.waitJS("a run of "+email, js+".then(id => id !== '')")
	return eval[string](b, js)
}

// passTime makes the run's pending timers (a wait's timeout) due now, as
// if the time they wait for had passed, and wakes the engine.
func (a *app) passTime(t *testing.T, runID string) {
	t.Helper()
	err := a.store.Write(context.Background(), func(tx storage.Tx) error {
		return storagetest.Update(tx, &storage.Job{}, "due_at", time.Now().UTC(), "run_id = ?", runID)
	})
	if err != nil {
		t.Fatalf("pass time: %v", err)
	}
	a.eng.Wake()
}
