package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
)

// startDemo starts "journey demo" and waits until /healthz answers.
func startDemo(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	p := &proc{addr: addr, logs: &lockedBuffer{}}
	p.cmd = exec.Command(binary(t), append([]string{"demo", "--addr", addr}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
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
	for deadline := time.Now().Add(testwait.Scaled(60 * time.Second)); time.Now().Before(deadline); {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if p.cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("demo did not become healthy:\n%s", p.logs)
	return nil
}

// interrupt sends Ctrl-C and waits (bounded) for the process to exit; it
// returns the exit code.
func (p *proc) interrupt(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(testwait.Scaled(30 * time.Second)):
		_ = p.cmd.Process.Kill()
		<-done
		t.Fatalf("demo did not stop within %s of Ctrl-C:\n%s", testwait.Scaled(30*time.Second), p.logs)
		return -1
	}
}

func TestCLIDemoPublishesTemplatesAndFeedsTraffic(t *testing.T) {
	t.Parallel()
	const password = "demo-password-for-tests"
	p := startDemo(t, []string{"JOURNEY_PASSWORD=" + password}, "--interval", "200ms")
	base := "http://" + p.addr

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: testwait.Scaled(10 * time.Second)}
	login, _ := json.Marshal(map[string]string{"email": "admin@example.com", "password": password})
	resp, err := client.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(login))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in with the given password: %v %v\n%s", err, resp, p.logs)
	}
	resp.Body.Close()

	var page struct {
		Total int `json:"total"`
	}
	// The demo feeds traffic every 200ms: give up only when no run of
	// the template completed for a minute (scaled by the machine's load).
	testwait.Until(200*time.Millisecond, time.Minute, func() (int64, bool) {
		resp, err := client.Get(base + "/api/v1/runs?flow=chat-lead-qualification&status=completed&limit=1")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = json.Unmarshal(data, &page)
		return int64(page.Total), page.Total >= 3
	})
	if page.Total < 3 {
		t.Fatalf("completed demo runs = %d, none more for a minute, want at least 3\n%s", page.Total, p.logs)
	}
	out := p.logs.String()
	if strings.Contains(out, password) {
		t.Fatalf("the demo printed the password it was given:\n%s", out)
	}
	dir := regexp.MustCompile(`sqlite://(\S+)/app\.db \(throwaway`).FindStringSubmatch(out)
	if dir == nil {
		t.Fatalf("the demo did not say where its throwaway database is:\n%s", out)
	}
	if code := p.interrupt(t); code != 0 {
		t.Fatalf("demo exit code %d after Ctrl-C\n%s", code, p.logs)
	}
	if !strings.Contains(p.logs.String(), "journey demo stopped") {
		t.Fatalf("no clean stop:\n%s", p.logs)
	}
	if _, err := os.Stat(dir[1]); !os.IsNotExist(err) {
		t.Fatalf("the throwaway database %s is still there (%v)", dir[1], err)
	}
}

func TestCLIDemoRefusesADatabaseThatIsNotADemo(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	real := "sqlite://" + filepath.Join(tmp, "real.db")
	if out, code := runCLI(t, "user", "create", "--db", real, "--email", "ops@example.com", "--password", "a-real-password"); code != 0 {
		t.Fatalf("user create: %s", out)
	}
	out, code := runCLI(t, "demo", "--db", real, "--addr", freeAddr(t))
	if code != 2 || !strings.Contains(out, "is not a demo database") {
		t.Fatalf("demo on a real database: exit %d\n%s", code, out)
	}
	if out, code := runCLI(t, "export", "--db", real, "chat-lead-qualification"); code == 0 {
		t.Fatalf("the refused demo imported templates:\n%s", out)
	}

	// A demo database given with --db is kept and may be reused; a random
	// password is printed each time.
	demoDB := "sqlite://" + filepath.Join(tmp, "demo.db")
	for i := range 2 {
		p := startDemo(t, []string{"JOURNEY_PASSWORD="}, "--db", demoDB, "--interval", "1s")
		if !regexp.MustCompile(`with the password [A-Za-z0-9_-]{16}\n`).MatchString(p.logs.String()) {
			t.Fatalf("run %d: no random password printed:\n%s", i, p.logs)
		}
		if code := p.interrupt(t); code != 0 {
			t.Fatalf("run %d: exit %d\n%s", i, code, p.logs)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "demo.db")); err != nil {
		t.Fatalf("the demo database given with --db was removed: %v", err)
	}
}
