package storage_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestSQLiteAnalytics(t *testing.T) {
	t.Parallel()
	exerciseAnalytics(t, openSQLite(t))
}

func TestPostgresAnalytics(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	exerciseAnalytics(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
}

var (
	periodStart = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = periodStart.AddDate(0, 0, 7)
	day         = func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
)

// seedAnalytics writes a known history: four real runs of "chat" in the
// week of 1 December, one of "other", one of "chat" the week before, one
// long before, and test data that must never count.
func seedAnalytics(t *testing.T, s *storage.Store) {
	t.Helper()
	str := func(v string) *string { return &v }
	tm := func(v time.Time) *time.Time { return &v }
	hist := func(types ...string) string {
		var evs []storage.MessageEvent
		for _, ty := range types {
			evs = append(evs, storage.MessageEvent{Type: ty, At: day(2, 12, 0)})
		}
		b, _ := json.Marshal(evs)
		return string(b)
	}
	run := func(id, flow, contact string, at time.Time, outcome string, test bool) storage.Run {
		return storage.Run{ID: id, FlowID: flow, Version: 1, ContactID: str(contact), Status: "completed", Outcome: outcome,
			Test: test, StartedAt: at, UpdatedAt: at}
	}
	step := func(runID, typ string, at time.Time) storage.Step {
		return storage.Step{RunID: runID, NodeID: "n", NodeType: typ, Visit: 1, Attempt: 1, Status: "completed", StartedAt: at, FinishedAt: at}
	}
	msg := func(id, run, flow, ch, status string, created time.Time, sent *time.Time, events string, test bool) storage.Message {
		return storage.Message{ID: id, IdemKey: id, Channel: ch, Provider: "sandbox", Status: status, RunID: run, FlowID: flow, NodeID: "send_" + ch,
			ContactID: str("c"), CreatedAt: created, UpdatedAt: created, SentAt: sent, Events: events, Test: test}
	}
	deal := func(id, contact, stage string, value float64, at time.Time, test bool) storage.Deal {
		return storage.Deal{ID: id, ContactID: contact, Title: id, Stage: stage, Value: value, Test: test, CreatedAt: at}
	}
	event := func(id string, at time.Time, test bool) storage.Event {
		return storage.Event{ID: id, Type: "chat.started", At: at, ReceivedAt: at, Test: test}
	}
	runs := []storage.Run{
		run("r1", "chat", "c1", day(2, 10, 0), "converted", false),
		run("r2", "chat", "c2", day(3, 9, 0), "", false),
		run("r3", "chat", "c1", day(4, 9, 0), "", false),
		run("r4", "chat", "c3", day(5, 9, 0), "", false),
		run("r5", "other", "c4", day(6, 9, 0), "", false),
		run("r6", "chat", "c5", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), "converted", false),
		run("r7", "chat", "c6", time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), "", false),
		run("rt", "chat", "ct", day(2, 10, 0), "converted", true),
	}
	steps := []storage.Step{
		step("r1", "crm.upsert_contact", day(2, 10, 0)), step("r2", "crm.upsert_contact", day(3, 9, 0)),
		step("r3", "crm.upsert_contact", day(4, 9, 0)), step("r4", "logic.if", day(5, 9, 0)),
		step("r5", "crm.upsert_contact", day(6, 9, 0)), step("r6", "crm.upsert_contact", day(25, 9, 0).AddDate(0, -1, 0)),
		step("rt", "crm.upsert_contact", day(2, 10, 0)),
	}
	msgs := []storage.Message{
		msg("m1", "r1", "chat", "email", "clicked", day(2, 10, 5), tm(day(2, 10, 5)), hist("sent", "clicked", "complained"), false),
		msg("m2", "r1", "chat", "email", "delivered", day(2, 10, 20), tm(day(2, 10, 20)), hist("sent", "unsubscribed"), false),
		msg("m3", "r2", "chat", "email", "bounced", day(3, 9, 30), tm(day(3, 9, 30)), hist("sent", "bounced"), false),
		msg("m4", "r2", "chat", "sms", "delivered", day(3, 9, 10), tm(day(3, 9, 10)), "", false),
		msg("m5", "r4", "chat", "whatsapp", "read", day(5, 10, 0), tm(day(5, 10, 0)), "", false),
		msg("m6", "r4", "chat", "whatsapp", "failed", day(5, 10, 0), nil, "", false),
		msg("m8", "r3", "chat", "email", "sandboxed", day(4, 9, 2), nil, "", false),
		msg("m7", "r5", "other", "email", "queued", day(6, 9, 0), nil, "", false),
		msg("mt", "rt", "chat", "email", "clicked", day(2, 10, 1), tm(day(2, 10, 1)), hist("complained"), true),
	}
	deals := []storage.Deal{
		deal("d1", "c1", "won", 1000, day(6, 0, 0), false),
		deal("d2", "c2", "qualified", 500, day(7, 0, 0), false),
		deal("d3", "c4", "new", 200, day(7, 0, 0), false),
		deal("d4", "c3", "won", 300, day(6, 0, 0), false),
		deal("d5", "c5", "new", 50, day(2, 0, 0), false),
		deal("d6", "c6", "won", 700, day(3, 0, 0), false), // 63 days after c6's run
		deal("d7", "c7", "won", 900, day(3, 0, 0), false), // c7 went through no journey
		deal("dt", "ct", "won", 5000, day(3, 0, 0), true),
	}
	events := []storage.Event{
		event("e1", day(2, 9, 0), false), event("e2", day(3, 9, 0), false), event("et", day(3, 9, 0), true),
		event("e0", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), false),
	}
	err := s.Write(t.Context(), func(tx storage.Tx) error {
		for _, rows := range []any{&runs, &steps, &msgs, &deals, &events} {
			if err := gormdb.Of(tx).Create(rows).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func exerciseAnalytics(t *testing.T, s *storage.Store) {
	seedAnalytics(t, s)
	if err := s.RefreshAnalytics(t.Context()); err != nil {
		t.Fatal(err)
	}
	db := s.Reader()
	f := storage.AnalyticsFilter{FlowID: "chat", Since: periodStart, Until: periodEnd, Stage: "qualified", Window: 30 * 24 * time.Hour}
	got, err := storage.Analytics(db, f)
	if err != nil {
		t.Fatal(err)
	}
	want := &storage.AnalyticsTotals{
		Entries: 4, Conversions: 1, Leads: 2, ChatsStarted: 2,
		// d1 won, d2 qualified, d4 won, d5 (c5 entered 7 days before); not d6
		// (outside the window), d7 (no journey), d3 (other journey), dt (test).
		QualifiedLeads: 3, DealsCreated: 4, DealValue: 1850, WonDeals: 2, WonValue: 1300,
		Channels: map[string]*storage.ChannelCounts{
			"email":    {Tried: 4, Sent: 4, Delivered: 2, Opened: 1, Clicked: 1, Bounced: 1, Complained: 1, Unsubscribed: 1},
			"sms":      {Tried: 1, Sent: 1, Delivered: 1},
			"whatsapp": {Tried: 2, Sent: 1, Delivered: 1, Read: 1, Failed: 1},
		},
		FirstContact: []time.Duration{2 * time.Minute, 5 * time.Minute, 10 * time.Minute, time.Hour},
	}
	assertTotals(t, "chat, this week", got, want)

	// A 90-day window also attributes d6.
	f.Window = 90 * 24 * time.Hour
	got, err = storage.Analytics(db, f)
	if err != nil {
		t.Fatal(err)
	}
	if got.DealsCreated != 5 || got.WonValue != 2000 || got.QualifiedLeads != 4 {
		t.Errorf("90-day window: %d deals, won %v, %d qualified; want 5, 2000, 4", got.DealsCreated, got.WonValue, got.QualifiedLeads)
	}

	// The previous week.
	prev := storage.AnalyticsFilter{FlowID: "chat", Since: periodStart.AddDate(0, 0, -7), Until: periodStart, Stage: "qualified", Window: 30 * 24 * time.Hour}
	got, err = storage.Analytics(db, prev)
	if err != nil {
		t.Fatal(err)
	}
	assertTotals(t, "chat, the week before", got, &storage.AnalyticsTotals{Entries: 1, Conversions: 1, Leads: 1, ChatsStarted: 1,
		Channels: map[string]*storage.ChannelCounts{"email": {}, "sms": {}, "whatsapp": {}}})

	// All journeys.
	all := f
	all.FlowID, all.Window = "", 30*24*time.Hour
	got, err = storage.Analytics(db, all)
	if err != nil {
		t.Fatal(err)
	}
	if got.Entries != 5 || got.Leads != 3 || got.DealsCreated != 5 || got.Channels["email"].Sent != 4 {
		t.Errorf("all journeys: %d entries, %d leads, %d deals, %d emails sent; want 5, 3, 5, 4",
			got.Entries, got.Leads, got.DealsCreated, got.Channels["email"].Sent)
	}

	steps, err := storage.MessageSteps(db, storage.AnalyticsFilter{FlowID: "chat", Since: periodStart, Until: periodEnd}, false)
	if err != nil {
		t.Fatal(err)
	}
	wantSteps := []storage.MessageStepCounts{
		{FlowID: "chat", NodeID: "send_email", Channel: "email", ChannelCounts: storage.ChannelCounts{Tried: 4, Sent: 4, Delivered: 2, Opened: 1, Clicked: 1, Bounced: 1, Complained: 1, Unsubscribed: 1}},
		{FlowID: "chat", NodeID: "send_sms", Channel: "sms", ChannelCounts: storage.ChannelCounts{Tried: 1, Sent: 1, Delivered: 1}},
		{FlowID: "chat", NodeID: "send_whatsapp", Channel: "whatsapp", ChannelCounts: storage.ChannelCounts{Tried: 2, Sent: 1, Delivered: 1, Read: 1, Failed: 1}},
	}
	if !reflect.DeepEqual(steps, wantSteps) {
		t.Errorf("message steps:\n got %+v\nwant %+v", steps, wantSteps)
	}

	days, err := storage.AnalyticsDays(db, storage.AnalyticsFilter{FlowID: "chat", Since: periodStart, Until: periodEnd})
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []storage.AnalyticsDay{
		{Day: "2026-12-02", Entries: 1, Conversions: 1, Leads: 1, EmailsSent: 2, EmailsOpened: 1},
		{Day: "2026-12-03", Entries: 1, Leads: 1, EmailsSent: 1},
		{Day: "2026-12-04", Entries: 1, Leads: 1, EmailsSent: 1},
		{Day: "2026-12-05", Entries: 1},
	}
	if !reflect.DeepEqual(days, wantDays) {
		t.Errorf("days:\n got %+v\nwant %+v", days, wantDays)
	}
}

func assertTotals(t *testing.T, name string, got, want *storage.AnalyticsTotals) {
	t.Helper()
	assertSameTotals(t, name, got, want)
}

// assertSameTotals compares every count, every time and every channel.
func assertSameTotals(t *testing.T, name string, got, want *storage.AnalyticsTotals) {
	t.Helper()
	g, w := *got, *want
	g.Channels, w.Channels = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
	}
	for ch, wc := range want.Channels {
		if gc := got.Channels[ch]; gc == nil || *gc != *wc {
			t.Errorf("%s, %s: got %+v, want %+v", name, ch, gc, wc)
		}
	}
}
