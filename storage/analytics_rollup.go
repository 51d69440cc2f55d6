package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The Results dashboard reads rollups per UTC day (migration 0017) instead
// of scanning runs, steps, messages and events. Each write that changes a
// counted row appends a mark, the day the row is counted on, in its own
// transaction (markDay and friends). RefreshAnalytics recomputes the marked
// days from the raw rows with the same queries the raw path runs, then, in
// one write, deletes exactly the marks it read and replaces those days'
// rollups. Marks are only ever appended, so writers never wait on each
// other for them; a mark written after the refresh read the marks stays
// and brings its day back next time.

// dayLayout is how a rollup day is written (UTC).
const dayLayout = "2006-01-02"

// dayOf is the UTC day a time is counted on.
func dayOf(t time.Time) string { return t.UTC().Format(dayLayout) }

// rollupAll is the flow_id of the rows that count all journeys together.
const rollupAll = "*"

// Duration kinds of analytics_durations.
const (
	durationFirstContact = "first_contact"
	durationConvert      = "convert"
)

// dayExpr is SQL for the UTC day of a time column.
func (r rawDB) dayExpr(col string) string { return r.dl.dayOf(col) }

// Marks made inside Store.Write are collected and written once, when the
// transaction's work is done: a batch of runs marks today once. Outside
// it they are written at once, by the same statements.

// markDay notes that the rollups of t's day must be counted again.
func markDay(r rawDB, t time.Time) error {
	return withMarks(r, func(m *dayMarks) { m.days[dayOf(t)] = true })
}

// markRunDay marks the start day of run runID (a live run's first
// contact changed).
func markRunDay(r rawDB, runID string) error {
	return withMarks(r, func(m *dayMarks) { m.runs[runID] = true })
}

// MarkContactDeals marks the days of a contact's live deals created at or
// after since: a run started then that now has this contact is credited
// with them. Call it when a run gets its contact.
func MarkContactDeals(tx Tx, contactID string, since time.Time) error {
	return withMarks(rawOf(tx), func(m *dayMarks) {
		// The deals of all these contacts since the earliest start:
		// marking more days costs a recount, never a wrong number.
		m.contacts[contactID] = true
		if m.contactsSince.IsZero() || since.Before(m.contactsSince) {
			m.contactsSince = since
		}
	})
}

// dayMarks are the days, the runs whose start days and the contacts whose
// deals a transaction marked so far.
type dayMarks struct {
	days, runs, contacts map[string]bool
	contactsSince        time.Time
}

func newDayMarks() *dayMarks {
	return &dayMarks{days: map[string]bool{}, runs: map[string]bool{}, contacts: map[string]bool{}}
}

// withMarks adds to the marks r's Store.Write holds (see heldRows), or
// writes them now.
func withMarks(r rawDB, add func(*dayMarks)) error {
	if p, ok := r.pool.(*holdingPool); ok {
		add(p.held.marks)
		return nil
	}
	m := newDayMarks()
	add(m)
	return m.flush(r)
}

func (m *dayMarks) flush(r rawDB) error { return runWrites(r, m.writes(r)) }

// writes are the statements that write the marks.
func (m *dayMarks) writes(r rawDB) []heldWrite {
	var writes []heldWrite
	for _, d := range slices.Sorted(maps.Keys(m.days)) {
		writes = append(writes, heldWrite{what: "mark analytics day",
			query: `INSERT INTO analytics_marks (day) VALUES (?)`, args: []any{d}})
	}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(m.runs)), 500) {
		writes = append(writes, heldWrite{what: "mark analytics days",
			query: `INSERT INTO analytics_marks (day) SELECT DISTINCT ` + r.dayExpr("started_at") + ` FROM runs
			WHERE id IN (` + placeholders(len(chunk)) + `) AND test = ?`, args: append(anys(chunk), false)})
	}
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(m.contacts)), 500) {
		writes = append(writes, heldWrite{what: "mark analytics days",
			query: `INSERT INTO analytics_marks (day) SELECT DISTINCT ` + r.dayExpr("created_at") + ` FROM deals
			WHERE contact_id IN (` + placeholders(len(chunk)) + `) AND created_at >= ? AND test = ?`,
			args: append(anys(chunk), m.contactsSince.UTC(), false)})
	}
	return writes
}

