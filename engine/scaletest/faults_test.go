package scaletest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// crashFlow saves a contact, sends a sandbox email, waits three seconds,
// then creates a deal and adds the contact to a list.
const crashFlow = `{
  "id": "crash", "name": "Crash test",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "crash"}, "position": {"x":0,"y":0}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "mail", "type": "message.email", "params": {"subject": "Hello {{ trigger.n }}", "body": "Welcome"}, "position": {"x":0,"y":0}},
    {"id": "wait", "type": "wait.delay", "params": {"mode": "duration", "duration": "3s"}, "position": {"x":0,"y":0}},
    {"id": "deal", "type": "crm.create_deal", "params": {"title": "Deal {{ trigger.n }}", "stage": "new"}, "position": {"x":0,"y":0}},
    {"id": "list", "type": "list.add", "params": {"list": "crashed"}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "hook", "to": "save"}, {"from": "save", "to": "mail"}, {"from": "mail", "port": "sent", "to": "wait"},
    {"from": "wait", "to": "deal"}, {"from": "deal", "to": "list"}
  ]
}`

// TestSQLiteSIGKILLWithThousandsInFlight kills the only SQLite instance
// again and again while thousands of runs are being accepted, running and
// waiting in their delay; every accepted run completes with each effect
// once.
func TestSQLiteSIGKILLWithThousandsInFlight(t *testing.T) {
	processLevel(t)
	t.Parallel()
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	runs := 3000
	api := newAPI(t, db)
	srv := newInstance(t, "sqlite", db)
	srv.start(t)
	api.publish(t, srv.url(), crashFlow)
	store := openStore(t, db)

	start := time.Now()
	// The runs wait 3s each, so at this pace at least three kills land
	// while runs are in flight however fast the engine is.
	stopKiller := killer(t, []*instance{srv}, 500*time.Millisecond, 200*time.Millisecond)
	defer stopKiller()
	res, err := fireHooks(func(int) string { return srv.addr }, "crash", runs, 16, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("k%d@example.com", i), "n": i}
	})
	if err != nil {
		stopKiller()
		t.Fatalf("load: %v (accepted %d of %d)", err, res.accepted, runs)
	}
	// Keep killing while the delays are pending.
	counts := waitFinished(t, store.Reader(), "crash", int64(runs))
	nKills := stopKiller()
	t.Logf("%d runs on SQLite: %d SIGKILLs, %d webhooks resent, %d found already stored, finished after %s",
		runs, nKills, res.retries, res.duplicates, time.Since(start).Round(time.Millisecond))
	if nKills < 3 {
		t.Errorf("only %d SIGKILLs happened; the test did not exercise crashes", nKills)
	}
	if counts[storage.RunCompleted] != int64(runs) || len(counts) != 1 {
		t.Fatalf("runs by status = %v, want %d completed\n%s", counts, runs, srv.logs.Tail())
	}
	r := store.Reader()
	assertNothingLeft(t, r, "crash")
	for _, c := range []struct{ what, query string }{
		{"deals", "SELECT count(*) FROM deals"},
		{"distinct deal titles", "SELECT count(DISTINCT title) FROM deals"},
		{"list members", "SELECT count(*) FROM list_members"},
		{"sandbox emails", "SELECT count(*) FROM messages WHERE channel = 'email'"},
		{"distinct email subjects", "SELECT count(DISTINCT subject) FROM messages"},
	} {
		if n := count(t, r, c.query); n != int64(runs) {
			t.Errorf("%s = %d, want %d (each effect exactly once)", c.what, n, runs)
		}
	}
}

// fakeTwilio is a recording Twilio Messages API that fails for a while:
// 500s, 429s with Retry-After, and answers lost after the message was
// created (what a client sees as a timeout or a reset). Like Twilio it
// answers a repeated Idempotency-Key with the message it created.
type fakeTwilio struct {
	mu      sync.Mutex
	outage  time.Time // failures until then
	calls   int
	failed  map[string]int // kind of failure -> count
	byKey   map[string]string
	created map[string]int // recipient -> messages created
}

