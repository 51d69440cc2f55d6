package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// TestCLISIGTERMDrainsAndLeavesNoLease starts the binary with a metrics
// token, sends webhooks, and stops it with SIGTERM while runs are in
// flight: it must report not ready, exit 0, and leave every accepted run
// stored and no job leased (a restart or another instance takes them at
// once).
func TestCLISIGTERMDrainsAndLeavesNoLease(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "app.db")
	token, code := runCLI(t, "token", "create", "--name", "ops", "--db", db)
	if code != 0 {
		t.Fatalf("token create: %s", token)
	}
	token = strings.TrimSpace(token)
	addr := freeAddr(t)
	p := &proc{addr: addr, logs: &lockedBuffer{}}
	p.cmd = exec.Command(binary(t), "serve", "--db", db, "--addr", addr, "--log-level", "info")
	p.cmd.Env = append(p.cmd.Environ(), "JOURNEY_METRICS_TOKEN=scrape-me", "JOURNEY_LOG_FORMAT=json")
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(testwait.Scaled(30 * time.Second))
	for {
		if st, _ := request(t, "GET", base+"/readyz", "", nil); st == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready:\n%s", p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, body := request(t, "POST", base+"/api/v1/flows/import", token, map[string]any{
		"flow": json.RawMessage(crashFlow), "publish": true}); st != 201 {
		t.Fatalf("import: %d %s", st, body)
	}
	if st, _ := request(t, "GET", base+"/metrics", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d, want 401", st)
	}
	if st, body := request(t, "GET", base+"/metrics", "scrape-me", nil); st != http.StatusOK || !strings.Contains(string(body), "journey_jobs_due") {
		t.Fatalf("/metrics with the token: %d %s", st, body)
	}
	accepted := 0
	for i := range 150 {
		if st, _ := request(t, "POST", base+"/hooks/lead", "", map[string]any{"email": fmt.Sprintf("s%d@example.com", i), "n": i}); st == 202 {
			accepted++
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(testwait.Scaled(30 * time.Second)):
		t.Fatalf("no exit within %s of SIGTERM:\n%s", testwait.Scaled(30*time.Second), p.logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(p.logs.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("log line is not JSON: %q", line)
		}
	}
	if !strings.Contains(p.logs.String(), `"msg":"shutting down"`) {
		t.Fatalf("no shutdown line:\n%s", p.logs)
	}

	store, err := storage.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var runs, leased int64
	if err := storagetest.Count(store.Reader(), &runs, &storage.Run{}, "flow_id = ?", "crash"); err != nil {
		t.Fatal(err)
	}
	if err := storagetest.Count(store.Reader(), &leased, &storage.Job{}, "lease_until IS NOT NULL"); err != nil {
		t.Fatal(err)
	}
	if int(runs) != accepted || accepted == 0 {
		t.Fatalf("runs stored = %d, webhooks accepted = %d", runs, accepted)
	}
	if leased != 0 {
		t.Fatalf("%d jobs are left leased after a graceful stop", leased)
	}
}

// TestAnalyticsRefreshPauseBoundsTheCountsShare: the background waits
// analyticsRefreshEvery after a quick count and nine times a long one, so
// counting never takes more than a tenth of the time.
func TestAnalyticsRefreshPauseBoundsTheCountsShare(t *testing.T) {
	for _, took := range []time.Duration{0, time.Second, 2 * time.Second, 30 * time.Second} {
		pause := analyticsRefreshPause(took)
		if pause < analyticsRefreshEvery {
			t.Fatalf("after a count of %v the pause is %v, less than %v", took, pause, analyticsRefreshEvery)
		}
		if share := float64(took) / float64(took+pause); share > 0.1 {
			t.Fatalf("after a count of %v the pause is %v: counting takes %.0f %% of the time, more than 10 %%", took, pause, 100*share)
		}
	}
}