// anys makes query arguments of values.
func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// markSplitStep marks, for a step that took an A/B path, the days of its
// run's messages created since: they count under the path they followed.
func markSplitStep(r rawDB, s *Step) error {
	if s.NodeType != splitNodeType || s.Status != "completed" {
		return nil
	}
	_, err := r.exec(`INSERT INTO analytics_marks (day) SELECT DISTINCT `+r.dayExpr("created_at")+`
		FROM messages WHERE run_id = ? AND created_at >= ? AND test = ?`, s.RunID, s.StartedAt.UTC(), false)
	if err != nil {
		return fmt.Errorf("mark analytics days: %w", err)
	}
	return nil
}

// markMessageDays marks the day message id was created on and the day its
// run started on (its status counts on the first, its send time may be
// the run's first contact on the second).
func markMessageDays(r rawDB, id string) error {
	_, err := r.exec(`INSERT INTO analytics_marks (day)
		SELECT `+r.dayExpr("created_at")+` FROM messages WHERE id = ? AND test = ?
		UNION ALL SELECT `+r.dayExpr("r.started_at")+` FROM messages m JOIN runs r ON r.id = m.run_id WHERE m.id = ? AND r.test = ?`,
		id, false, id, false)
	if err != nil {
		return fmt.Errorf("mark analytics day: %w", err)
	}
	return nil
}

