package channels_test

import (
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/bitrix24"
	"github.com/journeyhq/journey/nodes/connectors/zendesksell"
	"github.com/journeyhq/journey/storage"
)

// A journey's upsert → deal → note reaches Zendesk Sell with the id of the
// contact the upsert returned; the token stays out of the run.
func TestCRMStepsWriteToZendeskSell(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor stub is on loopback
	api := &recorder{answers: map[string]answer{
		"POST /v2/contacts/upsert": {200, `{"data":{"id":2002,"created_at":"2026-03-02T13:15:30Z","updated_at":"2026-03-02T13:15:30Z"},"meta":{"type":"contact"}}`, nil},
		"POST /v2/deals":           {200, `{"data":{"id":3003,"value":"1200.00"},"meta":{"type":"deal"}}`, nil},
		"POST /v2/notes":           {200, `{"data":{"id":5005},"meta":{"type":"note"}}`, nil},
		"GET /v2/users/self":       {200, `{"data":{"id":7,"name":"Maria","email":"maria@example.com"},"meta":{"type":"user"}}`, nil},
	}}
	srv := api.serve(t)
	sell := b.credential(t, "Sell", zendesksell.Kind, map[string]any{"access_token": "sell-SECRET", "base_url": srv.URL})

	res, err := b.svc.TestCredential(b.ctx, sell)
	if err != nil || !res.OK || len(api.find("GET", "/v2/users/self")) != 1 {
		t.Fatalf("test the credential = %+v, %v", res, err)
	}
	run, steps := b.runChain(t,
		flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "first_name": "{{ event.data.first_name }}",
			"last_name": "Lima", "fields": map[string]any{"Plan": `"pro"`}, "target": sell}},
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"title": "Chat lead", "value": "1200", "currency": "EUR", "owner": "7", "target": sell}},
		flowNode{"note", nodes.TypeAddNote, map[string]any{"body": "Customer: hi\nAgent: hello", "source": "chatbot", "target": sell}},
	)
	if run.Status != storage.RunCompleted {
		t.Fatalf("run %s; steps %+v", run.Status, steps)
	}
	ups := api.find("POST", "/v2/contacts/upsert")
	if len(ups) != 1 || ups[0].query != "email=ana%40example.com" || ups[0].header.Get("Authorization") != "Bearer sell-SECRET" {
		t.Fatalf("upsert calls = %+v", ups)
	}
	data, _ := ups[0].body["data"].(map[string]any)
	if cf, _ := data["custom_fields"].(map[string]any); data["first_name"] != "Ana" || data["last_name"] != "Lima" || cf["Plan"] != "pro" {
		t.Fatalf("upsert data = %v", data)
	}
	deals := api.find("POST", "/v2/deals")
	if len(deals) != 1 || !strings.HasPrefix(deals[0].header.Get("Idempotency-Key"), run.ID+":deal:") {
		t.Fatalf("deals %+v", deals)
	}
	deal, _ := deals[0].body["data"].(map[string]any)
	if deal["contact_id"] != 2002.0 || deal["value"] != 1200.0 || deal["currency"] != "EUR" || deal["owner_id"] != 7.0 || deal["name"] != "Chat lead" {
		t.Fatalf("the deal was not created for Sell contact 2002: %v", deal)
	}
	notes := api.find("POST", "/v2/notes")
	if len(notes) != 1 {
		t.Fatalf("%d notes", len(notes))
	}
	note, _ := notes[0].body["data"].(map[string]any)
	if note["resource_type"] != "contact" || note["resource_id"] != 2002.0 || note["content"] != "Customer: hi\nAgent: hello\n\nSource: chatbot" {
		t.Fatalf("note = %v", note)
	}
	if !strings.Contains(steps["deal"].Output, `"deal_id":"3003"`) || !strings.Contains(steps["save"].Output, `"contact_id":"2002"`) {
		t.Fatalf("outputs: save %s, deal %s", steps["save"].Output, steps["deal"].Output)
	}
	for _, s := range steps {
		if strings.Contains(s.Input+s.Output+s.Error, "sell-SECRET") {
			t.Fatalf("the token shows in step %s", s.NodeID)
		}
	}
}

