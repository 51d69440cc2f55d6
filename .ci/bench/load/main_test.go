package main

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// The histogram's percentiles must agree with an exact sort within its
// stated precision (1/128), and never report lower than the truth.
func TestHistogramPercentilesMatchSortedSlice(t *testing.T) {
	var h histogram
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for range 100_000 {
		// Log-uniform from 1 µs to ~1 s, like real latencies with a tail.
		d := time.Duration(float64(time.Microsecond) * float64(uint64(1)<<r.IntN(20)) * (1 + r.Float64()))
		all = append(all, d)
		h.record(d)
	}
	slices.Sort(all)
	for _, p := range []float64{1, 50, 90, 99, 99.9, 100} {
		rank := int(p/100*float64(len(all))+0.999999) - 1
		want := all[max(rank, 0)]
		got := h.percentile(p)
		if got < want || float64(got-want) > float64(want)/128+1 {
			t.Errorf("p%v = %v, exact %v", p, got, want)
		}
	}
	if h.max != all[len(all)-1] {
		t.Errorf("max = %v, want %v", h.max, all[len(all)-1])
	}
}

func TestBucketsAreContiguousAndOrdered(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<16; v++ {
		b := bucket(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucket(%d) = %d after %d", v, b, prev)
		}
		if v > bucketTop(b) {
			t.Fatalf("value %d above its bucket top %d", v, bucketTop(b))
		}
		prev = b
	}
	if b := bucket(^uint64(0)); b >= len(histogram{}.counts) {
		t.Fatalf("largest value lands in bucket %d of %d", b, len(histogram{}.counts))
	}
}

func TestOptionsRefuseUnboundedOrRemoteLoad(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-url", "http://10.0.0.5:8080/hooks/x"},
		{"-url", "http://example.com/hooks/x"},
		{"-url", "http://127.0.0.1.nip.io/hooks/x"},
		{"-c", "0"},
		{"-c", "5000"},
		{"-d", "2h"},
		{"-n", "100000000"},
		{"-wait-runs"}, // no token
	} {
		if _, err := parseOptions(args, env); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	for _, host := range []string{"127.0.0.1:9", "[::1]:9", "localhost:9", "127.3.2.1:9"} {
		if _, err := parseOptions([]string{"-url", "http://" + host + "/hooks/x"}, env); err != nil {
			t.Errorf("%s refused: %v", host, err)
		}
	}
	opts, err := parseOptions([]string{"-n", "100"}, env)
	if err != nil || opts.duration != maxDuration || opts.requests != 100 {
		t.Errorf("a count alone: %+v, %v; want it bounded by %s too", opts, err, maxDuration)
	}
}

func TestPayloadsAreUniqueAndSpreadScores(t *testing.T) {
	emails := map[string]bool{}
	phones := map[string]bool{}
	scores := map[string]bool{}
	// Sixteen clients and enough requests each that a phone formula
	// repeating across clients would show.
	for w := range 16 {
		for seq := range int64(400) {
			p := string(payload("x", w, 16, seq))
			email := p[strings.Index(p, `"email":"`)+9:]
			email = email[:strings.Index(email, `"`)]
			if emails[email] {
				t.Fatalf("email %s repeated", email)
			}
			emails[email] = true
			// The template finds contacts by phone too: one phone a lead.
			phone := p[strings.Index(p, `"phone":"`)+9:]
			phone = phone[:strings.Index(phone, `"`)]
			if phones[phone] {
				t.Fatalf("phone %s repeated", phone)
			}
			phones[phone] = true
			s := p[strings.Index(p, `"score":`)+8:]
			scores[s[:strings.Index(s, ",")]] = true
		}
	}
	if len(scores) != 100 {
		t.Errorf("%d distinct scores in 6,400 payloads, want all of 0..99", len(scores))
	}
}

// -accepted writes the load window and each accepted webhook's email, the
// id the vendor benchmark's sink joins on.
func TestWriteAcceptedNamesThePayloadsEmail(t *testing.T) {
	start := time.Unix(100, 0)
	r := &result{start: start, end: start.Add(time.Second),
		accepts: []acceptance{{worker: 3, seq: 7, at: 100_500_000_000}}}
	path := t.TempDir() + "/accepted.txt"
	if err := r.writeAccepted(path, "p"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# start 100000000000 end 101000000000\nlead-p-3-7@example.com 100500000000\n"
	if string(b) != want {
		t.Fatalf("file = %q, want %q", b, want)
	}
	if !strings.Contains(string(payload("p", 3, 16, 7)), `"email":"lead-p-3-7@example.com"`) {
		t.Fatalf("the payload does not carry the id: %s", payload("p", 3, 16, 7))
	}
}