func newFakeTwilio(outage time.Duration) *fakeTwilio {
	return &fakeTwilio{outage: time.Now().Add(outage), failed: map[string]int{}, byKey: map[string]string{}, created: map[string]int{}}
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	to, key := form.Get("To"), r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	f.calls++
	failure := ""
	if time.Now().Before(f.outage) {
		failure = []string{"500", "429", "lost answer"}[f.calls%3]
		f.failed[failure]++
	}
	sid, seen := f.byKey[key]
	if !seen && (failure == "" || failure == "lost answer") {
		sid = fmt.Sprintf("SM%032d", f.calls)
		if key != "" {
			f.byKey[key] = sid
		}
		f.created[to]++
	}
	f.mu.Unlock()
	switch failure {
	case "500":
		http.Error(w, `{"code": 20500, "message": "Internal Server Error"}`, http.StatusInternalServerError)
		return
	case "429":
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"code": 20429, "message": "Too Many Requests"}`, http.StatusTooManyRequests)
		return
	case "lost answer":
		// The message exists now, but the answer never arrives.
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid": %q, "status": "queued", "to": %q}`, sid, to)
}

const smsFlow = `{
  "id": "sms", "name": "SMS through a failing vendor",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "sms"}, "position": {"x":0,"y":0}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x":0,"y":0}},
    {"id": "text", "type": "message.sms", "params": {"credential": "CREDENTIAL", "to": "{{ trigger.phone }}", "body": "Hi {{ trigger.n }}"}, "position": {"x":0,"y":0}},
    {"id": "deal", "type": "crm.create_deal", "params": {"title": "Deal {{ trigger.n }}", "stage": "new"}, "position": {"x":0,"y":0}},
    {"id": "unsent", "type": "list.add", "params": {"list": "unsent"}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "hook", "to": "save"}, {"from": "save", "to": "text"},
    {"from": "text", "port": "sent", "to": "deal"}, {"from": "text", "port": "failed", "to": "unsent"}
  ]
}`

// TestVendorOutageIsRetriedWithoutDuplicates: the SMS vendor answers 500,
// 429 and loses answers for a few seconds; every run ends (sent, or on the
// "failed" port, visibly), and the vendor created at most one message per
// recipient even when the engine retried after a lost answer.
func TestVendorOutageIsRetriedWithoutDuplicates(t *testing.T) {
	processLevel(t)
	t.Parallel()
	fake := newFakeTwilio(4 * time.Second)
	vendor := httptest.NewServer(fake)
	defer vendor.Close()
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	api := newAPI(t, db)
	// The fake Twilio listens on loopback, which vendor URLs may reach only so.
	srv := newInstance(t, "sqlite", db, "--http-allow-private")
	srv.start(t)
	var cred struct {
		Credential struct {
			ID string `json:"id"`
		} `json:"credential"`
	}
	api.do(t, "POST", srv.url()+"/api/v1/credentials", map[string]any{"name": "Flaky Twilio", "kind": "twilio", "fields": map[string]any{
		"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "not-a-real-token",
		"from": "+15550000000", "base_url": vendor.URL}}, &cred)
	api.publish(t, srv.url(), replaceOnce(smsFlow, "CREDENTIAL", cred.Credential.ID))
	store := openStore(t, db)

	const runs = 300
	fake.mu.Lock()
	fake.outage = time.Now().Add(4 * time.Second)
	fake.mu.Unlock()
	res, err := fireHooks(func(int) string { return srv.addr }, "sms", runs, 8, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("v%d@example.com", i), "phone": fmt.Sprintf("+1555%07d", i), "n": i}
	})
	if err != nil || res.accepted != runs {
		t.Fatalf("accepted %d of %d webhooks: %v", res.accepted, runs, err)
	}
	counts := waitFinished(t, store.Reader(), "sms", runs)
	if counts[storage.RunCompleted] != runs || len(counts) != 1 {
		t.Fatalf("runs by status = %v, want %d completed (sent, or on the failed port)\n%s", counts, runs, srv.logs.Tail())
	}
	r := store.Reader()
	assertNothingLeft(t, r, "sms")

	fake.mu.Lock()
	defer fake.mu.Unlock()
	t.Logf("vendor: %d calls, failures %v, %d messages created", fake.calls, fake.failed, len(fake.created))
	for _, kind := range []string{"500", "429", "lost answer"} {
		if fake.failed[kind] == 0 {
			t.Errorf("the vendor never answered %q: the outage was not exercised", kind)
		}
	}
	for to, n := range fake.created {
		if n != 1 {
			t.Errorf("the vendor created %d messages for %s, want 1", n, to)
		}
	}
	sent := count(t, r, "SELECT count(*) FROM messages WHERE status = 'sent'")
	failed := count(t, r, "SELECT count(*) FROM messages WHERE status = 'failed'")
	if sent+failed != runs || count(t, r, "SELECT count(*) FROM messages") != runs {
		t.Errorf("messages: %d sent + %d failed, want %d in all (one per run)", sent, failed, runs)
	}
	// The outage is shorter than the retry budget: every message got out.
	if sent != runs || len(fake.created) != runs {
		t.Errorf("sent = %d, created at the vendor = %d, want %d", sent, len(fake.created), runs)
	}
	if n := count(t, r, "SELECT count(*) FROM deals"); n != sent {
		t.Errorf("deals = %d, want one per sent message (%d)", n, sent)
	}
	if n := count(t, r, "SELECT count(*) FROM list_members"); n != failed {
		t.Errorf("runs on the failed port = %d, want one per failed message (%d)", n, failed)
	}
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