// Saved as a lead, the person's note and task go to the lead; a deal,
// which Sell keeps on contacts only, fails at once with the reason.
func TestZendeskSellLeadKeepsItsNotesAndRefusesADeal(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor stub is on loopback
	api := &recorder{answers: map[string]answer{
		"GET /v2/leads":  {200, `{"items":[],"meta":{"type":"collection","count":0}}`, nil},
		"POST /v2/leads": {200, `{"data":{"id":1001},"meta":{"type":"lead"}}`, nil},
		"POST /v2/notes": {200, `{"data":{"id":5005},"meta":{"type":"note"}}`, nil},
		"POST /v2/tasks": {200, `{"data":{"id":4004},"meta":{"type":"task"}}`, nil},
	}}
	srv := api.serve(t)
	sell := b.credential(t, "Sell", zendesksell.Kind, map[string]any{"access_token": "sell-x", "base_url": srv.URL})
	run, steps := b.runChain(t,
		flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "company": "Lima Ltda", "save_as": "lead", "target": sell}},
		flowNode{"note", nodes.TypeAddNote, map[string]any{"body": "Transcript", "target": sell}},
		flowNode{"task", nodes.TypeCreateTask, map[string]any{"title": "Call back", "due_in": "1d", "target": sell}},
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"title": "Quote", "target": sell}},
	)
	if run.Status != storage.RunFailed || steps["deal"].Status != "failed" || !strings.Contains(steps["deal"].Error, "save them as a contact") {
		t.Fatalf("run %s, deal step %+v", run.Status, steps["deal"])
	}
	if !strings.Contains(steps["save"].Output, `"contact_id":"lead:1001"`) {
		t.Fatalf("save output %s", steps["save"].Output)
	}
	notes, tasks := api.find("POST", "/v2/notes"), api.find("POST", "/v2/tasks")
	if len(notes) != 1 || len(tasks) != 1 {
		t.Fatalf("%d notes, %d tasks", len(notes), len(tasks))
	}
	for _, c := range []call{notes[0], tasks[0]} {
		d, _ := c.body["data"].(map[string]any)
		if d["resource_type"] != "lead" || d["resource_id"] != 1001.0 {
			t.Fatalf("%s %s went to %v", c.method, c.path, d)
		}
	}
	if n := len(api.find("POST", "/v2/deals")); n != 0 {
		t.Fatalf("%d deal calls, want none", n)
	}
}

// A journey's upsert → deal → note reaches Bitrix24 with the id of the
// contact found or added; the webhook URL, which holds its secret, shows
// neither in the credential nor in the run.
func TestCRMStepsWriteToBitrix24(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor stub is on loopback
	const hook = "/rest/1/s3cr3tc0de42/"
	api := &recorder{answers: map[string]answer{
		"POST " + hook + "profile.json":                  {200, `{"result":{"ID":"1","NAME":"Maria"},"time":{}}`, nil},
		"POST " + hook + "crm.duplicate.findbycomm.json": {200, `{"result":[],"time":{}}`, nil},
		"POST " + hook + "crm.contact.add.json":          {200, `{"result":46,"time":{}}`, nil},
		"POST " + hook + "crm.deal.add.json":             {200, `{"result":3465,"time":{}}`, nil},
		"POST " + hook + "crm.timeline.comment.add.json": {200, `{"result":777,"time":{}}`, nil},
	}}
	srv := api.serve(t)
	cred := b.credential(t, "Portal", bitrix24.Kind, map[string]any{"webhook_url": srv.URL + hook})
	view, err := b.svc.GetCredential(b.ctx, cred)
	if err != nil || len(view.Fields) != 0 || len(view.SecretsSet) != 1 || view.SecretsSet[0] != "webhook_url" {
		t.Fatalf("credential view = %+v, %v (the URL is a secret)", view, err)
	}
	res, err := b.svc.TestCredential(b.ctx, cred)
	if err != nil || !res.OK || len(api.find("POST", hook+"profile.json")) != 1 {
		t.Fatalf("test the credential = %+v, %v", res, err)
	}
	run, steps := b.runChain(t,
		flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "first_name": "{{ event.data.first_name }}",
			"phone": "+34 612 34 56 78", "fields": map[string]any{"UF_CRM_PLAN": `"pro"`}, "target": cred}},
		flowNode{"deal", nodes.TypeCreateDeal, map[string]any{"title": "Chat lead", "value": "1200", "currency": "EUR", "target": cred}},
		flowNode{"note", nodes.TypeAddNote, map[string]any{"body": "Customer: hi\nAgent: hello", "source": "chatbot", "target": cred}},
	)
	if run.Status != storage.RunCompleted {
		t.Fatalf("run %s; steps %+v", run.Status, steps)
	}
	finds := api.find("POST", hook+"crm.duplicate.findbycomm.json")
	adds := api.find("POST", hook+"crm.contact.add.json")
	// One search by the connection test, one by the upsert.
	if len(finds) != 2 || len(adds) != 1 || !strings.Contains(finds[1].raw, `"values":["ana@example.com"]`) {
		t.Fatalf("searches %+v, adds %+v", finds, adds)
	}
	if f, _ := adds[0].body["fields"].(map[string]any); f["NAME"] != "Ana" || f["UF_CRM_PLAN"] != "pro" ||
		!strings.Contains(adds[0].raw, `"PHONE":[{"VALUE":"+34612345678","VALUE_TYPE":"WORK"}]`) {
		t.Fatalf("contact add = %s", adds[0].raw)
	}
	deals := api.find("POST", hook+"crm.deal.add.json")
	if len(deals) != 1 || !strings.Contains(deals[0].raw, `"CONTACT_IDS":[46]`) || !strings.Contains(deals[0].raw, `"OPPORTUNITY":1200`) ||
		!strings.HasPrefix(deals[0].header.Get("Idempotency-Key"), run.ID+":deal:") {
		t.Fatalf("the deal was not created for Bitrix24 contact 46: %+v", deals)
	}
	notes := api.find("POST", hook+"crm.timeline.comment.add.json")
	if len(notes) != 1 || !strings.Contains(notes[0].raw, `"ENTITY_ID":46`) || !strings.Contains(notes[0].raw, `"ENTITY_TYPE":"contact"`) ||
		!strings.Contains(notes[0].raw, `"COMMENT":"Customer: hi\nAgent: hello\n\nSource: chatbot"`) {
		t.Fatalf("comments %+v", notes)
	}
	if !strings.Contains(steps["note"].Output, `"note_id":"777"`) || !strings.Contains(steps["save"].Output, `"contact_id":"46"`) {
		t.Fatalf("note output %s", steps["note"].Output)
	}
	for _, s := range steps {
		if strings.Contains(s.Input+s.Output+s.Error, "s3cr3tc0de42") {
			t.Fatalf("the webhook code shows in step %s", s.NodeID)
		}
	}
}

