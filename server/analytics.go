package server

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// Defaults of the Results dashboard.
const (
	defaultAnalyticsPeriod = 30 * 24 * time.Hour
	defaultAttributionDays = 30
	defaultQualifiedStage  = "qualified"
	maxAnalyticsPeriod     = 366 * 24 * time.Hour
)

// rate is part/whole, or nil when whole is zero: no messages means no
// rate, not 0% and never NaN.
func rate(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	r := float64(part) / float64(whole)
	return &r
}

// channelReport is one channel's counts and rates.
type channelReport struct {
	storage.ChannelCounts
	// Rates: delivered, bounced of sent; opened, clicked, read,
	// complained, unsubscribed of delivered; failed of tried.
	Rates map[string]*float64 `json:"rates"`
}

func newChannelReport(c storage.ChannelCounts) channelReport {
	return channelReport{ChannelCounts: c, Rates: map[string]*float64{
		"delivered":    rate(c.Delivered, c.Sent),
		"bounced":      rate(c.Bounced, c.Sent),
		"opened":       rate(c.Opened, c.Delivered),
		"clicked":      rate(c.Clicked, c.Delivered),
		"read":         rate(c.Read, c.Delivered),
		"complained":   rate(c.Complained, c.Delivered),
		"unsubscribed": rate(c.Unsubscribed, c.Delivered),
		"failed":       rate(c.Failed, c.Tried),
	}}
}

// firstContact is the time from a run's start to its first contact: the
// earlier of its first message sent and the first task it created being
// checked off.
type firstContact struct {
	// Measured counts the runs that made a first contact.
	Measured      int      `json:"measured"`
	MedianSeconds *float64 `json:"median_seconds"`
	P90Seconds    *float64 `json:"p90_seconds"`
}

// percentile is the nearest-rank percentile of sorted durations (nil
// when there are none).
func percentile(sorted []time.Duration, p float64) *float64 {
	if len(sorted) == 0 {
		return nil
	}
	i := max(int(math.Ceil(p*float64(len(sorted))))-1, 0)
	s := sorted[i].Seconds()
	return &s
}

// analyticsReport is one period's KPIs.
type analyticsReport struct {
	Entries        int64                    `json:"entries"`
	Conversions    int64                    `json:"conversions"`
	ConversionRate *float64                 `json:"conversion_rate"`
	Leads          int64                    `json:"leads"`
	ChatsStarted   int64                    `json:"chats_started"`
	CaptureRate    *float64                 `json:"capture_rate"`
	QualifiedLeads int64                    `json:"qualified_leads"`
	QualifiedRate  *float64                 `json:"qualified_rate"`
	DealsCreated   int64                    `json:"deals_created"`
	DealValue      float64                  `json:"deal_value"`
	WonDeals       int64                    `json:"won_deals"`
	WonValue       float64                  `json:"won_value"`
	Channels       map[string]channelReport `json:"channels"`
	FirstContact   firstContact             `json:"first_contact"`
}

func newAnalyticsReport(t *storage.AnalyticsTotals) analyticsReport {
	r := analyticsReport{
		Entries: t.Entries, Conversions: t.Conversions, ConversionRate: rate(t.Conversions, t.Entries),
		Leads: t.Leads, ChatsStarted: t.ChatsStarted, CaptureRate: rate(t.Leads, t.ChatsStarted),
		QualifiedLeads: t.QualifiedLeads, QualifiedRate: rate(t.QualifiedLeads, t.Leads),
		DealsCreated: t.DealsCreated, DealValue: t.DealValue, WonDeals: t.WonDeals, WonValue: t.WonValue,
		Channels: map[string]channelReport{},
		FirstContact: firstContact{Measured: len(t.FirstContact),
			MedianSeconds: percentile(t.FirstContact, 0.5), P90Seconds: percentile(t.FirstContact, 0.9)},
	}
	for ch, c := range t.Channels {
		r.Channels[ch] = newChannelReport(*c)
	}
	return r
}

