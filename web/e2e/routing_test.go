package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// An administrator says in Settings → Users when they are away and when
// they work; the lead routing step then reads it from the user.
func TestLeadRoutingOnTheUsersScreen(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.do("open Settings", chromedp.Navigate(a.url+"/settings"))
	b.clickLabel("Lead routing for " + adminEmail)
	form := fmt.Sprintf(`form[aria-label="Lead routing for %s"]`, adminEmail)
	b.fill(b.fieldID(form, "Name shown to colleagues and in messages"), "Maria")
	// Date and time pickers take their value as a person's picking does
	// (typing into them depends on the browser's locale).
	pick := func(label, value string) {
		id := b.fieldID(form, label)
		ok := eval[bool](b, fmt.Sprintf(`(() => { const e = document.getElementById(%q); const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
			set.call(e, %q); e.dispatchEvent(new Event('input', {bubbles: true})); return e.value === %q })()`, id, value, value))
		if !ok {
			t.Fatalf("the field %q did not take %q", label, value)
		}
	}
	pick("Away until (the day they are back)", "2999-12-24")
	pick("Working hours from", "09:00")
	for _, day := range []string{"Mon", "Fri"} {
		b.do("tick "+day, chromedp.Click(chromedp.Search(fmt.Sprintf(`//form[@aria-label="Lead routing for %s"]//label[normalize-space()=%q]/input`, adminEmail, day))))
	}
	b.clickText("Save lead routing")
	b.waitJS("half the hours explained", fmt.Sprintf(`document.querySelector('%s [role=alert]')?.textContent.includes('both the start and the end')`, form))
	pick("to", "17:00")
	b.fill(b.fieldID(form, "Time zone of the working hours"), "Europe/Berlin")
	b.clickText("Save lead routing")
	b.waitJS("saved", fmt.Sprintf(`document.querySelector('%s [role=status]')?.textContent === 'Saved.'`, form))
	b.waitJS("the list says they are away", `document.querySelector('[aria-label="People who can sign in"]').innerText.includes('away until')`)

	us, err := storage.ListUsers(a.store.Reader())
	if err != nil || len(us) != 1 {
		t.Fatalf("users %v, err %v", us, err)
	}
	p := us[0].Routing()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	back := time.Date(2999, 12, 24, 0, 0, 0, 0, berlin)
	if p.Name != "Maria" || !slices.Equal(p.WorkDays, []string{"mon", "fri"}) || p.WorkStart != "09:00" || p.WorkEnd != "17:00" ||
		p.TimeZone != "Europe/Berlin" || p.AwayUntil == nil || !p.AwayUntil.Equal(back) {
		t.Fatalf("stored routing %+v (away until %v), want Maria, mon+fri 09:00–17:00 Europe/Berlin, back %v", p, p.AwayUntil, back)
	}

	// The step's form offers the users as the team, by name.
	f, err := flows.Decode([]byte(`{"id":"route","name":"Route","nodes":[
 {"id":"hook","type":"trigger.webhook","params":{"path":"route"},"position":{"x":0,"y":0}},
 {"id":"assign","type":"crm.assign_owner","params":{"team":[{"user":"` + adminEmail + `"}]},"position":{"x":0,"y":160}}],
 "edges":[{"from":"hook","to":"assign"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.eng.Import(t.Context(), f, false); err != nil {
		t.Fatal(err)
	}
	b.do("open the journey", chromedp.Navigate(a.url+"/flows/route"))
	b.openStep("assign")
	b.waitJS("the card says what the step does", `document.querySelector('.react-flow__node[data-id="assign"]').innerText.includes('in turn')`)
	b.waitJS("the team member offered by name", fmt.Sprintf(`[...document.querySelectorAll('aside[aria-label="Step settings"] datalist option')].some(o => o.value === %q && o.label === %q)`,
		adminEmail, "Maria ("+adminEmail+")"))
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
