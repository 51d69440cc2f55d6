package storage_test

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestSQLiteMessageStepVariants(t *testing.T) {
	t.Parallel()
	exerciseMessageStepVariants(t, openSQLite(t))
}

func TestPostgresMessageStepVariants(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	exerciseMessageStepVariants(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
}

// exerciseMessageStepVariants seeds an A/B journey "ab" whose runs took
// path a or b at the split before the email step, and checks each path's
// counts exactly.
func exerciseMessageStepVariants(t *testing.T, s *storage.Store) {
	str := func(v string) *string { return &v }
	tm := func(v time.Time) *time.Time { return &v }
	run := func(id string, at time.Time, test bool) storage.Run {
		return storage.Run{ID: id, FlowID: "ab", Version: 1, ContactID: str("c-" + id), Status: "completed", Test: test, StartedAt: at, UpdatedAt: at}
	}
	split := func(runID, node, port string, at time.Time) storage.Step {
		return storage.Step{RunID: runID, NodeID: node, NodeType: "logic.split", Visit: 1, Attempt: 1, Status: "completed", Port: port, StartedAt: at, FinishedAt: at}
	}
	msg := func(id, run, node, ch, status string, created time.Time, sent bool, test bool) storage.Message {
		m := storage.Message{ID: id, IdemKey: id, Channel: ch, Provider: "sandbox", Status: status, RunID: run, FlowID: "ab", NodeID: node,
			ContactID: str("c"), CreatedAt: created, UpdatedAt: created, Test: test}
		if sent {
			m.SentAt = tm(created)
		}
		return m
	}
	runs := []storage.Run{
		run("ra1", day(2, 9, 0), false), run("ra2", day(2, 9, 0), false), run("ra3", day(3, 9, 0), false),
		run("rb1", day(2, 9, 0), false), run("rb2", day(4, 9, 0), false),
		run("rlate", day(5, 9, 0), false), // split after the message: no path
		run("rt", day(2, 9, 0), true),     // test run: never counted
	}
	steps := []storage.Step{
		split("ra1", "split", "a", day(2, 9, 0)), split("ra2", "split", "a", day(2, 9, 0)),
		// ra3 went through two splits: the first one's path counts.
		split("ra3", "split", "a", day(3, 9, 0)), split("ra3", "split2", "x", day(3, 9, 1)),
		split("rb1", "split", "b", day(2, 9, 0)), split("rb2", "split", "b", day(4, 9, 0)),
		split("rlate", "split", "b", day(5, 10, 0)),
		split("rt", "split", "a", day(2, 9, 0)),
	}
	msgs := []storage.Message{
		msg("ma1", "ra1", "email", "email", "clicked", day(2, 9, 5), true, false),
		msg("ma2", "ra2", "email", "email", "bounced", day(2, 9, 5), true, false),
		msg("ma3", "ra3", "email", "email", "opened", day(3, 9, 5), true, false),
		msg("mb1", "rb1", "email", "email", "delivered", day(2, 9, 5), true, false),
		msg("mb2", "rb2", "email", "email", "queued", day(4, 9, 5), false, false), // not sent yet: zero denominators
		msg("mb1s", "rb1", "sms", "sms", "failed", day(2, 9, 6), false, false),
		msg("ml", "rlate", "email", "email", "delivered", day(5, 9, 5), true, false),
		msg("mt", "rt", "email", "email", "clicked", day(2, 9, 5), true, true),
	}
	if err := s.Write(t.Context(), func(tx storage.Tx) error {
		for _, rows := range []any{&runs, &steps, &msgs} {
			if err := gormdb.Of(tx).Create(rows).Error; err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := s.RefreshAnalytics(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := storage.AnalyticsFilter{FlowID: "ab", Since: periodStart, Until: periodEnd}
	got, err := storage.MessageSteps(s.Reader(), f, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []storage.MessageStepCounts{
		{FlowID: "ab", NodeID: "email", Channel: "email", Variant: "a", ChannelCounts: storage.ChannelCounts{Tried: 3, Sent: 3, Delivered: 2, Opened: 2, Clicked: 1, Bounced: 1}},
		{FlowID: "ab", NodeID: "email", Channel: "email", Variant: "", ChannelCounts: storage.ChannelCounts{Tried: 1, Sent: 1, Delivered: 1}},
		{FlowID: "ab", NodeID: "email", Channel: "email", Variant: "b", ChannelCounts: storage.ChannelCounts{Tried: 1, Sent: 1, Delivered: 1}},
		{FlowID: "ab", NodeID: "sms", Channel: "sms", Variant: "b", ChannelCounts: storage.ChannelCounts{Tried: 1, Failed: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by variant:\n got %+v\nwant %+v", got, want)
	}
	// Without the split, each step is one row: the sum of its paths.
	got, err = storage.MessageSteps(s.Reader(), f, false)
	if err != nil {
		t.Fatal(err)
	}
	want = []storage.MessageStepCounts{
		{FlowID: "ab", NodeID: "email", Channel: "email", ChannelCounts: storage.ChannelCounts{Tried: 5, Sent: 5, Delivered: 4, Opened: 2, Clicked: 1, Bounced: 1}},
		{FlowID: "ab", NodeID: "sms", Channel: "sms", ChannelCounts: storage.ChannelCounts{Tried: 1, Failed: 1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("per step:\n got %+v\nwant %+v", got, want)
	}
	// An empty period has no rows at all.
	got, err = storage.MessageSteps(s.Reader(), storage.AnalyticsFilter{FlowID: "ab", Since: periodEnd, Until: periodEnd.AddDate(0, 0, 7)}, true)
	if err != nil || len(got) != 0 {
		t.Errorf("empty period: %+v, %v", got, err)
	}
}
