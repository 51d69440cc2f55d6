// Command journey is a self-hosted journey and automation engine: one
// binary that stores flows, runs them durably, and serves the API, the
// webhooks and the editor.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on hosts and images without tzdata

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `journey: journeys that fire on time, never send twice, and survive restarts.

Usage:
  journey serve [--addr 127.0.0.1:8080] [--db sqlite://./data/app.db | postgres://...] [--role all|web|worker]
  journey import [--db ...] [--publish] [--dry-run] FILE|DIR...
                                                  validate all, then store flows (all or nothing)
  journey export [--db ...] [--version N] FLOW_ID print a flow's canonical JSON
  journey export [--db ...] --dir DIR             write every flow to DIR/ID.json
  journey validate FILE|DIR...                    check flows; exit 1 listing every problem
  journey token create --name NAME [--role admin|editor|viewer] [--db ...]
                                                  print a new API token
  journey user create --email E --password P [--role admin|editor|viewer] [--db ...]
  journey user password --email E --password P [--db ...]
                                                  set a new password and sign the user out everywhere
  journey demo [--addr ...] [--db ...] [--email E] [--password P] [--interval 2s]
                                                  serve a throwaway demo: templates, an admin, sample traffic
  journey healthcheck [--addr 127.0.0.1:8080]     exit 0 when GET /healthz answers 200 (for HEALTHCHECK)
  journey version

Settings come from flags or environment variables; "journey COMMAND --help"
lists both (the README's Configuration table lists them all).
Webhook secrets: a trigger.webhook with "secret_env": "CHATBOT" checks the
X-Signature-256 header against the value of JOURNEY_HOOK_SECRET_CHATBOT.
Credentials are encrypted with JOURNEY_SECRET_KEY (base64 of 32 bytes); when
it is unset, a key is generated into the data directory on first start.
`

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(engine.GCPercent)
	}
	defaultMemoryLimit()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes a command and returns the process exit code: 0 success,
// 1 a problem with the input (invalid flows), 2 usage or runtime errors.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, rest := args[0], args[1:]
	if (cmd == "token" || cmd == "user") && len(rest) > 0 && rest[0] == "create" {
		cmd, rest = cmd+" create", rest[1:]
	}
	if cmd == "user" && len(rest) > 0 && rest[0] == "password" {
		cmd, rest = "user password", rest[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(rest, stderr)
	case "import":
		err = cmdImport(rest, stdout, stderr)
	case "export":
		err = cmdExport(rest, stdout, stderr)
	case "validate":
		err = cmdValidate(rest, stdout, stderr)
	case "token create":
		err = cmdTokenCreate(rest, stdout, stderr)
	case "user create":
		err = cmdUserCreate(rest, stdout, stderr)
	case "user password":
		err = cmdUserPassword(rest, stdout, stderr)
	case "demo":
		err = cmdDemo(rest, stdout, stderr)
	case "healthcheck":
		err = cmdHealthcheck(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "journey", version)
		return 0
	default:
		fmt.Fprintf(stderr, "journey: unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return 2
	}
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return int(exit)
	default:
		fmt.Fprintln(stderr, "journey:", err)
		return 2
	}
}

// exitError ends the command with a code after its output is written.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// config holds every setting; flags win over environment variables, which
// win over defaults.
type config struct {
	Addr     string
	DB       string
	LogLevel string
	Secure   bool
	// PublicURL is where contacts reach the server (email tracking and
	// unsubscribe links).
	PublicURL string
	// DataDir holds the generated secret key (default: next to the
	// SQLite file, or ./data).
	DataDir string
	// LogFormat is json or text.
	LogFormat string
	// MetricsToken, when set, protects /metrics.
	MetricsToken string
	// Retention is how long finished runs are kept ("30d"; "0": forever).
	Retention string
	// HTTPAllowPrivate lets http.request steps call loopback, private and
	// link-local addresses.
	HTTPAllowPrivate bool
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Role is what serve runs: all, web or worker (main_role.go).
	Role string
	// Lease is how long a claimed job belongs to an instance before
	// another may take it over (0: the engine's default).
	Lease           time.Duration // HookConcurrency and HookRate bound the webhook intake (0: no limit).
	HookConcurrency int
	HookRate        int
	// VendorConcurrency bounds this instance's vendor calls in flight.
	VendorConcurrency int
	// MaxBacklog refuses webhooks while more jobs are due (0: no limit).
	MaxBacklog int
	// DNSResolver is the DNS server of email checks ("": the system's).
	DNSResolver string
}

