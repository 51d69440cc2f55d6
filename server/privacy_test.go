package server_test

import (
	"net/http"
	"strings"
	"testing"
)

const upsertFlow = `{"id":"lead","name":"Lead","nodes":[
 {"id":"start","type":"trigger.webhook","params":{"path":"lead"},"position":{"x":0,"y":0}},
 {"id":"save","type":"crm.upsert_contact","name":"Save the lead","params":{"email":"{{ trigger.email }}"},"position":{"x":0,"y":100}}],
 "edges":[{"from":"start","to":"save"}]}`

func TestEraseExportAndReconsent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, contact := sandboxMessage(t, b) // ana@example.com, +34600111222, one sandboxed SMS

	// The export holds the runs with their steps, and the messages.
	res := b.api(t, "GET", "/api/v1/contacts/"+contact+"/export", "").must(t, http.StatusOK)
	var export struct {
		Runs []struct {
			ID    string
			Steps []struct {
				NodeID string `json:"node_id"`
			}
		}
		Messages []struct {
			To string
		}
	}
	res.json(t, &export)
	if len(export.Runs) != 1 || len(export.Runs[0].Steps) == 0 || len(export.Messages) != 1 || export.Messages[0].To != "+34600111222" {
		t.Fatalf("export lacks runs with steps or messages: %s", res.body)
	}
	runID := export.Runs[0].ID

	b.api(t, "DELETE", "/api/v1/contacts/"+contact, "").must(t, http.StatusNoContent)
	b.api(t, "GET", "/api/v1/contacts/"+contact+"/export", "").must(t, http.StatusNotFound)
	res = b.api(t, "GET", "/api/v1/runs/"+runID, "").must(t, http.StatusOK)
	for _, personal := range []string{"ana@example.com", "+34600111222", "See you tomorrow"} {
		if strings.Contains(res.body, personal) {
			t.Errorf("the run still shows %q after the erase: %s", personal, res.body)
		}
	}
	res = b.api(t, "GET", "/api/v1/messages", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"total":0`) {
		t.Fatalf("messages after the erase: %s", res.body)
	}
	res = b.api(t, "GET", "/api/v1/suppressions", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"total":2`) || strings.Contains(res.body, "ana@") || strings.Contains(res.body, "+34600") {
		t.Fatalf("suppression list: %s", res.body)
	}

	// Neither an event nor a journey brings the contact back.
	event := `{"type":"booked","contact":{"email":"Ana@example.com"}}`
	res = b.api(t, "POST", "/api/v1/events", event).must(t, http.StatusConflict)
	if !strings.Contains(res.body, "erased") || !strings.Contains(res.body, "/api/v1/suppressions/lift") {
		t.Fatalf("event for an erased email: %s", res.body)
	}
	b.api(t, "POST", "/api/v1/flows", upsertFlow).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/lead/publish", "").must(t, http.StatusOK)
	res = b.request(t, "POST", "/hooks/lead", `{"email":"ana@example.com"}`).must(t, http.StatusAccepted)
	b.drain(t)
	var hook struct{ Runs []string }
	res.json(t, &hook)
	res = b.api(t, "GET", "/api/v1/runs/"+hook.Runs[0], "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"failed"`) || strings.Count(res.body, `"node_id":"save"`) != 1 {
		t.Fatalf("the upsert of an erased email must fail once, without retries: %s", res.body)
	}
	if res = b.api(t, "GET", "/api/v1/contacts", "").must(t, http.StatusOK); !strings.Contains(res.body, `"total":0`) {
		t.Fatalf("contacts after the erase: %s", res.body)
	}

	// Re-consent.
	b.api(t, "POST", "/api/v1/suppressions/lift", `{}`).must(t, http.StatusBadRequest)
	res = b.api(t, "POST", "/api/v1/suppressions/lift", `{"email":"ana@example.com","phone":"+34600111222"}`).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"lifted":2`) {
		t.Fatalf("lift: %s", res.body)
	}
	b.api(t, "POST", "/api/v1/events", event).must(t, http.StatusAccepted)
}
