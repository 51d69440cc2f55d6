package server_test

import (
	"net/http"
	"strings"
	"testing"
)

type channelBody struct {
	Sent  int64
	Rates map[string]*float64
}

type reportBody struct {
	Entries        int64
	Leads          int64
	ChatsStarted   int64                  `json:"chats_started"`
	QualifiedLeads int64                  `json:"qualified_leads"`
	DealsCreated   int64                  `json:"deals_created"`
	CaptureRate    *float64               `json:"capture_rate"`
	ConversionRate *float64               `json:"conversion_rate"`
	Channels       map[string]channelBody `json:"channels"`
}

// The Results dashboard counts the leads a chat journey captured and its
// deal, compares with the (empty) period before, leaves rates with nothing
// to divide by empty, and never counts a test run.
func TestAnalyticsSummary(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "chat-lead-qualification")
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	for _, body := range []string{
		`{"email":"ada@example.com","name":"Ada","score":80}`,
		`{"email":"bob@example.com","name":"Bob","score":20}`,
		`{"email":"cy@example.com","name":"Cy","score":10}`,
	} {
		b.request(t, "POST", "/hooks/chat-finished", body).must(t, http.StatusAccepted)
	}
	b.api(t, "POST", "/api/v1/flows/chat-lead-qualification/test", `{"email":"t@example.com","score":99}`).must(t, 200)
	b.drain(t)

	var out struct {
		Flow              string
		Current, Previous reportBody
	}
	b.api(t, "GET", "/api/v1/analytics/summary?flow=chat-lead-qualification&period=7d", "").must(t, 200).json(t, &out)
	c := out.Current
	if c.Entries != 3 || c.Leads != 3 || c.DealsCreated != 1 || c.QualifiedLeads != 1 {
		t.Errorf("this week: %+v; want 3 entries, 3 leads, 1 deal, 1 qualified lead", c)
	}
	if c.CaptureRate != nil || c.Channels["email"].Rates["opened"] != nil || out.Previous.ConversionRate != nil {
		t.Errorf("rates with nothing to divide by must be null: capture %v, open %v, previous conversion %v",
			c.CaptureRate, c.Channels["email"].Rates["opened"], out.Previous.ConversionRate)
	}
	if c.ConversionRate == nil || *c.ConversionRate != 0 {
		t.Errorf("conversion rate %v, want 0 (3 entries, no goal)", c.ConversionRate)
	}
	if out.Previous.Entries != 0 || out.Previous.Leads != 0 {
		t.Errorf("the week before: %+v, want nothing", out.Previous)
	}

	// Four chats started: three of them left a lead.
	for range 4 {
		b.api(t, "POST", "/api/v1/events", `{"type":"chat.started","contact":{"email":"ada@example.com"}}`).must(t, http.StatusAccepted)
	}
	b.api(t, "GET", "/api/v1/analytics/summary?period=7d", "").must(t, 200).json(t, &out)
	if out.Current.CaptureRate == nil || *out.Current.CaptureRate != 0.75 {
		t.Errorf("capture rate %v, want 0.75", out.Current.CaptureRate)
	}

	r := b.api(t, "GET", "/api/v1/analytics/summary?period=7d&format=csv", "").must(t, 200)
	if !strings.Contains(r.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.body, "Leads captured,3,0\n") || !strings.Contains(r.body, "Capture rate (%),75.0,\n") {
		t.Errorf("CSV: %s\n%s", r.header.Get("Content-Type"), r.body)
	}
}

func TestAnalyticsSeries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "chat-lead-qualification")
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	b.request(t, "POST", "/hooks/chat-finished", `{"email":"ada@example.com","name":"Ada","score":80}`).must(t, http.StatusAccepted)
	b.drain(t)
	var out struct {
		Points []struct {
			Start   string
			Entries int64
			Leads   int64
		}
	}
	b.api(t, "GET", "/api/v1/analytics/series?period=7d", "").must(t, 200).json(t, &out)
	// Seven days back from now: eight day buckets (seven if now is midnight).
	if n := len(out.Points); n != 8 && n != 7 {
		t.Fatalf("%d points, want 8: %+v", n, out.Points)
	}
	var entries, leads int64
	for _, p := range out.Points {
		entries += p.Entries
		leads += p.Leads
	}
	if entries != 1 || leads != 1 {
		t.Errorf("%d entries and %d leads over the week, want 1 and 1", entries, leads)
	}
	b.api(t, "GET", "/api/v1/analytics/series?period=30d&interval=week", "").must(t, 200).json(t, &out)
	if n := len(out.Points); n < 5 || n > 6 {
		t.Errorf("%d weekly points over 30 days, want 5 or 6", n)
	}
}

func TestAnalyticsRejectsBadQueries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for url, status := range map[string]int{
		"/api/v1/analytics/summary?period=soon":         http.StatusBadRequest,
		"/api/v1/analytics/summary?attribution=-1":      http.StatusBadRequest,
		"/api/v1/analytics/summary?period=400d":         http.StatusBadRequest,
		"/api/v1/analytics/summary?flow=nope":           http.StatusNotFound,
		"/api/v1/analytics/series?interval=month":       http.StatusBadRequest,
		"/api/v1/analytics/summary?since=2026-13-01":    http.StatusBadRequest,
		"/api/v1/analytics/series?period=7d&format=csv": http.StatusOK,
	} {
		b.api(t, "GET", url, "").must(t, status)
	}
}

// Each message step's results carry the journey's and the step's names.
func TestAnalyticsMessageSteps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := templateJSON(t, "nurture-sequence")
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/events", `{"type":"form.submitted","contact":{"email":"ada@example.com"}}`).must(t, http.StatusAccepted)
	b.drain(t)
	var out struct {
		Steps []struct {
			FlowName string `json:"flow_name"`
			NodeName string `json:"node_name"`
			Channel  string
			Sent     int64
			Rates    map[string]*float64
		}
	}
	b.api(t, "GET", "/api/v1/analytics/messages?period=7d", "").must(t, 200).json(t, &out)
	if len(out.Steps) != 1 || out.Steps[0].NodeName != "Email 1: the guide" || out.Steps[0].Channel != "email" || out.Steps[0].Sent != 1 {
		t.Fatalf("steps: %+v, want the first email, sent once; %s", out.Steps, b.api(t, "GET", "/api/v1/messages", "").body)
	}
	if out.Steps[0].Rates["opened"] != nil {
		t.Errorf("open rate %v of an email not delivered yet, want null", *out.Steps[0].Rates["opened"])
	}
	r := b.api(t, "GET", "/api/v1/analytics/messages?period=7d&format=csv", "").must(t, 200)
	if !strings.HasPrefix(r.body, "Journey,Step,Channel,Sent,") || !strings.Contains(r.body, ",Email 1: the guide,email,1,0,") {
		t.Errorf("CSV: %s", r.body)
	}
}
