package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// After an A/B journey sent its email to twelve contacts through the
// sandbox and four of them were marked opened, the Inbox's table of each
// message step and the email step's panel on the canvas show the counts
// and rates, in all and per split path, as the server counts them.
func TestMessageStepResultsInInboxAndStepPanel(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	doc := `{"id":"abmail","name":"Welcome test","settings":{"reentry":{"policy":"always"}},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"abmail"},"position":{"x":0,"y":0}},
		{"id":"save","type":"crm.upsert_contact","name":"Save the contact","params":{"email":"{{ trigger.email }}"},"position":{"x":0,"y":120}},
		{"id":"split","type":"logic.split","name":"Send now or later","params":{"branches":[{"name":"a","weight":50},{"name":"b","weight":50}]},"position":{"x":0,"y":240}},
		{"id":"welcome","type":"message.email","name":"Welcome email","params":{"subject":"Welcome!","body":"Hi, welcome aboard."},"position":{"x":0,"y":360}}],
		"edges":[{"from":"start","to":"save"},{"from":"save","to":"split"},{"from":"split","port":"a","to":"welcome"},{"from":"split","port":"b","to":"welcome"}]}`
	body := fmt.Sprintf(`{"flow":%s,"publish":true}`, doc)
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows/import', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, body)); st != http.StatusCreated {
		t.Fatalf("import: HTTP %d", st)
	}
	for i := range 12 {
		if st := post(t, a.url+"/hooks/abmail", fmt.Sprintf(`{"email":"lead%d@example.com"}`, i)); st != http.StatusAccepted {
			t.Fatalf("webhook: HTTP %d", st)
		}
	}
	b.waitJS("twelve emails in the outbox", `fetch('/api/v1/messages?channel=email').then(r => r.json()).then(m => (m.messages || []).length === 12)`)
	// Pretend four of them were opened, as a marketer would in the Inbox.
	opened := eval[int](b, `fetch('/api/v1/messages?channel=email').then(r => r.json()).then(async m => {
		let n = 0
		for (const x of m.messages.slice(0, 4)) {
			const r = await fetch('/api/v1/messages/' + x.id + '/simulate', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"event":"opened"}'})
			if (r.ok) n++
		}
		return n
	})`)
	if opened != 4 {
		t.Fatalf("%d emails marked opened, want 4", opened)
	}
	// What the server counts per path: the screens must show the same.
	paths := eval[map[string]float64](b, `fetch('/api/v1/analytics/messages?flow=abmail&by_variant=true').then(r => r.json()).then(o => Object.fromEntries(o.steps.map(s => [s.variant, s.sent])))`)
	if paths["a"]+paths["b"] != 12 || len(paths) == 0 {
		t.Fatalf("sent per path: %v, want 12 in all on paths a and b", paths)
	}

	b.clickText("Inbox")
	b.waitJS("the step results table", `(document.querySelector('[aria-label="Results of each message step"]')||{}).textContent?.includes('Welcome email')`)
	rows := eval[[]string](b, `[...document.querySelectorAll('[aria-label="Results of each message step"] tbody tr')].map(r => [...r.children].map(c => c.textContent).join(' | '))`)
	if len(rows) == 0 || rows[0] != "Welcome test | Welcome email | Email | 12 | 4 (33.3%) | 4 (100.0%) | 0 (0.0%) | — | — | 0 (0.0%) | 0 (0.0%) | 0 (0.0%)" {
		t.Errorf("the step's row: %q", rows)
	}
	for p, n := range paths {
		want := fmt.Sprintf(" | ↳ Path %s |  | %d | ", p, int(n))
		if !strings.Contains(strings.Join(rows, "\n"), want) {
			t.Errorf("no row for path %s with %d sent (%q) in %q", p, int(n), want, rows)
		}
	}
	b.checkAxe("the Inbox with the step results")
	b.shot("inbox-step-results")

	b.do("open the journey", chromedp.Navigate(a.url+"/flows/abmail"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="welcome"]')`)
	b.openStep("welcome")
	b.waitJS("the step's results", `!!document.querySelector('[aria-label="Email results of this step"]')`)
	table := eval[[]string](b, `[...document.querySelectorAll('[aria-label="Email results of this step"] tr')].map(r => [...r.children].map(c => c.textContent).join(' | '))`)
	got := strings.Join(table, "\n")
	for _, want := range []string{"Sent | 12 | ", "Delivered | 4 (33.3%) | ", "Opened | 4 (100.0%) | ", "Bounced | 0 (0.0%) | "} {
		if !strings.Contains(got, want) {
			t.Errorf("the step panel lacks %q:\n%s", want, got)
		}
	}
	for p := range paths {
		if !strings.Contains(table[0], "Path "+p) {
			t.Errorf("the step panel has no column for path %s: %q", p, table[0])
		}
	}
	b.do("scroll to the results", chromedp.ScrollIntoView(`[aria-label="Email results of this step"]`))
	b.checkAxe("the email step's results")
	b.shot("step-panel-results")
}
