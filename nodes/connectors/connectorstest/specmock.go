package connectorstest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SpecMock is a Prism mock of a spec file kept in a connector's own
// testdata: the operations a vendor's shared spec lacks (minimal specs
// written for the test, each saying where it comes from). It runs the
// Prism that mock.sh installs, started on first use and shared by the
// package's tests; call Stop from TestMain.
type SpecMock struct {
	spec  string
	once  sync.Once
	url   string
	cmd   *exec.Cmd
	state string
	err   error
}

// NewSpecMock describes a mock of the spec file at path (relative to the
// test's package folder).
func NewSpecMock(path string) *SpecMock { return &SpecMock{spec: path} }

// URL starts the mock if needed and returns its base URL; like Mock.URL
// it skips the test when Prism cannot start (fails with
// CI_REQUIRE_MOCKS=1).
func (m *SpecMock) URL(t testing.TB) string {
	t.Helper()
	m.once.Do(m.start)
	if m.err != nil {
		if os.Getenv("CI_REQUIRE_MOCKS") == "1" {
			t.Fatalf("contract mock of %s did not start (CI_REQUIRE_MOCKS=1): %v", m.spec, m.err)
		}
		t.Skipf("contract mock of %s unavailable (needs shared/contracts via JOURNEY_CONTRACTS_DIR or ../shared/contracts, and npm), contract test skipped: %v", m.spec, m.err)
	}
	return m.url
}

func (m *SpecMock) start() {
	spec, err := filepath.Abs(m.spec)
	if err != nil {
		m.err = err
		return
	}
	if _, err := os.Stat(spec); err != nil {
		m.err = err
		return
	}
	script := filepath.Join(ContractsDir(), "mock.sh")
	if _, err := os.Stat(script); err != nil {
		m.err = fmt.Errorf("mock.sh not found (it installs Prism): %w", err)
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		m.err = fmt.Errorf("npm is not installed")
		return
	}
	out, err := exec.Command("bash", script, "install").CombinedOutput()
	if err != nil {
		m.err = fmt.Errorf("mock.sh install: %v: %s", err, lastLines(string(out), 3))
		return
	}
	home := os.Getenv("PRISM_HOME")
	if home == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			dir, _ := os.UserHomeDir()
			cache = filepath.Join(dir, ".cache")
		}
		home = filepath.Join(cache, "contracts-prism", cmpOr(os.Getenv("PRISM_VERSION"), "5.14.2"))
	}
	prism := filepath.Join(home, "node_modules", ".bin", "prism")
	state, err := os.MkdirTemp("", "journey-specmock-")
	if err != nil {
		m.err = err
		return
	}
	m.state = state
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			m.err = err
			return
		}
		logPath := filepath.Join(state, strconv.Itoa(port)+".log")
		logf, err := os.Create(logPath)
		if err != nil {
			m.err = err
			return
		}
		cmd := exec.Command(prism, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), spec)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			logf.Close()
			m.err = err
			return
		}
		m.watch(cmd.Process.Pid)
		if err := waitListening(logPath, cmd, 120*time.Second); err != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			logf.Close()
			m.err = err
			continue
		}
		logf.Close()
		m.cmd, m.url, m.err = cmd, "http://127.0.0.1:"+strconv.Itoa(port), nil
		return
	}
}

// watch kills Prism's process group if the test binary dies without
// calling Stop.
func (m *SpecMock) watch(pid int) {
	loop := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; kill -TERM -- -%d 2>/dev/null", os.Getpid(), pid)
	cmd := exec.Command("bash", "-c", loop)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}

func waitListening(logPath string, cmd *exec.Cmd, limit time.Duration) error {
	exited := make(chan struct{})
	go func() { _, _ = cmd.Process.Wait(); close(exited) }()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("prism exited: %s", lastLines(string(b), 5))
		default:
		}
		if f, err := os.Open(logPath); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "Prism is listening") {
					f.Close()
					return nil
				}
			}
			f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("prism did not start within %s", limit)
}

// Stop ends Prism's process group and removes its logs.
func (m *SpecMock) Stop() {
	if m.cmd != nil && m.cmd.Process != nil {
		pid := m.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		for i := 0; i < 40 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	if m.state != "" {
		_ = os.RemoveAll(m.state)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
