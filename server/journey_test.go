package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestChatLeadQualification runs the shipped chat lead journey end to end
// through HTTP: import and publish the template, send two finished chats,
// run the workers, and see the deal, task, note and list membership.
func TestChatLeadQualification(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "chat-lead-qualification")
	res := b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	// Published although no Slack account is chosen: the post to sales
	// stays in the sandbox outbox.
	if !strings.Contains(res.body, `"version":1`) || !strings.Contains(res.body, `"sandbox_steps":["notify_sales"]`) {
		t.Fatalf("import: %s", res.body)
	}

	hot := `{"email":"Ada@Example.com","name":"Ada Lovelace","phone":"+44 20 7946 0958","company":"Analytical Engines",
		"transcript":"Ada: we need a demo for 40 seats this week.","score":80}`
	cold := `{"email":"bob@example.com","name":"Bob Jones","company":"Tiny","transcript":"Bob: just looking.","score":20}`
	for _, body := range []string{hot, cold} {
		res := b.request(t, "POST", "/hooks/chat-finished", body).must(t, http.StatusAccepted)
		var hook struct{ Runs []string }
		res.json(t, &hook)
		if len(hook.Runs) != 1 {
			t.Fatalf("hook started %d runs, want 1: %s", len(hook.Runs), res.body)
		}
	}
	b.drain(t)

	var runs struct {
		Runs []struct {
			ID, Status, Error string
			ContactID         *string `json:"contact_id"`
		}
		Total int
	}
	b.api(t, "GET", "/api/v1/runs?flow=chat-lead-qualification", "").must(t, 200).json(t, &runs)
	if runs.Total != 2 {
		t.Fatalf("runs total %d, want 2", runs.Total)
	}
	for _, r := range runs.Runs {
		if r.Status != "completed" {
			t.Fatalf("run %s is %s (%s), want completed", r.ID, r.Status, r.Error)
		}
	}

	var contacts struct {
		Contacts []struct {
			ID    string
			Email string
			Lists []string
		}
	}
	b.api(t, "GET", "/api/v1/contacts?search=ada", "").must(t, 200).json(t, &contacts)
	if len(contacts.Contacts) != 1 || contacts.Contacts[0].Email != "ada@example.com" {
		t.Fatalf("contacts matching ada: %+v", contacts.Contacts)
	}
	ada := contacts.Contacts[0].ID

	deals := b.api(t, "GET", "/api/v1/deals?stage=qualified", "").must(t, 200)
	for _, want := range []string{`"total":1`, `"contact_id":"` + ada + `"`, `"title":"Chat lead: Ada Lovelace"`} {
		if !strings.Contains(deals.body, want) {
			t.Errorf("deals lack %s: %s", want, deals.body)
		}
	}
	tasks := b.api(t, "GET", "/api/v1/tasks?contact="+ada+"&done=false", "").must(t, 200)
	if !strings.Contains(tasks.body, `"title":"Call back within 1 hour"`) || !strings.Contains(tasks.body, `"total":1`) {
		t.Errorf("tasks: %s", tasks.body)
	}
	members := b.api(t, "GET", "/api/v1/lists/nurture/members", "").must(t, 200)
	if !strings.Contains(members.body, "bob@example.com") || strings.Contains(members.body, "ada@example.com") {
		t.Errorf("nurture members: %s", members.body)
	}
	if all := b.api(t, "GET", "/api/v1/tasks", "").must(t, 200); !strings.Contains(all.body, `"total":1`) {
		t.Errorf("only the hot lead gets a task: %s", all.body)
	}

	var profile struct {
		Contact struct {
			Email     string
			FirstName string `json:"first_name"`
			Company   string
		}
		Deals    []struct{ Stage string }
		Tasks    []struct{ Title string }
		Notes    []struct{ Body string }
		Timeline []struct {
			Kind string
			Run  *struct{ Status string }
		}
	}
	b.api(t, "GET", "/api/v1/contacts/"+ada, "").must(t, 200).json(t, &profile)
	if profile.Contact.FirstName != "Ada" || profile.Contact.Company != "Analytical Engines" {
		t.Errorf("contact: %+v", profile.Contact)
	}
	if len(profile.Deals) != 1 || profile.Deals[0].Stage != "qualified" {
		t.Errorf("deals: %+v", profile.Deals)
	}
	if len(profile.Tasks) != 1 {
		t.Errorf("tasks: %+v", profile.Tasks)
	}
	if len(profile.Notes) != 1 || !strings.Contains(profile.Notes[0].Body, "demo for 40 seats") {
		t.Errorf("notes: %+v", profile.Notes)
	}
	if len(profile.Timeline) != 1 || profile.Timeline[0].Kind != "run" || profile.Timeline[0].Run.Status != "completed" {
		t.Errorf("timeline: %+v", profile.Timeline)
	}

	// The run detail shows each step with its input and output as objects.
	var detail struct {
		Status  string
		Trigger map[string]any
		Steps   []struct {
			NodeID string `json:"node_id"`
			Status string
			Port   string
			Input  json.RawMessage
			Output json.RawMessage
		}
	}
	var adaRun string
	for _, r := range runs.Runs {
		if r.ContactID != nil && *r.ContactID == ada {
			adaRun = r.ID
		}
	}
	if adaRun == "" {
		t.Fatalf("no run is linked to ada: %+v", runs.Runs)
	}
	b.api(t, "GET", "/api/v1/runs/"+adaRun, "").must(t, 200).json(t, &detail)
	if detail.Trigger["score"] != float64(80) {
		t.Errorf("trigger: %v", detail.Trigger)
	}
	var path []string
	for _, st := range detail.Steps {
		path = append(path, st.NodeID+":"+st.Port)
		if len(st.Output) > 0 && st.Output[0] == '"' {
			t.Errorf("step %s output is a string, want JSON: %s", st.NodeID, st.Output)
		}
	}
	want := "chat_finished:out save_lead:out save_transcript:out is_hot:yes create_deal:out call_back:out notify_sales:out"
	if got := strings.Join(path, " "); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}

	// The Slack post for Ada is in the outbox, kept in the sandbox; Bob's
	// chat posted nothing.
	var outbox struct {
		Messages []struct {
			ID, Channel, Provider, Status, To, Reason string
			BodyText                                  string `json:"body_text"`
			RunID                                     string `json:"run_id"`
		}
		Total int
	}
	b.api(t, "GET", "/api/v1/messages?channel=slack", "").must(t, 200).json(t, &outbox)
	if outbox.Total != 1 || len(outbox.Messages) != 1 {
		t.Fatalf("slack messages: %+v, want one", outbox)
	}
	post := outbox.Messages[0]
	if post.Provider != "sandbox" || post.Status != "sandboxed" || post.To != "#sales" || post.RunID != adaRun ||
		post.BodyText != "New hot lead from the chat: Ada Lovelace (ada@example.com), Analytical Engines, score 80. A deal and a call-back task are ready." {
		t.Errorf("the Slack post: %+v", post)
	}
	if !strings.Contains(post.Reason, "nothing was sent") {
		t.Errorf("the post's reason %q does not say nothing was sent", post.Reason)
	}
	refused := b.api(t, "POST", "/api/v1/messages/"+post.ID+"/simulate", `{"event":"delivered"}`).must(t, http.StatusBadRequest)
	if !strings.Contains(refused.body, "nothing to simulate") {
		t.Errorf("simulating a Slack post: %s", refused.body)
	}
}

