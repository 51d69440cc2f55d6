// Command benchload is the benchmark's bounded load tool: it POSTs finished
// chats of the chat-lead-qualification template (a unique email each,
// scores spread over 0..99) to a journey server on the loopback interface,
// at a fixed concurrency for a bounded time or number of requests, and
// reports accepted/s and the latency distribution. With -wait-runs it then
// polls the runs API until every started run has finished and reports
// completed runs/s from the start of the load. With -accepted it writes
// when each webhook (named by its unique email) was accepted, for the
// vendor benchmark (.ci/bench/vendor) to join with its sink.
//
//	go run . -url http://127.0.0.1:18080/hooks/chat-finished -c 16 -d 10s
//
// It is its own module so that the product's go.mod stays free of it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds keep a typo from turning the benchmark into a soak test.
const (
	maxConcurrency = 1024
	maxDuration    = 10 * time.Minute
	maxRequests    = 10_000_000
	maxWait        = 30 * time.Minute
)

type options struct {
	target      *url.URL
	concurrency int
	duration    time.Duration
	requests    int64
	prefix      string
	timeout     time.Duration
	waitRuns    bool
	waitTimeout time.Duration
	token       string
	acceptedLog string
}

func main() {
	opts, err := parseOptions(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(2)
	}
	res := runLoad(context.Background(), opts)
	res.print(os.Stdout, opts)
	if opts.acceptedLog != "" {
		if err := res.writeAccepted(opts.acceptedLog, opts.prefix); err != nil {
			fmt.Fprintln(os.Stderr, "benchload:", err)
			os.Exit(1)
		}
	}
	if res.accepted == 0 {
		fmt.Fprintln(os.Stderr, "benchload: no request was accepted"+res.firstError())
		os.Exit(1)
	}
	if opts.waitRuns {
		drained, err := waitForRuns(opts, res.start)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchload:", err)
			os.Exit(1)
		}
		drained.print(os.Stdout)
		if finished := drained.completed + drained.failed + drained.other; finished != res.accepted {
			// One run per accepted webhook is expected of the template.
			fmt.Printf("warning: %d webhooks accepted but %d runs finished\n", res.accepted, finished)
		}
	}
}

