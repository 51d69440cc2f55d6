package testwait

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixedLimit finds a wall-clock limit of a second or more written as a
// literal: a context deadline, a timer, a connection deadline, a polling
// deadline or Fiber's App.Test milliseconds.
var fixedLimit = regexp.MustCompile(`(WithTimeout\(|time\.After\(|SetDeadline\(|deadline\s*:?=\s*time\.Now\(\)\.Add\().*\b\d+\s*\*\s*time\.(Second|Minute)` +
	// Fiber's App.Test(req, milliseconds).
	`|\.Test\([^,()]+,\s*[1-9][\d_]*\)`)

// TestNoFixedWallClockLimitInTests keeps the rule of this package: no
// test of the module fails because a fixed number of seconds passed. A
// limit is Scaled, or a wait is bounded by progress. A limit whose expiry
// fails nothing (a cleanup whose error is ignored) says so with a comment
// holding "not a test limit" on its line or the line above.
func TestNoFixedWallClockLimitInTests(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "guard_test.go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		prev := ""
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			// chromedp.Poll has a limit of its own, 30 s unless given one.
			poll := strings.Contains(line, "chromedp.Poll[") && !strings.Contains(line, "WithPollingTimeout(")
			if (fixedLimit.MatchString(line) || poll) && !strings.Contains(line, "Scaled(") &&
				!strings.Contains(line, "not a test limit") && !strings.Contains(prev, "not a test limit") {
				t.Errorf("%s:%d has a fixed wall-clock limit; use testwait.Scaled or a progress-bound wait:\n\t%s", path, n, strings.TrimSpace(line))
			}
			prev = line
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
