package server_test

import (
	"net/http"
	"testing"
	"time"
)

// A test run need not wait two days: skipping its waits runs the rest at
// once and says when each wait would have ended. Real runs cannot skip.
func TestSkipWaitsOfATestRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := `{"id":"nudge","name":"Nudge","settings":{},"nodes":[
		{"id":"start","type":"trigger.webhook","params":{"path":"nudge"},"position":{"x":0,"y":0}},
		{"id":"pause","type":"wait.delay","params":{"duration":"2d"},"position":{"x":0,"y":100}},
		{"id":"bump","type":"data.set","params":{"values":{"done":"true"}},"position":{"x":0,"y":200}}],
		"edges":[{"from":"start","to":"pause"},{"from":"pause","to":"bump"}]}`
	b.api(t, "POST", "/api/v1/flows", doc).must(t, http.StatusCreated)
	b.startEngine(t)
	var run struct {
		ID     string
		Status string
		Steps  []struct {
			NodeID string `json:"node_id"`
			Status string
		}
	}
	b.api(t, "POST", "/api/v1/flows/nudge/test", `{"email":"wait@example.com"}`).must(t, 200).json(t, &run)
	if run.Status != "waiting" {
		t.Fatalf("test run is %s, want waiting at the delay", run.Status)
	}
	before := time.Now()
	var skipped struct {
		Skipped []struct {
			NodeID string    `json:"node_id"`
			DueAt  time.Time `json:"due_at"`
		}
		Run struct {
			Status string
			Steps  []struct {
				NodeID string `json:"node_id"`
			}
		}
	}
	b.api(t, "POST", "/api/v1/runs/"+run.ID+"/skip-waits", "").must(t, 200).json(t, &skipped)
	if len(skipped.Skipped) != 1 || skipped.Skipped[0].NodeID != "pause" {
		t.Fatalf("skipped %+v, want the delay", skipped.Skipped)
	}
	if due := skipped.Skipped[0].DueAt; due.Before(before.Add(47*time.Hour)) || due.After(before.Add(49*time.Hour)) {
		t.Errorf("the delay would have ended at %v, want about two days after %v", due, before)
	}
	if skipped.Run.Status != "completed" || skipped.Run.Steps[len(skipped.Run.Steps)-1].NodeID != "bump" {
		t.Fatalf("after the skip the run is %s with steps %+v", skipped.Run.Status, skipped.Run.Steps)
	}

	// A live run waits for real.
	b.api(t, "POST", "/api/v1/flows/nudge/publish", "").must(t, 200)
	var hook struct{ Runs []string }
	b.request(t, "POST", "/hooks/nudge", `{"email":"live@example.com"}`).must(t, http.StatusAccepted).json(t, &hook)
	if len(hook.Runs) != 1 {
		t.Fatalf("the webhook started %v", hook.Runs)
	}
	b.api(t, "POST", "/api/v1/runs/"+hook.Runs[0]+"/skip-waits", "").must(t, http.StatusConflict)
	b.api(t, "POST", "/api/v1/runs/nope/skip-waits", "").must(t, http.StatusNotFound)
}
