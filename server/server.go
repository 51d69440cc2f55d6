// Package server is the HTTP face of journey (Fiber v2): the REST API under
// /api/v1, the public webhooks under /hooks/, the health check and the
// editor. Handlers stay thin: they decode the request, copy whatever
// outlives the handler (Fiber reuses its buffers), call the engine or the
// storage, and respond. Every error is rendered once, by one error
// handler, as {"error": {"code", "message", "details"}}.
package server

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/storage"
)

// Limits and timeouts of the HTTP server.
const (
	// BodyLimit is the largest request body accepted (413 above it).
	BodyLimit = 1 << 20
	// DefaultTestWait bounds how long POST /flows/:id/test waits for the
	// test run to stop running.
	DefaultTestWait = 5 * time.Second
	// DefaultWriterBusyLimit is Config.WriterBusyLimit's default: far
	// above a normal batch of steps, which commits in milliseconds.
	DefaultWriterBusyLimit = 10 * time.Second
	// testPollInterval is how often the test endpoint looks at its run.
	testPollInterval = 20 * time.Millisecond

	readTimeout  = 30 * time.Second
	writeTimeout = 30 * time.Second
	idleTimeout  = 120 * time.Second
)

// Config configures a Server. Engine and Store are required.
type Config struct {
	Engine *engine.Engine
	Store  *storage.Store
	// Logger receives one line per failed request (default: discard).
	Logger *slog.Logger
	// Clock tells the time for sessions and "today" counts (default: the
	// system clock, UTC).
	Clock engine.Clock
	// HookSecrets maps a webhook trigger's secret name (its "secret_env"
	// parameter) to the shared secret used to check X-Signature-256.
	HookSecrets map[string]string
	// Web is the built editor (index.html and assets); nil serves a small
	// page saying the editor is not built.
	Web fs.FS
	// Templates holds the shipped flow templates (*.json); nil means none.
	Templates fs.FS
	// Version is reported by /healthz and /metrics.
	Version string
	// SecureCookies marks the session cookie Secure (serve over HTTPS).
	SecureCookies bool
	// TrustedProxies are reverse proxies whose X-Forwarded-For names the
	// client for sign-in throttling and logs (see ParseTrustedProxies);
	// empty: the peer's address is the client's.
	TrustedProxies []netip.Prefix
	// SessionTTL is how long a sign-in lasts (default 14 days).
	SessionTTL time.Duration
	// TestWait bounds how long POST /flows/:id/test waits for its run
	// (default 5s).
	TestWait time.Duration
	// Channels serves credentials, messages, the sandbox simulator and
	// the tracking and unsubscribe links (nil: those routes are absent).
	Channels *channels.Service
	// MetricsToken, when set, is the bearer token GET /metrics requires
	// (empty: /metrics is public, like /healthz).
	MetricsToken string
	// WriterBusyLimit is how long a write transaction may stay open
	// before /readyz says the instance is not ready (default 10s).
	WriterBusyLimit time.Duration
	// SetupHosts are the host names (of --public-url and --addr) under
	// which first-run setup may be done, besides IP addresses and
	// localhost; nil: any (embedding, tests). See setupHostAllowed.
	SetupHosts []string
	// HookConcurrency is how many /hooks/* requests are handled at once
	// (0: DefaultHookConcurrency; negative: no limit). More are a 429.
	HookConcurrency int
	// HookRate is how many /hooks/* requests a minute one client address
	// (see TrustedProxies) may send (0: DefaultHookRate; negative: no
	// limit). More are a 429 with Retry-After.
	HookRate int
	// ResultsMaxAge is how old the Results' counts may be before a
	// request counts what changed itself (0: every request does; serve
	// sets 30 s and counts every 15 s in the background, so that a busy
	// day's recount is not paid by each dashboard request).
	ResultsMaxAge time.Duration
}

// Server is the HTTP server. Create it with New.
type Server struct {
	cfg   Config
	eng   *engine.Engine
	store *storage.Store
	log   *slog.Logger
	clock engine.Clock
	app   *fiber.App
	// gauges are the server's scrape-time gauges (see ops.go).
	gauges *prometheus.Registry
	// logins throttles failed sign-ins per email and per address.
	logins *loginThrottle
	// replays remembers the one-time tokens and signatures of signed
	// callbacks (see replay.go).
	replays *replayGuard
}

