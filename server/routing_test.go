package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// routingJourney saves a chat lead, assigns it to Ana or Ben, tells Slack
// who got it and creates a call-back task; leads nobody can take are
// tagged.
const routingJourney = `{"id":"route","name":"Route leads","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"route"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","params":{"email":"{{ trigger.email }}"},"position":{"x":0,"y":100}},
 {"id":"assign","type":"crm.assign_owner","params":{"team":[{"user":"ana@example.com"},{"user":"ben@example.com"}]},"position":{"x":0,"y":200}},
 {"id":"tell","type":"notify.slack","params":{"channel":"#sales","text":"New lead for {{ owner.name }} ({{ owner.email }}): {{ contact.email }}"},"position":{"x":0,"y":300}},
 {"id":"task","type":"crm.create_task","params":{"title":"Call {{ contact.email }} back"},"position":{"x":0,"y":400}},
 {"id":"nobody","type":"contact.tag","params":{"add":["unassigned"]},"position":{"x":300,"y":300}}],
 "edges":[{"from":"start","to":"save"},{"from":"save","to":"assign"},{"from":"assign","to":"tell"},
  {"from":"tell","to":"task"},{"from":"assign","port":"nobody","to":"nobody"}]}`

// TestLeadRoutingEndToEnd: an administrator sets up two salespeople, a
// journey assigns leads to them in turn, skipping whoever is away; the
// next steps see the owner, the contact shows it, and with nobody
// available the lead takes the "nobody" path.
func TestLeadRoutingEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ids := map[string]string{}
	for _, email := range []string{"ana@example.com", "ben@example.com"} {
		var u struct{ User struct{ ID string } }
		b.api(t, "POST", "/api/v1/users", `{"email":"`+email+`","password":"a long password","role":"editor"}`).must(t, http.StatusCreated).json(t, &u)
		ids[email] = u.User.ID
	}
	ana, ben := "/api/v1/users/"+ids["ana@example.com"], "/api/v1/users/"+ids["ben@example.com"]

	// Bad values are refused in plain words.
	for _, tc := range []struct{ body, want string }{
		{`{"time_zone":"Berlin"}`, "not a time zone"},
		{`{"work_start":"9am","work_end":"17:00"}`, "not a time of day"},
		{`{"work_start":"09:00"}`, "both the start and the end"},
		{`{"work_days":["mon","funday"]}`, "not a day of the week"},
		{`{"away_until":"next week"}`, "not a date"},
		{`{"slack_id":"@ana"}`, "not a Slack member id"},
		{`{"owner_ids":{"no-such-account":"123"}}`, "no connected account"},
	} {
		if res := b.api(t, "PATCH", ana, tc.body).must(t, http.StatusBadRequest); !strings.Contains(res.body, tc.want) {
			t.Errorf("PATCH %s: %s lacks %q", tc.body, res.body, tc.want)
		}
	}
	var hub struct{ Credential struct{ ID string } }
	b.api(t, "POST", "/api/v1/credentials", `{"name":"Hub","kind":"hubspot","fields":{"access_token":"tok-secret"}}`).must(t, 201).json(t, &hub)
	res := b.api(t, "PATCH", ana, `{"name":"Ana Díaz","time_zone":"Europe/Berlin","work_days":["Monday","tue","wed","thu","fri","sat","sun"],
		"work_start":"00:00","work_end":"24:00","owner_ids":{"`+hub.Credential.ID+`":"5150"},"slack_id":"u0ana"}`).must(t, 200)
	for _, want := range []string{`"name":"Ana Díaz"`, `"work_days":["sun","mon","tue","wed","thu","fri","sat"]`, `"owner_ids":{"` + hub.Credential.ID + `":"5150"}`, `"slack_id":"U0ANA"`, `"role":"editor"`} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("PATCH answer %s lacks %s", res.body, want)
		}
	}
	back := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
	b.api(t, "PATCH", ben, `{"name":"Ben","away_until":"`+back+`"}`).must(t, 200)

	// The step's form offers the users, with who is away.
	opts := b.api(t, "GET", "/api/v1/node-types/crm.assign_owner/options/team.user", "").must(t, 200)
	if !strings.Contains(opts.body, `"value":"ana@example.com","label":"Ana Díaz (ana@example.com)"`) || !strings.Contains(opts.body, "Away until "+back) {
		t.Fatalf("team choices: %s", opts.body)
	}

	// A deal's or task's owner may be any user too.
	if o := b.api(t, "GET", "/api/v1/node-types/crm.create_task/options/owner", "").must(t, 200); !strings.Contains(o.body, `"value":"ben@example.com"`) {
		t.Fatalf("owner choices: %s", o.body)
	}

	b.api(t, "POST", "/api/v1/flows", routingJourney).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/route/publish", "").must(t, 200)
	for _, email := range []string{"lead1@example.com", "lead2@example.com"} {
		b.request(t, "POST", "/hooks/route", `{"email":"`+email+`"}`).must(t, http.StatusAccepted)
	}
	b.drain(t)

	// Ben is away: both leads went to Ana, and the steps after knew it.
	var outbox struct {
		Messages []struct {
			BodyText string `json:"body_text"`
		}
	}
	b.api(t, "GET", "/api/v1/messages?channel=slack", "").must(t, 200).json(t, &outbox)
	var posts []string
	for _, m := range outbox.Messages {
		posts = append(posts, m.BodyText)
	}
	for _, want := range []string{"New lead for Ana Díaz (ana@example.com): lead1@example.com", "New lead for Ana Díaz (ana@example.com): lead2@example.com"} {
		if !strings.Contains(strings.Join(posts, "\n"), want) {
			t.Fatalf("slack posts %q lack %q", posts, want)
		}
	}
	tasks := b.api(t, "GET", "/api/v1/tasks", "").must(t, 200)
	if strings.Count(tasks.body, `"owner":"ana@example.com"`) != 2 {
		t.Fatalf("tasks are not Ana's: %s", tasks.body)
	}
	contacts := b.api(t, "GET", "/api/v1/contacts?search=lead1", "").must(t, 200)
	if !strings.Contains(contacts.body, `"owner":{"id":"`+ids["ana@example.com"]+`","name":"Ana Díaz","email":"ana@example.com"}`) {
		t.Fatalf("contact list does not show the owner: %s", contacts.body)
	}
	var list struct{ Contacts []struct{ ID string } }
	contacts.json(t, &list)
	if profile := b.api(t, "GET", "/api/v1/contacts/"+list.Contacts[0].ID, "").must(t, 200); !strings.Contains(profile.body, `"name":"Ana Díaz"`) {
		t.Fatalf("contact profile does not show the owner: %s", profile.body)
	}

	// Ben is back; Ana goes away: the next lead is Ben's.
	b.api(t, "PATCH", ben, `{"away_until":""}`).must(t, 200)
	b.api(t, "PATCH", ana, `{"away_until":"`+back+`"}`).must(t, 200)
	b.request(t, "POST", "/hooks/route", `{"email":"lead3@example.com"}`).must(t, http.StatusAccepted)
	// And with both away, the lead takes the "nobody" path.
	b.api(t, "PATCH", ben, `{"away_until":"`+back+`"}`).must(t, 200)
	b.request(t, "POST", "/hooks/route", `{"email":"lead4@example.com"}`).must(t, http.StatusAccepted)
	b.drain(t)
	if c := b.api(t, "GET", "/api/v1/contacts?search=lead3", "").must(t, 200); !strings.Contains(c.body, `"name":"Ben"`) {
		t.Fatalf("lead3 is not Ben's: %s", c.body)
	}
	c := b.api(t, "GET", "/api/v1/contacts?search=lead4", "").must(t, 200)
	if strings.Contains(c.body, `"owner"`) || !strings.Contains(c.body, "unassigned") {
		t.Fatalf("lead4 should have no owner and the unassigned tag: %s", c.body)
	}

	// Removing a user leaves their contacts without an owner.
	b.api(t, "DELETE", ben, "").must(t, http.StatusNoContent)
	if c := b.api(t, "GET", "/api/v1/contacts?search=lead3", "").must(t, 200); strings.Contains(c.body, `"owner"`) {
		t.Fatalf("lead3 still has the removed owner: %s", c.body)
	}
}

