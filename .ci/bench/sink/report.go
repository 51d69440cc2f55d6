package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// accepted is the load tool's -accepted file: the load window and when
// each accepted webhook was answered, by id.
type accepted struct {
	start, end int64 // Unix ns
	at         map[string]int64
}

func readAccepted(r io.Reader) (accepted, error) {
	a := accepted{at: map[string]int64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	header := false
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			if _, err := fmt.Sscanf(text, "# start %d end %d", &a.start, &a.end); err != nil {
				return a, fmt.Errorf("line %d: want \"# start NS end NS\": %v", line, err)
			}
			header = true
			continue
		}
		id, ns, ok := strings.Cut(text, " ")
		t, err := strconv.ParseInt(ns, 10, 64)
		if !ok || err != nil {
			return a, fmt.Errorf("line %d: want \"ID UNIX_NS\"", line)
		}
		a.at[id] = t
	}
	if err := sc.Err(); err != nil {
		return a, err
	}
	if !header || a.end < a.start {
		return a, fmt.Errorf("no load window (\"# start NS end NS\")")
	}
	return a, nil
}

// figures are the benchmark's results for one load.
type figures struct {
	accepted    int
	loadSeconds float64
	atLoadEnd   int // accepted webhooks whose call reached the sink by the load's end
	withinGrace int // ... by the load's end plus the grace period
	grace       time.Duration
	drain       time.Duration // load end to the last call, or drainMax
	drained     bool          // every accepted webhook's call arrived within drainMax
	completed   int           // arrived by the load's end plus drain
	e2e         []int64       // accepted → arrived, ns, of the completed (sorted)
	early       int           // arrived before the webhook's answer (counted as 0)
}

// report joins the accepted webhooks with the sink's arrivals. completed/s
// is completed ÷ (load seconds + drain seconds), the drain lasting until
// the last accepted webhook's call arrives, at most drainMax.
func report(acc accepted, arrived map[string]int64, drainMax, grace time.Duration) figures {
	f := figures{accepted: len(acc.at), loadSeconds: float64(acc.end-acc.start) / 1e9, grace: grace}
	var times []int64
	last := acc.end
	for id := range acc.at {
		t, ok := arrived[id]
		if !ok {
			continue
		}
		times = append(times, t)
		last = max(last, t)
		if t <= acc.end {
			f.atLoadEnd++
		}
		if t <= acc.end+grace.Nanoseconds() {
			f.withinGrace++
		}
	}
	f.drain = time.Duration(last - acc.end)
	f.drained = len(times) == f.accepted && f.drain <= drainMax
	if !f.drained {
		f.drain = drainMax
	}
	cutoff := acc.end + f.drain.Nanoseconds()
	for id, at := range acc.at {
		t, ok := arrived[id]
		if !ok || t > cutoff {
			continue
		}
		f.completed++
		d := t - at
		if d < 0 {
			f.early++
			d = 0
		}
		f.e2e = append(f.e2e, d)
	}
	sortedInt64(f.e2e)
	return f
}

// percentile is the nearest-rank percentile of sorted values, in ms.
func percentile(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return float64(sorted[min(max(rank, 0), len(sorted)-1)]) / 1e6
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func (f figures) print(w io.Writer, st stats) {
	seconds := f.loadSeconds + f.drain.Seconds()
	fmt.Fprintf(w, "accepted: %d\n", f.accepted)
	fmt.Fprintf(w, "load seconds: %.2f\n", f.loadSeconds)
	fmt.Fprintf(w, "accepted/s: %.1f\n", float64(f.accepted)/f.loadSeconds)
	fmt.Fprintf(w, "reached sink at load end: %d\n", f.atLoadEnd)
	fmt.Fprintf(w, "backlog at load end: %d\n", f.accepted-f.atLoadEnd)
	fmt.Fprintf(w, "reached sink within load + %s: %d\n", f.grace, f.withinGrace)
	fmt.Fprintf(w, "within load + %s %%: %.1f\n", f.grace, pct(f.withinGrace, f.accepted))
	drained := "yes"
	if !f.drained {
		drained = "no (stopped waiting)"
	}
	fmt.Fprintf(w, "drained: %s\n", drained)
	fmt.Fprintf(w, "drain seconds: %.2f\n", f.drain.Seconds())
	fmt.Fprintf(w, "completed: %d\n", f.completed)
	fmt.Fprintf(w, "not reached: %d\n", f.accepted-f.completed)
	fmt.Fprintf(w, "completed/s: %.1f\n", float64(f.completed)/seconds)
	fmt.Fprintf(w, "end-to-end p50: %.2f ms\nend-to-end p99: %.2f ms\nend-to-end max: %.2f ms\n",
		percentile(f.e2e, 50), percentile(f.e2e, 99), percentile(f.e2e, 100))
	if f.early > 0 {
		fmt.Fprintf(w, "arrived before the webhook's answer: %d\n", f.early)
	}
	fmt.Fprintf(w, "sink requests: %d\nsink repeats: %d\nsink without id: %d\n", st.Requests, st.Repeats, st.NoID)
	for p, n := range st.ByPath {
		fmt.Fprintf(w, "sink path %s: %d\n", p, n)
	}
}