// New builds the Fiber app with every route. It panics when Engine or Store
// is missing (a wiring mistake in main).
func New(cfg Config) *Server {
	if cfg.Engine == nil || cfg.Store == nil {
		panic("server: Config.Engine and Config.Store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Clock = cmp.Or[engine.Clock](cfg.Clock, engine.SystemClock{})
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, 14*24*time.Hour)
	cfg.TestWait = cmp.Or(cfg.TestWait, DefaultTestWait)
	cfg.WriterBusyLimit = cmp.Or(cfg.WriterBusyLimit, DefaultWriterBusyLimit)
	s := &Server{cfg: cfg, eng: cfg.Engine, store: cfg.Store, log: cfg.Logger, clock: cfg.Clock,
		gauges: prometheus.NewRegistry()}
	s.gauges.MustRegister(serverGauges{s})
	s.logins = newLoginThrottle(s.now)
	s.replays = newReplayGuard(s.now, cfg.Store)
	s.app = fiber.New(fiber.Config{
		AppName:               "journey",
		BodyLimit:             BodyLimit,
		ReadBufferSize:        HeaderLimit,
		ReadTimeout:           readTimeout,
		WriteTimeout:          writeTimeout,
		IdleTimeout:           idleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
	})
	s.routes()
	return s
}

// positiveOr is v, or def when v is 0; a negative v (no limit) is 0.
func positiveOr(v, def int) int {
	if v == 0 {
		return def
	}
	return max(v, 0)
}

// App returns the Fiber app (for tests and embedding).
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown is called.
func (s *Server) Listen(addr string) error {
	err := s.app.Listen(addr)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight,
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

// routes registers every route. Order matters: the public auth routes come
// before the authenticating group, and the editor's catch-all comes last.
func (s *Server) routes() {
	app := s.app
	app.Use(requestID, securityHeaders, s.accessLog, s.recoverPanics)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/metrics", s.metrics)
	app.Use("/hooks", s.countWebhooks)
	intake := newHookIntake(positiveOr(s.cfg.HookConcurrency, DefaultHookConcurrency),
		positiveOr(s.cfg.HookRate, DefaultHookRate), s.clientIP, s.now)
	app.Use("/hooks", intake.handler)
	s.providerHooks(app)
	app.Post("/hooks/*", s.webhook)

	limiter := newAttemptLimiter(20, time.Minute, s.now)
	limiter.clientIP = s.clientIP
	limit := limiter.handler
	app.Post("/api/v1/auth/login", noCrossSiteSignIn, limit, s.login)
	app.Get("/api/v1/auth/setup", s.setupStatus)
	app.Post("/api/v1/auth/setup", noCrossSiteSignIn, s.checkSetupHost, limit, s.setup)
	app.Get("/api/v1/openapi.json", s.openAPI)

	// Who is calling, then whether a cookie request comes from the editor,
	// then whether the caller's role allows it.
	api := app.Group("/api/v1", s.authenticate, s.checkCSRF, s.authorize)
	api.Get("/auth/me", s.me)
	api.Post("/auth/logout", s.logout)
	api.Get("/tokens", s.listTokens)
	api.Post("/tokens", s.createToken)
	api.Delete("/tokens/:id", s.deleteToken)
	api.Get("/users", s.listUsers)
	api.Post("/users", s.createUser)
	api.Patch("/users/:id", s.setUserRole)
	api.Delete("/users/:id", s.deleteUser)
	api.Get("/audit", s.listAudit)

	api.Get("/flows", s.listFlows)
	api.Post("/flows", s.createFlow)
	api.Post("/flows/import", s.importFlow)
	api.Post("/flows/validate", s.validateFlow)
	api.Get("/flows/:id", s.getFlow)
	api.Put("/flows/:id", s.updateFlow)
	api.Delete("/flows/:id", s.deleteFlow)
	api.Post("/flows/:id/publish", s.publishFlow)
	api.Post("/flows/:id/pause", s.pauseFlow)
	api.Get("/flows/:id/export", s.exportFlow)
	api.Post("/flows/:id/test", s.testFlow)
	api.Delete("/flows/:id/tests", s.deleteFlowTests)
	api.Get("/flows/:id/stats", s.flowStatsHandler)
	api.Get("/flows/:id/experiments", s.flowExperimentsHandler)
	api.Get("/flows/:id/versions", s.listVersions)
	api.Get("/flows/:id/versions/:n", s.getVersion)
	api.Get("/flows/:id/saves/:revision", s.getSave)
	api.Get("/flows/:id/diff", s.diffFlow)
	api.Get("/flows/:id/checks", s.goLiveChecks)
	api.Get("/templates", s.listTemplates)

	api.Get("/node-types", s.listNodeTypes)
	api.Get("/node-types/:type/options/:param", s.paramOptions)
	api.Get("/node-types/:type/samples", s.nodeTypeSamples)
	api.Post("/expressions/check", s.checkExpression)
	api.Post("/preview", s.previewMessage)
	previewSends := newAttemptLimiter(previewSendsPerMinute, time.Minute, s.now)
	previewSends.clientIP = principalKey
	api.Post("/preview/send", previewSends.handler, s.sendTestMessage)

	api.Get("/analytics/summary", s.analyticsSummaryHandler)
	api.Get("/analytics/series", s.analyticsSeriesHandler)
	api.Get("/analytics/messages", s.analyticsMessagesHandler)

	api.Get("/runs", s.listRuns)
	api.Get("/runs/:id", s.getRun)
	api.Post("/runs/:id/retry", s.retryRun)
	api.Post("/runs/:id/cancel", s.cancelRun)
	api.Post("/runs/:id/skip-waits", s.skipWaits)

	api.Post("/events", s.postEvent)

	api.Get("/contacts", s.listContacts)
	api.Get("/contacts/:id", s.getContact)
	api.Delete("/contacts/:id", s.eraseContact)
	api.Get("/contacts/:id/export", s.exportContact)
	api.Get("/suppressions", s.listSuppressions)
	api.Post("/suppressions/lift", s.liftSuppression)
	api.Get("/deals", s.listDeals)
	api.Get("/lists", s.listLists)
	api.Get("/lists/:name/members", s.listMembers)
	api.Get("/tasks", s.listTasks)
	api.Patch("/tasks/:id", s.setTaskDone)

	s.channelRoutes(app, api)

	app.Get("/*", s.editor)
}

// now is the server's current time, UTC.
func (s *Server) now() time.Time { return s.clock.Now().UTC() }