// analyticsSummary is GET /analytics/summary.
type analyticsSummary struct {
	Flow            string    `json:"flow"`
	Since           time.Time `json:"since"`
	Until           time.Time `json:"until"`
	PreviousSince   time.Time `json:"previous_since"`
	Stage           string    `json:"stage"`
	AttributionDays int       `json:"attribution_days"`
	// CountedAt is when the count these numbers come from began: what
	// happened before it is in them (null before the first count).
	CountedAt *time.Time      `json:"counted_at"`
	Current   analyticsReport `json:"current"`
	Previous  analyticsReport `json:"previous"`
}

// analyticsFilter reads flow, period (7d, 30d, 90d...) or since/until,
// stage and attribution (days) from the query.
func (s *Server) analyticsFilter(c *fiber.Ctx) (storage.AnalyticsFilter, error) {
	f := storage.AnalyticsFilter{FlowID: strings.TrimSpace(c.Query("flow")), Until: s.now().UTC(),
		Stage: strings.TrimSpace(c.Query("stage", defaultQualifiedStage))}
	if v := c.Query("until"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, badRequest("until must be a date and time like 2026-11-30T00:00:00Z.")
		}
		f.Until = t.UTC()
	}
	period := defaultAnalyticsPeriod
	if v := c.Query("period"); v != "" {
		d, err := flows.ParseDuration(v)
		if err != nil || d <= 0 {
			return f, badRequest("period must be a length of time such as 7d, 30d or 90d.")
		}
		period = d
	}
	// Periods are whole UTC days, read from the daily rollups: "30d"
	// is today and the 29 days before it; since and until are widened
	// to the days they fall in.
	f.Until = ceilDay(f.Until)
	f.Since = f.Until.Add(-ceilDuration(period))
	if v := c.Query("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, badRequest("since must be a date and time like 2026-11-01T00:00:00Z.")
		}
		f.Since = t.UTC().Truncate(day)
	}
	if !f.Since.Before(f.Until) {
		return f, badRequest("The period must start before it ends.")
	}
	if f.Until.Sub(f.Since) > maxAnalyticsPeriod {
		return f, badRequest("The period can be at most 366 days long.")
	}
	days := defaultAttributionDays
	if v := c.Query("attribution"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 365 {
			return f, badRequest("attribution must be a number of days from 0 to 365.")
		}
		days = n
	}
	f.Window = time.Duration(days) * 24 * time.Hour
	if f.FlowID != "" {
		if _, err := storage.GetFlow(s.store.Reader(), f.FlowID); err != nil {
			return f, orNotFound(err, "There is no journey with id %q.", f.FlowID)
		}
	}
	return f, nil
}

const day = 24 * time.Hour

// ceilDay is the first UTC midnight at or after t.
func ceilDay(t time.Time) time.Time {
	d := t.UTC().Truncate(day)
	if d.Before(t) {
		d = d.Add(day)
	}
	return d
}

// ceilDuration is d rounded up to whole days (at least one).
func ceilDuration(d time.Duration) time.Duration {
	return max(day, (d+day-1)/day*day)
}

// catchUpDays is the most days of marks a request counts itself before it
// answers; more (a database upgraded with a long history) are counted in
// the background first.
const catchUpDays = 31

// refreshAnalytics brings the rollups up to date before they are read.
func (s *Server) refreshAnalytics(c *fiber.Ctx) error {
	backlog, err := storage.AnalyticsBacklog(s.store.Reader(), catchUpDays+1)
	if err != nil {
		return err
	}
	if backlog > catchUpDays {
		c.Set(fiber.HeaderRetryAfter, "30")
		return &apiError{Status: fiber.StatusServiceUnavailable, Code: codeUnavailable,
			Message: "The results are being counted for the first time (more than a month of history); try again in a few minutes."}
	}
	if age := s.cfg.ResultsMaxAge; age > 0 && time.Since(s.store.AnalyticsCountedAt()) < age {
		return nil // counted recently enough, in the background
	}
	if err := s.store.RefreshAnalytics(c.UserContext()); err != nil {
		return fmt.Errorf("update the results: %w", err)
	}
	return nil
}

