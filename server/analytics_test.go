package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
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
	if !strings.HasPrefix(r.body, "Journey,Step,Channel,Path,Sent,") || !strings.Contains(r.body, ",Email 1: the guide,email,,1,0,") {
		t.Errorf("CSV: %s", r.body)
	}
}

// With by_variant, a message step's results are split by the A/B split
// path its contacts took: counts and rates per path, null rates when
// nothing was delivered, test runs never counted; on SQLite and PostgreSQL.
func TestAnalyticsMessageStepsByVariant(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOptions) { o.postgres = db == "postgres" })
			b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+experimentFlow+`}`).must(t, http.StatusCreated)
			started := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
			seedSplitRuns(t, b, started, "a", 4, 0, 0)
			seedSplitRuns(t, b, started, "b", 2, 0, 0)
			// Path a: 4 emails sent, 3 delivered, 2 opened, 1 clicked, 1
			// bounced; path b: 2 emails bounced (none delivered); a test
			// run's clicked email never counts.
			status := map[string][]string{"a": {"clicked", "opened", "delivered", "bounced"}, "b": {"bounced", "bounced"}, "test-": {"clicked"}}
			err := b.store.Write(context.Background(), func(tx storage.Tx) error {
				for port, sts := range status {
					for i, st := range sts {
						run := fmt.Sprintf("%s-%04d-%d", port, i, started.Unix())
						if port == "test-" {
							run = "test-a" + fmt.Sprint(started.Unix())
						}
						at := started.Add(time.Minute)
						if err := storagetest.Insert(tx, &storage.Message{ID: run + "-m", IdemKey: run + "-m", Channel: "email", Provider: "sandbox", Status: st,
							RunID: run, FlowID: "ab", NodeID: "email", SentAt: &at, CreatedAt: at, UpdatedAt: at, Test: port == "test-"}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				FlowName  string `json:"flow_name"`
				NodeName  string `json:"node_name"`
				Variant   string
				Sent      int64
				Delivered int64
				Opened    int64
				Clicked   int64
				Bounced   int64
				Rates     map[string]*float64
			}
			var out struct{ Steps []row }
			b.api(t, "GET", "/api/v1/analytics/messages?flow=ab&period=7d&by_variant=true", "").must(t, 200).json(t, &out)
			if len(out.Steps) != 2 {
				t.Fatalf("steps: %+v, want paths a and b", out.Steps)
			}
			a, bb := out.Steps[0], out.Steps[1]
			if a.Variant != "a" || a.FlowName != "AB" || a.NodeName != "email" || a.Sent != 4 || a.Delivered != 3 || a.Opened != 2 || a.Clicked != 1 || a.Bounced != 1 {
				t.Errorf("path a: %+v", a)
			}
			for k, want := range map[string]float64{"delivered": 0.75, "bounced": 0.25, "opened": 2.0 / 3, "clicked": 1.0 / 3} {
				if r := a.Rates[k]; r == nil || *r != want {
					t.Errorf("path a %s rate %v, want %v", k, r, want)
				}
			}
			if bb.Variant != "b" || bb.Sent != 2 || bb.Delivered != 0 || bb.Bounced != 2 || bb.Rates["opened"] != nil || bb.Rates["clicked"] != nil ||
				bb.Rates["bounced"] == nil || *bb.Rates["bounced"] != 1 {
				t.Errorf("path b: %+v (open and click rates must be null: nothing delivered)", bb)
			}
			// Without by_variant: one row, the sum of both paths.
			out.Steps = nil
			b.api(t, "GET", "/api/v1/analytics/messages?flow=ab&period=7d", "").must(t, 200).json(t, &out)
			if len(out.Steps) != 1 || out.Steps[0].Variant != "" || out.Steps[0].Sent != 6 || out.Steps[0].Bounced != 3 {
				t.Errorf("per step: %+v", out.Steps)
			}
			r := b.api(t, "GET", "/api/v1/analytics/messages?flow=ab&period=7d&by_variant=true&format=csv", "").must(t, 200)
			if !strings.Contains(r.body, "AB,email,email,a,4,3,2,1,") || !strings.Contains(r.body, "AB,email,email,b,2,0,0,0,") {
				t.Errorf("CSV: %s", r.body)
			}
		})
	}
}

// A database upgraded with a long history has its days counted in the
// background: until then the dashboard says so (503 with Retry-After)
// rather than keep the request for minutes, and answers once it is done.
func TestResultsWaitForTheFirstCount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	err := b.store.Write(context.Background(), func(tx storage.Tx) error {
		for d := range 40 {
			day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(time.DateOnly)
			if err := storagetest.Exec(tx, `INSERT INTO analytics_marks (day) VALUES (?)`, day); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := b.api(t, "GET", "/api/v1/analytics/summary?period=30d", "")
	res.must(t, http.StatusServiceUnavailable)
	if res.header.Get("Retry-After") != "30" || !strings.Contains(res.body, "being counted for the first time") {
		t.Errorf("while counting: Retry-After %q, body %s", res.header.Get("Retry-After"), res.body)
	}
	if err := b.store.RefreshAnalytics(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.api(t, "GET", "/api/v1/analytics/summary?period=30d", "").must(t, http.StatusOK)
}

// With ResultsMaxAge (serve's 30 s), a dashboard request reads the last
// count while it is recent enough, instead of counting a busy day again;
// once the count is older, or after the background counted, it shows the
// new runs.
func TestResultsReadARecentCount(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.resultsMaxAge = time.Hour })
	doc := templateJSON(t, "chat-lead-qualification")
	b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+doc+`,"publish":true}`).must(t, http.StatusCreated)
	entries := func() int64 {
		var out struct{ Current reportBody }
		b.api(t, "GET", "/api/v1/analytics/summary?period=7d", "").must(t, 200).json(t, &out)
		return out.Current.Entries
	}
	if n := entries(); n != 0 { // never counted: the request counts
		t.Fatalf("entries %d, want 0", n)
	}
	b.request(t, "POST", "/hooks/chat-finished", `{"email":"ada@example.com","name":"Ada","score":80}`).must(t, http.StatusAccepted)
	b.drain(t)
	if n := entries(); n != 0 {
		t.Fatalf("entries %d right after a count, want the count's 0", n)
	}
	if err := b.store.RefreshAnalytics(context.Background()); err != nil { // the background's count
		t.Fatal(err)
	}
	if n := entries(); n != 1 {
		t.Fatalf("entries %d after the background counted, want 1", n)
	}
}
