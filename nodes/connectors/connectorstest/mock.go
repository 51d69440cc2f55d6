// Package connectorstest starts the vendor contract mocks (Stoplight Prism
// through shared/contracts/mock.sh) for connector tests and checks that
// every request a client made satisfied the vendor's OpenAPI spec.
package connectorstest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
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

// ContractsDir is where mock.sh and the specs live: shared/contracts beside
// the module's root (the checkout's ../shared); JOURNEY_CONTRACTS_DIR
// overrides it.
func ContractsDir() string {
	if d := os.Getenv("JOURNEY_CONTRACTS_DIR"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "contracts")
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "contracts")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("..", "shared", "contracts")
		}
		dir = parent
	}
}

// Payload reads a webhook sample from the contracts' payloads folder (kept
// outside the repository: see its SOURCES.md). Without that folder the test
// is skipped, or fails when CI_REQUIRE_MOCKS=1.
func Payload(t testing.TB, rel string) []byte {
	t.Helper()
	dir := filepath.Join(ContractsDir(), "payloads")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI_REQUIRE_MOCKS") == "1" {
			t.Fatalf("contract payload samples missing (CI_REQUIRE_MOCKS=1): %v", err)
		}
		t.Skipf("contract payload samples unavailable (set JOURNEY_CONTRACTS_DIR to a copy of shared/contracts), test skipped: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatalf("payload sample %s: %v", rel, err)
	}
	return b
}

// Mock is one vendor's Prism mock, started on first use and shared by all
// tests of the package binary (Prism takes seconds to start).
type Mock struct {
	vendor string
	once   sync.Once
	url    string
	pid    int
	state  string
	err    error

	// spec is a spec file of the test's own (NewSpecMock); "" serves the
	// shared contract of vendor through mock.sh.
	spec string
}

// NewMock describes the mock for vendor (a mock.sh vendor name).
func NewMock(vendor string) *Mock { return &Mock{vendor: vendor} }

// URL starts the mock if needed and returns its base URL. When the mock
// cannot start, the test is skipped with the reason, or fails when
// CI_REQUIRE_MOCKS=1.
func (m *Mock) URL(t testing.TB) string {
	t.Helper()
	m.once.Do(m.start)
	if m.err != nil {
		if os.Getenv("CI_REQUIRE_MOCKS") == "1" {
			t.Fatalf("contract mock for %s did not start (CI_REQUIRE_MOCKS=1): %v", m.vendor, m.err)
		}
		t.Skipf("contract mock for %s unavailable (needs shared/contracts via JOURNEY_CONTRACTS_DIR or ../shared/contracts, and npm), contract test skipped: %v", m.vendor, m.err)
	}
	return m.url
}

func (m *Mock) start() {
	script := filepath.Join(ContractsDir(), "mock.sh")
	if _, err := os.Stat(script); err != nil {
		m.err = fmt.Errorf("mock.sh not found: %w", err)
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		m.err = fmt.Errorf("npm is not installed")
		return
	}
	state, err := os.MkdirTemp("", "journey-mock-")
	if err != nil {
		m.err = err
		return
	}
	m.state = state
	m.watch(script)
	if m.spec != "" {
		m.startSpec(script)
		return
	}
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			m.err = err
			return
		}
		cmd := exec.Command("bash", script, "start", m.vendor, strconv.Itoa(port))
		cmd.Env = append(os.Environ(), "MOCK_STATE_DIR="+state, "MOCK_START_TIMEOUT=120")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			m.err = fmt.Errorf("mock.sh start %s: %v: %s", m.vendor, err, lastLines(stderr.String(), 5))
			continue
		}
		m.url = strings.TrimSpace(string(out))
		m.pid = readPID(filepath.Join(state, strconv.Itoa(port)+".pid"))
		m.err = nil
		return
	}
}

// watch stops the mocks of this state folder if the test binary dies
// without calling Stop (a test timeout, a kill), even mid-start: a small
// shell loop waits for our PID to go, then runs `mock.sh stop all` on the
// folder, which signals only the PIDs recorded there.
func (m *Mock) watch(script string) {
	loop := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; MOCK_STATE_DIR=%q bash %q stop all >/dev/null 2>&1; rm -rf %q",
		os.Getpid(), m.state, script, m.state)
	cmd := exec.Command("bash", "-c", loop)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Start() == nil {
		go func() { _ = cmd.Wait() }()
	}
}

// Stop ends the mock's process group by PID (call from TestMain after
// m.Run).
func (m *Mock) Stop() {
	if m.pid > 0 {
		_ = syscall.Kill(-m.pid, syscall.SIGTERM)
		for i := 0; i < 40; i++ {
			if syscall.Kill(m.pid, 0) != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if syscall.Kill(m.pid, 0) == nil {
			_ = syscall.Kill(-m.pid, syscall.SIGKILL)
		}
	}
	if m.state != "" {
		_ = os.RemoveAll(m.state)
	}
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// ContractClient is an *http.Client whose every response must be 2xx with
// no sl-violations header (Prism's report that the request broke the
// spec); otherwise the test fails with the violations.
func ContractClient(t testing.TB) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &contractCheck{t: t}}
}

// mockTransport drops idle connections before Prism (Node.js, which closes
// them after 5 s) can: a POST sent on a connection Node is closing at that
// moment fails with EOF, and is not retried.
var mockTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.IdleConnTimeout = 2 * time.Second
	return t
}()

type contractCheck struct{ t testing.TB }

func (c *contractCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := mockTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if v := resp.Header.Get("sl-violations"); v != "" {
		c.t.Errorf("%s %s broke the vendor spec: %s", req.Method, req.URL.Path, v)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		c.t.Errorf("%s %s answered %d, want 2xx", req.Method, req.URL.Path, resp.StatusCode)
	}
	return resp, nil
}

// Main runs a connector package's tests, then stops its mocks (call it
// from TestMain: Prism processes outlive a test binary otherwise).
func Main(m *testing.M, mocks ...*Mock) {
	code := m.Run()
	for _, mk := range mocks {
		mk.Stop()
	}
	os.Exit(code)
}
