package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// testDataFlow saves a lead from a webhook, then gives it a deal, a task,
// the nurture list, a tag, a note and a (sandboxed) SMS: every kind of
// record a journey makes.
const testDataFlow = `{"id":"lead-test","name":"Lead","nodes":[
 {"id":"hook","type":"trigger.webhook","name":"Chat finished","params":{"path":"lead-test"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","name":"Save the lead","params":{"email":"{{ trigger.email }}","name":"{{ trigger.name }}","phone":"{{ trigger.phone }}","company":"{{ trigger.company }}"},"position":{"x":0,"y":100}},
 {"id":"deal","type":"crm.create_deal","name":"Deal","params":{"title":"Chat lead","stage":"qualified"},"position":{"x":0,"y":200}},
 {"id":"task","type":"crm.create_task","name":"Call back","params":{"title":"Call back"},"position":{"x":0,"y":300}},
 {"id":"note","type":"crm.add_note","name":"Transcript","params":{"body":"hello","source":"chat"},"position":{"x":0,"y":400}},
 {"id":"list","type":"list.add","name":"Nurture","params":{"list":"nurture"},"position":{"x":0,"y":500}},
 {"id":"tag","type":"contact.tag","name":"Tag","params":{"add":["tested"]},"position":{"x":0,"y":600}},
 {"id":"sms","type":"message.sms","name":"Text","params":{"body":"Hi {{ contact.first_name }}"},"position":{"x":0,"y":700}}],
 "edges":[{"from":"hook","to":"save"},{"from":"save","to":"deal"},{"from":"deal","to":"task"},{"from":"task","to":"note"},
 {"from":"note","to":"list"},{"from":"list","to":"tag"},{"from":"tag","to":"sms"}]}`

// A test of a journey with a real customer's email works on a test contact
// of its own: the customer is untouched, the lists and counts leave the
// test's records out, and removing the journey's tests removes them all.
func TestATestRunNeverTouchesRealRecords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	var real string
	err := b.store.Write(t.Context(), func(tx storage.Tx) (err error) {
		real, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ana@example.com", FirstName: "Ana",
			Company: "Real Co", Phone: "+34600111222"}, now)
		if err != nil {
			return err
		}
		if _, err := storage.CreateDeal(tx, "real:deal:1", storage.Deal{ContactID: real, Title: "Real deal", Stage: "won"}, now); err != nil {
			return err
		}
		return storage.AddToList(tx, "", real, "nurture", now)
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	b.api(t, "POST", "/api/v1/flows", testDataFlow).must(t, http.StatusCreated)
	b.startEngine(t)

	var run struct {
		ID        string
		Status    string
		Test      bool
		ContactID string `json:"contact_id"`
	}
	b.api(t, "POST", "/api/v1/flows/lead-test/test",
		`{"email":"ana@example.com","name":"Tess Tester","company":"Test Co","phone":"+34600111222"}`).must(t, http.StatusOK).json(t, &run)
	if run.Status != "completed" || !run.Test || run.ContactID == "" || run.ContactID == real {
		t.Fatalf("test run = %+v; want a completed test run on a contact of its own (the real one is %s)", run, real)
	}

	// The customer is as before.
	realBody := b.api(t, "GET", "/api/v1/contacts/"+real, "").must(t, http.StatusOK).body
	for _, want := range []string{`"first_name":"Ana"`, `"company":"Real Co"`, `"lists":["nurture"]`, `"title":"Real deal"`} {
		if !strings.Contains(realBody, want) {
			t.Errorf("real contact lacks %s: %s", want, realBody)
		}
	}
	for _, unwanted := range []string{"tested", "Test Co", "Tess", "Chat lead", "Call back", `"test":true`} {
		if strings.Contains(realBody, unwanted) {
			t.Errorf("real contact shows %q from the test: %s", unwanted, realBody)
		}
	}
	// The test contact says what it is.
	testBody := b.api(t, "GET", "/api/v1/contacts/"+run.ContactID, "").must(t, http.StatusOK).body
	for _, want := range []string{`"test":true`, `"email":"ana@example.com"`, `"company":"Test Co"`, `"tags":["tested"]`, `"title":"Chat lead"`} {
		if !strings.Contains(testBody, want) {
			t.Errorf("test contact lacks %s: %s", want, testBody)
		}
	}

	realOnly := func(when string) {
		t.Helper()
		for url, want := range map[string]string{
			"/api/v1/contacts":              `"total":1`,
			"/api/v1/deals":                 `"total":1`,
			"/api/v1/tasks":                 `"total":0`,
			"/api/v1/lists/nurture/members": `"total":1`,
			"/api/v1/messages":              `"total":0`,
			"/api/v1/lists":                 `"members":1`,
		} {
			body := b.api(t, "GET", url, "").must(t, http.StatusOK).body
			if !strings.Contains(body, want) || strings.Contains(body, run.ContactID) {
				t.Errorf("%s: GET %s = %s; want %s and no test records", when, url, body, want)
			}
		}
		export := b.api(t, "GET", "/api/v1/contacts/"+real+"/export", "").must(t, http.StatusOK).body
		if strings.Contains(export, "Chat lead") || strings.Contains(export, "Hi Tess") || strings.Contains(export, `"test":true`) {
			t.Errorf("%s: the real contact's export holds test records: %s", when, export)
		}
	}
	realOnly("after the test")
	inbox := b.api(t, "GET", "/api/v1/messages?include_test=true", "").must(t, http.StatusOK).body
	if !strings.Contains(inbox, `"total":1`) || !strings.Contains(inbox, `"test":true`) || !strings.Contains(inbox, "Hi Tess") {
		t.Fatalf("inbox with test messages: %s", inbox)
	}

	var removed struct {
		RemovedRuns int `json:"removed_runs"`
	}
	b.api(t, "DELETE", "/api/v1/flows/lead-test/tests", "").must(t, http.StatusOK).json(t, &removed)
	if removed.RemovedRuns != 1 {
		t.Fatalf("removed %d test runs, want 1", removed.RemovedRuns)
	}
	b.api(t, "GET", "/api/v1/contacts/"+run.ContactID, "").must(t, http.StatusNotFound)
	b.api(t, "GET", "/api/v1/runs/"+run.ID, "").must(t, http.StatusNotFound)
	for _, m := range []any{&storage.Contact{}, &storage.ContactTag{}, &storage.ListMember{}, &storage.Deal{},
		&storage.Task{}, &storage.Note{}, &storage.Event{}, &storage.Message{}} {
		var n int64
		if err := storagetest.Count(b.store.Reader(), &n, m, "test = ?", true); err != nil || n != 0 {
			t.Errorf("%T: %d test rows left (%v)", m, n, err)
		}
	}
	realOnly("after removing the tests")
	if got := b.api(t, "GET", "/api/v1/contacts/"+real, "").must(t, http.StatusOK).body; got != realBody {
		t.Errorf("real contact changed by the cleanup:\n%s\nwas\n%s", got, realBody)
	}
	b.api(t, "DELETE", "/api/v1/flows/lead-test/tests", "").must(t, http.StatusOK).json(t, &removed)
	if removed.RemovedRuns != 0 {
		t.Fatalf("second removal: %d runs, want 0", removed.RemovedRuns)
	}
	b.api(t, "DELETE", "/api/v1/flows/nope/tests", "").must(t, http.StatusNotFound)
}
