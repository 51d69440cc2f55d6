package connectorstest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NewSpecMock describes a Prism mock of a spec file of the test's own
// (its testdata), for vendor operations the shared contracts lack. Name
// labels it in errors. It is started, watched and stopped like NewMock's,
// with the Prism that mock.sh installs.
func NewSpecMock(name, spec string) *Mock {
	abs, err := filepath.Abs(spec)
	if err != nil {
		abs = spec
	}
	return &Mock{vendor: name, spec: abs}
}

// startSpec runs Prism on m.spec. The PID file it writes has mock.sh's
// format in m.state, so the watcher's `mock.sh stop all` ends it too.
func (m *Mock) startSpec(script string) {
	if _, err := os.Stat(m.spec); err != nil {
		m.err = fmt.Errorf("spec %s: %w", m.spec, err)
		return
	}
	bin, err := prismBin(script)
	if err != nil {
		m.err = err
		return
	}
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			m.err = err
			return
		}
		cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", strconv.Itoa(port), m.spec)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		out, err := cmd.StdoutPipe()
		if err != nil {
			m.err = err
			return
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			m.err = fmt.Errorf("prism for %s: %w", m.vendor, err)
			return
		}
		_ = os.WriteFile(filepath.Join(m.state, strconv.Itoa(port)+".pid"), []byte(fmt.Sprintf("%d %s\n", cmd.Process.Pid, m.vendor)), 0o600)
		ready := make(chan bool, 1)
		var log bytes.Buffer
		go func() {
			sc := bufio.NewScanner(out)
			up := false
			for sc.Scan() {
				if !up {
					log.WriteString(sc.Text() + "\n")
				}
				if !up && strings.Contains(sc.Text(), "Prism is listening") {
					up = true
					ready <- true
				}
			}
			_, _ = io.Copy(io.Discard, out)
			if !up {
				ready <- false
			}
			_ = cmd.Wait()
		}()
		select {
		case ok := <-ready:
			if ok {
				m.url = "http://127.0.0.1:" + strconv.Itoa(port)
				m.pid = cmd.Process.Pid
				m.err = nil
				return
			}
			m.err = fmt.Errorf("prism for %s exited during start-up: %s", m.vendor, lastLines(log.String(), 5))
		case <-time.After(120 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			m.err = fmt.Errorf("prism for %s did not start within 120 s", m.vendor)
		}
	}
}

// prismBin installs Prism through mock.sh if needed and returns where
// mock.sh keeps it ($PRISM_HOME, else the user's cache folder).
func prismBin(script string) (string, error) {
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("npm is not installed")
	}
	// The test binaries of several packages start at once, and two npm
	// installs into one folder leave it broken (a module without its
	// files): one installs, the others wait and find it done.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "journey-prism-install.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock the Prism install: %w", err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	var stderr bytes.Buffer
	cmd := exec.Command("bash", script, "install")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("mock.sh install: %v: %s", err, lastLines(stderr.String(), 5))
	}
	home := os.Getenv("PRISM_HOME")
	if home == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			cache = filepath.Join(h, ".cache")
		}
		home = filepath.Join(cache, "contracts-prism", strings.TrimSpace(string(out)))
	}
	bin := filepath.Join(home, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("prism not found where mock.sh installs it: %w", err)
	}
	return bin, nil
}
