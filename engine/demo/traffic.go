// Package demo feeds realistic sample traffic into an engine for
// "journey demo": chatbot conversations finishing on the chat-finished
// webhook and contact events such as email.opened, at a gentle, bounded
// rate, so a fresh instance shows live numbers within a minute.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
)

// ChatHookPath is the webhook path the shipped chat template listens on.
const ChatHookPath = "chat-finished"

// MinInterval bounds the rate: at most one action per 200 ms on average.
const MinInterval = 200 * time.Millisecond

// Ingester is the part of the engine the traffic uses.
type Ingester interface {
	IngestWebhook(ctx context.Context, req engine.HookRequest) (engine.HookResult, error)
	IngestEvent(ctx context.Context, in engine.EventInput) (engine.EventResult, error)
}

// Traffic produces sample chats and events. Create it with NewTraffic.
type Traffic struct {
	in       Ingester
	interval time.Duration
	log      *slog.Logger
	rnd      *rand.Rand
	now      func() time.Time
	seq      int
	known    []string // emails of contacts seen so far (bounded)
}

// maxKnown bounds the contacts remembered for follow-up events.
const maxKnown = 500

// NewTraffic returns traffic with one action every interval on average
// (jittered by ±50%); intervals below MinInterval are raised to it. seed
// makes the sequence repeatable.
func NewTraffic(in Ingester, interval time.Duration, seed uint64, logger *slog.Logger) *Traffic {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Traffic{in: in, interval: max(interval, MinInterval), log: logger,
		rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: time.Now}
}

// Run acts until ctx ends: a chat at once, then one action per interval.
// It owns no goroutine; a panic in one action is logged and the loop goes
// on.
func (t *Traffic) Run(ctx context.Context) {
	for {
		t.safeStep(ctx)
		pause := t.interval/2 + time.Duration(t.rnd.Int64N(int64(t.interval)))
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

func (t *Traffic) safeStep(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("demo traffic panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	if err := t.Step(ctx); err != nil && ctx.Err() == nil {
		t.log.Warn("demo traffic", "error", err)
	}
}

// Step performs one action: a finished chat (always the first time, then
// about 60% of the time) or a follow-up event of a known contact.
func (t *Traffic) Step(ctx context.Context) error {
	t.seq++
	if len(t.known) == 0 || t.rnd.Float64() < 0.6 {
		return t.chat(ctx)
	}
	return t.event(ctx)
}

var (
	firstNames = []string{"Ana", "Bo", "Chen", "Dara", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaito", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara", "Zoe"}
	lastNames  = []string{"Silva", "Berg", "Wang", "Okafor", "Yilmaz", "Adeyemi", "Lind", "Moreau", "García", "Becker", "Sato", "Novak", "Rossi", "Haddad", "Patel", "Murphy", "Costa", "Nilsson", "Khan", "Ivanova"}
	companies  = []string{"Acme", "Globex", "Initech", "Umbrella Health", "Northwind", "Blue Harbor", "Stark Logistics", "Pied Piper", "Hooli", "Vandelay Imports", ""}
	hotChats   = []string{
		"We have 40 agents and want to automate follow-ups. Can we get a demo this week?",
		"Our current tool is too expensive; what would 5,000 contacts a month cost?",
		"I need WhatsApp and SMS fallbacks for appointment reminders. Is there an enterprise plan?",
		"Please have sales call me, we want to start next month.",
	}
	coldChats = []string{
		"Just looking around, thanks.",
		"Do you have a free plan?",
		"How do I reset my password?",
		"I'm a student writing about marketing automation.",
	}
	phonePrefixes = []string{"+34 612", "+44 7700", "+49 151", "+1 415", "+33 6 12"}
)

// chat sends one finished conversation to the chat webhook.
func (t *Traffic) chat(ctx context.Context) error {
	var email string
	if len(t.known) > 0 && t.rnd.Float64() < 0.1 {
		email = t.known[t.rnd.IntN(len(t.known))] // a returning visitor
	}
	first := firstNames[t.rnd.IntN(len(firstNames))]
	last := lastNames[t.rnd.IntN(len(lastNames))]
	if email == "" {
		domain := []string{"example.com", "example.org", "example.net"}[t.rnd.IntN(3)]
		email = fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(first), asciiLower(last), t.seq, domain)
	}
	score := t.rnd.IntN(101)
	transcript := coldChats[t.rnd.IntN(len(coldChats))]
	if score >= 50 {
		transcript = hotChats[t.rnd.IntN(len(hotChats))]
	}
	payload := map[string]any{
		"email": email, "name": first + " " + last, "company": companies[t.rnd.IntN(len(companies))],
		"score": score, "transcript": transcript, "source": "demo",
	}
	if t.rnd.Float64() < 0.7 {
		payload["phone"] = fmt.Sprintf("%s %03d %03d", phonePrefixes[t.rnd.IntN(len(phonePrefixes))], t.rnd.IntN(1000), t.rnd.IntN(1000))
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = t.in.IngestWebhook(ctx, engine.HookRequest{Path: ChatHookPath, Body: body,
		Headers:        map[string]string{"Content-Type": "application/json", "User-Agent": "journey-demo"},
		IdempotencyKey: fmt.Sprintf("demo-chat-%d-%d", t.now().UnixNano(), t.seq)})
	if errors.Is(err, engine.ErrNoHook) {
		return fmt.Errorf("no active journey listens on /hooks/%s (was the chat template paused?)", ChatHookPath)
	}
	if err != nil {
		return fmt.Errorf("chat webhook: %w", err)
	}
	t.remember(email)
	return nil
}

// sampleEvents are follow-up events with their weights and data.
var sampleEvents = []struct {
	typ    string
	weight float64
	data   map[string]any
}{
	{"email.opened", 0.45, map[string]any{"campaign": "welcome", "subject": "Welcome aboard"}},
	{"email.clicked", 0.2, map[string]any{"campaign": "welcome", "url": "https://example.com/pricing"}},
	{"form.submitted", 0.15, map[string]any{"form": "pricing-request"}},
	{"cart.abandoned", 0.1, map[string]any{"cart_value": 129.0, "currency": "EUR"}},
	{"sms.delivered", 0.1, map[string]any{"provider": "sandbox"}},
}

// event records a follow-up event for a known contact.
func (t *Traffic) event(ctx context.Context) error {
	email := t.known[t.rnd.IntN(len(t.known))]
	x := t.rnd.Float64()
	ev := sampleEvents[len(sampleEvents)-1]
	for _, e := range sampleEvents {
		if x < e.weight {
			ev = e
			break
		}
		x -= e.weight
	}
	_, err := t.in.IngestEvent(ctx, engine.EventInput{
		ID: fmt.Sprintf("demo-%d-%d", t.now().UnixNano(), t.seq), Type: ev.typ, Data: ev.data,
		OccurredAt: t.now().UTC(), Source: "demo", Contact: storage.ContactRef{Email: email},
	})
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.typ, err)
	}
	return nil
}

func (t *Traffic) remember(email string) {
	for _, k := range t.known {
		if k == email {
			return
		}
	}
	if len(t.known) >= maxKnown {
		t.known = t.known[1:]
	}
	t.known = append(t.known, email)
}

// asciiLower lowercases a name and drops letters an email local part
// should not carry (García -> garca is fine for sample data).
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
