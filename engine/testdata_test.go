package engine_test

import (
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// leadTestFlow saves a lead from a webhook and gives it a deal, a task,
// the nurture list, a tag and a sandboxed SMS.
const leadTestFlow = `{"id":"lead-test","name":"Lead","nodes":[
 {"id":"hook","type":"trigger.webhook","name":"Chat finished","params":{"path":"lead-test"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","name":"Save the lead","params":{"email":"{{ trigger.email }}","name":"{{ trigger.name }}","phone":"{{ trigger.phone }}"},"position":{"x":0,"y":100}},
 {"id":"deal","type":"crm.create_deal","name":"Deal","params":{"title":"Chat lead","stage":"qualified"},"position":{"x":0,"y":200}},
 {"id":"task","type":"crm.create_task","name":"Call back","params":{"title":"Call back"},"position":{"x":0,"y":300}},
 {"id":"list","type":"list.add","name":"Nurture","params":{"list":"nurture"},"position":{"x":0,"y":400}},
 {"id":"tag","type":"contact.tag","name":"Tag","params":{"add":["tested"]},"position":{"x":0,"y":500}},
 {"id":"sms","type":"message.sms","name":"Text","params":{"body":"Hi {{ contact.first_name }}"},"position":{"x":0,"y":600}}],
 "edges":[{"from":"hook","to":"save"},{"from":"save","to":"deal"},{"from":"deal","to":"task"},{"from":"task","to":"list"},
 {"from":"list","to":"tag"},{"from":"tag","to":"sms"}]}`

// chatFollowUp is a published journey that a chat.finished event starts.
const chatFollowUp = `{"id":"chat-follow-up","name":"Follow up","nodes":[
 {"id":"chat","type":"trigger.event","name":"Chat finished","params":{"event_type":"chat.finished"},"position":{"x":0,"y":0}},
 {"id":"tag","type":"contact.tag","name":"Tag","params":{"add":["followed-up"]},"position":{"x":0,"y":100}}],
 "edges":[{"from":"chat","to":"tag"}]}`

// A test run with a real contact's email works on a test contact: the
// real contact gets nothing, the test contact's events start no published
// journey, and the sweeper removes the test's records after a day.
func TestATestRunWorksOnATestContactAndIsSweptAfterADay(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		b.publish(t, chatFollowUp)
		real := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ana@example.com"}}).ContactID
		f, err := flows.Decode([]byte(leadTestFlow))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.eng.SaveDraft(b.ctx, f, engine.DraftOptions{Create: true}); err != nil {
			t.Fatal(err)
		}
		runID, err := b.eng.TestRun(b.ctx, "lead-test", map[string]any{"email": "ana@example.com", "name": "Tess Tester", "phone": "+34600111222"})
		if err != nil {
			t.Fatal(err)
		}
		b.drain(t)
		run := b.run(t, runID)
		if run.Status != storage.RunCompleted || run.ContactID == nil || *run.ContactID == real {
			t.Fatalf("test run: status %s, contact %v (real contact %s); want completed on a test contact", run.Status, run.ContactID, real)
		}
		test := *run.ContactID
		for _, m := range []any{&storage.Deal{}, &storage.Task{}, &storage.ListMember{}, &storage.ContactTag{}, &storage.Message{}} {
			if n := b.count(t, m, "contact_id = ?", real); n != 0 {
				t.Errorf("%T: the real contact got %d rows from the test", m, n)
			}
			if n := b.count(t, m, "contact_id = ? AND test = ?", test, true); n != 1 {
				t.Errorf("%T: the test contact has %d test rows, want 1", m, n)
			}
		}
		c, err := storage.GetContact(b.store.Reader(), real)
		if err != nil || c.FirstName != "" || c.Phone != nil || c.Test {
			t.Fatalf("real contact after the test = %+v, %v; want it untouched", c, err)
		}

		// A test contact's event moves nothing but its own test runs.
		if res := b.event(t, engine.EventInput{Type: "chat.finished", Contact: storage.ContactRef{ID: test}}); len(res.Started) != 0 {
			t.Fatalf("a test contact's event started %v", res.Started)
		}
		if res := b.event(t, engine.EventInput{Type: "chat.finished", Contact: storage.ContactRef{Email: "ana@example.com"}}); len(res.Started) != 1 {
			t.Fatalf("the real contact's event started %v, want the follow-up", res.Started)
		}
		b.drain(t)
		if n := b.count(t, &storage.Event{}, "contact_id = ? AND test = ? AND type = ?", test, true, "chat.finished"); n != 1 {
			t.Fatalf("the test contact's event: %d marked test, want 1", n)
		}

		sw, err := engine.NewSweeper(engine.SweeperConfig{Store: b.store, Clock: b.clock}) // runs kept forever
		if err != nil {
			t.Fatal(err)
		}
		if res, err := sw.RunOnce(b.ctx); err != nil || res.TestRuns+res.TestContacts+res.Runs != 0 {
			t.Fatalf("sweep before a day: %+v, %v; want nothing removed", res, err)
		}
		b.clock.Advance(engine.TestDataAge + time.Minute)
		res, err := sw.RunOnce(b.ctx)
		if err != nil || res.TestRuns != 1 || res.Runs != 0 {
			t.Fatalf("sweep after a day: %+v, %v; want the test run only", res, err)
		}
		for _, m := range []any{&storage.Contact{}, &storage.Deal{}, &storage.Task{}, &storage.ListMember{},
			&storage.ContactTag{}, &storage.Message{}, &storage.Event{}, &storage.Run{}} {
			if n := b.count(t, m, "test = ?", true); n != 0 {
				t.Errorf("%T: %d test rows left after the sweep", m, n)
			}
		}
		if n := b.count(t, &storage.Run{}, "contact_id = ?", real); n != 1 {
			t.Errorf("the real contact's run: %d left, want 1", n)
		}
		if n := b.count(t, &storage.ContactTag{}, "contact_id = ? AND tag = ?", real, "followed-up"); n != 1 {
			t.Errorf("the real contact's tag: %d left, want 1", n)
		}
	})
}
