package scaletest

import (
	"fmt"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// scaleFlow saves a contact, waits a second, then creates a deal and adds
// the contact to a list: two effects to count after the storm.
const scaleFlow = `{
  "id": "scale", "name": "Scale test",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "scale"}, "position": {"x":0,"y":0}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.delay", "params": {"mode": "duration", "duration": "1s"}, "position": {"x":0,"y":0}},
    {"id": "deal", "type": "crm.create_deal", "params": {"title": "Deal {{ trigger.n }}", "stage": "new"}, "position": {"x":0,"y":0}},
    {"id": "list", "type": "list.add", "params": {"list": "scaled"}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "hook", "to": "save"}, {"from": "save", "to": "wait"},
    {"from": "wait", "to": "deal"}, {"from": "deal", "to": "list"}
  ]
}`

// tickFlow fires every 2 seconds on whichever instance claims the tick.
const tickFlow = `{
  "id": "ticks", "name": "Ticks",
  "nodes": [
    {"id": "tick", "type": "trigger.schedule", "params": {"cron": "@every 2s"}, "position": {"x":0,"y":0}},
    {"id": "set", "type": "data.set", "params": {"values": {"n": "1"}}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "tick", "to": "set"}]
}`

// TestThreeInstancesRunEachRunOnceWhileKilled is issue 6's scale-out
// proof: three serve processes share one PostgreSQL database; 10,000
// webhooks spread over them start runs with a delay while instances are
// SIGKILLed and restarted; every run completes exactly once, each effect
// happens once, nothing is left running, and the schedule fires each tick
// once.
func TestThreeInstancesRunEachRunOnceWhileKilled(t *testing.T) {
	processLevel(t)
	db := freshPostgres(t)
	runs := 10000
	api := newAPI(t, db)
	var instances []*instance
	for i := 0; i < 3; i++ {
		// A short lease: jobs of a killed instance come back within seconds.
		in := newInstance(t, fmt.Sprintf("instance-%d", i), db, "--lease", "5s")
		in.start(t)
		instances = append(instances, in)
	}
	api.publish(t, instances[0].url(), scaleFlow)
	api.publish(t, instances[1].url(), tickFlow)
	store := openStore(t, db)

	start := time.Now()
	stopKiller := killer(t, instances, 4*time.Second, time.Second)
	defer stopKiller()
	addr := func(i int) string { return instances[i%len(instances)].addr }
	res, err := fireHooks(addr, "scale", runs, 48, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "n": i}
	})
	ingested := time.Since(start)
	if err != nil {
		stopKiller()
		t.Fatalf("load: %v (accepted %d of %d)", err, res.accepted, runs)
	}
	counts := waitFinished(t, store.Reader(), "scale", int64(runs))
	finished := time.Since(start)
	nKills := stopKiller()
	t.Logf("%d runs on 3 instances: webhooks accepted in %s (%d resent after a kill, %d found already stored), all finished after %s, %d SIGKILLs",
		runs, ingested.Round(time.Millisecond), res.retries, res.duplicates, finished.Round(time.Millisecond), nKills)
	if nKills < 2 {
		t.Errorf("only %d SIGKILLs happened; the test did not exercise crashes", nKills)
	}
	if res.accepted != int64(runs) {
		t.Fatalf("accepted webhooks = %d, want %d", res.accepted, runs)
	}
	if counts[storage.RunCompleted] != int64(runs) || len(counts) != 1 {
		for _, in := range instances {
			t.Logf("%s:\n%s", in.name, in.logs.Tail())
		}
		t.Fatalf("runs by status = %v, want %d completed and nothing else", counts, runs)
	}
	r := store.Reader()
	assertNothingLeft(t, r, "scale")
	if n := count(t, r, "SELECT count(*) FROM deals"); n != int64(runs) {
		t.Errorf("deals = %d, want %d (one per run)", n, runs)
	}
	if n := count(t, r, "SELECT count(DISTINCT title) FROM deals"); n != int64(runs) {
		t.Errorf("distinct deal titles = %d, want %d", n, runs)
	}
	if n := count(t, r, "SELECT count(*) FROM list_members"); n != int64(runs) {
		t.Errorf("list members = %d, want %d", n, runs)
	}
	if n := count(t, r, "SELECT count(*) FROM contacts"); n != int64(runs) {
		t.Errorf("contacts = %d, want %d", n, runs)
	}

	// The schedule: one run per fired tick, one next tick queued.
	ticks := count(t, r, "SELECT count(*) FROM schedule_ticks WHERE flow_id = 'ticks'")
	tickRuns := count(t, r, "SELECT count(*) FROM runs WHERE flow_id = 'ticks'")
	if ticks < 3 || tickRuns != ticks {
		t.Errorf("schedule: %d ticks fired, %d runs started; want at least 3 and one run per tick", ticks, tickRuns)
	}
	if n := count(t, r, "SELECT count(*) FROM jobs WHERE kind = ?", storage.JobSchedule); n != 1 {
		t.Errorf("schedule jobs queued = %d, want 1 (the next tick)", n)
	}
}
