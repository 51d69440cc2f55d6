package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/nodes"
)

// TestVendorCallsDoNotWaitForAPoll: with workers that would poll only
// once an hour, each webhook's vendor call is still made: the commit that
// accepts the webhook wakes a worker, and a worker whose batch left a job
// due now (PostgreSQL runs the trigger in a job first) looks again at
// once.
func TestVendorCallsDoNotWaitForAPoll(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		called := make(chan string, 8)
		reg := vendorRegistry(func(in *nodes.Input) {
			email, _ := in.Env.Trigger["email"].(string)
			called <- email
		})
		b := setup(t, setupOpts{db: db, reg: reg, pollInterval: time.Hour})
		b.publish(t, callFlow)
		ctx, cancel := context.WithCancel(context.Background())
		b.eng.Start(ctx)
		t.Cleanup(func() {
			cancel()
			sctx, done := context.WithTimeout(context.Background(), 5*time.Second) // not a test limit: the error is ignored
			defer done()
			_ = b.eng.Stop(sctx)
		})
		for i := range 3 {
			email := fmt.Sprintf("lead%d@example.com", i)
			if _, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "chat", Body: []byte(`{"email":"` + email + `"}`)}); err != nil {
				t.Fatal(err)
			}
			// Far shorter than the poll interval: only a wake-up gets here.
			select {
			case got := <-called:
				if got != email {
					t.Fatalf("vendor called for %s, want %s", got, email)
				}
			case <-time.After(testwait.Scaled(time.Minute)):
				t.Fatalf("webhook %d: no vendor call within a minute; the workers waited for their hourly poll", i+1)
			}
		}
	})
}