// newFlags returns a flag set whose --help lists each flag with its
// environment variable.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: journey %s [flags]\n\nFlags (environment variable in brackets):\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(stderr, "  --%s\t%s (default %q)\n", f.Name, f.Usage, f.DefValue)
		})
	}
	return fs
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func dbFlag(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DB, "db", envOr("JOURNEY_DB", "sqlite://./data/app.db"), "database: sqlite://PATH or postgres://... [JOURNEY_DB]")
	fs.StringVar(&c.LogLevel, "log-level", envOr("JOURNEY_LOG_LEVEL", "info"), "log level: debug, info, warn, error [JOURNEY_LOG_LEVEL]")
	logFormatFlag(fs, c)
	fs.StringVar(&c.DataDir, "data-dir", envOr("JOURNEY_DATA_DIR", ""),
		"directory of the generated secret.key that encrypts credentials, used when JOURNEY_SECRET_KEY is unset; empty: next to the SQLite file, or ./data [JOURNEY_DATA_DIR]")
}

// open connects to the database and builds the engine.
func open(ctx context.Context, c config, logger *slog.Logger) (*storage.Store, *engine.Engine, *channels.Service, error) {
	store, err := storage.Open(ctx, c.DB, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	metrics := engine.NewMetrics() // shared by the engine and the outbox
	ch, err := openChannels(c, store, logger, metrics)
	if err != nil {
		_ = store.Close()
		return nil, nil, nil, err
	}
	checker, err := emailChecker(c)
	if err != nil {
		_ = store.Close()
		return nil, nil, nil, err
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: registry(), Logger: logger,
		SingleInstance: store.SingleWriter(), Channels: ch, Metrics: metrics, Lease: c.Lease, EmailChecker: checker,
		VendorConcurrency: c.VendorConcurrency, MaxBacklog: c.MaxBacklog,
		// A web-only instance leaves steps to the workers; the others run
		// a webhook's run up to its first wait or vendor call with the
		// webhook (on PostgreSQL too: fewer transactions and statements
		// than a start job; see the README's Benchmarks).
		InlineStart: c.Role != roleWeb})
	if err != nil {
		_ = store.Close()
		return nil, nil, nil, err
	}
	return store, eng, ch, nil
}

