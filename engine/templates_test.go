package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// outboxLine describes one message as "+offset channel status to: text",
// the offset counted from start, so a test reads like a contact's inbox.
func outboxLine(start time.Time, m storage.Message) string {
	text := m.Subject
	if text == "" {
		text = m.BodyText
	}
	return fmt.Sprintf("+%s %s %s %s: %s", m.CreatedAt.Sub(start), m.Channel, m.Status, m.To, text)
}

// outbox returns every message of every run, oldest first, as outboxLines.
func (b *testBundle) outbox(t *testing.T, start time.Time) []string {
	t.Helper()
	var ms []storage.Message
	if err := b.store.Reader().Order("created_at, to_address, channel").Find(&ms).Error; err != nil {
		t.Fatalf("messages: %v", err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, outboxLine(start, m))
	}
	return out
}

// wantOutbox fails unless the outbox holds exactly want, in order.
func (b *testBundle) wantOutbox(t *testing.T, start time.Time, want ...string) {
	t.Helper()
	got := b.outbox(t, start)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// runIDs returns the ids of the flow's runs.
func (b *testBundle) runsOf(t *testing.T, flowID string) []storage.Run {
	t.Helper()
	var rs []storage.Run
	if err := b.store.Reader().Where("flow_id = ?", flowID).Order("started_at").Find(&rs).Error; err != nil {
		t.Fatalf("runs: %v", err)
	}
	return rs
}

func TestTemplateWelcomeNoOpenSMS(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db, channels: true})
		start := b.clock.Now()
		b.publish(t, readTemplate(t, "welcome-no-open-sms.json"))
		opener := b.hook(t, "welcome-signup", map[string]any{"email": "ana@example.com", "name": "Ana Ruiz", "phone": "+34600111222"})
		b.drain(t)
		b.clock.Advance(time.Minute)
		silent := b.hook(t, "welcome-signup", map[string]any{"email": "bo@example.com", "name": "Bo Lind", "phone": "+46701234567"})
		b.drain(t)
		if len(opener) != 1 || len(silent) != 1 {
			t.Fatalf("runs started: %v %v, want one each", opener, silent)
		}
		b.wantOutbox(t, start,
			"+0s email sandboxed ana@example.com: Welcome, Ana!",
			"+1m0s email sandboxed bo@example.com: Welcome, Bo!")

		// Ana opens her email a day later: her journey ends, no SMS.
		b.clock.Advance(24 * time.Hour)
		b.simulate(t, opener[0], "email", "opened")
		b.drain(t)
		if r := b.run(t, opener[0]); r.Status != storage.RunCompleted {
			t.Fatalf("Ana's run = %s (%s), want completed after the open", r.Status, r.Error)
		}
		// Just before Bo's 48 hours are up, nothing more was sent.
		b.clock.Advance(24*time.Hour - time.Second)
		b.drain(t)
		if got := len(b.outbox(t, start)); got != 2 {
			t.Fatalf("%d messages before the 48 hours are up, want 2", got)
		}
		b.clock.Advance(time.Second) // exactly 48 hours after Bo's email
		b.drain(t)
		b.wantOutbox(t, start,
			"+0s email opened ana@example.com: Welcome, Ana!",
			"+1m0s email sandboxed bo@example.com: Welcome, Bo!",
			"+48h1m0s sms sandboxed +46701234567: Hi Bo, we sent you a welcome email with your first steps. Have a look when you can!")
		if r := b.run(t, silent[0]); r.Status != storage.RunCompleted {
			t.Fatalf("Bo's run = %s (%s), want completed after the SMS", r.Status, r.Error)
		}
	})
}
