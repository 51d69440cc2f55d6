package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/nodes"
)

// listeningFlow listens on the webhook path "lead" and sets a variable.
const listeningFlow = `{
  "id": "listening", "name": "NAME",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "lead"}, "position": {"x":0,"y":0}},
    {"id": "set", "type": "data.set", "params": {"values": {"v": "1"}}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "hook", "to": "set"}]
}`

// The journeys listening on a webhook path are remembered between
// webhooks. What this instance changes answers the next webhook; what
// another instance changes answers within a second; a path that nothing
// listened on answers as soon as a journey anywhere listens on it.
func TestWebhooksFollowJourneyChanges(t *testing.T) {
	t.Parallel()
	eachOf(t, []string{"sqlite", "postgres"}, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		other, err := engine.New(engine.Config{Store: b.store, Registry: nodes.Builtin(), Clock: b.clock})
		if err != nil {
			t.Fatal(err)
		}
		flow := strings.Replace(listeningFlow, "NAME", "First", 1)
		hookVersion := func(eng *engine.Engine) (int, error) {
			res, err := eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "lead", Body: []byte(`{}`)})
			if err != nil {
				return 0, err
			}
			return b.run(t, res.Runs[0]).Version, nil
		}

		// Published by the other instance: the first webhook here is
		// answered.
		if _, err := other.Import(b.ctx, decodeFlow(t, flow), true); err != nil {
			t.Fatal(err)
		}
		if v, err := hookVersion(b.eng); err != nil || v != 1 {
			t.Fatalf("first webhook: version %d, %v; want version 1", v, err)
		}
		// A new version published here answers the next webhook here.
		if _, err := b.eng.Import(b.ctx, decodeFlow(t, strings.Replace(listeningFlow, "NAME", "Second", 1)), true); err != nil {
			t.Fatal(err)
		}
		if v, err := hookVersion(b.eng); err != nil || v != 2 {
			t.Fatalf("after publishing here: version %d, %v; want version 2", v, err)
		}
		// Paused here: refused at once.
		if err := b.eng.Pause(b.ctx, "listening"); err != nil {
			t.Fatal(err)
		}
		if _, err := hookVersion(b.eng); !errors.Is(err, engine.ErrNoHook) {
			t.Fatalf("after pausing here: %v, want ErrNoHook", err)
		}
		// Published again by the other instance (a path nothing listens on
		// here is not remembered), then paused there: within a second
		// this instance refuses it too.
		if _, err := other.Publish(b.ctx, "listening"); err != nil {
			t.Fatal(err)
		}
		if _, err := hookVersion(b.eng); err != nil {
			t.Fatalf("after publishing there: %v", err)
		}
		if err := other.Pause(b.ctx, "listening"); err != nil {
			t.Fatal(err)
		}
		var last error
		if !testwait.Until(50*time.Millisecond, time.Minute, func() (int64, bool) {
			_, last = hookVersion(b.eng)
			return 0, errors.Is(last, engine.ErrNoHook)
		}) {
			t.Fatalf("paused on the other instance, webhooks here still answer: %v", last)
		}
	})
}