func cmdServe(args []string, stderr io.Writer) error {
	var c config
	fs := newFlags("serve", stderr)
	fs.StringVar(&c.Addr, "addr", envOr("JOURNEY_ADDR", "127.0.0.1:8080"), "listen address [JOURNEY_ADDR]")
	fs.StringVar(&c.PublicURL, "public-url", envOr("JOURNEY_PUBLIC_URL", ""),
		"URL where contacts reach this server, for email tracking and unsubscribe links; empty: http://ADDR [JOURNEY_PUBLIC_URL]")
	fs.BoolVar(&c.Secure, "secure-cookies", envOr("JOURNEY_SECURE_COOKIES", "") == "true", "mark session cookies Secure (behind HTTPS) [JOURNEY_SECURE_COOKIES]")
	fs.BoolVar(&c.HTTPAllowPrivate, "http-allow-private", envOr("JOURNEY_HTTP_ALLOW_PRIVATE", "") == "true",
		"let http.request steps, vendor base URLs, Slack webhook URLs and SMTP hosts reach loopback, private and link-local addresses (your own services, mocks, local relays) [JOURNEY_HTTP_ALLOW_PRIVATE]")
	proxies := fs.String("trusted-proxies", envOr("JOURNEY_TRUSTED_PROXIES", ""),
		"comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (sign-in throttling, logs) [JOURNEY_TRUSTED_PROXIES]")
	dbFlag(fs, &c)
	opsFlags(fs, &c)
	scaleFlags(fs, &c)
	intakeFlags(fs, &c)
	dnsResolverFlag(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := emailChecker(c); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if _, err := parseRetention(c.Retention); err != nil {
		return err
	}
	if err := c.validateRole(); err != nil {
		return err
	}
	if c.MaxBacklog < 0 {
		return fmt.Errorf("bad --max-backlog %d: use 0 (no limit) or more", c.MaxBacklog)
	}
	var err error
	if c.TrustedProxies, err = server.ParseTrustedProxies(*proxies); err != nil {
		return fmt.Errorf("serve: --trusted-proxies: %w", err)
	}
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, eng, ch, err := open(ctx, c, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	return serveUntilDone(ctx, c, store, eng, ch, logger)
}

// setupHosts are the host names of --public-url and --addr, under which
// first-run setup is accepted (besides IP addresses and localhost).
func setupHosts(c config) []string {
	hosts := []string{}
	if u, err := url.Parse(c.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	if h, _, err := net.SplitHostPort(c.Addr); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	return hosts
}

// serveUntilDone runs the HTTP server and the engine's workers until ctx
// ends (Ctrl-C, SIGTERM), then shuts both down within 15 s.
func serveUntilDone(ctx context.Context, c config, store *storage.Store, eng *engine.Engine, ch *channels.Service, logger *slog.Logger) error {
	go refreshAnalyticsLoop(ctx, store, logger)
	if c.Role == roleWorker {
		return serveWorker(ctx, c, store, eng, logger)
	}
	srv := server.New(server.Config{
		Engine: eng, Store: store, Logger: logger, Version: version,
		HookSecrets: hookSecrets(os.Environ()), SecureCookies: c.Secure, TrustedProxies: c.TrustedProxies,
		Web: webFS(), Templates: flows.TemplatesFS(), Channels: ch, MetricsToken: c.MetricsToken,
		SetupHosts: setupHosts(c), HookConcurrency: intakeLimit(c.HookConcurrency), HookRate: intakeLimit(c.HookRate),
		ResultsMaxAge: 2 * analyticsRefreshEvery,
	})
	// On SIGTERM (ctx ends) the workers stop claiming jobs at once and the
	// batch in flight finishes; Stop below waits for it.
	if c.Role != roleWeb {
		eng.Start(ctx)
	}
	sweeper, err := startSweeper(ctx, c, store, logger)
	if err != nil {
		return err
	}
	defer func() {
		if sweeper != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = sweeper.Stop(sctx)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(c.Addr) }()
	logger.Info("journey is running", "addr", "http://"+c.Addr, "db", redactDSN(c.DB), "version", version, "role", cmp.Or(c.Role, roleAll))
	select {
	case err := <-errc:
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return eng.Stop(sctx)
}

// hookSecrets collects JOURNEY_HOOK_SECRET_<NAME> variables.
func hookSecrets(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if name, found := strings.CutPrefix(k, "JOURNEY_HOOK_SECRET_"); ok && found && name != "" {
			out[name] = v
		}
	}
	return out
}

// redactDSN hides a password in a database URL before it is logged.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		cred := rest[:at]
		if user, _, hasPw := strings.Cut(cred, ":"); hasPw {
			rest = user + ":***" + rest[at:]
		}
	}
	return scheme + "://" + rest
}

// readFlows decodes and validates files, printing every problem and every
// warning; it returns the valid flows and whether any file had problems
// (warnings are not problems: a flow with only warnings is valid).
//
// With credentialsLater, a flow whose only problems are accounts to add
// passes: import stores it as a draft and says which accounts to add.
func readFlows(files []string, reg *nodes.Registry, stdout io.Writer, credentialsLater bool) ([]*flows.Flow, bool) {
	var out []*flows.Flow
	bad := false
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			bad = true
			continue
		}
		f, err := flows.Decode(data)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", path, err)
			bad = true
			continue
		}
		problems, warnings := flows.Check(f, reg)
		if len(problems) > 0 && !(credentialsLater && flows.OnlyCredentialProblems(problems)) {
			bad = true
			fmt.Fprintf(stdout, "%s: %d problem(s)\n", path, len(problems))
			for _, p := range problems {
				fmt.Fprintf(stdout, "  %s\n", formatProblem(p))
			}
			printWarnings(stdout, path, warnings)
			continue
		}
		printWarnings(stdout, path, warnings)
		out = append(out, f)
	}
	return out, bad
}

// printWarnings lists the warnings of a file: things that work, probably
// not as meant, and never stop a validate, an import or a publish.
func printWarnings(stdout io.Writer, path string, warnings []flows.Problem) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintf(stdout, "%s: %d warning(s), which do not stop it\n", path, len(warnings))
	for _, p := range warnings {
		fmt.Fprintf(stdout, "  %s\n", formatProblem(p))
	}
}

func formatProblem(p flows.Problem) string {
	var loc []string
	if p.NodeID != "" {
		loc = append(loc, "node "+p.NodeID)
	}
	if p.Param != "" {
		loc = append(loc, "param "+p.Param)
	}
	if p.Line > 0 {
		loc = append(loc, fmt.Sprintf("line %d col %d", p.Line, p.Column))
	}
	prefix := ""
	if len(loc) > 0 {
		prefix = "[" + strings.Join(loc, ", ") + "] "
	}
	if p.IsWarning() {
		prefix = "warning: " + prefix
	}
	return fmt.Sprintf("%s%s (%s)", prefix, p.Message, p.Code)
}

