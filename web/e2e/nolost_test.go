package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signIn signs in on the sign-in screen.
func (b *browser) signIn(a *app) {
	b.t.Helper()
	b.do("open the editor", chromedp.Navigate(a.url+"/"))
	b.waitJS("the sign-in screen", `document.body.innerText.includes('Sign in to journey')`)
	b.fill("email", adminEmail)
	b.fill("password", adminPassword)
	b.clickText("Sign in")
	b.waitJS("the journeys list", `document.body.innerText.includes('Journeys')`)
}

// openTemplate creates the chat lead template as a journey and opens it.
func (b *browser) openTemplate(a *app) {
	b.t.Helper()
	b.do("journeys", chromedp.Navigate(a.url+"/flows"))
	b.clickText("Start from a template")
	b.clickLabel("Use this template: Chat lead qualification")
	b.waitJS("the canvas", `document.querySelectorAll('.react-flow__node').length > 3`)
}

// Two tabs edit one journey: tab A changes the description and saves; tab
// B, opened before, deletes a step and saves. B is told, sees what A
// changed, and "Keep theirs and reapply mine" saves both changes.
func TestTwoTabsSaveConflict(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.openTemplate(a)
	url := eval[string](b, `location.href`)
	// The other tab: a second window signed in as the same marketer.
	tabB := newBrowser(t)
	tabB.signIn(a)
	tabB.do("open the same journey", chromedp.Navigate(url))
	tabB.waitJS("the canvas", `document.querySelectorAll('.react-flow__node').length > 3`)

	// Tab A: the description.
	b.fill("flow-desc", "Edited in tab A")
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved.')`)

	// Tab B: delete the transcript step, then save.
	tabB.click(`.react-flow__node[data-id="save_transcript"]`)
	tabB.clickText("Delete this step")
	tabB.waitJS("the step is gone", `!document.querySelector('.react-flow__node[data-id="save_transcript"]')`)
	tabB.clickText("Save")
	tabB.waitJS("the conflict dialog", `!!document.querySelector('[role=dialog][aria-labelledby=conflict-title]')`)
	// Both tabs are the same marketer: the dialog says so, not "someone else".
	tabB.waitJS("it names the other tab", `document.getElementById('conflict-title').textContent === 'You saved this journey in another tab'`)
	if theirs := tabB.text(`[data-testid=their-changes]`); !strings.Contains(theirs, "description") {
		t.Errorf("the dialog does not say what the other save changed: %q", theirs)
	}
	if mine := tabB.text(`[data-testid=my-changes]`); !strings.Contains(mine, "Deleted the step “Save the chat transcript”") {
		t.Errorf("the dialog does not list my change: %q", mine)
	}
	if who := tabB.text(`[role=dialog]`); !strings.Contains(who, "You saved it") {
		t.Errorf("the dialog does not say who saved (the same marketer, in the other tab): %q", who)
	}
	tabB.checkAxe("conflict dialog")
	tabB.shot("conflict-dialog")
	tabB.clickText("Keep theirs and reapply mine")
	tabB.waitJS("saved with both", `document.body.innerText.includes('Saved with their changes and yours.')`)

	res := eval[map[string]any](b, `fetch('/api/v1/flows/chat-lead-qualification').then(r => r.json()).then(f => ({desc: f.definition.description, transcript: f.definition.nodes.some(n => n.id === 'save_transcript')}))`)
	if res["desc"] != "Edited in tab A" || res["transcript"] != false {
		t.Errorf("stored draft %v, want tab A's description without the transcript step", res)
	}
}

// The session ends mid-edit: Save opens a sign-in dialog over the page,
// and after signing in the save goes through with nothing lost. A reload
// with unsaved changes offers them back.
func TestExpiredSessionAndReloadLoseNothing(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.openTemplate(a)
	b.fill("flow-desc", "Written before the session ended")
	// The session ends (as when it expires): the cookie no longer signs in.
	b.do("end the session", chromedp.Evaluate[chromedp.Void](`fetch('/api/v1/auth/logout', {method: 'POST'})`, chromedp.EvalAwaitPromise))
	b.clickText("Save")
	b.waitJS("the sign-in dialog", `!!document.querySelector('[aria-labelledby=reauth-title]')`)
	b.checkAxe("sign-in dialog")
	b.shot("signin-dialog")
	b.fill("reauth-password", adminPassword)
	b.clickText("Sign in")
	b.waitJS("saved after signing in", `document.body.innerText.includes('Saved.') && !document.querySelector('[aria-labelledby=reauth-title]')`)
	desc := eval[string](b, `fetch('/api/v1/flows/chat-lead-qualification').then(r => r.json()).then(f => f.definition.description)`)
	if desc != "Written before the session ended" {
		t.Errorf("stored description %q", desc)
	}

	// Unsaved changes survive a reload.
	b.fill("flow-desc", "Not saved, then reloaded")
	b.waitJS("kept in the browser", `(localStorage.getItem('journey.unsaved.chat-lead-qualification') || '').includes('Not saved, then reloaded')`)
	// Reload as after a crash: the "leave the page?" question is not asked.
	b.do("reload", chromedp.Evaluate[chromedp.Void](`BeforeUnloadEvent.prototype.preventDefault = () => {}`), chromedp.Reload())
	b.waitJS("the offer", `document.body.innerText.includes('were not saved')`)
	b.clickText("Restore unsaved changes")
	b.waitJS("restored", `document.querySelector('#flow-desc').value === 'Not saved, then reloaded'`)
	b.waitJS("marked unsaved", `document.body.innerText.includes('Unsaved changes')`)
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved.')`)
	if v := eval[string](b, `localStorage.getItem('journey.unsaved.chat-lead-qualification') || ''`); v != "" {
		t.Errorf("the saved changes are still kept in the browser: %s", v)
	}
	// The requests made while signed out answered 401 and were sent again.
	if errs := b.consoleErrors("401 (Unauthorized)"); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