// analyticsSummaryHandler serves the KPIs of a period and of the period
// of the same length just before it, as JSON or (format=csv) a table.
func (s *Server) analyticsSummaryHandler(c *fiber.Ctx) error {
	f, err := s.analyticsFilter(c)
	if err != nil {
		return err
	}
	if err := s.refreshAnalytics(c); err != nil {
		return err
	}
	db := s.store.Reader().WithContext(c.UserContext())
	pf := f
	pf.Since, pf.Until = f.Since.Add(-f.Until.Sub(f.Since)), f.Since
	// The two periods are read side by side on the reader pool.
	var prev *storage.AnalyticsTotals
	var prevErr error
	var wg sync.WaitGroup
	wg.Go(func() { prev, prevErr = storage.Analytics(db, pf) })
	cur, err := storage.Analytics(db, f)
	wg.Wait()
	if err = cmp.Or(err, prevErr); err != nil {
		return err
	}
	out := analyticsSummary{Flow: f.FlowID, Since: f.Since, Until: f.Until, PreviousSince: pf.Since, Stage: f.Stage,
		AttributionDays: int(f.Window / (24 * time.Hour)), Current: newAnalyticsReport(cur), Previous: newAnalyticsReport(prev)}
	if at := s.store.AnalyticsCountedAt(); !at.IsZero() {
		at = at.UTC()
		out.CountedAt = &at
	}
	if c.Query("format") == "csv" {
		return sendCSV(c, "results.csv", summaryCSV(out))
	}
	return c.JSON(out)
}

// summaryRows are the table's rows: label, this period, previous period.
func summaryCSV(s analyticsSummary) [][]string {
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	money := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	pct := func(r *float64) string {
		if r == nil {
			return ""
		}
		return strconv.FormatFloat(*r*100, 'f', 1, 64)
	}
	secs := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	rows := [][]string{{"Metric", "This period", "Previous period"}}
	add := func(label string, f func(r analyticsReport) string) {
		rows = append(rows, []string{label, f(s.Current), f(s.Previous)})
	}
	add("Journey entries", func(r analyticsReport) string { return num(r.Entries) })
	add("Goal conversions", func(r analyticsReport) string { return num(r.Conversions) })
	add("Goal conversion rate (%)", func(r analyticsReport) string { return pct(r.ConversionRate) })
	add("Leads captured", func(r analyticsReport) string { return num(r.Leads) })
	add("Chats started", func(r analyticsReport) string { return num(r.ChatsStarted) })
	add("Capture rate (%)", func(r analyticsReport) string { return pct(r.CaptureRate) })
	add("Qualified leads", func(r analyticsReport) string { return num(r.QualifiedLeads) })
	add("Qualified rate (%)", func(r analyticsReport) string { return pct(r.QualifiedRate) })
	add("Deals created", func(r analyticsReport) string { return num(r.DealsCreated) })
	add("Deal value", func(r analyticsReport) string { return money(r.DealValue) })
	add("Deals won", func(r analyticsReport) string { return num(r.WonDeals) })
	add("Won value", func(r analyticsReport) string { return money(r.WonValue) })
	add("Time to first contact, median (seconds)", func(r analyticsReport) string { return secs(r.FirstContact.MedianSeconds) })
	add("Time to first contact, 90th percentile (seconds)", func(r analyticsReport) string { return secs(r.FirstContact.P90Seconds) })
	for _, ch := range []string{"email", "sms", "whatsapp"} {
		name := map[string]string{"email": "Email", "sms": "SMS", "whatsapp": "WhatsApp"}[ch]
		get := func(r analyticsReport) channelReport { return r.Channels[ch] }
		for _, k := range []struct {
			label, rate string
			n           func(c channelReport) int64
		}{
			{"sent", "", func(c channelReport) int64 { return c.Sent }},
			{"delivered", "delivered", func(c channelReport) int64 { return c.Delivered }},
			{"opened", "opened", func(c channelReport) int64 { return c.Opened }},
			{"clicked", "clicked", func(c channelReport) int64 { return c.Clicked }},
			{"read", "read", func(c channelReport) int64 { return c.Read }},
			{"failed", "failed", func(c channelReport) int64 { return c.Failed }},
			{"bounced", "bounced", func(c channelReport) int64 { return c.Bounced }},
			{"marked as spam", "complained", func(c channelReport) int64 { return c.Complained }},
			{"unsubscribed", "unsubscribed", func(c channelReport) int64 { return c.Unsubscribed }},
		} {
			if !channelHas(ch, k.rate) {
				continue
			}
			add(name+" "+k.label, func(r analyticsReport) string { return num(k.n(get(r))) })
			if k.rate != "" {
				add(name+" "+k.label+" rate (%)", func(r analyticsReport) string { return pct(get(r).Rates[k.rate]) })
			}
		}
	}
	return rows
}