// expandFiles turns directories into the *.json files inside them.
func expandFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		out = append(out, matches...)
	}
	return out, nil
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := expandFiles(fs.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("validate: name at least one flow file")
	}
	valid, bad := readFlows(files, registry(), stdout, false)
	for _, f := range valid {
		fmt.Fprintf(stdout, "%s: ok (%d nodes)\n", f.ID, len(f.Nodes))
	}
	if bad {
		return exitError(1)
	}
	return nil
}

func cmdImport(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("import", stderr)
	dbFlag(fs, &c)
	publish := fs.Bool("publish", false, "publish each flow after importing it (a new version; unchanged live flows are left alone)")
	dryRun := fs.Bool("dry-run", false, "validate and report what would change; write nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := expandFiles(fs.Args())
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("import: name at least one flow file or directory")
	}
	valid, bad := readFlows(files, registry(), stdout, true)
	if !bad {
		bad = duplicateIDs(files, valid, stdout)
	}
	if bad {
		fmt.Fprintln(stdout, "nothing was imported: fix the problems above first")
		return exitError(1)
	}
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	if *dryRun {
		dsn, cleanup, err := dryRunDSN(c.DB)
		if err != nil {
			return err
		}
		defer cleanup()
		if dsn != c.DB {
			fmt.Fprintln(stdout, "the database does not exist yet; comparing with an empty one")
		}
		c.DB = dsn
	}
	ctx := context.Background()
	store, eng, _, err := open(ctx, c, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	results, err := eng.ImportAll(ctx, valid, engine.ImportOptions{Publish: *publish, DryRun: *dryRun})
	var fe *engine.FlowProblemsError
	if errors.As(err, &fe) {
		fmt.Fprintf(stdout, "%s: %d problem(s)\n", fileOf(files, valid, fe.FlowID), len(fe.Problems))
		for _, p := range fe.Problems {
			fmt.Fprintf(stdout, "  %s\n", formatProblem(p))
		}
		fmt.Fprintln(stdout, "nothing was imported: fix the problems above first")
		return exitError(1)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "%s: %s\n", r.ID, r.Summary())
	}
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was written")
	}
	return nil
}

// duplicateIDs reports flows defined by more than one file.
func duplicateIDs(files []string, valid []*flows.Flow, stdout io.Writer) bool {
	first := map[string]string{}
	bad := false
	for i, f := range valid {
		if prev, ok := first[f.ID]; ok {
			fmt.Fprintf(stdout, "%s: the flow id %q is also defined by %s; each flow may be imported once\n", files[i], f.ID, prev)
			bad = true
			continue
		}
		first[f.ID] = files[i]
	}
	return bad
}

// fileOf names the file a valid flow came from (readFlows keeps order
// when every file is valid).
func fileOf(files []string, valid []*flows.Flow, id string) string {
	for i, f := range valid {
		if f.ID == id && i < len(files) {
			return files[i]
		}
	}
	return id
}

