package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/nodes/connectors/oauth/oauthtest"
)

// An administrator adds a Salesforce connection in Settings and presses
// Connect: the browser goes to the (in-test) Salesforce sign-in, which
// agrees at once and sends it back to /oauth/callback; Settings then says
// who is connected.
func TestConnectSalesforceInSettings(t *testing.T) {
	a := startApp(t)
	authz := oauthtest.New(t, "3MVG9cid", "consumer-secret")
	authz.Extra["instance_url"] = "self"
	authz.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"preferred_username":"ana@acme.com"}`))
	})
	b := newBrowser(t)
	b.signUp(a)
	b.do("open Settings", chromedp.Navigate(a.url+"/settings"))
	b.waitJS("the connections", `document.body.innerText.includes('Add a connection')`)
	b.clickText("Add a connection")
	b.choose("cred-kind", "salesforce")
	b.waitJS("the Salesforce form", `!!document.querySelector('#cred-client_id')`)
	b.fill("cred-name", "Acme org")
	b.fill("cred-client_id", "3MVG9cid")
	b.fill("cred-client_secret", "consumer-secret")
	b.fill("cred-login_url", authz.URL)
	b.waitJS("the callback address to register", fmt.Sprintf(`document.body.innerText.includes(%q)`, a.url+"/oauth/callback"))
	b.clickText("Save connection")
	b.waitJS("the saved connection, not connected yet", `[...document.querySelectorAll('li')].some(li => li.innerText.includes('Acme org') && li.innerText.includes('Not connected yet'))`)
	b.clickText("Connect")
	b.waitAcrossPages("back in Settings, connected", `location.pathname === '/settings' && [...document.querySelectorAll('[role=status]')].some(e => e.innerText === 'Connected to Salesforce as ana@acme.com.')`)
	b.waitJS("the connection listed as connected", `[...document.querySelectorAll('li')].some(li => li.innerText.includes('Acme org') && li.innerText.includes('Connected to Salesforce as ana@acme.com.') && li.innerText.includes('Connect again'))`)
	b.shot("settings-connected")
	if ex, _ := authz.Counts(); ex != 1 {
		t.Fatalf("%d codes exchanged, want 1", ex)
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// waitAcrossPages is waitJS while the tab goes through other pages (a
// navigation interrupts an evaluation, which is then tried again).
func (b *browser) waitAcrossPages(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout())
	defer cancel()
	var last error
	for ctx.Err() == nil {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		last = err
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	b.screenshot()
	b.t.Fatalf("waiting until %s: %v\nconsole errors: %v", what, last, b.consoleErrors())
}
