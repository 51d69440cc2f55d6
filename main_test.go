package main

// End-to-end tests of the built binary: real processes, real HTTP, a real
// SQLite file.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the journey binary once per test process. Every test
// that runs the binary is process-level: -short skips it.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test (builds and runs the journey binary); run without -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "journey-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "journey")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), code
}

func TestCLIValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := `{"id": "Bad Id", "name": "", "nodes": [
	  {"id": "w", "type": "wait.delay", "params": {"mode": "duration", "duration": "2 dayz"}, "position": {"x":0,"y":0}},
	  {"id": "x", "type": "no.such_type", "position": {"x":0,"y":0}}
	], "edges": [{"from": "w", "to": "ghost"}]}`
	path := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "validate", path)
	if code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"bad_id", "no_trigger", "node w", "param duration", "node x", "unknown_type", "ghost"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, code = runCLI(t, "validate", "flows/templates")
	if code != 0 {
		t.Fatalf("the shipped templates do not validate (exit %d):\n%s", code, out)
	}
}

func TestCLIImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	out, code := runCLI(t, "import", "--db", db, "--publish", "flows/templates/chat-lead-qualification.json")
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "export", "--db", db, "chat-lead-qualification")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	var f struct {
		ID    string           `json:"id"`
		Nodes []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil || f.ID != "chat-lead-qualification" || len(f.Nodes) != 8 {
		t.Fatalf("export is not the flow (%v):\n%s", err, out)
	}
	if out, code = runCLI(t, "export", "--db", db, "nope"); code == 0 || !strings.Contains(out, "no flow") {
		t.Fatalf("export of a missing flow: exit %d\n%s", code, out)
	}
}

// proc is a journey serve process.
type proc struct {
	cmd  *exec.Cmd
	addr string
	logs *lockedBuffer
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

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

func startServer(t *testing.T, db, addr string) *proc {
	t.Helper()
	s := &proc{addr: addr, logs: &lockedBuffer{}}
	s.cmd = exec.Command(binary(t), "serve", "--db", db, "--addr", addr, "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	for deadline := time.Now().Add(testwait.Scaled(30 * time.Second)); time.Now().Before(deadline); {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy:\n%s", s.logs)
	return nil
}

func (s *proc) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

func request(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

const crashFlow = `{
  "id": "crash", "name": "Crash test",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "lead"}, "position": {"x":0,"y":0}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "note", "type": "crm.add_note", "params": {"body": "lead {{ trigger.n }}"}, "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.delay", "params": {"mode": "duration", "duration": "2s"}, "position": {"x":0,"y":0}},
    {"id": "deal", "type": "crm.create_deal", "params": {"title": "Deal {{ trigger.n }}", "stage": "new"}, "position": {"x":0,"y":0}},
    {"id": "task", "type": "crm.create_task", "params": {"title": "Call {{ trigger.n }}"}, "position": {"x":0,"y":0}},
    {"id": "list", "type": "list.add", "params": {"list": "crashed"}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "hook", "to": "save"}, {"from": "save", "to": "note"}, {"from": "note", "to": "wait"},
    {"from": "wait", "to": "deal"}, {"from": "deal", "to": "task"}, {"from": "task", "to": "list"}
  ]
}`

// TestSIGKILLLosesNothingAndRepeatsNothing kills the server while runs are
// in flight and delays pending, restarts it, and checks that every
// accepted run completes with each effect exactly once.
func TestSIGKILLLosesNothingAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "app.db")
	token, code := runCLI(t, "token", "create", "--name", "crash", "--db", db)
	if code != 0 {
		t.Fatalf("token create: %s", token)
	}
	token = strings.TrimSpace(token)
	addr := freeAddr(t)
	srv := startServer(t, db, addr)
	base := "http://" + addr

	if st, body := request(t, "POST", base+"/api/v1/flows/import", token, map[string]any{
		"flow": json.RawMessage(crashFlow), "publish": true}); st != 201 {
		t.Fatalf("import: %d %s", st, body)
	}

	const total = 400
	accepted := 0
	for i := 0; i < total; i++ {
		st, _ := request(t, "POST", base+"/hooks/lead", "", map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "n": i})
		if st == 202 {
			accepted++
		}
		if i == total/2 {
			// Some runs have finished their first steps, some wait in the
			// delay, some are not started yet: kill it mid-flight.
			srv.kill(t)
			srv = startServer(t, db, addr)
		}
	}
	// Kill once more while delays are pending.
	srv.kill(t)
	srv = startServer(t, db, addr)

	// Wait while runs complete; give up only when none completed for a
	// minute (scaled by the machine's load).
	var completed int
	testwait.Until(200*time.Millisecond, time.Minute, func() (int64, bool) {
		_, body := request(t, "GET", base+"/api/v1/runs?flow=crash&status=completed&limit=1", token, nil)
		var page struct {
			Total int `json:"total"`
		}
		_ = json.Unmarshal(body, &page)
		completed = page.Total
		return int64(completed), completed >= accepted
	})
	if completed != accepted {
		t.Fatalf("completed runs = %d, accepted webhooks = %d\n%s", completed, accepted, srv.logs)
	}
	for _, c := range []struct{ url, key string }{
		{"/api/v1/deals?limit=1", "total"},
		{"/api/v1/tasks?limit=1", "total"},
		{"/api/v1/lists/crashed/members?limit=1", "total"},
	} {
		_, body := request(t, "GET", base+c.url, token, nil)
		var page map[string]any
		_ = json.Unmarshal(body, &page)
		if n, _ := page[c.key].(float64); int(n) != accepted {
			t.Errorf("%s: %s = %v, want %d (each effect exactly once)\n%s", c.url, c.key, page[c.key], accepted, body)
		}
	}
	// Notes and contacts: one per run, never two (read from the file).
	store, err := storage.Open(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, m := range []any{&storage.Note{}, &storage.Contact{}} {
		var n int64
		if err := storagetest.Count(store.Reader(), &n, m, ""); err != nil || int(n) != accepted {
			t.Errorf("%T rows = %d (%v), want %d", m, n, err, accepted)
		}
	}
}

