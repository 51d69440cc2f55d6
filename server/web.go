package server

import (
	"context"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthTimeout bounds the database ping of /healthz.
const healthTimeout = 2 * time.Second

// healthz answers {"status":"ok"} when the database answers, 503 otherwise.
func (s *Server) healthz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), healthTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &apiError{Status: http.StatusServiceUnavailable, Code: codeUnavailable,
			Message: "The database does not answer.", Cause: err}
	}
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

// reservedPrefixes never fall back to the editor: an unknown address there
// is a JSON 404.
var reservedPrefixes = []string{"/api/", "/hooks/", "/t/", "/u/"}

// reservedPaths are exact addresses that never fall back to the editor.
var reservedPaths = []string{"/api", "/hooks", "/t", "/u", "/healthz", "/readyz", "/metrics"}

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
