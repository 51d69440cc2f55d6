package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestRunsNameThePerson: the runs list carries each run's contact name and
// email (the Runs table shows a person, not an id), keeps contact_id, and
// filters on ?since= like the stats do.
func TestRunsNameThePerson(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.testWait = 10 * time.Millisecond })
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+templateJSON(t, "chat-lead-qualification")+`,"publish":true}`).must(t, http.StatusCreated)
	b.request(t, "POST", "/hooks/chat-finished", `{"email":"ada@example.com","name":"Ada Lovelace","score":80}`).must(t, http.StatusAccepted)
	b.drain(t)

	type runs struct {
		Runs []struct {
			ID           string  `json:"id"`
			ContactID    *string `json:"contact_id"`
			ContactName  string  `json:"contact_name"`
			ContactEmail string  `json:"contact_email"`
		}
		Total int
	}
	var got runs
	b.api(t, "GET", "/api/v1/runs?flow=chat-lead-qualification", "").must(t, 200).json(t, &got)
	if len(got.Runs) != 1 {
		t.Fatalf("runs: %+v", got)
	}
	r := got.Runs[0]
	if r.ContactID == nil || *r.ContactID == "" || r.ContactEmail != "ada@example.com" || r.ContactName != "Ada Lovelace" {
		t.Fatalf("run contact: id %v, name %q, email %q", r.ContactID, r.ContactName, r.ContactEmail)
	}
	var detail struct {
		ContactEmail string `json:"contact_email"`
	}
	if b.api(t, "GET", "/api/v1/runs/"+r.ID, "").must(t, 200).json(t, &detail); detail.ContactEmail != "ada@example.com" {
		t.Errorf("run detail contact_email %q", detail.ContactEmail)
	}

	for since, want := range map[string]int{"24h": 1, "7d": 1, time.Now().Add(time.Hour).UTC().Format(time.RFC3339): 0} {
		var page runs
		b.api(t, "GET", "/api/v1/runs?since="+url.QueryEscape(since), "").must(t, 200).json(t, &page)
		if page.Total != want || len(page.Runs) != want {
			t.Errorf("since=%s: total %d, %d runs, want %d", since, page.Total, len(page.Runs), want)
		}
	}
	b.api(t, "GET", "/api/v1/runs?since=last+week", "").must(t, http.StatusBadRequest)

	// ?test= separates test runs from runs of real contacts (the journey
	// list counts only the latter, and links to them with test=false).
	b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test", `{"email":"t@example.com","score":99}`).must(t, 200)
	for query, want := range map[string]int{"": 2, "&test=false": 1, "&test=true": 1} {
		var page runs
		b.api(t, "GET", "/api/v1/runs?flow=chat-lead-qualification"+query, "").must(t, 200).json(t, &page)
		if page.Total != want {
			t.Errorf("runs%s: total %d, want %d", query, page.Total, want)
		}
	}
	b.api(t, "GET", "/api/v1/runs?test=maybe", "").must(t, http.StatusBadRequest)
}