func parseOptions(args []string, getenv func(string) string) (options, error) {
	fs := flag.NewFlagSet("benchload", flag.ContinueOnError)
	target := fs.String("url", "http://127.0.0.1:8080/hooks/chat-finished", "webhook URL (loopback only)")
	c := fs.Int("c", 16, fmt.Sprintf("concurrent clients (1..%d)", maxConcurrency))
	d := fs.Duration("d", 0, fmt.Sprintf("stop after this long (at most %s)", maxDuration))
	n := fs.Int64("n", 0, fmt.Sprintf("stop after this many requests (at most %d)", maxRequests))
	prefix := fs.String("prefix", "", "email prefix, to keep emails unique across runs on one database (default: the start time)")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request timeout")
	wait := fs.Bool("wait-runs", false, "after the load, poll GET /api/v1/runs until no run is running or waiting (token in BENCH_TOKEN)")
	waitTimeout := fs.Duration("wait-timeout", 5*time.Minute, fmt.Sprintf("give up waiting for runs after this long (at most %s)", maxWait))
	acceptedLog := fs.String("accepted", "", "after the load, write to this file the load window and, for each accepted webhook, its email (a unique id) and when its answer came (Unix ns)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return options{}, fmt.Errorf("-url %q: want http://127.0.0.1:PORT/hooks/PATH", *target)
	}
	if !isLoopback(u.Hostname()) {
		return options{}, fmt.Errorf("-url %q: only loopback targets (127.0.0.0/8, ::1, localhost) may be loaded", *target)
	}
	switch {
	case *c < 1 || *c > maxConcurrency:
		return options{}, fmt.Errorf("-c %d: want 1..%d", *c, maxConcurrency)
	case *d < 0 || *d > maxDuration:
		return options{}, fmt.Errorf("-d %s: want at most %s", *d, maxDuration)
	case *n < 0 || *n > maxRequests:
		return options{}, fmt.Errorf("-n %d: want at most %d", *n, maxRequests)
	case *timeout <= 0 || *timeout > time.Minute:
		return options{}, fmt.Errorf("-timeout %s: want more than 0 and at most 1m", *timeout)
	case *waitTimeout <= 0 || *waitTimeout > maxWait:
		return options{}, fmt.Errorf("-wait-timeout %s: want more than 0 and at most %s", *waitTimeout, maxWait)
	}
	if *d == 0 && *n == 0 {
		*d = 10 * time.Second
	}
	if *d == 0 {
		*d = maxDuration // a count alone is still bounded in time
	}
	opts := options{target: u, concurrency: *c, duration: *d, requests: *n, prefix: *prefix,
		timeout: *timeout, waitRuns: *wait, waitTimeout: *waitTimeout, acceptedLog: *acceptedLog}
	if opts.prefix == "" {
		opts.prefix = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if opts.waitRuns {
		opts.token = getenv("BENCH_TOKEN")
		if opts.token == "" {
			return options{}, errors.New("-wait-runs needs an API token in BENCH_TOKEN")
		}
	}
	return opts, nil
}

// isLoopback accepts localhost and loopback IP literals only; other names
// are refused rather than resolved, so DNS cannot point the load elsewhere.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// payload is one finished chat of a new lead; the score cycles through
// 0..99 so both branches of the template (deal + task, or the nurture
// list) are taken. Each lead has a phone of its own (a Spanish mobile):
// with one shared number every lead would be merged into one contact.
func payload(prefix string, worker, workers int, seq int64) []byte {
	score := (seq*37 + int64(worker)*11) % 100
	// The request's overall number: unique below 100 M requests (the tool
	// stops at 10 M).
	phone := 600000000 + (seq*int64(workers)+int64(worker))%100000000
	return fmt.Appendf(nil, `{"email":"%s","name":"ana silva","phone":"+34 %d","company":"Acme","score":%d,"transcript":"Hello, I would like a demo of your product for our sales team."}`,
		email(prefix, worker, seq), phone, score)
}

// email is the lead's address, unique per request: the id that joins a
// webhook to what a journey sends on (-accepted).
func email(prefix string, worker int, seq int64) string {
	return fmt.Sprintf("lead-%s-%d-%d@example.com", prefix, worker, seq)
}

// acceptance is when an accepted webhook's answer came.
type acceptance struct {
	worker int
	seq    int64
	at     int64 // Unix ns
}

type result struct {
	start, end time.Time
	sent       int64
	accepted   int64
	non2xx     int64
	failures   int64 // transport errors and timeouts
	statuses   map[int]int64
	errs       []string
	latency    histogram
	accepts    []acceptance // with -accepted only
}

func (r *result) firstError() string {
	if len(r.errs) == 0 {
		return ""
	}
	return " (first error: " + r.errs[0] + ")"
}

// runLoad keeps opts.concurrency requests in flight until the time or the
// request budget runs out. Requests in flight at the deadline are finished
// (each is bounded by opts.timeout), so every accepted webhook is counted
// and the server's run count can be checked against it. Every request's
// latency is recorded, failures included (a timeout is as slow as its
// timeout).
func runLoad(ctx context.Context, opts options) *result {
	transport := &http.Transport{
		MaxIdleConns:        opts.concurrency,
		MaxIdleConnsPerHost: opts.concurrency,
		MaxConnsPerHost:     opts.concurrency,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: opts.timeout}

	var budget atomic.Int64
	budget.Store(opts.requests)
	res := &result{statuses: map[int]int64{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	res.start = time.Now()
	deadline := res.start.Add(opts.duration)
	for w := range opts.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine result
			mine.statuses = map[int]int64{}
			for seq := int64(0); ctx.Err() == nil && time.Now().Before(deadline); seq++ {
				if opts.requests > 0 && budget.Add(-1) < 0 {
					break
				}
				status, took, err := post(ctx, client, opts.target.String(), payload(opts.prefix, w, opts.concurrency, seq))
				mine.latency.record(took)
				mine.sent++
				switch {
				case err != nil:
					mine.failures++
					if len(mine.errs) < 3 {
						mine.errs = append(mine.errs, err.Error())
					}
				case status >= 200 && status < 300:
					mine.accepted++
					if opts.acceptedLog != "" {
						mine.accepts = append(mine.accepts, acceptance{w, seq, time.Now().UnixNano()})
					}
				default:
					mine.non2xx++
					mine.statuses[status]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.sent += mine.sent
			res.accepted += mine.accepted
			res.non2xx += mine.non2xx
			res.failures += mine.failures
			for s, n := range mine.statuses {
				res.statuses[s] += n
			}
			res.errs = append(res.errs, mine.errs...)
			res.latency.merge(&mine.latency)
			res.accepts = append(res.accepts, mine.accepts...)
		}()
	}
	wg.Wait()
	res.end = time.Now()
	return res
}

// post sends one webhook and returns its latency, body read included.
func post(ctx context.Context, client *http.Client, target string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	begin := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	took := time.Since(begin)
	if err != nil {
		return 0, took, err
	}
	return resp.StatusCode, took, nil
}

// writeAccepted writes the load window ("# start NS end NS") and one line
// "EMAIL NS" per accepted webhook.
func (r *result) writeAccepted(path, prefix string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintf(w, "# start %d end %d\n", r.start.UnixNano(), r.end.UnixNano())
	for _, a := range r.accepts {
		fmt.Fprintf(w, "%s %d\n", email(prefix, a.worker, a.seq), a.at)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms" }

func (r *result) print(w io.Writer, opts options) {
	elapsed := r.end.Sub(r.start).Seconds()
	fmt.Fprintf(w, "target: %s  concurrency: %d\n", opts.target, opts.concurrency)
	fmt.Fprintf(w, "elapsed: %.2f s\n", elapsed)
	fmt.Fprintf(w, "requests: %d\n", r.sent)
	fmt.Fprintf(w, "accepted: %d\n", r.accepted)
	fmt.Fprintf(w, "non-2xx: %d\n", r.non2xx)
	if len(r.statuses) > 0 {
		fmt.Fprintf(w, "non-2xx statuses: %v\n", r.statuses)
	}
	fmt.Fprintf(w, "errors: %d%s\n", r.failures, r.firstError())
	fmt.Fprintf(w, "accepted/s: %.1f\n", float64(r.accepted)/elapsed)
	h := &r.latency
	fmt.Fprintf(w, "latency p50: %s\nlatency p90: %s\nlatency p99: %s\nlatency max: %s\n",
		ms(h.percentile(50)), ms(h.percentile(90)), ms(h.percentile(99)), ms(h.max))
}

type drained struct {
	completed, failed, other int64
	elapsed                  time.Duration
}

func (d drained) print(w io.Writer) {
	fmt.Fprintf(w, "runs completed: %d\nruns failed: %d\n", d.completed, d.failed)
	if d.other > 0 {
		fmt.Fprintf(w, "runs cancelled: %d\n", d.other)
	}
	fmt.Fprintf(w, "load start to last run finished: %.2f s\n", d.elapsed.Seconds())
	fmt.Fprintf(w, "completed runs/s: %.1f\n", float64(d.completed)/d.elapsed.Seconds())
}

// waitForRuns polls the runs API until nothing is running or waiting; the
// time from the load's start to then gives completed runs/s. It assumes a
// database that holds only this load's runs.
func waitForRuns(opts options, loadStart time.Time) (drained, error) {
	api := *opts.target
	api.Path, api.RawQuery = "/api/v1/runs", ""
	client := &http.Client{Timeout: 10 * time.Second}
	count := func(status string) (int64, error) {
		u := api
		u.RawQuery = url.Values{"status": {status}, "limit": {"1"}}.Encode()
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+opts.token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return 0, fmt.Errorf("GET %s: %s %s", u.Path, resp.Status, b)
		}
		var page struct {
			Total *int64 `json:"total"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || page.Total == nil {
			return 0, fmt.Errorf("GET %s: no total in the answer (%v)", u.Path, err)
		}
		return *page.Total, nil
	}
	deadline := time.Now().Add(opts.waitTimeout)
	for {
		running, err := count("running")
		if err != nil {
			return drained{}, err
		}
		waiting := int64(0)
		if running == 0 {
			if waiting, err = count("waiting"); err != nil {
				return drained{}, err
			}
		}
		if running == 0 && waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return drained{}, fmt.Errorf("runs still unfinished after %s: %d running, %d waiting", opts.waitTimeout, running, waiting)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d := drained{elapsed: time.Since(loadStart)}
	var err error
	if d.completed, err = count("completed"); err != nil {
		return d, err
	}
	if d.failed, err = count("failed"); err != nil {
		return d, err
	}
	d.other, err = count("cancelled")
	return d, err
}
