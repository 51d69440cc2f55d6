package scaletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// TestWebAndWorkerRolesSplitTheWork: a --role web instance accepts
// webhooks but runs nothing; a --role worker instance runs the jobs and
// serves only /healthz.
func TestWebAndWorkerRolesSplitTheWork(t *testing.T) {
	processLevel(t)
	db := freshPostgres(t)
	api := newAPI(t, db)
	web := newInstance(t, "web", db, "--role", "web")
	web.start(t)
	api.publish(t, web.url(), scaleFlow)
	store := openStore(t, db)

	const runs = 200
	res, err := fireHooks(func(int) string { return web.addr }, "scale", runs, 8, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("r%d@example.com", i), "n": i}
	})
	if err != nil || res.accepted != runs {
		t.Fatalf("web accepted %d of %d webhooks: %v", res.accepted, runs, err)
	}
	// Give a wrongly started worker time to show itself.
	time.Sleep(1500 * time.Millisecond)
	r := store.Reader()
	if n := count(t, r, "SELECT count(*) FROM jobs WHERE lease_owner <> ''"); n != 0 {
		t.Fatalf("%d jobs were claimed with only a web instance running", n)
	}
	if n := count(t, r, "SELECT count(*) FROM steps"); n != 0 {
		t.Fatalf("%d steps ran with only a web instance running", n)
	}

	worker := newInstance(t, "worker", db, "--role", "worker")
	worker.start(t)
	resp, err := http.Post(worker.url()+"/hooks/scale", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a worker answered POST /hooks/scale with %d, want 404 (workers serve only /healthz)", resp.StatusCode)
	}
	counts := waitFinished(t, r, "scale", runs)
	if counts[storage.RunCompleted] != runs || len(counts) != 1 {
		t.Fatalf("runs by status = %v, want %d completed\nworker:\n%s", counts, runs, worker.logs.Tail())
	}
	assertNothingLeft(t, r, "scale")
	if n := count(t, r, "SELECT count(*) FROM deals"); n != runs {
		t.Errorf("deals = %d, want %d", n, runs)
	}
}

// TestAnInstanceOfEveryRoleRunsAWebhookAtOnce: with the default role, a
// webhook's run has gone as far as it can (up to its first wait) by the
// time the webhook is answered, on PostgreSQL as on SQLite: the contact
// step is recorded and the run waits for its delay.
func TestAnInstanceOfEveryRoleRunsAWebhookAtOnce(t *testing.T) {
	processLevel(t)
	db := freshPostgres(t)
	api := newAPI(t, db)
	in := newInstance(t, "all", db)
	in.start(t)
	api.publish(t, in.url(), scaleFlow)
	r := openStore(t, db).Reader()
	for i := range 20 {
		body := fmt.Sprintf(`{"email":"now%d@example.com","n":%d}`, i, i)
		resp, err := http.Post(in.url()+"/hooks/scale", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Runs []string `json:"runs"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusAccepted || len(answer.Runs) != 1 {
			t.Fatalf("webhook %d: status %d, runs %v, %v", i, resp.StatusCode, answer.Runs, err)
		}
		id := answer.Runs[0]
		// Asked at once: a start job left to the workers would not have
		// run yet (not every time out of twenty).
		if n := count(t, r, "SELECT count(*) FROM steps WHERE run_id = ? AND node_id = 'save'", id); n != 1 {
			t.Fatalf("webhook %d answered before its run's contact step was recorded (%d steps)", i, n)
		}
		if n := count(t, r, "SELECT count(*) FROM runs WHERE id = ? AND status = ?", id, storage.RunWaiting); n != 1 {
			t.Fatalf("webhook %d answered before its run reached its delay", i)
		}
	}
}