// channelHas says whether a channel reports an outcome: emails are not
// read, texts are not opened, clicked, bounced or unsubscribed.
func channelHas(ch, outcome string) bool {
	switch outcome {
	case "opened", "clicked", "bounced", "complained", "unsubscribed":
		return ch == "email"
	case "read":
		return ch == "whatsapp"
	}
	return true
}

// messageStep is one message step's results on one channel.
type messageStep struct {
	FlowID   string `json:"flow_id"`
	FlowName string `json:"flow_name"`
	NodeID   string `json:"node_id"`
	// NodeName is the step's name in the journey's draft (its id when the
	// step was removed since).
	NodeName string `json:"node_name"`
	Channel  string `json:"channel"`
	// Variant is the A/B split path the step's contacts took before it
	// (with by_variant; "" when they went through no split).
	Variant string `json:"variant"`
	channelReport
}

// analyticsMessagesHandler serves the results of each message step.
func (s *Server) analyticsMessagesHandler(c *fiber.Ctx) error {
	f, err := s.analyticsFilter(c)
	if err != nil {
		return err
	}
	if err := s.refreshAnalytics(c); err != nil {
		return err
	}
	db := s.store.Reader().WithContext(c.UserContext())
	rows, err := storage.MessageSteps(db, f, c.QueryBool("by_variant"))
	if err != nil {
		return err
	}
	flowNames, nodeNames := map[string]string{}, map[string]string{}
	if all, err := storage.ListFlows(db); err == nil {
		for _, fl := range all {
			flowNames[fl.ID] = fl.Name
			if doc, err := flows.Decode([]byte(fl.Draft)); err == nil {
				for _, n := range doc.Nodes {
					nodeNames[fl.ID+"/"+n.ID] = cmp.Or(n.Name, n.ID)
				}
			}
		}
	}
	out := make([]messageStep, 0, len(rows))
	for _, r := range rows {
		out = append(out, messageStep{FlowID: r.FlowID, FlowName: cmp.Or(flowNames[r.FlowID], r.FlowID), NodeID: r.NodeID,
			NodeName: cmp.Or(nodeNames[r.FlowID+"/"+r.NodeID], r.NodeID), Channel: r.Channel, Variant: r.Variant, channelReport: newChannelReport(r.ChannelCounts)})
	}
	if c.Query("format") == "csv" {
		head := []string{"Journey", "Step", "Channel", "Path", "Sent", "Delivered", "Opened", "Clicked", "Read", "Failed", "Bounced", "Marked as spam", "Unsubscribed",
			"Delivered rate (%)", "Open rate (%)", "Click rate (%)", "Read rate (%)", "Failure rate (%)"}
		table := [][]string{head}
		for _, m := range out {
			n := func(v int64) string { return strconv.FormatInt(v, 10) }
			p := func(k string) string {
				if r := m.Rates[k]; r != nil && channelHas(m.Channel, k) {
					return strconv.FormatFloat(*r*100, 'f', 1, 64)
				}
				return ""
			}
			table = append(table, []string{m.FlowName, m.NodeName, m.Channel, m.Variant, n(m.Sent), n(m.Delivered), n(m.Opened), n(m.Clicked), n(m.Read),
				n(m.Failed), n(m.Bounced), n(m.Complained), n(m.Unsubscribed), p("delivered"), p("opened"), p("clicked"), p("read"), p("failed")})
		}
		return sendCSV(c, "message-results.csv", table)
	}
	return c.JSON(fiber.Map{"since": f.Since, "until": f.Until, "steps": out})
}

