package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A call that arrives after the load is counted by its arrival time: the
// backlog at the load's end, the share within the grace period, the drain
// and end-to-end latency all come from the joined times.
func TestReportJoinsAcceptedWithArrivals(t *testing.T) {
	const s = int64(time.Second)
	acc, err := readAccepted(strings.NewReader("# start 0 end " + itoa(10*s) + "\n" +
		"a " + itoa(1*s) + "\nb " + itoa(9*s) + "\nc " + itoa(10*s) + "\nd " + itoa(10*s) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	arrived := map[string]int64{"a": 1*s + 2e6, "b": 12 * s, "c": 17 * s, "d": 21 * s, "zz": 5 * s}
	f := report(acc, arrived, 15*time.Second, 5*time.Second)
	if f.accepted != 4 || f.atLoadEnd != 1 || f.withinGrace != 2 || !f.drained ||
		f.drain != 11*time.Second || f.completed != 4 {
		t.Fatalf("figures %+v", f)
	}
	if got := percentile(f.e2e, 50); got != 3000 {
		t.Fatalf("e2e p50 = %v ms, want 3000 (b: 9 s → 12 s)", got)
	}
	// With a 5 s cap d (11 s after the load) is not counted.
	f = report(acc, arrived, 5*time.Second, 5*time.Second)
	if f.drained || f.drain != 5*time.Second || f.completed != 2 {
		t.Fatalf("capped figures %+v", f)
	}
}

func TestSinkCountsDistinctIdsAndRepeats(t *testing.T) {
	s := newSink("email", 0)
	for _, body := range []string{`{"email":"x"}`, `{"email":"x"}`, `{"email":"y"}`, `{}`} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/deals", strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			t.Fatalf("POST answered %d", rec.Code)
		}
	}
	st := s.stats()
	if st.Requests != 4 || st.Distinct != 2 || st.Repeats != 1 || st.NoID != 1 || st.ByPath["/deals"] != 4 {
		t.Fatalf("stats %+v", st)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/count", nil))
	if strings.TrimSpace(rec.Body.String()) != "2" {
		t.Fatalf("/count = %q", rec.Body.String())
	}
}

func TestFlagsRefuseRemoteAddresses(t *testing.T) {
	if checkFlags("0.0.0.0:1", 0, time.Minute) == nil || checkFlags("10.0.0.1:1", 0, time.Minute) == nil ||
		checkFlags("127.0.0.1:1", 0, 0) == nil || checkFlags("127.0.0.1:1", 0, time.Minute) != nil {
		t.Fatal("flags not checked")
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