// dryRunDSN keeps a dry run from creating a SQLite file that does not
// exist: it compares with a fresh database in a temporary directory.
func dryRunDSN(dsn string) (string, func(), error) {
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok {
		return dsn, func() {}, nil
	}
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return dsn, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "journey-dry-run-")
	if err != nil {
		return "", nil, err
	}
	return "sqlite://" + filepath.Join(dir, "app.db"), func() { _ = os.RemoveAll(dir) }, nil
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("export", stderr)
	dbFlag(fs, &c)
	version := fs.Int("version", 0, "export this published version instead of the draft")
	dir := fs.String("dir", "", "write every flow's draft to DIR/ID.json instead of printing one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*dir == "") != (fs.NArg() == 1) || fs.NArg() > 1 {
		return errors.New("export: name one flow id, or give --dir DIR to export every flow")
	}
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	store, eng, _, err := open(context.Background(), c, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	if *dir != "" {
		return exportDir(store, eng, *dir, stdout)
	}
	id := fs.Arg(0)
	var data []byte
	if *version > 0 {
		data, err = eng.ExportVersion(id, *version)
	} else {
		data, err = eng.Export(id)
	}
	if errors.Is(err, storage.ErrNotFound) {
		if *version > 0 {
			return fmt.Errorf("export: flow %q has no published version %d", id, *version)
		}
		return fmt.Errorf("export: there is no flow %q", id)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
}

// exportDir writes every flow's draft to dir/ID.json.
func exportDir(store *storage.Store, eng *engine.Engine, dir string, stdout io.Writer) error {
	all, err := storage.ListFlows(store.Reader())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, sf := range all {
		data, err := eng.Export(sf.ID)
		if err != nil {
			return fmt.Errorf("export %s: %w", sf.ID, err)
		}
		path := filepath.Join(dir, sf.ID+".json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}

func cmdTokenCreate(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("token create", stderr)
	dbFlag(fs, &c)
	name := fs.String("name", "", "a name to recognise the token by [required]")
	role := fs.String("role", envOr("JOURNEY_TOKEN_ROLE", storage.RoleAdmin), "what the token may do: admin, editor or viewer [JOURNEY_TOKEN_ROLE]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return errors.New("token create: --name is required")
	}
	if !storage.ValidRole(*role) {
		return fmt.Errorf("token create: --role must be admin, editor or viewer, not %q", *role)
	}
	return withStore(c, stderr, func(store *storage.Store) error {
		var token string
		err := store.Write(context.Background(), func(tx storage.Tx) error {
			now := time.Now().UTC()
			value, t, err := storage.CreateAPITokenWithRole(tx, *name, *role, now)
			if err != nil {
				return err
			}
			token = value
			return storage.RecordAudit(tx, storage.AuditEntry{At: now, ActorType: storage.ActorCLI, ActorID: "token create",
				ActorName: "command line", Action: storage.AuditCreate, EntityType: storage.AuditToken, EntityID: t.ID,
				Summary: fmt.Sprintf("created API token %q with role %s", t.Name, t.Role)})
		})
		if err == nil {
			fmt.Fprintln(stdout, token)
		}
		return err
	})
}

func cmdUserCreate(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("user create", stderr)
	dbFlag(fs, &c)
	email := fs.String("email", "", "the user's email [required]")
	password := fs.String("password", envOr("JOURNEY_PASSWORD", ""), "the user's password. "+storage.PasswordRule()+" [JOURNEY_PASSWORD]")
	role := fs.String("role", envOr("JOURNEY_USER_ROLE", storage.RoleAdmin), "what the user may do: admin, editor or viewer [JOURNEY_USER_ROLE]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return errors.New("user create: --email and --password are required")
	}
	if !storage.ValidRole(*role) {
		return fmt.Errorf("user create: --role must be admin, editor or viewer, not %q", *role)
	}
	// Checked before the database is opened: a short password changes nothing.
	if err := storage.CheckPassword(*password); err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	return withStore(c, stderr, func(store *storage.Store) error {
		err := store.Write(context.Background(), func(tx storage.Tx) error {
			now := time.Now().UTC()
			u, err := storage.CreateUserWithRole(tx, *email, *password, *role, now)
			if err != nil {
				return err
			}
			return storage.RecordAudit(tx, storage.AuditEntry{At: now, ActorType: storage.ActorCLI, ActorID: "user create",
				ActorName: "command line", Action: storage.AuditCreate, EntityType: storage.AuditUser, EntityID: u.ID,
				Summary: "added user " + u.Email + " with role " + u.Role})
		})
		if err == nil {
			fmt.Fprintf(stdout, "user %s created\n", strings.ToLower(*email))
		}
		return err
	})
}

// cmdUserPassword resets a password from the command line: the way back in
// for a locked-out or forgotten administrator.
func cmdUserPassword(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("user password", stderr)
	dbFlag(fs, &c)
	email := fs.String("email", "", "the user's email [required]")
	password := fs.String("password", envOr("JOURNEY_PASSWORD", ""), "the new password. "+storage.PasswordRule()+" [JOURNEY_PASSWORD]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return errors.New("user password: --email and --password are required")
	}
	if err := storage.CheckPassword(*password); err != nil {
		return fmt.Errorf("user password: %w", err)
	}
	return withStore(c, stderr, func(store *storage.Store) error {
		err := store.Write(context.Background(), func(tx storage.Tx) error {
			id, err := storage.ResetPassword(tx, *email, *password)
			if err != nil {
				return err
			}
			return storage.RecordAudit(tx, storage.AuditEntry{At: time.Now().UTC(), ActorType: storage.ActorCLI, ActorID: "user password",
				ActorName: "command line", Action: storage.AuditUpdate, EntityType: storage.AuditUser, EntityID: id,
				Summary: "set a new password for " + strings.ToLower(strings.TrimSpace(*email)) + " and ended their sessions"})
		})
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("user password: there is no user %s", strings.ToLower(strings.TrimSpace(*email)))
		}
		if err == nil {
			fmt.Fprintf(stdout, "password of %s changed; their sessions have ended\n", strings.ToLower(strings.TrimSpace(*email)))
		}
		return err
	})
}

func withStore(c config, stderr io.Writer, fn func(*storage.Store) error) error {
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	store, err := storage.Open(context.Background(), c.DB, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}

// webFS is the embedded editor (nil until it is built into web/dist).
func webFS() fs.FS { return web.Dist() }
