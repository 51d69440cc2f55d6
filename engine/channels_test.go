package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// fallbackFlow sends on WhatsApp, then SMS, then email, waiting an hour
// for each delivery receipt, and tags the contact with the outcome.
func fallbackFlow(settings string) string {
	return `{
  "id": "fallback", "name": "Fallback",` + settings + `
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "send", "type": "message.send", "params": {
      "channels": ["whatsapp", "sms", "email"], "subject": "Hello {{ contact.first_name }}",
      "body": "Hi {{ contact.first_name }}, welcome!", "delivery_timeout": "1h"}, "position": {"x":0,"y":0}},
    {"id": "ok", "type": "contact.tag", "params": {"add": ["reached"]}, "position": {"x":0,"y":0}},
    {"id": "ko", "type": "contact.tag", "params": {"add": ["unreachable"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [
    {"from": "start", "to": "send"},
    {"from": "send", "port": "sent", "to": "ok"},
    {"from": "send", "port": "failed", "to": "ko"}
  ]
}`
}

// messages returns the run's messages, oldest first.
func (b *testBundle) messages(t *testing.T, runID string) []storage.Message {
	t.Helper()
	var ms []storage.Message
	if err := storagetest.Find(b.store.Reader(), &ms, storagetest.Query{Where: "run_id = ?", Args: []any{runID}, Order: "created_at, channel"}); err != nil {
		t.Fatalf("messages: %v", err)
	}
	return ms
}

// simulate records a sandbox delivery event for the run's message on channel.
func (b *testBundle) simulate(t *testing.T, runID, channel, kind string) {
	t.Helper()
	for _, m := range b.messages(t, runID) {
		if m.Channel == channel {
			if _, err := b.ch.Simulate(b.ctx, b.eng, m.ID, kind); err != nil {
				t.Fatalf("simulate %s %s: %v", channel, kind, err)
			}
			return
		}
	}
	t.Fatalf("no %s message in run %s", channel, runID)
}

// sendOutput returns the last recorded output of the send step.
func (b *testBundle) sendOutput(t *testing.T, runID string) map[string]any {
	t.Helper()
	steps, err := storage.RunSteps(b.store.Reader(), runID)
	if err != nil {
		t.Fatalf("steps: %v", err)
	}
	var out map[string]any
	for _, s := range steps {
		if s.NodeID == "send" {
			out = map[string]any{}
			if err := json.Unmarshal([]byte(s.Output), &out); err != nil {
				t.Fatalf("output: %v", err)
			}
		}
	}
	return out
}

func (b *testBundle) tags(t *testing.T) []string {
	t.Helper()
	var tags []string
	_ = storagetest.Pluck(b.store.Reader(), &storage.ContactTag{}, "tag", &tags, storagetest.Query{Order: "tag"})
	return tags
}

// attemptsOf summarises the attempts as "channel:status".
func attemptsOf(out map[string]any) string {
	var parts []string
	list, _ := out["attempts"].([]any)
	for _, a := range list {
		m, _ := a.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v:%v", m["channel"], m["status"]))
	}
	return strings.Join(parts, " ")
}

func TestMessageSendFallsBackAcrossChannels(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		b.publish(t, fallbackFlow(""))
		res := b.event(t, engine.EventInput{Type: "signup",
			Contact: storage.ContactRef{Email: "ana@example.com", Phone: "+34600111222"}})
		runID := res.Started[0]
		b.drain(t)

		// WhatsApp went to the sandbox and waits for its receipt.
		ms := b.messages(t, runID)
		if len(ms) != 1 || ms[0].Channel != "whatsapp" || ms[0].Status != storage.MessageSandboxed {
			t.Fatalf("messages = %+v, want one sandboxed whatsapp", ms)
		}
		if r := b.run(t, runID); r.Status != storage.RunWaiting {
			t.Fatalf("run status = %s, want waiting for the receipt", r.Status)
		}
		// The provider reports a failure: SMS is tried at once.
		b.simulate(t, runID, "whatsapp", "failed")
		b.drain(t)
		if got := len(b.messages(t, runID)); got != 2 {
			t.Fatalf("%d messages after the whatsapp failure, want 2", got)
		}
		// A receipt of another message does not end the wait.
		// No SMS receipt within the hour: email is tried.
		b.clock.Advance(61 * time.Minute)
		b.drain(t)
		ms = b.messages(t, runID)
		if len(ms) != 3 || ms[2].Channel != "email" {
			t.Fatalf("messages = %+v, want whatsapp, sms, email", ms)
		}
		b.simulate(t, runID, "email", "delivered")
		b.drain(t)

		r := b.run(t, runID)
		if r.Status != storage.RunCompleted {
			t.Fatalf("run = %s (%s), want completed", r.Status, r.Error)
		}
		if tags := b.tags(t); len(tags) != 1 || tags[0] != "reached" {
			t.Fatalf("tags = %v, want [reached]", tags)
		}
		out := b.sendOutput(t, runID)
		if got, want := attemptsOf(out), "whatsapp:not_delivered sms:not_delivered email:delivered"; got != want {
			t.Fatalf("attempts = %q, want %q (output %v)", got, want, out)
		}
		reasons := fmt.Sprint(out["attempts"])
		for _, want := range []string{"whatsapp.failed", "No delivery receipt arrived"} {
			if !strings.Contains(reasons, want) {
				t.Errorf("attempts %s do not say %q", reasons, want)
			}
		}
		if n := b.count(t, &storage.Wait{}, ""); n != 0 {
			t.Fatalf("%d waits left behind", n)
		}
		if n := b.count(t, &storage.Job{}, ""); n != 0 {
			t.Fatalf("%d jobs left behind", n)
		}
	})
}

