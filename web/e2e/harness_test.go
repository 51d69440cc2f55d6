// Package e2e drives the built editor in a real Chromium against the
// server started in-process, as a marketer would use it.
package e2e

import (
	"context"

	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/emailcheck"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/web"
)

// Viewport of every test: the smallest screen the editor must serve.
const (
	viewportW = 1280
	viewportH = 800
)

// stepTimeout bounds each browser step, so that a broken page fails
// instead of hanging: 30 s, multiplied by testwait.Scale on a loaded
// machine.
func stepTimeout() time.Duration { return testwait.Scaled(30 * time.Second) }

// app is one server with its own SQLite database, listening on loopback.
type app struct {
	url   string
	store *storage.Store
	eng   *engine.Engine
}

func startApp(t *testing.T) *app {
	t.Helper()
	// Every test here drives a browser: skip before starting anything, as
	// a server shut down before it began serving would never stop.
	chromiumPath(t)
	if web.Dist() == nil {
		t.Fatal("web/dist holds no build: run npm run build in web/")
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	store, err := storage.Open(ctx, "sqlite://"+t.TempDir()+"/e2e.db", logger)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// The sandbox outbox and the credential store, as the binary wires
	// them (the editor lists credentials on CRM and message steps), with
	// vendors on loopback allowed (in-test vendors) and this address as
	// the public URL (Connect's callback).
	accounts, plain := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
	ch, err := channels.New(channels.Config{Store: store, SecretKey: make([]byte, storage.SecretKeySize), Logger: logger,
		PublicURL: "http://" + ln.Addr().String(), Accounts: accounts, HTTP: plain, OAuthClient: http.DefaultClient})
	if err != nil {
		t.Fatalf("channels: %v", err)
	}
	// The registry as the binary wires it: with the chat platform presets.
	reg := nodes.Builtin()
	reg.SetWebhookPresets(chatpresets.WebhookPresets())
	// Email checks as the binary wires them, with DNS answered by
	// e2eResolver (the tests reach no network).
	checker := emailcheck.New(emailcheck.Config{Resolver: e2eResolver{}})
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, Logger: logger, Channels: ch, InlineStart: true, EmailChecker: checker})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	srv := server.New(server.Config{Engine: eng, Store: store, Logger: logger, Version: "e2e",
		Web: web.Dist(), Templates: flows.TemplatesFS(), Channels: ch})
	eng.Start(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.App().Listener(ln)
	}()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second) // not a test limit: errors are ignored
		defer scancel()
		_ = srv.Shutdown(sctx)
		<-done
		cancel()
		_ = eng.Stop(sctx)
		_ = store.Close()
	})
	a := &app{url: "http://" + ln.Addr().String(), store: store, eng: eng}
	// Serving before the test goes on, so that its cleanup's Shutdown
	// finds the server running.
	for i := 0; ; i++ {
		resp, err := http.Get(a.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("the server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a
}

// chromiumPath finds the browser. CI installs Debian's chromium and sets
// JOURNEY_BROWSER_REQUIRED=1, so there a missing browser fails the test
// instead of skipping it. Under -short every browser test skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level test (drives a Chromium); run without -short")
	}
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("JOURNEY_BROWSER_REQUIRED") != "" {
		t.Fatal("no Chromium found (install Debian's chromium package)")
	}
	t.Skip("no Chromium found; set JOURNEY_BROWSER_REQUIRED=1 to make this a failure")
	return ""
}

// browser is one headless tab plus the page's console errors.
type browser struct {
	t      *testing.T
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(viewportW, viewportH),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	b := &browser{t: t, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewportW, viewportH)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errors = append(b.errors, m.String()+" "+m.URL)
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// consoleErrors returns the page's errors except those the test expects.
func (b *browser) consoleErrors(expected ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
next:
	for _, e := range b.errors {
		for _, x := range expected {
			if strings.Contains(e, x) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// do runs the actions, failing the test with what it was doing.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout())
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot()
		b.t.Fatalf("%s: %v\nconsole errors: %v", what, err, b.consoleErrors())
	}
}

// eval evaluates JavaScript and decodes its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout())
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is true.
func (b *browser) waitJS(what, js string) {
	b.t.Helper()
	limit := stepTimeout()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	// Poll has a limit of its own (30 s unless told): the same scaled one.
	var err error
	for {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(limit)))
		// A page that navigates while being polled (a redirect after
		// sign-in, a route change) drops the script's context: poll the
		// new page instead of failing.
		if err == nil || ctx.Err() != nil || !navigatedAway(err) {
			break
		}
	}
	if err != nil {
		b.screenshot()
		b.t.Fatalf("waiting until %s: %v\nconsole errors: %v", what, err, b.consoleErrors())
	}
}

// navigatedAway reports a polling error caused by the page changing
// under the script.
func navigatedAway(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Cannot find context with specified id") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Inspected target navigated or closed")
}