// TestEventDeduplication posts one event twice with the same id.
func TestEventDeduplication(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := `{"id":"order-42","type":"cart.abandoned","contact":{"email":"eve@example.com"},"data":{"total":99.5}}`
	var first, second struct {
		EventID   string `json:"event_id"`
		ContactID string `json:"contact_id"`
		Duplicate bool
	}
	b.api(t, "POST", "/api/v1/events", body).must(t, http.StatusAccepted).json(t, &first)
	b.api(t, "POST", "/api/v1/events", body).must(t, http.StatusAccepted).json(t, &second)
	if first.Duplicate || !second.Duplicate {
		t.Fatalf("duplicate flags %v, %v; want false, true", first.Duplicate, second.Duplicate)
	}
	if first.EventID != second.EventID || first.ContactID != second.ContactID {
		t.Fatalf("the duplicate names another event: %+v vs %+v", first, second)
	}
	var profile struct {
		Timeline []struct {
			Kind  string
			Event *struct {
				Type string
				Data map[string]any
			}
		}
	}
	b.api(t, "GET", "/api/v1/contacts/"+first.ContactID, "").must(t, 200).json(t, &profile)
	if len(profile.Timeline) != 1 || profile.Timeline[0].Event == nil || profile.Timeline[0].Event.Type != "cart.abandoned" {
		t.Fatalf("timeline %+v, want the one event", profile.Timeline)
	}
	if profile.Timeline[0].Event.Data["total"] != 99.5 {
		t.Errorf("event data %v", profile.Timeline[0].Event.Data)
	}
}

