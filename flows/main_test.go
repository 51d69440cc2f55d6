package flows

import (
	"flag"
	"os"
	"testing"
	"time"
)

// TestMain freezes the evaluation budget's clock for the package's tests:
// they test the count limits and what evaluations return, and a busy
// machine must not turn either into the time backstop. The backstop has
// its own test with a clock of its own (TestSlowLoopsStopAtTheTimeBackstop).
// Fuzzing keeps the real clock: there the backstop is what stops an input
// that is slow in a way the counts miss.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f == nil || f.Value.String() == "" {
		frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		budgetClock = func() time.Time { return frozen }
	}
	os.Exit(m.Run())
}