func TestMessageSendSkipsChannelsWithoutConsentOrAddress(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{channels: true})
	b.publish(t, strings.Replace(fallbackFlow(""), `"delivery_timeout": "1h"`, `"delivery_timeout": ""`, 1))
	// Known contact without phone who refused WhatsApp.
	res := b.event(t, engine.EventInput{Type: "created", Contact: storage.ContactRef{Email: "bo@example.com"}})
	err := b.store.Write(b.ctx, func(tx storage.Tx) error {
		return storage.SetConsent(tx, res.ContactID, "whatsapp", false, b.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	res = b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "bo@example.com"}})
	b.drain(t)
	runID := res.Started[0]
	out := b.sendOutput(t, runID)
	if got, want := attemptsOf(out), "whatsapp:skipped sms:skipped email:sandboxed"; got != want {
		t.Fatalf("attempts = %q, want %q", got, want)
	}
	ms := b.messages(t, runID)
	reasons := map[string]string{}
	for _, m := range ms {
		reasons[m.Channel] = m.Status + ": " + m.Reason
	}
	if !strings.Contains(reasons["whatsapp"], "skipped: The contact does not want whatsapp") ||
		!strings.Contains(reasons["sms"], "skipped: The contact has no phone number") ||
		!strings.HasPrefix(reasons["email"], "sandboxed") {
		t.Fatalf("message records = %v", reasons)
	}
	if tags := b.tags(t); len(tags) != 1 || tags[0] != "reached" {
		t.Fatalf("tags = %v, want [reached]", tags)
	}
}

func TestMessageSendFailsWhenNoChannelDelivers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{channels: true})
	b.publish(t, fallbackFlow(""))
	res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "cy@example.com", Phone: "+34600111333"}})
	runID := res.Started[0]
	b.drain(t)
	b.simulate(t, runID, "whatsapp", "undelivered")
	b.drain(t)
	b.simulate(t, runID, "sms", "failed")
	b.drain(t)
	b.simulate(t, runID, "email", "bounced")
	b.drain(t)
	if tags := b.tags(t); len(tags) != 1 || tags[0] != "unreachable" {
		t.Fatalf("tags = %v, want [unreachable]", tags)
	}
	if got, want := attemptsOf(b.sendOutput(t, runID)), "whatsapp:not_delivered sms:not_delivered email:not_delivered"; got != want {
		t.Fatalf("attempts = %q, want %q", got, want)
	}
}

func TestQuietHoursDelayTheSendDurably(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		b.clock.Advance(13 * time.Hour) // Monday 22:00 UTC
		settings := `"settings": {"messaging": {"quiet_hours": {"from": "21:00", "to": "08:00"}}},`
		b.publish(t, strings.Replace(fallbackFlow(settings), `"channels": ["whatsapp", "sms", "email"]`, `"channels": ["email"]`, 1))
		res := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "di@example.com"}})
		runID := res.Started[0]
		b.drain(t)
		ms := b.messages(t, runID)
		if len(ms) != 1 || ms[0].Status != storage.MessageDelayed || !strings.Contains(ms[0].Reason, "Quiet hours") {
			t.Fatalf("messages = %+v, want one delayed by quiet hours", ms)
		}
		b.clock.Advance(9*time.Hour + time.Minute) // Tuesday 07:01: still quiet
		b.drain(t)
		if ms = b.messages(t, runID); ms[0].Status != storage.MessageDelayed {
			t.Fatalf("status at 07:01 = %s, want delayed", ms[0].Status)
		}
		b.clock.Advance(time.Hour) // 08:01
		b.drain(t)
		ms = b.messages(t, runID)
		if len(ms) != 1 || ms[0].Status != storage.MessageSandboxed {
			t.Fatalf("messages after quiet hours = %+v, want the same message sandboxed", ms)
		}
		var evs []storage.MessageEvent
		_ = json.Unmarshal([]byte(ms[0].Events), &evs)
		if len(evs) < 2 || evs[0].Type != "delayed" || evs[len(evs)-1].Type != "sandboxed" {
			t.Fatalf("history = %+v, want delayed then sandboxed", evs)
		}
	})
}

func TestFrequencyCap(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"skip", "delay"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{channels: true})
			settings := `"settings": {"messaging": {"frequency_cap": {"max": 1, "period": "1d", "action": "` + action + `"}}},`
			doc := strings.Replace(fallbackFlow(settings), `"channels": ["whatsapp", "sms", "email"]`, `"channels": ["email"]`, 1)
			b.publish(t, strings.Replace(doc, `"delivery_timeout": "1h"`, `"delivery_timeout": ""`, 1))
			first := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ed@example.com"}})
			b.drain(t)
			b.clock.Advance(time.Hour)
			second := b.event(t, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Email: "ed@example.com"}})
			b.drain(t)
			if ms := b.messages(t, first.Started[0]); ms[0].Status != storage.MessageSandboxed {
				t.Fatalf("first message = %s, want sandboxed", ms[0].Status)
			}
			ms := b.messages(t, second.Started[0])
			want := map[string]string{"skip": storage.MessageSkipped, "delay": storage.MessageDelayed}[action]
			if ms[0].Status != want || !strings.Contains(ms[0].Reason, "Frequency cap") {
				t.Fatalf("second message = %s (%s), want %s by the frequency cap", ms[0].Status, ms[0].Reason, want)
			}
			if action == "delay" {
				b.clock.Advance(24 * time.Hour)
				b.drain(t)
				if ms := b.messages(t, second.Started[0]); ms[0].Status != storage.MessageSandboxed {
					t.Fatalf("delayed message after the period = %s, want sandboxed", ms[0].Status)
				}
			}
		})
	}
}
