package storage_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestSQLiteAnalyticsRollupsEqualRawRows(t *testing.T) {
	t.Parallel()
	exerciseRollups(t, openSQLite(t))
}

func TestPostgresAnalyticsRollupsEqualRawRows(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	exerciseRollups(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
}

// exerciseRollups writes a random history through the write functions the
// engine, the channels and the API use (runs started on any of 20 days,
// steps and goals reached days later, messages whose status moves on,
// tasks checked off and opened again, chats, deals attributed within
// windows of 0 to 3 days, runs deleted by retention,
// and last an erased contact), refreshing the rollups at random moments. After
// each refresh, every whole-day period of every journey and of all
// journeys must count exactly what the raw rows count.
func exerciseRollups(t *testing.T, s *storage.Store) {
	rng := rand.New(rand.NewPCG(15, 2026))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	flowIDs := []string{"f1", "f2", "f3"}
	at := func(day int) time.Time {
		return start.AddDate(0, 0, day).Add(time.Duration(rng.IntN(24*3600)) * time.Second)
	}
	type liveRun struct {
		run      storage.Run
		messages []string
		tasks    []string
	}
	var runs []*liveRun
	n := 0
	id := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	statuses := []string{"queued", "sandboxed", "sent", "delivered", "opened", "clicked", "read", "bounced", "failed"}
	write := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := s.Write(t.Context(), fn); err != nil {
			t.Fatal(err)
		}
	}

	write(func(tx storage.Tx) error {
		for i := range 12 {
			if err := gormdb.Of(tx).Create(&storage.Contact{ID: fmt.Sprintf("c%d", i)}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	for round := range 60 {
		write(func(tx storage.Tx) error {
			for range 10 {
				// Weighted: runs 25%, steps 25%, messages 15%, message
				// updates 10%, tasks 10%, chats 5%, retention 3%, deals 7%.
				w := rng.IntN(100)
				op := 0
				for i, upTo := range []int{25, 50, 65, 75, 85, 90, 93, 100} {
					if w < upTo {
						op = i
						break
					}
				}
				switch {
				case op == 0 || len(runs) == 0: // a run starts
					contact := fmt.Sprintf("c%d", rng.IntN(12))
					r := storage.Run{ID: id("r"), FlowID: flowIDs[rng.IntN(len(flowIDs))], Version: 1, ContactID: &contact,
						Status: storage.RunRunning, Test: rng.IntN(10) == 0, StartedAt: at(rng.IntN(20)), Trigger: "{}", Vars: "{}", Visits: "{}"}
					r.UpdatedAt = r.StartedAt
					if err := storage.InsertRun(tx, &r); err != nil {
						return err
					}
					runs = append(runs, &liveRun{run: r})
				case op == 1: // a step, maybe the upsert that makes a lead, maybe the goal
					lr := runs[rng.IntN(len(runs))]
					n++
					typ := []string{"crm.upsert_contact", "logic.if", "logic.split"}[rng.IntN(3)]
					step := storage.Step{RunID: lr.run.ID, NodeID: typ, NodeType: typ, Visit: n, Attempt: 1,
						Status: []string{"completed", "completed", "failed", "timed_out"}[rng.IntN(4)],
						Port:   []string{"out", "a", "b", ""}[rng.IntN(4)], StartedAt: lr.run.StartedAt, FinishedAt: lr.run.StartedAt}
					if err := storage.InsertSteps(tx, []storage.Step{step}); err != nil {
						return err
					}
					if rng.IntN(8) == 0 {
						// The run gets another contact, as the engine does
						// when a step saves a different person.
						contact := fmt.Sprintf("c%d", rng.IntN(12))
						for _, c := range []*string{&contact, lr.run.ContactID} {
							if err := storage.MarkContactDeals(tx, *c, lr.run.StartedAt); err != nil {
								return err
							}
						}
						lr.run.ContactID = &contact
					}
					if rng.IntN(3) == 0 {
						end := lr.run.StartedAt.Add(time.Duration(rng.IntN(5*24*3600)) * time.Second)
						lr.run.Status, lr.run.Outcome, lr.run.EndedAt = storage.RunCompleted, storage.OutcomeConverted, &end
					}
					err := storage.SaveRun(tx, &lr.run)
					if errors.Is(err, storage.ErrConflict) {
						break // retention deleted the run
					}
					if err != nil {
						return err
					}
				case op == 2: // a message of a run
					lr := runs[rng.IntN(len(runs))]
					m := storage.Message{ID: id("m"), IdemKey: id("k"), Channel: []string{"email", "sms", "whatsapp"}[rng.IntN(3)],
						Provider: "sandbox", Status: statuses[rng.IntN(len(statuses))], RunID: lr.run.ID, FlowID: lr.run.FlowID,
						NodeID: []string{"send", "remind"}[rng.IntN(2)], ContactID: lr.run.ContactID, Test: lr.run.Test,
						CreatedAt: lr.run.StartedAt.Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)}
					if _, _, err := storage.InsertMessage(tx, &m); err != nil {
						return err
					}
					lr.messages = append(lr.messages, m.ID)
				case op == 3: // a message moves on: sent, opened, complained
					lr := runs[rng.IntN(len(runs))]
					if len(lr.messages) == 0 {
						continue
					}
					ch := storage.MessageChange{Status: statuses[rng.IntN(len(statuses))]}
					if rng.IntN(2) == 0 {
						ch.SentAt = lr.run.StartedAt.Add(time.Duration(rng.IntN(48*3600)) * time.Second)
					}
					if rng.IntN(4) == 0 {
						ch.Event = &storage.MessageEvent{Type: []string{"complained", "unsubscribed"}[rng.IntN(2)], At: ch.SentAt}
					}
					if _, err := storage.UpdateMessage(tx, lr.messages[rng.IntN(len(lr.messages))], ch, time.Now()); err != nil {
						return err
					}
				case op == 4: // a task of a run, or one checked off or opened again
					lr := runs[rng.IntN(len(runs))]
					if len(lr.tasks) == 0 || rng.IntN(2) == 0 {
						tid, err := storage.CreateTask(tx, lr.run.ID+":task:"+id("v"), storage.Task{Title: "Call", Test: lr.run.Test,
							Done: rng.IntN(3) == 0}, lr.run.StartedAt.Add(time.Hour))
						if err != nil {
							return err
						}
						lr.tasks = append(lr.tasks, tid)
						continue
					}
					when := lr.run.StartedAt.Add(time.Duration(rng.IntN(24*3600)) * time.Second)
					if _, err := storage.SetTaskDone(tx, lr.tasks[rng.IntN(len(lr.tasks))], rng.IntN(3) > 0, when); err != nil {
						return err
					}
				case op == 5: // a chat starts
					e := storage.Event{ID: id("e"), Type: "chat.started", At: at(rng.IntN(20)), Test: rng.IntN(10) == 0}
					e.ReceivedAt = e.At
					if _, err := storage.InsertEvent(tx, &e); err != nil {
						return err
					}
				case op == 7: // a deal for a contact, before or after their runs
					contact := fmt.Sprintf("c%d", rng.IntN(12))
					_, err := storage.CreateDeal(tx, "", storage.Deal{ContactID: contact, Title: "Deal",
						Stage: []string{"new", "qualified", "won"}[rng.IntN(3)], Value: float64(rng.IntN(1000))}, at(rng.IntN(25)))
					if err != nil {
						return err
					}
				case op == 6: // retention deletes the oldest finished runs
					if _, err := storage.DeleteFinishedRuns(tx, start.AddDate(0, 0, 30), 1); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if rng.IntN(4) == 0 || round == 59 {
			if err := s.RefreshAnalytics(t.Context()); err != nil {
				t.Fatal(err)
			}
			compareRollups(t, s, start, flowIDs, round, round == 59)
		}
	}
	// Last, alone, a contact is erased: their runs stay, without them,
	// and their messages and chats go.
	write(func(tx storage.Tx) error { return storage.EraseContactAt(tx, "c3", time.Now()) })
	if err := s.RefreshAnalytics(t.Context()); err != nil {
		t.Fatal(err)
	}
	compareRollups(t, s, start, flowIDs, 60, true)
}

// compareRollups checks whole-day periods of every journey and of all
// journeys: the rollups against the raw rows.
func compareRollups(t *testing.T, s *storage.Store, start time.Time, flowIDs []string, round int, every bool) {
	t.Helper()
	db := s.Reader()
	spans := [][2]int{{0, 22}, {0, 1}, {3, 10}, {7, 8}, {10, 20}, {15, 30}}
	if every {
		// Every start day, with periods of 1, 2, 3, 7 and 25 days.
		spans = nil
		for d := range 21 {
			for _, l := range []int{1, 2, 3, 7, 25} {
				spans = append(spans, [2]int{d, d + l})
			}
		}
	}
	for _, flow := range append([]string{""}, flowIDs...) {
		for _, span := range spans {
			f := storage.AnalyticsFilter{FlowID: flow, Since: start.AddDate(0, 0, span[0]), Until: start.AddDate(0, 0, span[1]),
				Stage: "qualified", Window: time.Duration(span[0]%4) * 24 * time.Hour}
			got, err := storage.Analytics(db, f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := storage.AnalyticsRaw(db, f)
			if err != nil {
				t.Fatal(err)
			}
			if got.FirstContact == nil && len(want.FirstContact) == 0 {
				got.FirstContact = want.FirstContact
			}
			assertSameTotals(t, fmt.Sprintf("round %d, journey %q, days %v", round, flow, span), got, want)
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	// Messages per step, with and without their A/B paths.
	for _, flow := range append([]string{""}, flowIDs...) {
		for _, byVariant := range []bool{false, true} {
			since, until := start.AddDate(0, 0, 2), start.AddDate(0, 0, 12)
			got, err := storage.MessageSteps(db, storage.AnalyticsFilter{FlowID: flow, Since: since, Until: until}, byVariant)
			if err != nil {
				t.Fatal(err)
			}
			// A nanosecond before midnight is not a whole day: raw rows.
			want, err := storage.MessageSteps(db, storage.AnalyticsFilter{FlowID: flow, Since: since.Add(-time.Nanosecond), Until: until}, byVariant)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, journey %q, by path %v, messages per step:\n rollups %+v\n raw     %+v", round, flow, byVariant, got, want)
			}
		}
	}
	// The funnel, paths and journey totals since a midnight or any time.
	for _, flow := range flowIDs {
		for _, since := range []time.Time{{}, start, start.AddDate(0, 0, 4), start.AddDate(0, 0, 9).Add(7*time.Hour + 13*time.Minute),
			start.AddDate(0, 0, 19).Add(23 * time.Hour)} {
			diff, err := storage.FunnelMatchesRaw(db, flow, since)
			if err != nil {
				t.Fatal(err)
			}
			if diff != "" {
				t.Fatalf("round %d, journey %q, since %v: %s", round, flow, since, diff)
			}
		}
	}
	// The series too, day by day.
	for _, flow := range append([]string{""}, flowIDs...) {
		days, err := storage.AnalyticsDays(db, storage.AnalyticsFilter{FlowID: flow, Since: start, Until: start.AddDate(0, 0, 25)})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := storage.AnalyticsDays(db, storage.AnalyticsFilter{FlowID: flow, Since: start.Add(-time.Second), Until: start.AddDate(0, 0, 25)})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(days, raw) {
			t.Fatalf("round %d, journey %q, series:\n rollups %+v\n raw     %+v", round, flow, days, raw)
		}
	}
}

func TestSQLiteSplitStepMovesLaterMessages(t *testing.T) {
	t.Parallel()
	exerciseSplitStepMovesLaterMessages(t, openSQLite(t))
}

func TestPostgresSplitStepMovesLaterMessages(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	exerciseSplitStepMovesLaterMessages(t, openPostgresDSN(t, storagetest.PostgresDSN(t)))
}

// exerciseSplitStepMovesLaterMessages: a message of day 3 counts under the
// A/B path its run took before it, even when the split's step is recorded
// after the message (a step replayed or written late): the split step marks
// the message's day, which its run's own mark (day 1) does not cover.
func exerciseSplitStepMovesLaterMessages(t *testing.T, s *storage.Store) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	run := storage.Run{ID: "r1", FlowID: "ab", Version: 1, Status: storage.RunRunning, StartedAt: day(1, 10), UpdatedAt: day(1, 10),
		Trigger: "{}", Vars: "{}", Visits: "{}"}
	sent := day(3, 9)
	write := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := s.Write(t.Context(), fn); err != nil {
			t.Fatal(err)
		}
		if err := s.RefreshAnalytics(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx storage.Tx) error {
		if err := storage.InsertRun(tx, &run); err != nil {
			return err
		}
		_, _, err := storage.InsertMessage(tx, &storage.Message{ID: "m1", IdemKey: "r1:send:1", Channel: "email", Provider: "sandbox",
			Status: "sent", RunID: "r1", FlowID: "ab", NodeID: "send", CreatedAt: sent, SentAt: &sent})
		return err
	})
	write(func(tx storage.Tx) error {
		err := storage.InsertSteps(tx, []storage.Step{{RunID: "r1", NodeID: "split", NodeType: "logic.split", Visit: 1, Attempt: 1,
			Status: "completed", Port: "b", StartedAt: day(1, 11), FinishedAt: day(1, 11)}})
		if err != nil {
			return err
		}
		return storage.SaveRun(tx, &run)
	})
	f := storage.AnalyticsFilter{FlowID: "ab", Since: day(3, 0), Until: day(4, 0)}
	got, err := storage.MessageSteps(s.Reader(), f, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Variant != "b" || got[0].Sent != 1 {
		t.Errorf("message steps by path of day 3 = %+v, want one sent email on path b", got)
	}
}
