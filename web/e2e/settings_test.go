package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// selectByLabel picks an option of the select named label, as a user would.
func (b *browser) selectByLabel(label, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector('select[aria-label=%q]'); if (!s || ![...s.options].some(o => o.value === %q)) return false; const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; set.call(s, %q); s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, label, value, value)
	if !eval[bool](b, js) {
		b.t.Fatalf("no select %q with option %q", label, value)
	}
}

// An administrator adds a colleague as an editor from Settings, sees the
// role in the list, makes them a viewer, and creates a viewer API token;
// the server stores each role.
func TestChooseRolesInSettings(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.do("open Settings", chromedp.Navigate(a.url+"/settings"))
	b.waitJS("the users list", fmt.Sprintf(`!!document.querySelector('[aria-label="People who can sign in"]') && document.body.innerText.includes(%q)`, adminEmail))

	b.fill("user-email", "colleague@example.com")
	b.fill("user-password", "a long password")
	b.click("#user-role-editor")
	b.clickText("Add user")
	b.waitJS("the new user listed as an editor", `document.querySelector('select[aria-label="Role of colleague@example.com"]')?.value === 'editor'`)
	roleOf := func(email string) string {
		us, err := storage.ListUsers(a.store.Reader())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if u.Email == email {
				return u.Role
			}
		}
		return ""
	}
	if got := roleOf("colleague@example.com"); got != storage.RoleEditor {
		t.Fatalf("stored role %q, want editor", got)
	}

	b.selectByLabel("Role of colleague@example.com", "viewer")
	b.waitJS("the change confirmed", `document.body.innerText.includes('colleague@example.com is now a viewer.')`)
	if got := roleOf("colleague@example.com"); got != storage.RoleViewer {
		t.Fatalf("stored role after the change %q, want viewer", got)
	}

	b.fill("token-name", "Dashboard")
	b.click("#token-role-viewer")
	b.clickText("Create token")
	b.waitJS("the token listed with its role", `[...document.querySelectorAll('#h-tokens ~ ul li')].some(li => li.innerText.includes('Dashboard') && li.innerText.includes('Viewer'))`)
	b.shot("settings-roles")
	ts, err := storage.ListAPITokens(a.store.Reader())
	if err != nil || len(ts) != 1 || ts[0].Role != storage.RoleViewer {
		t.Fatalf("tokens %+v, %v; want one viewer token", ts, err)
	}
	if errs := b.consoleErrors("/api/v1/credential-kinds", "/api/v1/credentials"); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// A marketer sets re-entry, time zone, quiet hours and a frequency cap in
// the journey's side panel with pickers, saves, and the stored document
// holds them.
func TestJourneySettingsWithPickers(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.clickText("New journey")
	b.fill("new-name", "Weekly news")
	b.clickText("Create")
	b.waitJS("the journey settings", `!!document.querySelector('aside[aria-label="Journey settings"]')`)

	b.choose("flow-reentry", "once_per_period")
	b.waitJS("the period picker", `!!document.getElementById('flow-period')`)
	b.fill("flow-period", "2")
	b.choose("flow-period-unit", "weeks")
	b.choose("flow-tz", "Europe/Paris")
	b.click("#msg-consent")
	b.click("#msg-quiet")
	b.waitJS("the quiet hours", `!!document.getElementById('msg-quiet-from')`)
	b.click("#msg-cap")
	b.waitJS("the frequency cap", `!!document.getElementById('msg-cap-max')`)
	b.fill("msg-cap-max", "4")
	b.choose("msg-cap-action", "delay")
	b.shot("journey-settings")
	b.clickText("Save")
	b.waitJS("saved", `document.body.innerText.includes('Saved')`)

	f, err := storage.GetFlow(a.store.Reader(), "weekly-news")
	if err != nil {
		t.Fatal(err)
	}
	var doc flows.Flow
	if err := json.Unmarshal([]byte(f.Draft), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Settings
	if s.Reentry.Policy != flows.ReentryOncePerPeriod || time.Duration(s.Reentry.Period) != 14*24*time.Hour || s.TimeZone != "Europe/Paris" {
		t.Errorf("re-entry and time zone: %+v", s)
	}
	m := s.Messaging
	if m == nil || !m.RequireConsent || m.QuietHours == nil || m.QuietHours.From != "21:00" || m.QuietHours.To != "08:00" ||
		m.FrequencyCap == nil || m.FrequencyCap.Max != 4 || m.FrequencyCap.Action != flows.CapDelay || time.Duration(m.FrequencyCap.Period) != 7*24*time.Hour {
		t.Errorf("messaging: %+v (quiet %+v, cap %+v)", m, m.QuietHours, m.FrequencyCap)
	}
}