// TestCLIWarningsDoNotFail: a journey whose SMS has no phone to send to
// validates and imports (exit 0) with the warning printed; with an error
// too, validate still exits 1 and lists both.
func TestCLIWarningsDoNotFail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := func(extra string) string {
		return `{"id": "welcome-sms", "name": "Welcome SMS", "nodes": [
	  {"id": "hook", "type": "trigger.webhook", "params": {"path": "welcome-sms"}},
	  {"id": "sms", "type": "message.sms", "name": "Send welcome SMS", "params": {"body": "Welcome!"}}` + extra + `
	], "edges": [{"from": "hook", "to": "sms"}]}`
	}
	warnOnly := filepath.Join(dir, "warn.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(warnOnly, []byte(doc("")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(doc(`, {"id": "w", "type": "wait.delay", "params": {"mode": "duration", "duration": "2 dayz"}}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	const warning = `warning: [node sms] "Send welcome SMS" sends to the contact's phone number, but no step before it saves a phone number`
	out, code := runCLI(t, "validate", warnOnly)
	if code != 0 || !strings.Contains(out, warning) || !strings.Contains(out, "1 warning(s)") || !strings.Contains(out, "welcome-sms: ok") {
		t.Fatalf("validate with a warning only: exit %d, want 0 with the warning:\n%s", code, out)
	}
	out, code = runCLI(t, "validate", bad)
	if code != 1 || !strings.Contains(out, "bad_duration") || !strings.Contains(out, warning) {
		t.Fatalf("validate with an error and a warning: exit %d, want 1 with both:\n%s", code, out)
	}
	db := "sqlite://" + filepath.Join(dir, "app.db")
	out, code = runCLI(t, "import", "--db", db, "--publish", warnOnly)
	if code != 0 || !strings.Contains(out, warning) || !strings.Contains(out, "published as version 1") {
		t.Fatalf("import --publish with a warning only: exit %d, want 0 and published:\n%s", code, out)
	}
}
