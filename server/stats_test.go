package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type statsBody struct {
	Nodes map[string]struct {
		Entered, Waiting, Failed, Converted int64
		Ports                               map[string]int64
	}
	Converted, Waiting int64
}

// The canvas numbers: how many contacts entered each step, which path
// they took, and how many wait where; test runs are not counted.
func TestFlowStats(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.testWait = 10 * time.Millisecond })
	doc := templateJSON(t, "chat-lead-qualification")
	// Add a two-day wait before the nurture list so that cold leads wait.
	doc = strings.Replace(doc, `{"from": "is_hot", "port": "no", "to": "nurture"}`,
		`{"from": "is_hot", "port": "no", "to": "pause"}, {"from": "pause", "to": "nurture"}`, 1)
	doc = strings.Replace(doc, `"nodes": [`, `"nodes": [{"id": "pause", "type": "wait.delay", "params": {"duration": "2d"}, "position": {"x": 200, "y": 400}},`, 1)
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)

	for _, body := range []string{
		`{"email":"ada@example.com","name":"Ada","score":80}`,
		`{"email":"bob@example.com","name":"Bob","score":20}`,
		`{"email":"cy@example.com","name":"Cy","score":10}`,
	} {
		b.request(t, "POST", "/hooks/chat-finished", body).must(t, http.StatusAccepted)
	}
	// A test run of the draft must not change the numbers.
	b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test", `{"email":"t@example.com","score":99}`).must(t, 200)
	b.drain(t)

	var st statsBody
	b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats", "").must(t, 200).json(t, &st)
	check := func(node string, entered, waiting int64, ports map[string]int64) {
		t.Helper()
		n := st.Nodes[node]
		if n.Entered != entered || n.Waiting != waiting {
			t.Errorf("%s: entered %d waiting %d, want %d and %d", node, n.Entered, n.Waiting, entered, waiting)
		}
		for p, want := range ports {
			if n.Ports[p] != want {
				t.Errorf("%s: port %s = %d, want %d (all: %v)", node, p, n.Ports[p], want, n.Ports)
			}
		}
	}
	check("chat_finished", 3, 0, map[string]int64{"out": 3})
	check("is_hot", 3, 0, map[string]int64{"yes": 1, "no": 2})
	check("create_deal", 1, 0, map[string]int64{"out": 1})
	check("pause", 2, 2, map[string]int64{"out": 0})
	check("nurture", 0, 0, nil)
	if st.Waiting != 2 {
		t.Errorf("waiting runs %d, want 2", st.Waiting)
	}

	// A period that starts after the runs shows nothing.
	later := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	var empty statsBody
	b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats?since="+later, "").must(t, 200).json(t, &empty)
	if len(empty.Nodes) != 0 {
		t.Errorf("stats after the runs: %+v", empty.Nodes)
	}
	b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats?since=yesterday", "").must(t, 400)
	b.api(t, "GET", "/api/v1/flows/nope/stats", "").must(t, 404)
}

// TestFlowStatsSinceFormats: ?since= takes a time back from now (24h, 7d)
// as well as an RFC 3339 date, and says which start it used.
func TestFlowStatsSinceFormats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+templateJSON(t, "chat-lead-qualification")+`,"publish":true}`).must(t, http.StatusCreated)
	b.request(t, "POST", "/hooks/chat-finished", `{"email":"ada@example.com","name":"Ada","score":80}`).must(t, http.StatusAccepted)
	b.drain(t)

	for _, tc := range []struct {
		since string
		back  time.Duration
	}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"2w", 14 * 24 * time.Hour}, {"90m", 90 * time.Minute}} {
		before := time.Now()
		var st struct {
			Since time.Time
			statsBody
		}
		b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats?since="+tc.since, "").must(t, 200).json(t, &st)
		after := time.Now()
		if st.Since.Before(before.Add(-tc.back).Truncate(time.Second)) || st.Since.After(after.Add(-tc.back)) {
			t.Errorf("since=%s started at %s, want %s back from the request (%s..%s)", tc.since, st.Since, tc.back, before, after)
		}
		if st.Nodes["chat_finished"].Entered != 1 {
			t.Errorf("since=%s: chat_finished entered %d, want the run of a moment ago", tc.since, st.Nodes["chat_finished"].Entered)
		}
	}
	at := "2026-01-02T03:04:05Z"
	var st struct{ Since time.Time }
	b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats?since="+at, "").must(t, 200).json(t, &st)
	if st.Since.Format(time.RFC3339) != at {
		t.Errorf("since=%s answered since %s", at, st.Since)
	}
	for _, bad := range []string{"yesterday", "0h", "-24h", "7"} {
		res := b.api(t, "GET", "/api/v1/flows/chat-lead-qualification/stats?since="+url.QueryEscape(bad), "").must(t, 400)
		if !strings.Contains(res.body, "24h or 7d") {
			t.Errorf("since=%s: %s", bad, res.body)
		}
	}
}