// tcpProxy forwards a local port to PostgreSQL; down refuses new
// connections and cuts the open ones, as a database restart or a network
// partition would.
type tcpProxy struct {
	addr, target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{addr: freeAddr(t), target: target, conns: map[net.Conn]struct{}{}}
	if err := p.up(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) up() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return nil
}

func (p *tcpProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
}

// TestDatabaseOutageLosesNothing cuts the instance off PostgreSQL for a
// few seconds in the middle of the load: webhooks answered with an error
// are sent again, work in flight is taken back after its lease, and every
// run completes once.
func TestDatabaseOutageLosesNothing(t *testing.T) {
	processLevel(t)
	direct := freshPostgres(t)
	u, _ := url.Parse(direct)
	proxy := newProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.addr
	db := viaProxy.String()
	api := newAPI(t, direct)
	srv := newInstance(t, "postgres-via-proxy", db, "--lease", "5s")
	srv.start(t)
	api.publish(t, srv.url(), crashFlow)
	store := openStore(t, direct)

	const runs = 1500
	start := time.Now()
	outage := make(chan time.Duration, 1)
	go func() {
		// Cut the database while webhooks arrive and runs advance: once a
		// fifth of the runs exist (or, if the load is stuck, when no run was
		// added for the stall period; the test then fails on the load).
		testwait.Until(20*time.Millisecond, stall, func() (int64, bool) {
			var n int64
			_ = storagetest.Scan(store.Reader(), &n, "SELECT count(*) FROM runs")
			return n, n >= runs/5
		})
		proxy.down()
		cut := time.Now()
		time.Sleep(4 * time.Second)
		err := proxy.up()
		if err != nil {
			t.Errorf("proxy up: %v", err)
		}
		outage <- time.Since(cut)
	}()
	res, err := fireHooks(func(int) string { return srv.addr }, "crash", runs, 16, func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("d%d@example.com", i), "n": i}
	})
	down := <-outage
	if err != nil || res.accepted != runs {
		t.Fatalf("accepted %d of %d webhooks: %v\n%s", res.accepted, runs, err, srv.logs.Tail())
	}
	counts := waitFinished(t, store.Reader(), "crash", runs)
	t.Logf("%d runs, database refused connections for %s: %d webhooks resent, %d found already stored, finished after %s",
		runs, down.Round(time.Millisecond), res.retries, res.duplicates, time.Since(start).Round(time.Millisecond))
	if res.retries == 0 {
		t.Errorf("no webhook failed during the outage: the outage was not exercised")
	}
	if counts[storage.RunCompleted] != runs || len(counts) != 1 {
		t.Fatalf("runs by status = %v, want %d completed\n%s", counts, runs, srv.logs.Tail())
	}
	r := store.Reader()
	assertNothingLeft(t, r, "crash")
	for _, c := range []struct{ what, query string }{
		{"deals", "SELECT count(*) FROM deals"},
		{"list members", "SELECT count(*) FROM list_members"},
		{"sandbox emails", "SELECT count(*) FROM messages"},
		{"distinct email subjects", "SELECT count(DISTINCT subject) FROM messages"},
	} {
		if n := count(t, r, c.query); n != runs {
			t.Errorf("%s = %d, want %d (each effect exactly once)", c.what, n, runs)
		}
	}
}
