package storage

import (
	"fmt"
	"sort"
	"time"
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
// deals are never counted. A period of whole UTC days is read from the
// rollups (call Store.RefreshAnalytics first); any other from the raw rows.
func Analytics(db Tx, f AnalyticsFilter) (*AnalyticsTotals, error) {
	r := rawOf(db)
	t := &AnalyticsTotals{Channels: map[string]*ChannelCounts{}}
	if alignedToDays(f) {
		return t, analyticsFromRollups(r, f, t)
	}
	return t, analyticsRaw(r, f, t)
}

// analyticsRaw counts f's period from the raw rows: the definition the
// rollups are counted with, a day at a time.
func analyticsRaw(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	where, args := runsWhere(f)
	if err := r.queryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.outcome = 'converted' THEN 1 ELSE 0 END), 0) FROM runs r WHERE `+where, args...).
		Scan(&t.Entries, &t.Conversions); err != nil {
		return fmt.Errorf("count entries: %w", err)
	}
	if err := r.queryRow(`SELECT COUNT(DISTINCT r.contact_id) FROM runs r WHERE r.contact_id IS NOT NULL AND `+leadStep+` AND `+where, args...).
		Scan(&t.Leads); err != nil {
		return fmt.Errorf("count leads: %w", err)
	}
	var err error
	if t.ChatsStarted, err = countChats(r, f); err != nil {
		return err
	}
	if err := analyticsDeals(r, f, t); err != nil {
		return err
	}
	for _, ch := range analyticsChannels {
		t.Channels[ch] = &ChannelCounts{}
	}
	err = eachMessageStep(r, f, false, func(m MessageStepCounts) { t.Channels[m.Channel].add(m.ChannelCounts) })
	if err != nil {
		return err
	}
	err = eachFirstContact(r, f, func(_ string, d time.Duration) { t.FirstContact = append(t.FirstContact, d) })
	sort.Slice(t.FirstContact, func(i, j int) bool { return t.FirstContact[i] < t.FirstContact[j] })
	return err
}

// countChats counts the chat.started events of f's period (of any journey).
func countChats(r rawDB, f AnalyticsFilter) (int64, error) {
	var n int64
	if err := r.queryRow(`SELECT COUNT(*) FROM events WHERE type = 'chat.started' AND test = ? AND at >= ? AND at < ?`,
		false, f.Since.UTC(), f.Until.UTC()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count chats: %w", err)
	}
	return n, nil
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
		countDeal(t, qualified, f, contact, stage, value)
	}
	t.QualifiedLeads = int64(len(qualified))
	return rows.Err()
}

// countDeal counts one attributed deal; qualified collects the contacts
// with a won deal or one at f's stage.
func countDeal(t *AnalyticsTotals, qualified map[string]bool, f AnalyticsFilter, contact, stage string, value float64) {
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

// eachFirstContact measures, per run started in the period, the time to
// its first contact, in whole seconds: the earlier of its first message
// sent (or kept in the sandbox, at its creation) and the first task it
// created being checked off (a task opened again no longer counts). Each
// is looked up by run (messages and tasks are indexed by run_id). The
// database subtracts, in whole milliseconds, so no time is parsed here.
func eachFirstContact(r rawDB, f AnalyticsFilter, fn func(flow string, d time.Duration)) error {
	where, args := runsWhere(f)
	firstMessage := `(SELECT MIN(COALESCE(m.sent_at, m.created_at)) FROM messages m
		WHERE m.run_id = r.id AND (m.sent_at IS NOT NULL OR m.status = 'sandboxed'))`
	firstTask := `(SELECT MIN(k.completed_at) FROM tasks k WHERE k.run_id = r.id AND ` + r.dl.isTrue(`k.done`) + ` AND k.completed_at IS NOT NULL)`
	q := r.dl.firstContactSQL(where, firstMessage, firstTask)
	rows, err := r.query(q, args...)
	if err != nil {
		return fmt.Errorf("time to first contact: %w", err)
	}
	err = scanEach(rows, func() error {
		var flow string
		var ms float64
		if err := rows.Scan(&flow, &ms); err != nil {
			return err
		}
		fn(flow, wholeSeconds(time.Duration(max(ms, 0))*time.Millisecond))
		return nil
	})
	if err != nil {
		return fmt.Errorf("time to first contact: %w", err)
	}
	return nil
}

// eachConversionTime measures, per converted run started in the period,
// the time from its start to its goal, in whole seconds.
func eachConversionTime(r rawDB, f AnalyticsFilter, fn func(flow string, d time.Duration)) error {
	where, args := runsWhere(f)
	rows, err := r.query(`SELECT r.flow_id, r.started_at, r.ended_at FROM runs r WHERE r.outcome = 'converted' AND r.ended_at IS NOT NULL AND `+where, args...)
	if err != nil {
		return fmt.Errorf("time to convert: %w", err)
	}
	err = scanEach(rows, func() error {
		var flow string
		var started, ended time.Time
		if err := rows.Scan(&flow, &started, &ended); err != nil {
			return err
		}
		fn(flow, wholeSeconds(ended.Sub(started)))
		return nil
	})
	if err != nil {
		return fmt.Errorf("time to convert: %w", err)
	}
	return nil
}

// wholeSeconds is d rounded down to the second, never negative: times are
// counted per second in the rollups, so the raw path counts them alike.
func wholeSeconds(d time.Duration) time.Duration {
	return max(d, 0).Truncate(time.Second)
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

// splitNodeType is the node type of an A/B split (nodes.TypeSplit).
const splitNodeType = "logic.split"

// splitVariant is the path a message m's run took at its first A/B split
// before the message was created ("" when none).
const splitVariant = `COALESCE((SELECT s.port FROM steps s WHERE s.run_id = m.run_id AND s.node_type = '` + splitNodeType + `'
		AND s.status = 'completed' AND s.started_at <= m.created_at ORDER BY s.started_at, s.id LIMIT 1), '')`

// MessageSteps counts the outcomes of the period's messages per journey,
// step and channel, most sent first. byVariant splits each step's counts
// further by the A/B split path its runs took (see splitVariant). A period
// of whole UTC days is read from the rollups (call Store.RefreshAnalytics
// first); any other from the raw rows.
func MessageSteps(db Tx, f AnalyticsFilter, byVariant bool) ([]MessageStepCounts, error) {
	r := rawOf(db)
	var out []MessageStepCounts
	var err error
	if alignedToDays(f) {
		out, err = rolledMessageSteps(r, f, byVariant)
	} else {
		err = eachMessageStep(r, f, byVariant, func(m MessageStepCounts) { out = append(out, m) })
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Sent != b.Sent {
			return a.Sent > b.Sent
		}
		return a.FlowID+"/"+a.NodeID+"/"+a.Channel+"/"+a.Variant < b.FlowID+"/"+b.NodeID+"/"+b.Channel+"/"+b.Variant
	})
	return out, nil
}

// eachMessageStep counts the period's messages per journey, step, channel
// and (byVariant) A/B path from the raw rows.
func eachMessageStep(r rawDB, f AnalyticsFilter, byVariant bool, fn func(MessageStepCounts)) error {
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
		return fmt.Errorf("count messages per step: %w", err)
	}
	err = scanEach(rows, func() error {
		var m MessageStepCounts
		c := &m.ChannelCounts
		if err := rows.Scan(&m.FlowID, &m.NodeID, &m.Channel, &m.Variant, &c.Tried, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Read, &c.Failed, &c.Bounced, &c.Complained, &c.Unsubscribed); err != nil {
			return err
		}
		fn(m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("count messages per step: %w", err)
	}
	return nil
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
func AnalyticsDays(db Tx, f AnalyticsFilter) ([]AnalyticsDay, error) {
	r := rawOf(db)
	if alignedToDays(f) {
		return analyticsDaysFromRollups(r, f)
	}
	day := r.dl.dayOf
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
