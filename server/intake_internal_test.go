package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// intakeApp is a Fiber app with the intake limits in front of handler;
// the client is named by the X-Client header.
func intakeApp(h *hookIntake, handler fiber.Handler) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: (&Server{log: slog.New(slog.DiscardHandler)}).handleError})
	app.Use("/hooks", h.handler)
	app.Post("/hooks/*", handler)
	return app
}

func hookFrom(t *testing.T, app *fiber.App, client string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/x", nil)
	req.Header.Set("X-Client", client)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestHookRatePerClient: a client over its rate gets 429 with a
// Retry-After that says when a request is allowed again; another client
// is not affected; after that time the first one is let in.
func TestHookRatePerClient(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newHookIntake(0, 2, func(c *fiber.Ctx) string { return c.Get("X-Client") }, func() time.Time { return now })
	app := intakeApp(h, func(c *fiber.Ctx) error { return c.SendStatus(http.StatusAccepted) })
	for i := range 2 {
		if res := hookFrom(t, app, "a"); res.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d, want 202", i+1, res.StatusCode)
		}
	}
	res := hookFrom(t, app, "a")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "30" {
		t.Fatalf("third request in a minute at 2/min: %d, Retry-After %q; want 429, 30", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := hookFrom(t, app, "b"); res.StatusCode != http.StatusAccepted {
		t.Fatalf("another client: %d, want 202", res.StatusCode)
	}
	now = now.Add(30 * time.Second)
	if res := hookFrom(t, app, "a"); res.StatusCode != http.StatusAccepted {
		t.Fatalf("after Retry-After: %d, want 202", res.StatusCode)
	}
}

// TestHookConcurrencyLimit: with one slot taken by a request in flight, the
// next is refused with 429 and Retry-After; once the first ends the slot is
// free again.
func TestHookConcurrencyLimit(t *testing.T) {
	h := newHookIntake(1, 0, func(c *fiber.Ctx) string { return c.Get("X-Client") }, time.Now)
	inside, release := make(chan struct{}), make(chan struct{})
	app := intakeApp(h, func(c *fiber.Ctx) error {
		if c.Get("X-Client") == "slow" {
			close(inside)
			<-release
		}
		return c.SendStatus(http.StatusAccepted)
	})
	done := make(chan int)
	go func() {
		req := httptest.NewRequest(http.MethodPost, "/hooks/x", nil)
		req.Header.Set("X-Client", "slow")
		res, err := app.Test(req, -1)
		if err != nil {
			done <- 0
			return
		}
		done <- res.StatusCode
	}()
	<-inside
	res := hookFrom(t, app, "other")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("while the slot is taken: %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	close(release)
	if code := <-done; code != http.StatusAccepted {
		t.Fatalf("the slow request: %d, want 202", code)
	}
	if res := hookFrom(t, app, "other"); res.StatusCode != http.StatusAccepted {
		t.Fatalf("after the slot is free: %d, want 202", res.StatusCode)
	}
}

// TestHookBodyBudget: while other requests' bodies fill the decoding
// budget, a request waits and is then answered 429; once the budget is
// free it is handled.
func TestHookBodyBudget(t *testing.T) {
	h := newHookIntake(0, 0, func(c *fiber.Ctx) string { return "a" }, time.Now)
	app := intakeApp(h, func(c *fiber.Ctx) error { return c.SendStatus(http.StatusAccepted) })
	if !h.budget.TryAcquire(hookBodyBudget) {
		t.Fatal("the budget is not free at the start")
	}
	h.wait = time.Millisecond // the budget stays taken: no timing decides the outcome
	if res := hookFrom(t, app, "a"); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("with the budget taken: %d, want 429 with Retry-After", res.StatusCode)
	}
	h.budget.Release(hookBodyBudget)
	h.wait = time.Minute
	if res := hookFrom(t, app, "a"); res.StatusCode != http.StatusAccepted {
		t.Fatalf("with the budget free: %d, want 202", res.StatusCode)
	}
}
