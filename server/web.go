package server

import (
	"context"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// healthTimeout bounds the database ping of /healthz.
const healthTimeout = 2 * time.Second

// healthz answers {"status":"ok"} when the database answers, 503 otherwise.
func (s *Server) healthz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), healthTimeout)
	defer cancel()
	if err := s.store.Reader().WithContext(ctx).Exec("SELECT 1").Error; err != nil {
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable,
			Message: "The database does not answer.", Cause: err}
	}
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

// metrics serves a few gauges in the Prometheus text format: build info,
// due and pending jobs, flows by status and today's runs by status.
func (s *Server) metrics(c *fiber.Ctx) error {
	db := s.store.Reader()
	now := s.now()
	due, pending, err := storage.JobStats(db, now)
	if err != nil {
		return err
	}
	fs, err := storage.ListFlows(db)
	if err != nil {
		return err
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	counts, err := storage.FlowRunCounts(db, today)
	if err != nil {
		return err
	}
	flowsBy := map[string]int64{storage.FlowDraft: 0, storage.FlowActive: 0, storage.FlowPaused: 0}
	for _, f := range fs {
		flowsBy[f.Status]++
	}
	runsBy := map[string]int64{}
	for _, st := range runStatuses {
		runsBy[st] = 0
	}
	for _, byStatus := range counts {
		for st, n := range byStatus {
			runsBy[st] += n
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP journey_build_info The running version.\n# TYPE journey_build_info gauge\n")
	fmt.Fprintf(&b, "journey_build_info{version=%q} 1\n", s.cfg.Version)
	fmt.Fprintf(&b, "# HELP journey_jobs_due Jobs due now (a growing number means the workers fall behind).\n# TYPE journey_jobs_due gauge\njourney_jobs_due %d\n", due)
	fmt.Fprintf(&b, "# HELP journey_jobs_pending Jobs due later (delays and timeouts).\n# TYPE journey_jobs_pending gauge\njourney_jobs_pending %d\n", pending)
	writeLabelled(&b, "journey_flows", "Journeys by status.", flowsBy)
	writeLabelled(&b, "journey_runs_today", "Runs started today (UTC) by current status.", runsBy)
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.SendString(b.String())
}

func writeLabelled(b *strings.Builder, name, help string, values map[string]int64) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%s{status=%q} %d\n", name, k, values[k])
	}
}

// reservedPrefixes never fall back to the editor: an unknown address there
// is a JSON 404.
var reservedPrefixes = []string{"/api/", "/hooks/", "/t/", "/u/"}

// reservedPaths are exact addresses that never fall back to the editor.
var reservedPaths = []string{"/api", "/hooks", "/t", "/u", "/healthz", "/metrics"}

func reserved(p string) bool {
	for _, r := range reservedPaths {
		if p == r {
			return true
		}
	}
	for _, r := range reservedPrefixes {
		if strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// editorCSP is the Content-Security-Policy of the editor page: scripts
// only from the built files (no inline script, no eval; see
// TestEditorBuildSatisfiesItsCSP). React Flow sets inline styles, hence
// 'unsafe-inline' for styles only.
const editorCSP = "default-src 'self'; script-src 'self'; object-src 'none'; img-src 'self' data:; " +
	"style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// notBuiltPage is served at / when no editor build is embedded.
const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>journey</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;">
<h1>journey is running</h1>
<p>The editor is not built into this binary. Build it with <code>npm run build</code> in <code>web/</code>,
or use the API under <code>/api/v1</code>.</p>
</body></html>
`

// editor serves the built editor: a file when it exists, otherwise
// index.html so that the single-page app routes the address itself. It
// never answers under the API, webhook, tracking or unsubscribe prefixes.
func (s *Server) editor(c *fiber.Ctx) error {
	p := path.Clean("/" + c.Path())
	if reserved(p) {
		return fiber.ErrNotFound
	}
	if s.cfg.Web == nil {
		if p != "/" {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentSecurityPolicy, pageCSP) // its inline styles
		return c.SendString(notBuiltPage)
	}
	name := strings.TrimPrefix(p, "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(s.cfg.Web, name); err == nil && !st.IsDir() {
			return serveFile(c, s.cfg.Web, name)
		}
		if strings.HasPrefix(name, "assets/") {
			return fiber.ErrNotFound // a missing asset is not a page
		}
	}
	index, err := fs.ReadFile(s.cfg.Web, "index.html")
	if err != nil {
		return fmt.Errorf("editor index.html: %w", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentSecurityPolicy, editorCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(index)
}

// serveFile sends one file of the editor build; hashed assets are cached
// for a year, anything else is revalidated.
func serveFile(c *fiber.Ctx, fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("editor file %s: %w", name, err)
	}
	if strings.HasPrefix(name, "assets/") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(data)
}