// TestPreviewShowsTheOwner: a message preview fills {{ owner.name }} with
// the chosen contact's owner, or a sample salesperson for the sample contact.
func TestPreviewShowsTheOwner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var u struct{ User struct{ ID string } }
	b.api(t, "POST", "/api/v1/users", `{"email":"ana@example.com","password":"a long password","role":"editor"}`).must(t, http.StatusCreated).json(t, &u)
	b.api(t, "PATCH", "/api/v1/users/"+u.User.ID, `{"name":"Ana"}`).must(t, 200)
	b.api(t, "POST", "/api/v1/flows", routingJourney).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/route/publish", "").must(t, 200)
	b.request(t, "POST", "/hooks/route", `{"email":"lead@example.com"}`).must(t, http.StatusAccepted)
	b.drain(t)
	var list struct{ Contacts []struct{ ID string } }
	b.api(t, "GET", "/api/v1/contacts?search=lead@", "").must(t, 200).json(t, &list)
	if len(list.Contacts) != 1 {
		t.Fatalf("contacts: %+v", list)
	}
	var got previewAnswer
	b.api(t, "POST", "/api/v1/preview", `{"flow_id":"route","node":{"id":"tell"},"contact_id":"`+list.Contacts[0].ID+`"}`).must(t, 200).json(t, &got)
	if got.Text != "New lead for Ana (ana@example.com): lead@example.com" {
		t.Fatalf("preview for the contact: %q", got.Text)
	}
	got = previewAnswer{}
	b.api(t, "POST", "/api/v1/preview", `{"flow_id":"route","node":{"id":"tell"}}`).must(t, 200).json(t, &got)
	if !strings.HasPrefix(got.Text, "New lead for Sam Seller (sam.seller@example.com): ") {
		t.Fatalf("preview for the sample contact: %q", got.Text)
	}
}

