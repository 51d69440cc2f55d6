package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// experimentFlow has an A/B split with paths a (the control) and b.
const experimentFlow = `{"id":"ab","name":"AB","nodes":[
 {"id":"start","type":"trigger.manual","position":{"x":0,"y":0}},
 {"id":"split","type":"logic.split","name":"Subject line test","params":{"branches":[{"name":"a","weight":50},{"name":"b","weight":50}]},"position":{"x":0,"y":100}},
 {"id":"goal","type":"flow.exit","params":{"outcome":"converted"},"position":{"x":0,"y":200}}
],"edges":[{"from":"start","to":"split"},{"from":"split","port":"a","to":"goal"},{"from":"split","port":"b","to":"goal"}]}`

// seedSplitRuns stores n live runs of flow ab down a split path, the
// first conv of them converted after convertAfter, plus test runs that
// must never count.
func seedSplitRuns(t *testing.T, b *testBundle, started time.Time, port string, n, conv int, convertAfter time.Duration) {
	t.Helper()
	err := b.store.Write(context.Background(), func(tx storage.Tx) error {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%s-%04d-%d", port, i, started.Unix())
			r := storage.Run{ID: id, FlowID: "ab", Version: 1, Status: storage.RunCompleted, StartedAt: started, UpdatedAt: started}
			if i < conv {
				end := started.Add(convertAfter)
				r.Outcome, r.EndedAt = storage.OutcomeConverted, &end
			}
			if err := storagetest.Insert(tx, &r); err != nil {
				return err
			}
			for _, st := range []storage.Step{
				{RunID: id, NodeID: "start", NodeType: "trigger.manual", Visit: 1, Attempt: 1, Status: "completed", Port: "out", StartedAt: started, FinishedAt: started},
				{RunID: id, NodeID: "split", NodeType: "logic.split", Visit: 1, Attempt: 1, Status: "completed", Port: port, StartedAt: started, FinishedAt: started},
			} {
				if err := storagetest.Insert(tx, &st); err != nil {
					return err
				}
			}
		}
		tid := "test-" + port + fmt.Sprint(started.Unix())
		if err := storagetest.Insert(tx, &storage.Run{ID: tid, FlowID: "ab", Version: 1, Status: storage.RunCompleted, Test: true,
			Outcome: storage.OutcomeConverted, StartedAt: started, UpdatedAt: started, EndedAt: &started}); err != nil {
			return err
		}
		return storagetest.Insert(tx, &storage.Step{RunID: tid, NodeID: "split", NodeType: "logic.split", Visit: 1, Attempt: 1,
			Status: "completed", Port: port, StartedAt: started, FinishedAt: started})
	})
	if err != nil {
		t.Fatalf("seed runs: %v", err)
	}
}

type experimentsBody struct {
	Experiments []struct {
		Name, Winner, Verdict string
		NodeID                string `json:"node_id"`
		Confidence            float64
		MinSamplePerPath      int64 `json:"min_sample_per_path"`
		Variants              []struct {
			Name                 string
			Weight               int
			Entries, Conversions int64
			ConversionRate       float64 `json:"conversion_rate"`
			Uplift               *float64
			Confidence           float64
			EnoughData           bool `json:"enough_data"`
		}
	}
}

// The results of an A/B split: entries, conversions, rates, uplift and a
// verdict per variant, test runs excluded; on SQLite and PostgreSQL.
func TestFlowExperiments(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOptions) { o.postgres = db == "postgres" })
			b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+experimentFlow+`}`).must(t, http.StatusCreated)

			// Before any traffic: both paths, no numbers, not enough data.
			var empty experimentsBody
			b.api(t, "GET", "/api/v1/flows/ab/experiments", "").must(t, 200).json(t, &empty)
			if len(empty.Experiments) != 1 || len(empty.Experiments[0].Variants) != 2 || empty.Experiments[0].Winner != "" ||
				empty.Experiments[0].Verdict != "Not enough data yet: each path needs at least 5 conversions." {
				t.Fatalf("no traffic: %+v", empty)
			}

			// 100 of 1000 convert on a, 130 of 1000 on b: z = 2.10, 96% confidence.
			now := time.Now().UTC().Truncate(time.Second)
			seedSplitRuns(t, b, now.Add(-time.Hour), "a", 1000, 100, time.Minute)
			seedSplitRuns(t, b, now.Add(-time.Hour), "b", 1000, 130, time.Minute)
			var got experimentsBody
			b.api(t, "GET", "/api/v1/flows/ab/experiments", "").must(t, 200).json(t, &got)
			e := got.Experiments[0]
			if e.NodeID != "split" || e.Name != "Subject line test" || e.Winner != "b" || e.Verdict != "Path b converts better, 96% confidence." {
				t.Errorf("experiment: %+v", e)
			}
			a, bb := e.Variants[0], e.Variants[1]
			if a.Name != "a" || a.Entries != 1000 || a.Conversions != 100 || a.ConversionRate != 0.1 || a.Uplift != nil || !a.EnoughData {
				t.Errorf("control: %+v", a)
			}
			if bb.Name != "b" || bb.Weight != 50 || bb.Entries != 1000 || bb.Conversions != 130 || bb.Uplift == nil ||
				fmt.Sprintf("%.2f", *bb.Uplift) != "0.30" || fmt.Sprintf("%.4f", bb.Confidence) != "0.9645" {
				t.Errorf("variant b: %+v", bb)
			}
			if e.MinSamplePerPath != 50 {
				t.Errorf("min sample %d, want 50 at a 10%% rate", e.MinSamplePerPath)
			}

			// A period that starts after the runs sees nothing.
			b.api(t, "GET", "/api/v1/flows/ab/experiments?since=30m", "").must(t, 200).json(t, &got)
			if v := got.Experiments[0].Variants; v[0].Entries != 0 || v[1].Entries != 0 {
				t.Errorf("since=30m: %+v", v)
			}
			b.api(t, "GET", "/api/v1/flows/nope/experiments", "").must(t, 404)
			b.api(t, "GET", "/api/v1/flows/ab/experiments?since=soon", "").must(t, 400)

			// The header numbers: entries, conversion rate, median time to convert.
			var st struct {
				Entries        int64
				ConversionRate float64  `json:"conversion_rate"`
				Median         *float64 `json:"median_seconds_to_convert"`
			}
			b.api(t, "GET", "/api/v1/flows/ab/stats?since=7d", "").must(t, 200).json(t, &st)
			if st.Entries != 2000 || st.ConversionRate != 0.115 || st.Median == nil || *st.Median != 60 {
				t.Errorf("stats header: %+v (median %v)", st, st.Median)
			}
		})
	}
}
