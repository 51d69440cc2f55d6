package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// Fixture credentials of every test bundle.
const (
	testEmail    = "admin@example.com"
	testPassword = "correct horse battery"
	hookSecret   = "s3cret-for-tests"
)

// fixtureHash is testPassword hashed at bcrypt's lowest cost, once per
// test process. Users created through the API keep the real cost.
var fixtureHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// testBundle is one isolated server with its own SQLite database.
type testBundle struct {
	store *storage.Store
	eng   *engine.Engine
	srv   *server.Server
	ch    *channels.Service
	// dbPath is the SQLite file.
	dbPath string
	// token is a valid API token.
	token string
	logs  *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (the logger).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type setupOptions struct {
	web fs.FS
	// user creates testEmail/testPassword (bcrypt is slow under -race,
	// so only the tests that sign in ask for it).
	user     bool
	testWait time.Duration
	// debugLogs captures every log line, not only warnings.
	debugLogs bool
	// trustedProxies is Config.TrustedProxies (comma-separated).
	trustedProxies string
	// registry replaces nodes.Builtin() (e.g. with webhook presets).
	registry *nodes.Registry
	// postgres stores in a fresh PostgreSQL database (skipped without
	// TEST_POSTGRES_DSN) instead of a SQLite file.
	postgres bool
	// writerBusyLimit is Config.WriterBusyLimit.
	writerBusyLimit time.Duration
	// setupHosts is Config.SetupHosts.
	setupHosts []string
	// hookRate is Config.HookRate (0: the default).
	hookRate int
	// maxBacklog is engine.Config.MaxBacklog (0: no limit).
	maxBacklog int
	// vendors wires the vendor accounts (loopback allowed) and OAuth
	// token calls, for tests with in-test vendors.
	vendors bool
	// vendorClient, with vendors, makes the vendor clients' requests
	// (e.g. one that checks them against the vendor's spec).
	vendorClient *http.Client
	// resultsMaxAge is Config.ResultsMaxAge.
	resultsMaxAge time.Duration
}

// setup opens a fresh store, engine and server; the engine's workers are
// not started (tests call Drain).
func setup(t *testing.T, opts ...func(*setupOptions)) *testBundle {
	t.Helper()
	var o setupOptions
	for _, fn := range opts {
		fn(&o)
	}
	ctx := context.Background()
	logs := &syncBuffer{}
	level := slog.LevelWarn
	if o.debugLogs {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	dbPath := t.TempDir() + "/t.db"
	dsn := "sqlite://" + dbPath
	if o.postgres {
		dsn = storagetest.PostgresDSN(t)
	}
	store, err := storage.Open(ctx, dsn, logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	chCfg := channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{5}, storage.SecretKeySize),
		PublicURL: "https://journeys.example.com", Logger: logger,
		Connectors: channels.VendorConnectors("https://journeys.example.com", true)}
	if o.vendors {
		chCfg.Accounts, chCfg.HTTP = channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true, VendorClient: o.vendorClient})
		chCfg.OAuthClient = http.DefaultClient
	}
	ch, err := channels.New(chCfg)
	if err != nil {
		t.Fatalf("new channels: %v", err)
	}
	// InlineStart as serve runs it: a webhook's run has gone as far as it
	// can before the answer.
	reg := o.registry
	if reg == nil {
		reg = nodes.Builtin()
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, Logger: logger, Channels: ch, InlineStart: true,
		MaxBacklog: o.maxBacklog})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	proxies, err := server.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		t.Fatalf("trusted proxies: %v", err)
	}
	srv := server.New(server.Config{
		Engine: eng, Store: store, Logger: logger, Version: "test",
		HookSecrets: map[string]string{"CHATBOT": hookSecret},
		Templates:   flows.TemplatesFS(), Web: o.web, TestWait: o.testWait, Channels: ch,
		TrustedProxies: proxies, WriterBusyLimit: o.writerBusyLimit, SetupHosts: o.setupHosts, HookRate: o.hookRate,
		ResultsMaxAge: o.resultsMaxAge,
	})
	b := &testBundle{store: store, eng: eng, srv: srv, logs: logs, ch: ch, dbPath: dbPath}
	err = store.Write(ctx, func(tx storage.Tx) error {
		if o.user {
			if _, err := storage.CreateUser(tx, testEmail, testPassword, time.Now()); err != nil {
				return err
			}
			// The fixture user signs in many times: store its password at
			// bcrypt's lowest cost, so that each sign-in costs a millisecond
			// rather than a second of -race CPU.
			if err := storagetest.Update(tx, &storage.User{}, "password_hash", fixtureHash(), "email = ?", testEmail); err != nil {
				return err
			}
		}
		b.token, _, err = storage.CreateAPIToken(tx, "tests", time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return b
}

// response is what a request returned.
type response struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into v.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// request sends a request through app.Test. headers are name, value pairs.
func (b *testBundle) request(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	// Fiber's limit on one request, scaled by the machine's load: a
	// sign-in spends bcrypt time, which -race and a busy machine stretch.
	res, err := b.srv.App().Test(req, int(testwait.Scaled(30*time.Second).Milliseconds()))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(data)}
}

// api sends an authenticated request (bearer token).
func (b *testBundle) api(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	return b.request(t, method, url, body, append([]string{"Authorization", "Bearer " + b.token}, headers...)...)
}

// must fails the test unless the response has the status.
func (r response) must(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// drain runs every due job.
// startEngine runs the engine's workers, as serve does, until the test
// ends.
func (b *testBundle) startEngine(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.eng.Start(ctx)
	t.Cleanup(func() {
		cancel()
		sctx, done := context.WithTimeout(context.Background(), 5*time.Second) // not a test limit: the error is ignored
		defer done()
		_ = b.eng.Stop(sctx)
	})
}

func (b *testBundle) drain(t *testing.T) {
	t.Helper()
	if _, err := b.eng.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
}

// scenario is one API call and what its answer must (not) contain.
type scenario struct {
	name    string
	before  func(t *testing.T, b *testBundle)
	method  string
	url     string
	body    string
	headers []string
	// public sends no credentials.
	public bool
	// user creates the test user first.
	user        bool
	status      int
	contains    []string
	notContains []string
	// header: name, substring pairs the response headers must contain.
	header []string
}

// run executes the scenarios, each against its own fresh server.
func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOptions) { o.user = sc.user })
			if sc.before != nil {
				sc.before(t, b)
			}
			var res response
			if sc.public {
				res = b.request(t, sc.method, sc.url, sc.body, sc.headers...)
			} else {
				res = b.api(t, sc.method, sc.url, sc.body, sc.headers...)
			}
			if res.status != sc.status {
				t.Fatalf("%s %s: status %d, want %d; body: %s", sc.method, sc.url, res.status, sc.status, res.body)
			}
			for _, s := range sc.contains {
				if !strings.Contains(res.body, s) {
					t.Errorf("%s %s: body lacks %q: %s", sc.method, sc.url, s, res.body)
				}
			}
			for _, s := range sc.notContains {
				if strings.Contains(res.body, s) {
					t.Errorf("%s %s: body has %q: %s", sc.method, sc.url, s, res.body)
				}
			}
			for i := 0; i+1 < len(sc.header); i += 2 {
				if got := res.header.Get(sc.header[i]); !strings.Contains(got, sc.header[i+1]) {
					t.Errorf("%s %s: header %s = %q, want it to contain %q", sc.method, sc.url, sc.header[i], got, sc.header[i+1])
				}
			}
		})
	}
}

// templateJSON returns a shipped template's document.
func templateJSON(t *testing.T, name string) string {
	t.Helper()
	data, err := fs.ReadFile(flows.TemplatesFS(), name+".json")
	if err != nil {
		t.Fatalf("template %s: %v", name, err)
	}
	return string(data)
}

// withUser creates the test user.
func withUser(o *setupOptions) { o.user = true }