// TestTestRunsDoNotTakeRealTurns: testing the journey assigns its test
// leads in turn too, but the next real lead still goes to the first
// salesperson.
func TestTestRunsDoNotTakeRealTurns(t *testing.T) {
	t.Parallel()
	b := setup(t, quickTest)
	for _, email := range []string{"ana@example.com", "ben@example.com"} {
		b.api(t, "POST", "/api/v1/users", `{"email":"`+email+`","password":"a long password","role":"editor"}`).must(t, http.StatusCreated)
	}
	b.api(t, "POST", "/api/v1/flows", routingJourney).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/route/publish", "").must(t, 200)
	for _, email := range []string{"t1@example.com", "t2@example.com", "t3@example.com"} {
		b.api(t, "POST", "/api/v1/flows/route/test", `{"body":{"email":"`+email+`"}}`).must(t, 200)
	}
	b.drain(t)
	// The three test leads were assigned in turn: Ana, Ben, Ana.
	var posts struct {
		Messages []struct {
			BodyText string `json:"body_text"`
		}
	}
	b.api(t, "GET", "/api/v1/messages?channel=slack&include_test=true", "").must(t, 200).json(t, &posts)
	owners := map[string]int{}
	for _, m := range posts.Messages {
		owners[strings.Fields(m.BodyText)[3]]++
	}
	if owners["ana@example.com"] != 2 || owners["ben@example.com"] != 1 {
		t.Fatalf("test leads by owner = %v (%+v); want Ana 2, Ben 1", owners, posts.Messages)
	}
	b.request(t, "POST", "/hooks/route", `{"email":"real@example.com"}`).must(t, http.StatusAccepted)
	b.drain(t)
	if c := b.api(t, "GET", "/api/v1/contacts?search=real@", "").must(t, 200); !strings.Contains(c.body, `"email":"ana@example.com"}`) {
		t.Fatalf("the first real lead is not Ana's after three test runs: %s", c.body)
	}
}
