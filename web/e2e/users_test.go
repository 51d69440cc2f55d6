package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// An administrator adds a colleague in Settings → Users, the colleague
// signs in, and the administrator removes them again.
func TestAddAndRemoveAUser(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.do("open Settings", chromedp.Navigate(a.url+"/settings"))
	b.waitJS("the users list", fmt.Sprintf(`!!document.querySelector('[aria-label="People who can sign in"]') && document.body.innerText.includes(%q)`, adminEmail))

	b.fill("user-email", "colleague@example.com")
	b.fill("user-password", "short")
	b.clickText("Add user")
	b.waitJS("the password error next to the field", `document.getElementById('user-password-error')?.textContent.includes('at least 10 characters')`)

	b.fill("user-password", "a long password")
	b.clickText("Add user")
	b.waitJS("the new user listed", `document.querySelector('[aria-label="People who can sign in"]').innerText.includes('colleague@example.com')`)
	if got := post(t, a.url+"/api/v1/auth/login", `{"email":"colleague@example.com","password":"a long password"}`); got != 200 {
		t.Fatalf("the new user signs in: status %d", got)
	}

	eval[bool](b, `(window.confirm = () => true, true)`)
	b.click(`button[aria-label="Remove colleague@example.com"]`)
	b.waitJS("the user is gone", `!document.querySelector('[aria-label="People who can sign in"]').innerText.includes('colleague@example.com')`)
	if got := post(t, a.url+"/api/v1/auth/login", `{"email":"colleague@example.com","password":"a long password"}`); got != 401 {
		t.Fatalf("the removed user signs in: status %d, want 401", got)
	}
	if eval[bool](b, fmt.Sprintf(`!!document.querySelector('button[aria-label="Remove %s"]')`, adminEmail)) {
		t.Error("I can remove myself")
	}
	// The test server runs without channels, so Settings finds no
	// credentials routes (the page says so); those 404s are expected.
	if errs := b.consoleErrors("/api/v1/credential-kinds", "/api/v1/credentials"); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