// analyticsPoint is one bucket of the time series.
type analyticsPoint struct {
	// Start is the bucket's first day (YYYY-MM-DD; weeks start on Monday).
	Start string `json:"start"`
	storage.AnalyticsDay
}

// analyticsSeriesHandler serves the numbers per day or week of a period,
// with a zero bucket for each day or week without any.
func (s *Server) analyticsSeriesHandler(c *fiber.Ctx) error {
	f, err := s.analyticsFilter(c)
	if err != nil {
		return err
	}
	interval := c.Query("interval", "day")
	if interval != "day" && interval != "week" {
		return badRequest("interval must be day or week.")
	}
	if err := s.refreshAnalytics(c); err != nil {
		return err
	}
	days, err := storage.AnalyticsDays(s.store.Reader().WithContext(c.UserContext()), f)
	if err != nil {
		return err
	}
	points := bucketDays(days, f.Since, f.Until, interval == "week")
	if c.Query("format") == "csv" {
		rows := [][]string{{"Start", "Journey entries", "Goal conversions", "Leads captured", "Emails sent", "Emails opened"}}
		for _, p := range points {
			rows = append(rows, []string{p.Start, strconv.FormatInt(p.Entries, 10), strconv.FormatInt(p.Conversions, 10),
				strconv.FormatInt(p.Leads, 10), strconv.FormatInt(p.EmailsSent, 10), strconv.FormatInt(p.EmailsOpened, 10)})
		}
		return sendCSV(c, "results-by-"+interval+".csv", rows)
	}
	return c.JSON(fiber.Map{"interval": interval, "since": f.Since, "until": f.Until, "points": points})
}

// bucketDays sums days into one bucket per day or ISO week of [since,
// until), keeping empty buckets. Leads are summed per day, so a contact
// captured on two days of a week counts twice in that week.
func bucketDays(days []storage.AnalyticsDay, since, until time.Time, weekly bool) []analyticsPoint {
	start := func(t time.Time) time.Time {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		if weekly {
			t = t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
		}
		return t
	}
	var out []analyticsPoint
	idx := map[string]int{}
	for t := start(since.UTC()); t.Before(until); {
		k := t.Format(time.DateOnly)
		idx[k] = len(out)
		out = append(out, analyticsPoint{Start: k, AnalyticsDay: storage.AnalyticsDay{Day: k}})
		if weekly {
			t = t.AddDate(0, 0, 7)
		} else {
			t = t.AddDate(0, 0, 1)
		}
	}
	for _, d := range days {
		t, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		i, ok := idx[start(t).Format(time.DateOnly)]
		if !ok {
			continue
		}
		p := &out[i].AnalyticsDay
		p.Entries += d.Entries
		p.Conversions += d.Conversions
		p.Leads += d.Leads
		p.EmailsSent += d.EmailsSent
		p.EmailsOpened += d.EmailsOpened
	}
	return out
}

// sendCSV answers with a CSV download.
func sendCSV(c *fiber.Ctx, name string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(b.Bytes())
}
