package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"testing"

	"github.com/journeyhq/journey/flows"
)

// After a sign-up journey captured a lead and sent its welcome email, the
// Results screen (from the main navigation) shows the lead, the time to
// first contact and the email step's row, with no serious accessibility
// problem.
func TestResultsDashboardAfterTraffic(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	data, err := fs.ReadFile(flows.TemplatesFS(), "onboarding-multichannel.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"flow": json.RawMessage(data), "publish": true})
	if st := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows/import', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, body)); st != http.StatusCreated {
		t.Fatalf("import: HTTP %d", st)
	}
	if st := post(t, a.url+"/hooks/onboarding-signup", `{"email":"ada@example.com","first_name":"Ada"}`); st != http.StatusAccepted {
		t.Fatalf("webhook: HTTP %d", st)
	}
	b.waitJS("the welcome email in the outbox", `fetch('/api/v1/messages').then(r => r.json()).then(m => (m.messages || []).length > 0)`)

	b.clickText("Results")
	b.waitJS("the key results", `!!document.querySelector('[aria-label="Key results"]')`)
	tile := func(name string) string {
		return eval[string](b, fmt.Sprintf(`[...document.querySelectorAll('.kpi')].find(li => li.querySelector('.kpi-label').textContent === %q)?.textContent ?? ''`, name))
	}
	b.waitJS("one lead captured", `[...document.querySelectorAll('.kpi')].some(li => li.textContent.startsWith('Leads captured1'))`)
	if got := tile("Time to first contact"); got == "" || got[len("Time to first contact"):][:1] == "—" {
		t.Errorf("time to first contact tile: %q, want a time", got)
	}
	b.waitJS("the welcome email's row", `!!document.querySelector('[aria-label="Results of each message step"]') && document.querySelector('[aria-label="Results of each message step"]').textContent.includes('Welcome email')`)
	b.waitJS("the chart drawn", `!!document.querySelector('.results-chart canvas')`)
	b.waitJS("when the numbers were counted", `[...document.querySelectorAll('p.muted')].some(p => /Numbers as of \d\d:\d\d:\d\d; they are counted again every 15 seconds\./.test(p.textContent))`)
	b.checkAxe("the Results dashboard")
	b.shot("results")
}