// center returns the middle of the first element matching the selector.
func (b *browser) center(sel string) (float64, float64) {
	b.t.Helper()
	b.waitJS(sel+" is shown", fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	xy := eval[[]float64](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: 'nearest'}); const r = e.getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2] })()`, sel))
	return xy[0], xy[1]
}

// click clicks the first element matching the CSS selector.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// openStep clicks the step's card once the canvas has settled, and waits
// for its settings: the way to a step after the editor opens a journey.
// The editor fits the journey into view on the frame after it loads, and
// a click aimed before that lands where the card was.
func (b *browser) openStep(id string) {
	b.t.Helper()
	card := fmt.Sprintf(`document.querySelector('.react-flow__node[data-id=%q]')`, id)
	b.waitJS("the step "+id+" where it stays", fmt.Sprintf(`new Promise(done => { const e = %s; if (!e) return done(false);
		const at = JSON.stringify(e.getBoundingClientRect());
		requestAnimationFrame(() => requestAnimationFrame(() => done(JSON.stringify(e.getBoundingClientRect()) === at))) })`, card))
	b.click(fmt.Sprintf(`.react-flow__node[data-id=%q]`, id))
	b.waitJS("the settings of step "+id, `!!document.querySelector('aside[aria-label="Step settings"]')`)
}

// clickText clicks the first button or link whose text is exactly text.
func (b *browser) clickText(text string) {
	b.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll('button, a')].find(e => e.textContent.trim() === %q && e.offsetParent !== null)`, text)
	b.waitJS("the button "+text, "!!"+js)
	x, y := b.centerOf(js)
	b.do("click "+text, chromedp.MouseClickXY(x, y))
}

func (b *browser) centerOf(js string) (float64, float64) {
	b.t.Helper()
	// "nearest" leaves a visible element where it is: centring would scroll
	// the canvas, which React Flow then scrolls back under the pointer.
	// The centre is taken once the element has stayed put for 50 ms and is
	// what lies there: on a page still loading, sections that arrive push
	// the buttons below them, and a click at a centre measured a moment
	// earlier lands on something else (seen in CI under load). After 20
	// tries the last centre is used all the same.
	steady := fmt.Sprintf(`new Promise(resolve => { const e = %s; e.scrollIntoView({block: 'nearest'});
		const at = () => { const r = e.getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2] };
		const first = at();
		setTimeout(() => { const now = at(); const hit = document.elementFromPoint(now[0], now[1]);
			resolve([now[0], now[1], now[0] === first[0] && now[1] === first[1] && !!hit && e.contains(hit) ? 1 : 0]) }, 50) })`, js)
	var xy []float64
	for range 20 {
		if xy = eval[[]float64](b, steady); xy[2] == 1 {
			break
		}
	}
	return xy[0], xy[1]
}

// fill replaces the value of a field (found by its id) by typing.
func (b *browser) fill(id, value string) {
	b.t.Helper()
	sel := "#" + cssEscape(id)
	b.do("fill "+id, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel)),
		// Template fields are contenteditable (chips): select their contents.
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e.isContentEditable) return e.select();
			const r = document.createRange(); r.selectNodeContents(e); getSelection().removeAllRanges(); getSelection().addRange(r) })()`, sel)),
		// KeyEvent types into the focused field; chromedp's SendKeys reads the
		// node's attributes while DOM events change them (a race in v0.23.0).
		chromedp.KeyEvent("\b"), chromedp.KeyEvent(value))
}

// fieldID returns the id of the form field whose label is text, inside scope.
func (b *browser) fieldID(scope, label string) string {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const l = [...document.querySelectorAll(%q + ' label')].find(l => l.textContent.replace(/\s*\*$/, '').trim() === %q); return l ? l.htmlFor : '' })()`, scope, label)
	b.waitJS("the field "+label, fmt.Sprintf(`%s !== ''`, js))
	return eval[string](b, js)
}

func cssEscape(id string) string {
	var sb strings.Builder
	for _, r := range id {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			sb.WriteRune(r)
		} else {
			fmt.Fprintf(&sb, "\\%x ", r)
		}
	}
	return sb.String()
}

// text returns the text of the page's main area.
func (b *browser) text(sel string) string {
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ''`, sel))
}

// post sends JSON to the app and returns the status.
func post(t *testing.T, url, body string) int {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// screenshot saves the page where JOURNEY_E2E_SCREENSHOTS points, to see a failure.
func (b *browser) screenshot() {
	dir := os.Getenv("JOURNEY_E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second) // not a test limit: a failure's screenshot, best effort
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())+".png")
		_ = os.WriteFile(name, png, 0o644)
		b.t.Logf("screenshot: %s", name)
	}
}

// choose picks an option of a select (by id) as a user would, firing change.
func (b *browser) choose(id, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.getElementById(%q); if (![...s.options].some(o => o.value === %q)) return false; const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set; set.call(s, %q); s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, id, value, value)
	if !eval[bool](b, js) {
		b.t.Fatalf("the select %s has no option %q", id, value)
	}
}

// clickLabel clicks the visible button whose aria-label is label (for
// buttons whose text repeats, such as one "Use this template" per card).
func (b *browser) clickLabel(label string) {
	b.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll('button, a')].find(e => e.getAttribute('aria-label') === %q && e.offsetParent !== null)`, label)
	b.waitJS("the button "+label, "!!"+js)
	x, y := b.centerOf(js)
	b.do("click "+label, chromedp.MouseClickXY(x, y))
}
