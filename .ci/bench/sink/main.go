// Command benchsink is the vendor benchmark's stand-in for a CRM: an HTTP
// server on the loopback interface that answers every POST with 200 and a
// small JSON body, and records when each request arrived, by the id in its
// JSON body (the "email" field by default). It stops by itself after
// -max-life, or on SIGINT/SIGTERM, printing its counts.
//
//	go run . -addr 127.0.0.1:18081 [-delay 0] [-max-life 30m]
//	go run . -addr 127.0.0.1:0 -port-file PATH    (any free port, written to PATH)
//
//	GET  /count    requests with a distinct id so far (a number)
//	GET  /stats    counts as JSON: requests, distinct ids, repeats, per path
//	POST /report   body: the load tool's -accepted file; answers the
//	               benchmark's figures as "name: value" lines (see report)
//
// It is its own module so that the product's go.mod stays free of it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"
)

const (
	maxBody    = 1 << 20
	maxLife    = 2 * time.Hour
	maxDelay   = 10 * time.Second
	maxRecords = 20_000_000 // ids remembered; later ones are only counted
)

// sink records the first arrival of each id.
type sink struct {
	idField string
	delay   time.Duration
	now     func() time.Time

	mu       sync.Mutex
	arrived  map[string]int64 // id → first arrival, Unix ns
	requests int64
	repeats  int64 // requests for an id already seen (retries, duplicates)
	noID     int64
	dropped  int64 // ids past maxRecords
	byPath   map[string]int64
}

func newSink(idField string, delay time.Duration) *sink {
	return &sink{idField: idField, delay: delay, now: time.Now,
		arrived: map[string]int64{}, byPath: map[string]int64{}}
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/count":
		s.mu.Lock()
		n := len(s.arrived)
		s.mu.Unlock()
		fmt.Fprintln(w, n)
	case r.Method == http.MethodGet && r.URL.Path == "/stats":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.stats())
	case r.Method == http.MethodPost && r.URL.Path == "/report":
		acc, err := readAccepted(http.MaxBytesReader(w, r.Body, 1<<30))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		drainMax, err := durationParam(r, "drain_max", 15*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		grace, err := durationParam(r, "grace", 5*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		rep := report(acc, s.arrived, drainMax, grace)
		s.mu.Unlock()
		rep.print(w, s.stats())
	case r.Method == http.MethodPost || r.Method == http.MethodPut:
		s.receive(w, r)
	default:
		http.Error(w, "POST a JSON body, or GET /count or /stats", http.StatusMethodNotAllowed)
	}
}

// receive is the vendor's endpoint: any POST or PUT path.
func (s *sink) receive(w http.ResponseWriter, r *http.Request) {
	at := s.now().UnixNano()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var fields map[string]any
	id := ""
	if json.Unmarshal(body, &fields) == nil {
		id, _ = fields[s.idField].(string)
	}
	s.mu.Lock()
	s.requests++
	s.byPath[r.URL.Path]++
	switch _, seen := s.arrived[id]; {
	case id == "":
		s.noID++
	case seen:
		s.repeats++
	case len(s.arrived) >= maxRecords:
		s.dropped++
	default:
		s.arrived[id] = at
	}
	n := s.requests
	s.mu.Unlock()
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"%d","status":"created"}`, n)
}

type stats struct {
	Requests int64            `json:"requests"`
	Distinct int              `json:"distinct"`
	Repeats  int64            `json:"repeats"`
	NoID     int64            `json:"no_id"`
	Dropped  int64            `json:"dropped"`
	ByPath   map[string]int64 `json:"by_path"`
}

func (s *sink) stats() stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := stats{Requests: s.requests, Distinct: len(s.arrived), Repeats: s.repeats, NoID: s.noID,
		Dropped: s.dropped, ByPath: map[string]int64{}}
	for p, n := range s.byPath {
		st.ByPath[p] = n
	}
	return st
}

func durationParam(r *http.Request, name string, def time.Duration) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > time.Hour {
		return 0, fmt.Errorf("%s=%q: want a duration of at most 1h", name, v)
	}
	return d, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address (loopback only)")
	delay := flag.Duration("delay", 0, fmt.Sprintf("answer each request after this long, like a slow vendor (at most %s)", maxDelay))
	life := flag.Duration("max-life", 30*time.Minute, fmt.Sprintf("stop by itself after this long (at most %s)", maxLife))
	idField := flag.String("id-field", "email", "the JSON body's field that names a request")
	portFile := flag.String("port-file", "", "write the port listened on to this file (for -addr 127.0.0.1:0)")
	flag.Parse()
	if err := checkFlags(*addr, *delay, *life); err != nil {
		fmt.Fprintln(os.Stderr, "benchsink:", err)
		os.Exit(2)
	}
	s := newSink(*idField, *delay)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsink:", err)
		os.Exit(1)
	}
	if *portFile != "" {
		port := fmt.Sprintln(ln.Addr().(*net.TCPAddr).Port)
		if err := os.WriteFile(*portFile+".tmp", []byte(port), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchsink:", err)
			os.Exit(1)
		}
		if err := os.Rename(*portFile+".tmp", *portFile); err != nil {
			fmt.Fprintln(os.Stderr, "benchsink:", err)
			os.Exit(1)
		}
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *life)
	defer cancel()
	go func() {
		<-ctx.Done()
		shut, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "benchsink:", err)
		os.Exit(1)
	}
	st := s.stats()
	fmt.Fprintf(os.Stderr, "benchsink: %d requests, %d distinct ids, %d repeats, %d without id, per path %v\n",
		st.Requests, st.Distinct, st.Repeats, st.NoID, st.ByPath)
}

func checkFlags(addr string, delay, life time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: only loopback addresses", addr)
	}
	if delay < 0 || delay > maxDelay {
		return fmt.Errorf("-delay %s: want 0..%s", delay, maxDelay)
	}
	if life <= 0 || life > maxLife {
		return fmt.Errorf("-max-life %s: want more than 0 and at most %s", life, maxLife)
	}
	return nil
}

// sortedInt64 sorts in place and returns the slice.
func sortedInt64(v []int64) []int64 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v
}
