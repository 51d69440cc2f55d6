package storage

import (
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// AnalyticsFilter selects what the Results dashboard counts: real (never
// test) data of one journey or all, in the period [Since, Until).
type AnalyticsFilter struct {
	// FlowID limits the numbers to one journey ("" = all journeys).
	FlowID string
	Since  time.Time
	Until  time.Time
	// Stage is the deal stage that makes a lead qualified (won deals
	// count as qualified too).
	Stage string
	// Window is the attribution window: a deal counts for a journey when
	// its contact entered the journey at most Window before the deal was
	// created.
	Window time.Duration
}

// ChannelCounts are the outcomes of one channel's messages.
type ChannelCounts struct {
	// Tried counts messages handed to a vendor or the sandbox (not held,
	// skipped or still queued): what the failure rate divides by.
	Tried        int64 `json:"tried"`
	Sent         int64 `json:"sent"`
	Delivered    int64 `json:"delivered"`
	Opened       int64 `json:"opened"`
	Clicked      int64 `json:"clicked"`
	Read         int64 `json:"read"`
	Failed       int64 `json:"failed"`
	Bounced      int64 `json:"bounced"`
	Complained   int64 `json:"complained"`
	Unsubscribed int64 `json:"unsubscribed"`
}

// AnalyticsTotals are the raw counts of one period.
type AnalyticsTotals struct {
	Entries        int64
	Conversions    int64
	Leads          int64
	ChatsStarted   int64
	QualifiedLeads int64
	DealsCreated   int64
	DealValue      float64
	WonDeals       int64
	WonValue       float64
	Channels       map[string]*ChannelCounts
	// FirstContact holds, per run that made a first contact, the time
	// from the run's start to the earlier of its first message sent and
	// the first task it created being checked off, shortest first.
	FirstContact []time.Duration
}

// Analytics channels.
var analyticsChannels = []string{"email", "sms", "whatsapp"}

// runsWhere is the condition on runs r of the filter's period.
func runsWhere(f AnalyticsFilter) (string, []any) {
	q := `r.test = ? AND r.started_at >= ? AND r.started_at < ?`
	args := []any{false, f.Since.UTC(), f.Until.UTC()}
	if f.FlowID != "" {
		q += ` AND r.flow_id = ?`
		args = append(args, f.FlowID)
	}
	return q, args
}

// leadStep marks a run that captured a lead: its contact was created or
// updated by a completed upsert step.
const leadStep = `EXISTS (SELECT 1 FROM steps s WHERE s.run_id = r.id AND s.node_type = 'crm.upsert_contact' AND s.status = 'completed')`

// Analytics counts the filter's period. Test runs, events, messages and
// deals are never counted.
func Analytics(db *gorm.DB, f AnalyticsFilter) (*AnalyticsTotals, error) {
	r := rawOf(db)
	t := &AnalyticsTotals{Channels: map[string]*ChannelCounts{}}
	where, args := runsWhere(f)
	if err := r.queryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.outcome = 'converted' THEN 1 ELSE 0 END), 0) FROM runs r WHERE `+where, args...).
		Scan(&t.Entries, &t.Conversions); err != nil {
		return nil, fmt.Errorf("count entries: %w", err)
	}
	if err := r.queryRow(`SELECT COUNT(DISTINCT r.contact_id) FROM runs r WHERE r.contact_id IS NOT NULL AND `+leadStep+` AND `+where, args...).
		Scan(&t.Leads); err != nil {
		return nil, fmt.Errorf("count leads: %w", err)
	}
	if err := r.queryRow(`SELECT COUNT(*) FROM events WHERE type = 'chat.started' AND test = ? AND at >= ? AND at < ?`,
		false, f.Since.UTC(), f.Until.UTC()).Scan(&t.ChatsStarted); err != nil {
		return nil, fmt.Errorf("count chats: %w", err)
	}
	if err := analyticsDeals(r, f, t); err != nil {
		return nil, err
	}
	if err := analyticsMessages(r, f, t); err != nil {
		return nil, err
	}
	if err := analyticsFirstContact(r, f, t); err != nil {
		return nil, err
	}
	return t, nil
}

// analyticsDeals counts the deals created in the period whose contact
// entered the journey (any journey without a flow filter) within the
// attribution window before the deal.
func analyticsDeals(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	q := `SELECT d.id, d.contact_id, d.stage, d.value, d.created_at, r.started_at FROM deals d
		JOIN runs r ON r.contact_id = d.contact_id AND r.test = ? AND r.started_at <= d.created_at AND r.started_at >= ?
		WHERE d.test = ? AND d.created_at >= ? AND d.created_at < ?`
	args := []any{false, f.Since.Add(-f.Window).UTC(), false, f.Since.UTC(), f.Until.UTC()}
	if f.FlowID != "" {
		q += ` AND r.flow_id = ?`
		args = append(args, f.FlowID)
	}
	rows, err := r.query(q, args...)
	if err != nil {
		return fmt.Errorf("attribute deals: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	qualified := map[string]bool{}
	for rows.Next() {
		var id, contact, stage string
		var value float64
		var created, started time.Time
		if err := rows.Scan(&id, &contact, &stage, &value, &created, &started); err != nil {
			return fmt.Errorf("attribute deals: %w", err)
		}
		if seen[id] || started.Before(created.Add(-f.Window)) {
			continue
		}
		seen[id] = true
		t.DealsCreated++
		t.DealValue += value
		if stage == "won" {
			t.WonDeals++
			t.WonValue += value
		}
		if stage == "won" || (f.Stage != "" && stage == f.Stage) {
			qualified[contact] = true
		}
	}
	t.QualifiedLeads = int64(len(qualified))
	return rows.Err()
}

// sentCond is true of a message that went out: sent (it has a send time,
// even if it bounced or failed later) or kept in the sandbox outbox, which
// stands in for sending when a channel has no vendor account.
const sentCond = `(sent_at IS NOT NULL OR status IN ('sandboxed', 'sent', 'delivered', 'opened', 'clicked', 'read', 'bounced'))`

// messageOutcomes are the columns of ChannelCounts, in order.
const messageOutcomes = `
		SUM(CASE WHEN status NOT IN ('queued', 'delayed', 'skipped') THEN 1 ELSE 0 END),
		SUM(CASE WHEN ` + sentCond + ` THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('delivered', 'opened', 'clicked', 'read') THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('opened', 'clicked') THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'clicked' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'read' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('failed', 'undelivered') THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END),
		SUM(CASE WHEN events LIKE '%"type":"complained"%' THEN 1 ELSE 0 END),
		SUM(CASE WHEN events LIKE '%"type":"unsubscribed"%' THEN 1 ELSE 0 END)`

// analyticsMessages counts the outcomes of messages created in the period
// per channel. A message's status only moves forward (sent, delivered,
// opened, clicked), so a clicked email was opened and delivered too.
// Complaints and unsubscribes live in the message's history.
func analyticsMessages(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	q := `SELECT channel, ` + messageOutcomes + `
		FROM messages WHERE test = ? AND created_at >= ? AND created_at < ? AND channel IN ('email', 'sms', 'whatsapp')`
	args := []any{false, f.Since.UTC(), f.Until.UTC()}
	if f.FlowID != "" {
		q += ` AND flow_id = ?`
		args = append(args, f.FlowID)
	}
	for _, ch := range analyticsChannels {
		t.Channels[ch] = &ChannelCounts{}
	}
	rows, err := r.query(q+` GROUP BY channel`, args...)
	if err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		var c ChannelCounts
		if err := rows.Scan(&ch, &c.Tried, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Read, &c.Failed, &c.Bounced, &c.Complained, &c.Unsubscribed); err != nil {
			return fmt.Errorf("count messages: %w", err)
		}
		t.Channels[ch] = &c
	}
	return rows.Err()
}

// analyticsFirstContact measures, per run started in the period, the time
// to its first contact: the earlier of its first message sent (or kept in
// the sandbox, at its creation) and the first task it created being
// checked off (a task opened again no longer counts). Each is looked up
// by run (messages and tasks are indexed by run_id). The database
// subtracts, in whole milliseconds, so no time is parsed here.
func analyticsFirstContact(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	where, args := runsWhere(f)
	done := `k.done = 1`
	if r.pg {
		done = `k.done`
	}
	firstMessage := `(SELECT MIN(COALESCE(m.sent_at, m.created_at)) FROM messages m
		WHERE m.run_id = r.id AND (m.sent_at IS NOT NULL OR m.status = 'sandboxed'))`
	firstTask := `(SELECT MIN(k.completed_at) FROM tasks k WHERE k.run_id = r.id AND ` + done + ` AND k.completed_at IS NOT NULL)`
	// julianday makes both comparable whatever their text; SQLite's
	// two-argument MIN is NULL when either is, hence the COALESCEs.
	q := `SELECT ROUND((MIN(COALESCE(mf, tf), COALESCE(tf, mf)) - js) * 86400000) FROM (
		SELECT julianday(r.started_at) AS js, julianday(` + firstMessage + `) AS mf, julianday(` + firstTask + `) AS tf
		FROM runs r WHERE ` + where + `) x WHERE mf IS NOT NULL OR tf IS NOT NULL`
	if r.pg {
		// LEAST ignores NULLs.
		q = `SELECT ROUND(EXTRACT(EPOCH FROM (LEAST(mf, tf) - started_at)) * 1000) FROM (
		SELECT r.started_at, ` + firstMessage + ` AS mf, ` + firstTask + ` AS tf
		FROM runs r WHERE ` + where + `) x WHERE mf IS NOT NULL OR tf IS NOT NULL`
	}
	rows, err := r.query(q, args...)
	if err != nil {
		return fmt.Errorf("time to first contact: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n float64
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("time to first contact: %w", err)
		}
		t.FirstContact = append(t.FirstContact, time.Duration(max(n, 0))*time.Millisecond)
	}
	sort.Slice(t.FirstContact, func(i, j int) bool { return t.FirstContact[i] < t.FirstContact[j] })
	return rows.Err()
}

// MessageStepCounts are the outcomes of one message step's messages.
type MessageStepCounts struct {
	FlowID  string
	NodeID  string
	Channel string
	// Variant is the path the message's run took at an A/B split before
	// the message (the first split's, when it went through several; ""
	// when it went through none). Set only when counting by variant.
	Variant string
	ChannelCounts
}

// splitVariant is the path a message m's run took at its first A/B split
// before the message was created ("" when none).
const splitVariant = `COALESCE((SELECT s.port FROM steps s WHERE s.run_id = m.run_id AND s.node_type = 'logic.split'
		AND s.status = 'completed' AND s.started_at <= m.created_at ORDER BY s.started_at, s.id LIMIT 1), '')`

// MessageSteps counts the outcomes of the period's messages per journey,
// step and channel, most sent first. byVariant splits each step's counts
// further by the A/B split path its runs took (see splitVariant).
func MessageSteps(db *gorm.DB, f AnalyticsFilter, byVariant bool) ([]MessageStepCounts, error) {
	r := rawOf(db)
	variant := `''`
	if byVariant {
		variant = splitVariant
	}
	inner := `SELECT COALESCE(m.flow_id, '') AS flow_id, m.node_id, m.channel, m.status, m.sent_at, m.events, ` + variant + ` AS variant
		FROM messages m WHERE m.test = ? AND m.created_at >= ? AND m.created_at < ? AND m.channel IN ('email', 'sms', 'whatsapp')`
	args := []any{false, f.Since.UTC(), f.Until.UTC()}
	if f.FlowID != "" {
		inner += ` AND m.flow_id = ?`
		args = append(args, f.FlowID)
	}
	rows, err := r.query(`SELECT flow_id, node_id, channel, variant, `+messageOutcomes+`
		FROM (`+inner+`) x GROUP BY flow_id, node_id, channel, variant`, args...)
	if err != nil {
		return nil, fmt.Errorf("count messages per step: %w", err)
	}
	defer rows.Close()
	var out []MessageStepCounts
	for rows.Next() {
		var m MessageStepCounts
		c := &m.ChannelCounts
		if err := rows.Scan(&m.FlowID, &m.NodeID, &m.Channel, &m.Variant, &c.Tried, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Read, &c.Failed, &c.Bounced, &c.Complained, &c.Unsubscribed); err != nil {
			return nil, fmt.Errorf("count messages per step: %w", err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Sent != b.Sent {
			return a.Sent > b.Sent
		}
		return a.FlowID+"/"+a.NodeID+"/"+a.Channel+"/"+a.Variant < b.FlowID+"/"+b.NodeID+"/"+b.Channel+"/"+b.Variant
	})
	return out, rows.Err()
}

// AnalyticsDay is one day's numbers for the charts (UTC days).
type AnalyticsDay struct {
	Day          string `json:"day"` // YYYY-MM-DD
	Entries      int64  `json:"entries"`
	Conversions  int64  `json:"conversions"`
	Leads        int64  `json:"leads"`
	EmailsSent   int64  `json:"emails_sent"`
	EmailsOpened int64  `json:"emails_opened"`
}

// AnalyticsDays returns the filter's numbers per UTC day, grouped in the
// database; days with nothing are left out.
func AnalyticsDays(db *gorm.DB, f AnalyticsFilter) ([]AnalyticsDay, error) {
	r := rawOf(db)
	day := func(col string) string {
		if r.pg {
			return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
		}
		return `substr(` + col + `, 1, 10)` // stored as UTC text
	}
	days := map[string]*AnalyticsDay{}
	get := func(d string) *AnalyticsDay {
		if days[d] == nil {
			days[d] = &AnalyticsDay{Day: d}
		}
		return days[d]
	}
	where, args := runsWhere(f)
	rows, err := r.query(`SELECT `+day("r.started_at")+` AS d, COUNT(*),
		SUM(CASE WHEN r.outcome = 'converted' THEN 1 ELSE 0 END),
		COUNT(DISTINCT CASE WHEN `+leadStep+` THEN r.contact_id END)
		FROM runs r WHERE `+where+` GROUP BY d`, args...)
	if err != nil {
		return nil, fmt.Errorf("runs per day: %w", err)
	}
	for rows.Next() {
		var d string
		var e, c, l int64
		if err := rows.Scan(&d, &e, &c, &l); err != nil {
			rows.Close()
			return nil, fmt.Errorf("runs per day: %w", err)
		}
		a := get(d)
		a.Entries, a.Conversions, a.Leads = e, c, l
	}
	rows.Close()
	mq := `SELECT ` + day("created_at") + ` AS d,
		SUM(CASE WHEN ` + sentCond + ` THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('opened', 'clicked') THEN 1 ELSE 0 END)
		FROM messages WHERE channel = 'email' AND test = ? AND created_at >= ? AND created_at < ?`
	margs := []any{false, f.Since.UTC(), f.Until.UTC()}
	if f.FlowID != "" {
		mq += ` AND flow_id = ?`
		margs = append(margs, f.FlowID)
	}
	rows, err = r.query(mq+` GROUP BY d`, margs...)
	if err != nil {
		return nil, fmt.Errorf("emails per day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var s, o int64
		if err := rows.Scan(&d, &s, &o); err != nil {
			return nil, fmt.Errorf("emails per day: %w", err)
		}
		a := get(d)
		a.EmailsSent, a.EmailsOpened = s, o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]AnalyticsDay, 0, len(days))
	for _, a := range days {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}
