package scaletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// stall is how long a load or a wait may go without progress (webhooks
// accepted, runs finished, steps recorded) before a test gives up; it is
// multiplied by testwait.Scale. A loaded machine makes progress slower,
// not absent, so it slows these tests down without failing them.
const stall = 60 * time.Second

// processLevel skips the test under -short: every test here builds the
// binary and starts, kills and restarts serve processes under load.
func processLevel(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test (builds and kills journey serve processes); run without -short")
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the journey binary once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "journey-scaletest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "journey")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = filepath.Join("..", "..") // the module root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cli runs a short command of the binary and returns its output.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	// Only stdout is the answer: a loaded machine may log slow statements
	// to stderr.
	var stderr bytes.Buffer
	cmd := exec.Command(binary(t), args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("journey %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Tail returns the last part of the output, for failure messages.
func (b *lockedBuffer) Tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// instance is one `journey serve` process that can be killed and started
// again on the same address.
type instance struct {
	name string
	addr string
	args []string
	env  []string
	logs *lockedBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func newInstance(t *testing.T, name, db string, extra ...string) *instance {
	t.Helper()
	in := &instance{name: name, addr: freeAddr(t), logs: &lockedBuffer{}}
	// Load tests send thousands of webhooks from one address: no intake
	// limits (server/intake_test.go tests those).
	in.args = append([]string{"serve", "--db", db, "--addr", in.addr, "--log-level", "warn", "--hook-rate", "0", "--hook-concurrency", "0"}, extra...)
	t.Cleanup(func() { in.kill() })
	return in
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start launches the process and waits until /healthz answers 200.
func (in *instance) start(t *testing.T) {
	t.Helper()
	binary(t)
	if err := in.restart(); err != nil {
		t.Fatalf("start %s: %v", in.name, err)
	}
}

// kill sends SIGKILL (no graceful shutdown) and waits for the exit.
func (in *instance) kill() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func (in *instance) url() string { return "http://" + in.addr }

// freshPostgres creates a database of its own for this test on the CI
// PostgreSQL and drops it afterwards. It skips without TEST_POSTGRES_DSN.
func freshPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("TEST_POSTGRES_DSN is not set; this test needs PostgreSQL")
	}
	if _, err := url.Parse(base); err != nil {
		t.Fatalf("TEST_POSTGRES_DSN: %v", err)
	}
	return storagetest.PostgresDatabase(t, base, "journey_scale_")
}

// openStore opens the test's database to count rows.
func openStore(t *testing.T, db string) *storage.Store {
	t.Helper()
	store, err := storage.Open(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// apiClient talks to the API with a token.
type apiClient struct {
	token string
	http  *http.Client
}

func newAPI(t *testing.T, db string) *apiClient {
	t.Helper()
	token := strings.TrimSpace(cli(t, "token", "create", "--name", "scaletest", "--db", db))
	return &apiClient{token: token, http: &http.Client{Timeout: testwait.Scaled(30 * time.Second)}}
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (a *apiClient) do(t *testing.T, method, url string, body, out any) int {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, raw, err)
		}
	}
	return resp.StatusCode
}

// publish imports and publishes a flow through the API.
func (a *apiClient) publish(t *testing.T, base, flow string) {
	t.Helper()
	a.do(t, "POST", base+"/api/v1/flows/import", map[string]any{"flow": json.RawMessage(flow), "publish": true}, nil)
}

// loadResult counts what a load run did.
type loadResult struct {
	accepted   int64 // webhooks answered 202
	duplicates int64 // 202 with duplicate: true (a retry the server had stored)
	retries    int64 // attempts that failed (instance down, database down) and were sent again
}

// fireHooks posts n webhooks to path, spread over the instances, with conc
// requests in flight. Each carries an Idempotency-Key, so a request whose
// answer was lost (the instance was killed) is sent again, to another
// instance, without starting a second run. It gives up when no webhook has
// been accepted for the stall period (scaled).
func fireHooks(addrs func(i int) string, path string, n, conc int, body func(i int) map[string]any) (loadResult, error) {
	var res loadResult
	ctx, cancel := testwait.WhileProgressing(context.Background(), 250*time.Millisecond, stall,
		func() int64 { return atomic.LoadInt64(&res.accepted) })
	defer cancel()
	client := &http.Client{Timeout: testwait.Scaled(15 * time.Second), Transport: &http.Transport{
		MaxIdleConns: conc, MaxIdleConnsPerHost: conc, IdleConnTimeout: 30 * time.Second}}
	defer client.CloseIdleConnections()
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, _ := json.Marshal(body(i))
				for attempt := 0; ; attempt++ {
					if ctx.Err() != nil {
						firstErr.CompareAndSwap(nil, fmt.Errorf("webhook %d not accepted: no webhook was accepted for %s", i, testwait.Scaled(stall)))
						return
					}
					ok, dup := postHook(ctx, client, "http://"+addrs(i+attempt)+"/hooks/"+path, fmt.Sprintf("load-%d", i), data)
					if ok {
						atomic.AddInt64(&res.accepted, 1)
						if dup {
							atomic.AddInt64(&res.duplicates, 1)
						}
						break
					}
					atomic.AddInt64(&res.retries, 1)
					time.Sleep(time.Duration(min(attempt+1, 10)) * 20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return res, err
	}
	return res, nil
}

func postHook(ctx context.Context, client *http.Client, url, key string, body []byte) (ok, duplicate bool) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return false, false
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return false, false
	}
	var out struct {
		Runs      []string `json:"runs"`
		Duplicate bool     `json:"duplicate"`
	}
	if json.Unmarshal(raw, &out) != nil || (len(out.Runs) != 1 && !out.Duplicate) {
		return false, false
	}
	return true, out.Duplicate
}

// runCounts returns a flow's runs by status.
func runCounts(t *testing.T, db storage.Tx, flowID string) map[string]int64 {
	t.Helper()
	var rows []struct {
		Status string
		N      int64
	}
	if err := storagetest.Scan(db, &rows, "SELECT status, count(*) AS n FROM runs WHERE flow_id = ? GROUP BY status", flowID); err != nil {
		t.Logf("count runs: %v", err) // the database may be down in a fault test
		return nil
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// waitFinished polls until every one of want runs of the flow has ended
// (completed or failed), or until neither a run ended nor a step was
// recorded for the stall period (scaled), and returns the counts.
func waitFinished(t *testing.T, db storage.Tx, flowID string, want int64) map[string]int64 {
	t.Helper()
	var counts map[string]int64
	testwait.Until(250*time.Millisecond, stall, func() (int64, bool) {
		counts = runCounts(t, db, flowID)
		ended := counts[storage.RunCompleted] + counts[storage.RunFailed]
		var steps int64
		_ = storagetest.Scan(db, &steps, "SELECT count(*) FROM steps") // the database may be down in a fault test
		return ended + steps, ended >= want
	})
	return counts
}

// count runs a count query.
func count(t *testing.T, db storage.Tx, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := storagetest.Scan(db, &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// assertNothingLeft checks that no run of the flow is still running or
// waiting and that no job or wait of it is left, and that no step ran
// twice (one completed step per run, node and visit).
func assertNothingLeft(t *testing.T, db storage.Tx, flowID string) {
	t.Helper()
	if n := count(t, db, "SELECT count(*) FROM runs WHERE flow_id = ? AND status IN ('running','waiting')", flowID); n != 0 {
		t.Errorf("%d runs of %s are stuck running or waiting", n, flowID)
	}
	if n := count(t, db, "SELECT count(*) FROM jobs WHERE run_id IN (SELECT id FROM runs WHERE flow_id = ?)", flowID); n != 0 {
		t.Errorf("%d jobs of %s are left", n, flowID)
	}
	if n := count(t, db, `SELECT count(*) FROM (SELECT run_id, node_id, visit FROM steps
		WHERE status = 'completed' AND run_id IN (SELECT id FROM runs WHERE flow_id = ?)
		GROUP BY run_id, node_id, visit HAVING count(*) > 1) AS twice`, flowID); n != 0 {
		t.Errorf("%d steps of %s completed twice", n, flowID)
	}
}

// killer SIGKILLs the instances in turn every interval and starts each
// again after downtime. stop ends it (once the instance in hand is back
// up) and returns the number of kills; call it before the test returns.
func killer(t *testing.T, instances []*instance, every, downtime time.Duration) (stop func() int) {
	quit := make(chan struct{})
	done := make(chan int, 1)
	go func() {
		kills := 0
		defer func() { done <- kills }()
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			case <-time.After(every):
			}
			in := instances[i%len(instances)]
			in.kill()
			kills++
			time.Sleep(downtime)
			if err := in.restart(); err != nil {
				t.Errorf("restart %s: %v", in.name, err)
				return
			}
		}
	}()
	var once sync.Once
	kills := 0
	return func() int {
		once.Do(func() { close(quit); kills = <-done })
		return kills
	}
}

// restart starts the process (again, after a kill) and waits until
// /healthz answers 200. It does not call t.Fatal, so goroutines may use it.
func (in *instance) restart() error {
	cmd := exec.Command(binPath, in.args...)
	cmd.Env = append(os.Environ(), in.env...)
	cmd.Stdout, cmd.Stderr = in.logs, in.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	in.mu.Lock()
	in.cmd, in.exited = cmd, exited
	in.mu.Unlock()
	limit := testwait.Scaled(60 * time.Second)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start:\n%s", in.name, in.logs.Tail())
		default:
		}
		resp, err := http.Get("http://" + in.addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s is not healthy after %s:\n%s", in.name, limit, in.logs.Tail())
}
