package demo

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestTrafficRunsTheShippedChatTemplate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "app.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The message outbox in sandbox mode, as `journey demo` wires it:
	// shipped templates send messages on the demo's cart events.
	ch, err := channels.New(channels.Config{Store: store, SecretKey: make([]byte, storage.SecretKeySize),
		PublicURL: "https://journeys.example.com", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Logger: slog.New(slog.DiscardHandler), Channels: ch})
	if err != nil {
		t.Fatal(err)
	}
	templates, err := flows.Templates()
	if err != nil {
		t.Fatal(err)
	}
	var fs []*flows.Flow
	for _, tpl := range templates {
		fs = append(fs, tpl.Flow)
	}
	if _, err := eng.ImportAll(ctx, fs, engine.ImportOptions{Publish: true}); err != nil {
		t.Fatalf("import templates: %v", err)
	}
	tr := NewTraffic(eng, time.Second, 42, nil)
	const steps = 40
	for i := range steps {
		if err := tr.Step(ctx); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if _, err := eng.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(m any, where string, args ...any) int64 {
		var n int64
		if err := storagetest.Count(store.Reader(), &n, m, where, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := count(&storage.Run{}, "flow_id = ? AND status = ?", "chat-lead-qualification", storage.RunCompleted)
	failed := count(&storage.Run{}, "status = ?", storage.RunFailed)
	events := count(&storage.Event{}, "source = ?", "demo")
	if failed != 0 {
		var fails []storage.Run
		_ = storagetest.Find(store.Reader(), &fails, storagetest.Where("status = ?", storage.RunFailed))
		for _, r := range fails {
			t.Errorf("run of %s failed: %s", r.FlowID, r.Error)
		}
	}
	if runs == 0 || failed != 0 || events == 0 || int(runs+events) < steps*9/10 {
		t.Fatalf("after %d steps: %d completed chat runs, %d failed runs, %d events", steps, runs, failed, events)
	}
	deals := count(&storage.Deal{}, "1 = 1")
	members := count(&storage.ListMember{}, "1 = 1")
	if deals == 0 || members == 0 {
		t.Fatalf("the sample chats should reach both branches: %d deals, %d nurture members", deals, members)
	}
}

func TestTrafficRateIsBounded(t *testing.T) {
	t.Parallel()
	if got := NewTraffic(nil, time.Millisecond, 1, nil).interval; got != MinInterval {
		t.Fatalf("interval = %v, want it raised to %v", got, MinInterval)
	}
}

func TestTrafficStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() {
		NewTraffic(nopIngester{}, time.Hour, 1, nil).Run(ctx)
		close(done)
	}()
	<-done // Run returns after its first action instead of waiting an hour
}

type nopIngester struct{}

func (nopIngester) IngestWebhook(context.Context, engine.HookRequest) (engine.HookResult, error) {
	return engine.HookResult{}, nil
}

func (nopIngester) IngestEvent(context.Context, engine.EventInput) (engine.EventResult, error) {
	return engine.EventResult{}, nil
}
