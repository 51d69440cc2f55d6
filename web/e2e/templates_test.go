package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// A marketer with one Salesforce connection uses the Salesforce chat lead
// template: the draft opens with that connection chosen on every
// Salesforce step, so none of them shows a problem (left as the
// template's placeholder they would say "needs your Salesforce account").
func TestSalesforceTemplateGetsTheSavedAccount(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	// The connection, saved as Settings does (Connect is not needed to
	// choose it on a step).
	if !eval[bool](b, `fetch('/api/v1/credentials', {method: 'POST', headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({name: 'Acme org', kind: 'salesforce', fields: {client_id: '3MVG9cid', client_secret: 'consumer-secret'}})}).then(r => r.ok)`) {
		t.Fatal("the Salesforce connection was not saved")
	}
	b.clickText("Start from a template")
	b.waitJS("the gallery", `document.querySelectorAll('.templates li').length > 2`)
	b.clickLabel("Use this template: Chat lead qualification with Salesforce")
	b.waitJS("the canvas", `document.querySelectorAll('.react-flow__node').length === 10`)
	b.waitJS("the draft checked", `!!document.querySelector('.react-flow__node[data-id="save_lead"] .card-node')`)
	for _, id := range []string{"save_lead", "save_transcript", "create_deal", "call_back"} {
		if n := eval[int](b, `document.querySelectorAll('.react-flow__node[data-id="`+id+`"] .has-problems').length`); n != 0 {
			b.screenshot()
			t.Fatalf("step %s shows a problem: %s", id, b.text(`.react-flow__node[data-id="`+id+`"]`))
		}
	}
	b.openStep("save_lead")
	b.waitJS("its form with the connection chosen", `(() => { const s = [...document.querySelectorAll('aside[aria-label="Step settings"] select')]
		.find(s => s.selectedOptions[0] && s.selectedOptions[0].text === 'Acme org'); return !!s })()`)
	b.do("show Save to", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('aside[aria-label="Step settings"] select')]
		.find(s => s.selectedOptions[0] && s.selectedOptions[0].text === 'Acme org').scrollIntoView({block: 'center'})`))
	b.shot("template-salesforce")
	// The journey as saved names the connection, not the placeholder.
	if got := eval[string](b, `fetch('/api/v1/flows/chat-lead-salesforce').then(r => r.json()).then(f => f.definition.nodes.find(n => n.id === 'save_lead').params.target)`); got == "salesforce" || got == "" {
		t.Fatalf("the draft's Save to is %q", got)
	}
	// The sales team is the app's people, not the template's sample names
	// (with those, every hot lead would go down "nobody available").
	if got := eval[string](b, `fetch('/api/v1/flows/chat-lead-salesforce').then(r => r.json()).then(f => JSON.stringify(f.definition.nodes.find(n => n.type === 'crm.assign_owner').params.team))`); got != `[{"user":"`+adminEmail+`"}]` {
		t.Fatalf("the draft's team is %s; want the one user of this app, %s", got, adminEmail)
	}
	b.do("journeys", chromedp.Navigate(a.url+"/flows"))
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