// Bitrix24's request limit, even when reported with 200, is retried
// later; a refusal fails the step with the reason, not the URL.
func TestBitrix24LimitIsRetriedAndRefusalIsNot(t *testing.T) {
	t.Parallel()
	b := setupAccounts(t, true) // the vendor stub is on loopback
	const hook = "/rest/1/s3cr3tc0de42/"
	api := &recorder{answers: map[string]answer{
		"POST " + hook + "crm.duplicate.findbycomm.json": {200, `{"result":{"CONTACT":[46]},"time":{}}`, nil},
		"POST " + hook + "crm.contact.update.json":       {200, `{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`, nil},
	}}
	srv := api.serve(t)
	cred := b.credential(t, "Portal", bitrix24.Kind, map[string]any{"webhook_url": srv.URL + hook})
	run, steps := b.runChain(t, flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "first_name": "Ana", "target": cred}})
	if run.Status == storage.RunCompleted || run.Status == storage.RunFailed || steps["save"].Status != "retrying" ||
		!strings.Contains(steps["save"].Error, "QUERY_LIMIT_EXCEEDED") {
		t.Fatalf("run %s, step %+v; want a retry", run.Status, steps["save"])
	}

	b2 := setupAccounts(t, true)
	denied := answer{401, `{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}`, nil}
	api2 := &recorder{answers: map[string]answer{
		"POST " + hook + "profile.json":                  denied,
		"POST " + hook + "crm.duplicate.findbycomm.json": denied,
	}}
	srv2 := api2.serve(t)
	cred2 := b2.credential(t, "Portal", bitrix24.Kind, map[string]any{"webhook_url": srv2.URL + hook})
	res, err := b2.svc.TestCredential(b2.ctx, cred2)
	if err != nil || res.OK || !strings.Contains(res.Message, "Wrong authorization data") || strings.Contains(res.Message, "s3cr3tc0de42") {
		t.Fatalf("test = %+v, %v", res, err)
	}
	run, steps = b2.runChain(t, flowNode{"save", nodes.TypeUpsertContact, map[string]any{"email": "{{ contact.email }}", "target": cred2}})
	if run.Status != storage.RunFailed || steps["save"].Attempt != 1 || !strings.Contains(steps["save"].Error, "Wrong authorization data") ||
		strings.Contains(steps["save"].Error, "s3cr3tc0de42") {
		t.Fatalf("run %s, step %+v; want failed at once without the URL", run.Status, steps["save"])
	}
}