// markRunsDays marks the start days of the live runs in ids, the days of
// their messages, and the days of the deals they may be credited with
// (they are about to be deleted).
func markRunsDays(r rawDB, ids []string) error {
	for chunk := range slices.Chunk(ids, 500) {
		in := placeholders(len(chunk))
		var args []any
		for range 3 {
			args = append(append(args, anys(chunk)...), false)
		}
		_, err := r.exec(`INSERT INTO analytics_marks (day)
			SELECT DISTINCT `+r.dayExpr("started_at")+` FROM runs WHERE id IN (`+in+`) AND test = ?
			UNION SELECT DISTINCT `+r.dayExpr("created_at")+` FROM messages WHERE run_id IN (`+in+`) AND test = ?
			UNION SELECT DISTINCT `+r.dayExpr("d.created_at")+` FROM deals d JOIN runs r ON r.contact_id = d.contact_id
				AND d.created_at >= r.started_at WHERE r.id IN (`+in+`) AND d.test = ?`, args...)
		if err != nil {
			return fmt.Errorf("mark analytics days: %w", err)
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// dayRollup is one journey's (or all journeys') numbers of one day.
type dayRollup struct {
	entries, conversions, chats int64
	leads                       map[string]bool // contact ids
	durations                   map[durationKey]int64
	deals                       map[string]*dealFact // by deal id
	funnel                      *funnel              // per journey only
	messageSteps                []MessageStepCounts  // by A/B path, per journey only
}

// dealFact is a deal created that day and how long before it its contact
// last entered the journey (gap).
type dealFact struct {
	contact, stage string
	value          float64
	gap            time.Duration
}

type durationKey struct {
	kind    string
	seconds int64
}

func newDayRollup() *dayRollup {
	return &dayRollup{leads: map[string]bool{}, durations: map[durationKey]int64{},
		deals: map[string]*dealFact{}, funnel: newFunnel()}
}

// refreshMu keeps one refresh at a time in this process (several
// instances are kept apart by the marks: see applyRollups).
var refreshMu sync.Mutex

// refreshDays bounds the days one refresh transaction replaces.
const refreshDays = 31

// RefreshAnalytics brings the rollups up to date with every mark committed
// before it began. The days are counted on the reader; only the
// replacement of their rows takes the writer. Marks committed while it
// counts are left for the next refresh: while journeys run, every few
// milliseconds marks today again, and a refresh that took those too would
// count today over and over until the journeys stopped.
func (s *Store) RefreshAnalytics(ctx context.Context) error {
	return s.refreshAnalytics(ctx, false, nil)
}

// RefreshAnalyticsInBackground is RefreshAnalytics for a refresh nobody
// waits on: it counts the days on a thread of its own at a low priority
// (see atLowPriority), not cut short by ctx once a pass has begun (a
// context that can end would have the driver read every row on another
// goroutine, and so another thread). Only the replacement of the rows, on
// the writer, runs at the usual priority: the writer must not wait on a
// thread the kernel puts last.
func (s *Store) RefreshAnalyticsInBackground(ctx context.Context) error {
	return s.refreshAnalytics(ctx, true, nil)
}

// refreshAnalytics is RefreshAnalytics (background: see
// RefreshAnalyticsInBackground); marksRead, when set, is called after each
// pass has read its marks (for tests).
func (s *Store) refreshAnalytics(ctx context.Context, background bool, marksRead func()) error {
	refreshMu.Lock()
	defer refreshMu.Unlock()
	began := time.Now()
	var last int64
	if err := rawOf(s.Reader().WithContext(ctx)).queryRow(`SELECT COALESCE(MAX(id), 0) FROM analytics_marks`).Scan(&last); err != nil {
		return fmt.Errorf("read analytics marks: %w", err)
	}
	for ctx.Err() == nil {
		r := rawOf(s.Reader().WithContext(ctx))
		ids, days, err := readMarks(r, last)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			s.analyticsAt.Store(began.UnixNano())
			return nil
		}
		if marksRead != nil {
			marksRead()
		}
		counted := make(map[string]map[string]*dayRollup, len(days))
		cr, run := r, func(count func()) { count() }
		if background {
			cr, run = rawOf(s.Reader().WithContext(context.WithoutCancel(ctx))), atLowPriority
		}
		run(func() {
			for _, d := range days {
				if counted[d], err = countDay(cr, d); err != nil {
					return
				}
			}
		})
		if err != nil {
			return err
		}
		err = s.Write(ctx, func(tx Tx) error { return applyRollups(rawOf(tx), ids, counted) })
		// When another instance took some of these marks meanwhile,
		// the marks are read again.
		if err != nil && !errors.Is(err, errRefreshRaced) {
			return fmt.Errorf("refresh analytics: %w", err)
		}
	}
	return ctx.Err()
}

// AnalyticsCountedAt is when the last complete RefreshAnalytics of this
// store began (zero before the first).
func (s *Store) AnalyticsCountedAt() time.Time {
	if ns := s.analyticsAt.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// AnalyticsBacklog counts the days marked and not yet counted again, up
// to limit (a dashboard waits for a few, not for a whole history).
func AnalyticsBacklog(db Tx, limit int) (int, error) {
	var n int
	err := rawOf(db).queryRow(`SELECT COUNT(*) FROM (SELECT DISTINCT day FROM analytics_marks LIMIT ?) x`, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count analytics marks: %w", err)
	}
	return n, nil
}

// readMarks reads the oldest marks up to id last, covering at most
// refreshDays days.
func readMarks(r rawDB, last int64) (ids []int64, days []string, err error) {
	rows, err := r.query(`SELECT id, day FROM analytics_marks WHERE id <= ? ORDER BY id LIMIT 20000`, last)
	if err != nil {
		return nil, nil, fmt.Errorf("read analytics marks: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return nil, nil, fmt.Errorf("read analytics marks: %w", err)
		}
		if !seen[d] {
			if len(days) == refreshDays {
				break
			}
			seen[d] = true
			days = append(days, d)
		}
		ids = append(ids, id)
	}
	sort.Strings(days)
	return ids, days, rows.Err()
}

// countDay counts day d per journey and for all journeys together, from
// the raw rows, with the queries of the raw path.
func countDay(r rawDB, d string) (map[string]*dayRollup, error) {
	since, err := time.Parse(dayLayout, d)
	if err != nil {
		return nil, fmt.Errorf("analytics mark %q: %w", d, err)
	}
	f := AnalyticsFilter{Since: since, Until: since.Add(24 * time.Hour)}
	out := map[string]*dayRollup{}
	get := func(flow string) *dayRollup {
		if out[flow] == nil {
			out[flow] = newDayRollup()
		}
		return out[flow]
	}
	all := get(rollupAll)
	where, args := runsWhere(f)
	rows, err := r.query(`SELECT r.flow_id, COUNT(*), COALESCE(SUM(CASE WHEN r.outcome = 'converted' THEN 1 ELSE 0 END), 0)
		FROM runs r WHERE `+where+` GROUP BY r.flow_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("count entries of %s: %w", d, err)
	}
	err = scanEach(rows, func() error {
		var flow string
		var e, c int64
		if err := rows.Scan(&flow, &e, &c); err != nil {
			return err
		}
		get(flow).entries, get(flow).conversions = e, c
		all.entries += e
		all.conversions += c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count entries of %s: %w", d, err)
	}
	rows, err = r.query(`SELECT DISTINCT r.flow_id, r.contact_id FROM runs r WHERE r.contact_id IS NOT NULL AND `+leadStep+` AND `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("count leads of %s: %w", d, err)
	}
	err = scanEach(rows, func() error {
		var flow, contact string
		if err := rows.Scan(&flow, &contact); err != nil {
			return err
		}
		get(flow).leads[contact] = true
		all.leads[contact] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count leads of %s: %w", d, err)
	}
	if all.chats, err = countChats(r, f); err != nil {
		return nil, err
	}
	err = eachFirstContact(r, f, func(flow string, d time.Duration) {
		k := durationKey{durationFirstContact, int64(d / time.Second)}
		get(flow).durations[k]++
		all.durations[k]++
	})
	if err != nil {
		return nil, err
	}
	err = eachConversionTime(r, f, func(flow string, d time.Duration) {
		k := durationKey{durationConvert, int64(d / time.Second)}
		get(flow).durations[k]++
		all.durations[k]++
	})
	if err != nil {
		return nil, err
	}
	if err := eachFunnel(r, f, func(flow string) *funnel { return get(flow).funnel }); err != nil {
		return nil, err
	}
	err = eachMessageStep(r, f, true, func(m MessageStepCounts) { get(m.FlowID).messageSteps = append(get(m.FlowID).messageSteps, m) })
	if err != nil {
		return nil, err
	}
	err = eachDealGap(r, f, func(flow, id string, d dealFact) {
		get(flow).deals[id] = &d
		// For any journey: the latest entry into any of them.
		if a := all.deals[id]; a == nil || d.gap < a.gap {
			all.deals[id] = &d
		}
	})
	if err != nil {
		return nil, err
	}
	// Messages sent outside journeys count for all journeys only, and
	// their steps under the journey "".
	if none := out[""]; none != nil {
		all.messageSteps = append(all.messageSteps, none.messageSteps...)
		delete(out, "")
	}
	return out, nil
}

// eachDealGap reports, for each deal created in f's period and each
// journey its contact entered at or before the deal, the time since the
// latest such entry.
func eachDealGap(r rawDB, f AnalyticsFilter, fn func(flow, id string, d dealFact)) error {
	rows, err := r.query(`SELECT r.flow_id, d.id, d.contact_id, d.stage, d.value, d.created_at, MAX(r.started_at) FROM deals d
		JOIN runs r ON r.contact_id = d.contact_id AND r.test = ? AND r.started_at <= d.created_at
		WHERE d.test = ? AND d.created_at >= ? AND d.created_at < ?
		GROUP BY r.flow_id, d.id, d.contact_id, d.stage, d.value, d.created_at`, false, false, f.Since.UTC(), f.Until.UTC())
	if err != nil {
		return fmt.Errorf("attribute deals: %w", err)
	}
	err = scanEach(rows, func() error {
		var flow, id string
		var d dealFact
		var created time.Time
		var latest any
		if err := rows.Scan(&flow, &id, &d.contact, &d.stage, &d.value, &created, &latest); err != nil {
			return err
		}
		started, err := asTime(latest)
		if err != nil {
			return err
		}
		d.gap = created.Sub(started)
		fn(flow, id, d)
		return nil
	})
	if err != nil {
		return fmt.Errorf("attribute deals: %w", err)
	}
	return nil
}

// asTime reads an aggregate of a time column: PostgreSQL returns a time,
// SQLite the stored text (an aggregate loses the column's type).
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		return parseSQLiteTime(t)
	case []byte:
		return parseSQLiteTime(string(t))
	}
	return time.Time{}, fmt.Errorf("unexpected time %T", v)
}

// parseSQLiteTime parses the text the SQLite driver writes times as.
func parseSQLiteTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q", s)
}

func (c *ChannelCounts) add(o ChannelCounts) {
	c.Tried += o.Tried
	c.Sent += o.Sent
	c.Delivered += o.Delivered
	c.Opened += o.Opened
	c.Clicked += o.Clicked
	c.Read += o.Read
	c.Failed += o.Failed
	c.Bounced += o.Bounced
	c.Complained += o.Complained
	c.Unsubscribed += o.Unsubscribed
}

// scanEach calls fn for each row and closes rows.
func scanEach(rows interface {
	Next() bool
	Err() error
	Close() error
}, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// applyRollups deletes the marks ids and replaces the rollups of the
// counted days. When some mark is gone, another instance refreshed these
// days with a later count: nothing is written (errRefreshRaced).
func applyRollups(r rawDB, ids []int64, counted map[string]map[string]*dayRollup) error {
	var deleted int64
	for chunk := range slices.Chunk(ids, 500) {
		n, err := r.affected(`DELETE FROM analytics_marks WHERE id IN (`+placeholders(len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return fmt.Errorf("delete analytics marks: %w", err)
		}
		deleted += n
	}
	if deleted != int64(len(ids)) {
		return errRefreshRaced
	}
	days := make([]string, 0, len(counted))
	for d := range counted {
		days = append(days, d)
	}
	sort.Strings(days)
	leads := newLeadChanges()
	for _, d := range days {
		if err := replaceDay(r, d, counted[d], leads); err != nil {
			return err
		}
	}
	if err := leads.apply(r); err != nil {
		return err
	}
	return nil
}

// errRefreshRaced rolls back a refresh whose marks another refresh took.
var errRefreshRaced = errors.New("another refresh took these analytics marks")

// replaceDay writes day d's counted rows in place of the old ones and
// collects how its leads changed.
func replaceDay(r rawDB, d string, byFlow map[string]*dayRollup, leads *leadChanges) error {
	for _, table := range []string{"analytics_days", "analytics_durations", "analytics_deals",
		"analytics_node_steps", "analytics_node_runs", "analytics_paths", "analytics_message_steps"} {
		if _, err := r.exec(`DELETE FROM `+table+` WHERE day = ?`, d); err != nil {
			return fmt.Errorf("replace %s of %s: %w", table, d, err)
		}
	}
	flowsOfDay := make([]string, 0, len(byFlow))
	for flow := range byFlow {
		flowsOfDay = append(flowsOfDay, flow)
	}
	sort.Strings(flowsOfDay)
	for _, flow := range flowsOfDay {
		c := byFlow[flow]
		if c.entries > 0 || c.chats > 0 {
			if _, err := r.exec(`INSERT INTO analytics_days (flow_id, day, entries, conversions, leads, chats_started) VALUES (?,?,?,?,?,?)`,
				flow, d, c.entries, c.conversions, len(c.leads), c.chats); err != nil {
				return fmt.Errorf("write analytics day %s: %w", d, err)
			}
		}
		if flow != rollupAll {
			if err := writeFunnel(r, flow, d, c.funnel); err != nil {
				return err
			}
		}
		for _, m := range c.messageSteps {
			if _, err := r.exec(`INSERT INTO analytics_message_steps (flow_id, day, node_id, channel, variant, tried, sent, delivered, opened,
				clicked, read, failed, bounced, complained, unsubscribed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				m.FlowID, d, m.NodeID, m.Channel, m.Variant, m.Tried, m.Sent, m.Delivered, m.Opened, m.Clicked, m.Read, m.Failed, m.Bounced,
				m.Complained, m.Unsubscribed); err != nil {
				return fmt.Errorf("write message steps of %s: %w", d, err)
			}
		}
		for id, deal := range c.deals {
			if _, err := r.exec(`INSERT INTO analytics_deals (flow_id, day, deal_id, contact_id, stage, value, gap_ns) VALUES (?,?,?,?,?,?,?)`,
				flow, d, id, deal.contact, deal.stage, deal.value, int64(deal.gap)); err != nil {
				return fmt.Errorf("write analytics deals of %s: %w", d, err)
			}
		}
		for k, n := range c.durations {
			if _, err := r.exec(`INSERT INTO analytics_durations (flow_id, day, kind, seconds, n) VALUES (?,?,?,?,?)`,
				flow, d, k.kind, k.seconds, n); err != nil {
				return fmt.Errorf("write analytics times of %s: %w", d, err)
			}
		}
	}
	return leads.day(r, d, byFlow)
}

// leadChanges collects, per journey, the contacts whose lead days changed
// in a refresh and the days as counted now.
type leadChanges struct {
	// days[flow][contact] maps each refreshed day to whether the contact
	// was a lead of that journey on it.
	days map[string]map[string]map[string]bool
}

func newLeadChanges() *leadChanges {
	return &leadChanges{days: map[string]map[string]map[string]bool{}}
}

func (l *leadChanges) set(flow, contact, day string, lead bool) {
	if l.days[flow] == nil {
		l.days[flow] = map[string]map[string]bool{}
	}
	if l.days[flow][contact] == nil {
		l.days[flow][contact] = map[string]bool{}
	}
	l.days[flow][contact][day] = lead
}

// day compares day d's stored leads with the counted ones.
func (l *leadChanges) day(r rawDB, d string, byFlow map[string]*dayRollup) error {
	rows, err := r.query(`SELECT flow_id, contact_id FROM analytics_lead_days WHERE day = ?`, d)
	if err != nil {
		return fmt.Errorf("read leads of %s: %w", d, err)
	}
	stored := map[[2]string]bool{}
	err = scanEach(rows, func() error {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		stored[k] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("read leads of %s: %w", d, err)
	}
	for k := range stored {
		if c := byFlow[k[0]]; c == nil || !c.leads[k[1]] {
			l.set(k[0], k[1], d, false)
		}
	}
	for flow, c := range byFlow {
		for contact := range c.leads {
			if !stored[[2]string{flow, contact}] {
				l.set(flow, contact, d, true)
			}
		}
	}
	return nil
}

// leadDay is one row of analytics_lead_days.
type leadDay struct{ day, prev string }

// apply rewrites the lead days of the changed contacts, each with its
// previous day, and moves analytics_lead_counts by the difference.
func (l *leadChanges) apply(r rawDB) error {
	type countKey struct{ flow, day, prev string }
	delta := map[countKey]int64{}
	// Every stored row is read before any is written: PostgreSQL plans
	// these lookups with the table's statistics, which do not see the
	// rows this transaction adds (it chose a scan of the whole table for
	// each lookup while a large history was being counted).
	sorted := map[string][]string{}
	total := 0
	for flow, contacts := range l.days {
		ids := make([]string, 0, len(contacts))
		for c := range contacts {
			ids = append(ids, c)
		}
		sort.Strings(ids)
		sorted[flow] = ids
		total += len(ids)
	}
	if total > 2000 {
		if err := r.dl.analyzeAfterBulk(r, `analytics_lead_days`); err != nil {
			return fmt.Errorf("analyze lead days: %w", err)
		}
	}
	stored := map[string]map[string][]leadDay{}
	for flow, ids := range sorted {
		stored[flow] = map[string][]leadDay{}
		for chunk := range slices.Chunk(ids, 500) {
			got, err := storedLeadDays(r, flow, chunk)
			if err != nil {
				return err
			}
			maps.Copy(stored[flow], got)
		}
	}
	for flow, contacts := range l.days {
		ids := sorted[flow]
		old := stored[flow]
		for chunk := range slices.Chunk(ids, 500) {
			var deletes, inserts [][]any
			for _, contact := range chunk {
				before := old[contact]
				days := map[string]bool{}
				for _, ld := range before {
					days[ld.day] = true
				}
				for d, lead := range contacts[contact] {
					days[d] = lead
				}
				after := chainDays(days)
				was := map[leadDay]bool{}
				for _, ld := range before {
					was[ld] = true
				}
				now := map[leadDay]bool{}
				for _, ld := range after {
					now[ld] = true
				}
				for _, ld := range before {
					if !now[ld] {
						deletes = append(deletes, []any{flow, contact, ld.day})
						delta[countKey{flow, ld.day, ld.prev}]--
					}
				}
				for _, ld := range after {
					if !was[ld] {
						inserts = append(inserts, []any{flow, contact, ld.day, ld.prev})
						delta[countKey{flow, ld.day, ld.prev}]++
					}
				}
			}
			for _, k := range deletes {
				if _, err := r.exec(`DELETE FROM analytics_lead_days WHERE flow_id = ? AND contact_id = ? AND day = ?`, k...); err != nil {
					return fmt.Errorf("write lead days: %w", err)
				}
			}
			for batch := range slices.Chunk(inserts, 200) {
				args := make([]any, 0, 4*len(batch))
				for _, row := range batch {
					args = append(args, row...)
				}
				values := strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(batch)), ",")
				if _, err := r.exec(`INSERT INTO analytics_lead_days (flow_id, contact_id, day, prev_day) VALUES `+values, args...); err != nil {
					return fmt.Errorf("write lead days: %w", err)
				}
			}
		}
	}
	for k, n := range delta {
		if n == 0 {
			continue
		}
		if _, err := r.exec(`INSERT INTO analytics_lead_counts (flow_id, day, prev_day, n) VALUES (?,?,?,?)
			ON CONFLICT (flow_id, day, prev_day) DO UPDATE SET n = analytics_lead_counts.n + excluded.n`, k.flow, k.day, k.prev, n); err != nil {
			return fmt.Errorf("count lead days: %w", err)
		}
	}
	if _, err := r.exec(`DELETE FROM analytics_lead_counts WHERE n = 0`); err != nil {
		return fmt.Errorf("count lead days: %w", err)
	}
	return nil
}

// chainDays orders the days that are set and links each to the one before.
func chainDays(days map[string]bool) []leadDay {
	var ds []string
	for d, ok := range days {
		if ok {
			ds = append(ds, d)
		}
	}
	sort.Strings(ds)
	out := make([]leadDay, len(ds))
	prev := ""
	for i, d := range ds {
		out[i] = leadDay{d, prev}
		prev = d
	}
	return out
}

func storedLeadDays(r rawDB, flow string, contacts []string) (map[string][]leadDay, error) {
	rows, err := r.query(`SELECT contact_id, day, prev_day FROM analytics_lead_days WHERE flow_id = ? AND contact_id IN (`+placeholders(len(contacts))+`)`,
		append([]any{flow}, anys(contacts)...)...)
	if err != nil {
		return nil, fmt.Errorf("read lead days: %w", err)
	}
	out := map[string][]leadDay{}
	err = scanEach(rows, func() error {
		var c string
		var ld leadDay
		if err := rows.Scan(&c, &ld.day, &ld.prev); err != nil {
			return err
		}
		out[c] = append(out[c], ld)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read lead days: %w", err)
	}
	return out, nil
}

// alignedToDays reports whether f's period starts and ends at UTC
// midnight, so the rollups answer it.
func alignedToDays(f AnalyticsFilter) bool {
	midnight := func(t time.Time) bool { return t.Equal(t.UTC().Truncate(24 * time.Hour)) }
	return midnight(f.Since) && midnight(f.Until)
}

// rollupScope is the flow_id of f's rollup rows.
func rollupScope(f AnalyticsFilter) string {
	if f.FlowID == "" {
		return rollupAll
	}
	return f.FlowID
}

// analyticsFromRollups counts f's whole days from the rollups.
func analyticsFromRollups(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	scope, d1, d2 := rollupScope(f), dayOf(f.Since), dayOf(f.Until)
	if err := r.queryRow(`SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(conversions), 0) FROM analytics_days
		WHERE flow_id = ? AND day >= ? AND day < ?`, scope, d1, d2).Scan(&t.Entries, &t.Conversions); err != nil {
		return fmt.Errorf("count entries: %w", err)
	}
	if err := r.queryRow(`SELECT COALESCE(SUM(chats_started), 0) FROM analytics_days WHERE flow_id = ? AND day >= ? AND day < ?`,
		rollupAll, d1, d2).Scan(&t.ChatsStarted); err != nil {
		return fmt.Errorf("count chats: %w", err)
	}
	// A contact counts on its first lead day of the period: the days
	// whose previous lead day is before the period.
	if err := r.queryRow(`SELECT COALESCE(SUM(n), 0) FROM analytics_lead_counts WHERE flow_id = ? AND day >= ? AND day < ? AND prev_day < ?`,
		scope, d1, d2, d1).Scan(&t.Leads); err != nil {
		return fmt.Errorf("count leads: %w", err)
	}
	for _, ch := range analyticsChannels {
		t.Channels[ch] = &ChannelCounts{}
	}
	// The channels' outcomes are those of their message steps added up.
	q, args := messageStepsWhere(f)
	rows, err := r.query(`SELECT channel, SUM(tried), SUM(sent), SUM(delivered), SUM(opened), SUM(clicked), SUM(read), SUM(failed),
		SUM(bounced), SUM(complained), SUM(unsubscribed) FROM analytics_message_steps WHERE `+q+` GROUP BY channel`, args...)
	if err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	err = scanEach(rows, func() error {
		var ch string
		var c ChannelCounts
		if err := rows.Scan(&ch, &c.Tried, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Read, &c.Failed, &c.Bounced, &c.Complained, &c.Unsubscribed); err != nil {
			return err
		}
		t.Channels[ch] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("count messages: %w", err)
	}
	t.FirstContact, err = rolledDurations(r, scope, durationFirstContact, d1, d2)
	if err != nil {
		return err
	}
	return rolledDeals(r, f, t)
}

// rolledDeals counts the deals of f's days attributed within f.Window.
func rolledDeals(r rawDB, f AnalyticsFilter, t *AnalyticsTotals) error {
	rows, err := r.query(`SELECT contact_id, stage, value FROM analytics_deals WHERE flow_id = ? AND day >= ? AND day < ? AND gap_ns <= ?`,
		rollupScope(f), dayOf(f.Since), dayOf(f.Until), int64(f.Window))
	if err != nil {
		return fmt.Errorf("attribute deals: %w", err)
	}
	qualified := map[string]bool{}
	err = scanEach(rows, func() error {
		var contact, stage string
		var value float64
		if err := rows.Scan(&contact, &stage, &value); err != nil {
			return err
		}
		countDeal(t, qualified, f, contact, stage, value)
		return nil
	})
	if err != nil {
		return fmt.Errorf("attribute deals: %w", err)
	}
	t.QualifiedLeads = int64(len(qualified))
	return nil
}

// rolledDurations reads the durations of a kind, shortest first.
func rolledDurations(r rawDB, scope, kind, d1, d2 string) ([]time.Duration, error) {
	rows, err := r.query(`SELECT seconds, SUM(n) FROM analytics_durations WHERE flow_id = ? AND kind = ? AND day >= ? AND day < ?
		GROUP BY seconds ORDER BY seconds`, scope, kind, d1, d2)
	if err != nil {
		return nil, fmt.Errorf("read %s times: %w", kind, err)
	}
	var out []time.Duration
	err = scanEach(rows, func() error {
		var secs, n int64
		if err := rows.Scan(&secs, &n); err != nil {
			return err
		}
		for range n {
			out = append(out, time.Duration(secs)*time.Second)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s times: %w", kind, err)
	}
	return out, nil
}

// analyticsDaysFromRollups reads f's days from the rollups.
func analyticsDaysFromRollups(r rawDB, f AnalyticsFilter) ([]AnalyticsDay, error) {
	scope, d1, d2 := rollupScope(f), dayOf(f.Since), dayOf(f.Until)
	days := map[string]*AnalyticsDay{}
	get := func(d string) *AnalyticsDay {
		if days[d] == nil {
			days[d] = &AnalyticsDay{Day: d}
		}
		return days[d]
	}
	rows, err := r.query(`SELECT day, entries, conversions, leads FROM analytics_days WHERE flow_id = ? AND day >= ? AND day < ? AND entries > 0`,
		scope, d1, d2)
	if err != nil {
		return nil, fmt.Errorf("runs per day: %w", err)
	}
	err = scanEach(rows, func() error {
		var d string
		var e, c, l int64
		if err := rows.Scan(&d, &e, &c, &l); err != nil {
			return err
		}
		a := get(d)
		a.Entries, a.Conversions, a.Leads = e, c, l
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("runs per day: %w", err)
	}
	q, args := messageStepsWhere(f)
	rows, err = r.query(`SELECT day, SUM(sent), SUM(opened) FROM analytics_message_steps WHERE channel = 'email' AND `+q+` GROUP BY day`, args...)
	if err != nil {
		return nil, fmt.Errorf("emails per day: %w", err)
	}
	err = scanEach(rows, func() error {
		var d string
		var s, o int64
		if err := rows.Scan(&d, &s, &o); err != nil {
			return err
		}
		a := get(d)
		a.EmailsSent, a.EmailsOpened = s, o
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("emails per day: %w", err)
	}
	out := make([]AnalyticsDay, 0, len(days))
	for _, a := range days {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}

// markContactDays marks the days a contact's runs, messages and chats are
// counted on (they are about to be erased).
func markContactDays(r rawDB, contactID string) error {
	_, err := r.exec(`INSERT INTO analytics_marks (day)
		SELECT DISTINCT `+r.dayExpr("started_at")+` FROM runs WHERE contact_id = ? AND test = ?
		UNION SELECT DISTINCT `+r.dayExpr("created_at")+` FROM messages WHERE contact_id = ? AND test = ?
		UNION SELECT DISTINCT `+r.dayExpr("at")+` FROM events WHERE contact_id = ? AND type = 'chat.started' AND test = ?
		UNION SELECT DISTINCT `+r.dayExpr("created_at")+` FROM deals WHERE contact_id = ? AND test = ?`,
		contactID, false, contactID, false, contactID, false, contactID, false)
	if err != nil {
		return fmt.Errorf("mark analytics days: %w", err)
	}
	return nil
}

// rolledMessageSteps reads f's days of message steps from the rollups,
// adding up the A/B paths unless byVariant.
func rolledMessageSteps(r rawDB, f AnalyticsFilter, byVariant bool) ([]MessageStepCounts, error) {
	variant := `''`
	if byVariant {
		variant = `variant`
	}
	where, args := messageStepsWhere(f)
	rows, err := r.query(`SELECT flow_id, node_id, channel, `+variant+` AS v, SUM(tried), SUM(sent), SUM(delivered), SUM(opened), SUM(clicked),
		SUM(read), SUM(failed), SUM(bounced), SUM(complained), SUM(unsubscribed) FROM analytics_message_steps WHERE `+where+`
		GROUP BY flow_id, node_id, channel, v`, args...)
	if err != nil {
		return nil, fmt.Errorf("count messages per step: %w", err)
	}
	var out []MessageStepCounts
	err = scanEach(rows, func() error {
		var m MessageStepCounts
		c := &m.ChannelCounts
		if err := rows.Scan(&m.FlowID, &m.NodeID, &m.Channel, &m.Variant, &c.Tried, &c.Sent, &c.Delivered, &c.Opened, &c.Clicked, &c.Read,
			&c.Failed, &c.Bounced, &c.Complained, &c.Unsubscribed); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count messages per step: %w", err)
	}
	return out, nil
}

// messageStepsWhere selects f's days of analytics_message_steps: one
// journey's, or every journey's and those of messages sent outside one.
func messageStepsWhere(f AnalyticsFilter) (string, []any) {
	q, args := `day >= ? AND day < ?`, []any{dayOf(f.Since), dayOf(f.Until)}
	if f.FlowID != "" {
		q += ` AND flow_id = ?`
		args = append(args, f.FlowID)
	}
	return q, args
}