// TestFlowLifecycle walks a flow from draft to deletion.
func TestFlowLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows", helloFlow).must(t, http.StatusCreated)
	edited := strings.Replace(helloFlow, `"list":"greeted"`, `"list":"welcomed"`, 1)
	b.api(t, "PUT", "/api/v1/flows/hello", edited).must(t, http.StatusOK)
	if got := b.api(t, "GET", "/api/v1/flows/hello", "").must(t, 200); !strings.Contains(got.body, "welcomed") {
		t.Fatalf("the draft was not replaced: %s", got.body)
	}
	b.api(t, "POST", "/api/v1/flows/hello/publish", "").must(t, 200)
	if got := b.api(t, "POST", "/api/v1/flows/hello/publish", "").must(t, 200); !strings.Contains(got.body, `"version":2`) {
		t.Fatalf("second publish: %s", got.body)
	}
	b.request(t, "POST", "/hooks/hello", `{"email":"x@example.com"}`).must(t, http.StatusAccepted)
	b.api(t, "POST", "/api/v1/flows/hello/pause", "").must(t, 200)
	b.request(t, "POST", "/hooks/hello", `{}`).must(t, http.StatusNotFound)
	b.api(t, "POST", "/api/v1/flows/hello/pause", "").must(t, http.StatusConflict)
	list := b.api(t, "GET", "/api/v1/flows", "").must(t, 200)
	if !strings.Contains(list.body, `"status":"paused"`) || !strings.Contains(list.body, `"runs_today_total":1`) {
		t.Fatalf("flows: %s", list.body)
	}
	b.api(t, "DELETE", "/api/v1/flows/hello", "").must(t, http.StatusNoContent)
	b.api(t, "GET", "/api/v1/flows/hello", "").must(t, http.StatusNotFound)
}

// waitingFlow waits a day after its webhook, then adds to a list.
const waitingFlow = `{"id":"later","name":"Later","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"later"},"position":{"x":0,"y":0}},
 {"id":"pause","type":"wait.delay","params":{"duration":"1d"},"position":{"x":0,"y":100}},
 {"id":"greet","type":"list.add","params":{"list":"greeted"},"position":{"x":0,"y":200}}],
 "edges":[{"from":"start","to":"pause"},{"from":"pause","to":"greet"}]}`

// TestRunCancelAndRetry cancels a run in flight and refuses what is not
// possible with 409.
func TestRunCancelAndRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(waitingFlow, "later")(t, b)
	var hook struct{ Runs []string }
	b.request(t, "POST", "/hooks/later", `{}`).must(t, http.StatusAccepted).json(t, &hook)
	id := hook.Runs[0]
	b.api(t, "POST", "/api/v1/runs/"+id+"/retry", "").must(t, http.StatusConflict)
	got := b.api(t, "POST", "/api/v1/runs/"+id+"/cancel", "").must(t, http.StatusOK)
	if !strings.Contains(got.body, `"status":"cancelled"`) {
		t.Fatalf("cancel: %s", got.body)
	}
	b.api(t, "POST", "/api/v1/runs/"+id+"/cancel", "").must(t, http.StatusConflict)
}

// TestFlowTestRun runs the draft with a sample payload and waits for it.
func TestFlowTestRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows", templateJSON(t, "chat-lead-qualification")).must(t, http.StatusCreated)
	b.startEngine(t)
	res := b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test",
		`{"email":"tess@example.com","name":"Tess Tester","transcript":"hello","score":10}`).must(t, 200)
	var run struct {
		Status string
		Test   bool
		Steps  []struct {
			NodeID string `json:"node_id"`
		}
	}
	res.json(t, &run)
	if run.Status != "completed" || !run.Test || len(run.Steps) != 5 {
		t.Fatalf("test run: %s", res.body)
	}
	b.api(t, "POST", "/api/v1/flows/nope/test", `{}`).must(t, http.StatusNotFound)
	// A webhook journey reads the sample as a real request's body: one
	// that is not JSON is refused as a real request would be.
	b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test", `{"email":`).must(t, http.StatusBadRequest)
}
