package nodes_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
)

// preview renders typ with params for the bundle's contact.
func (b *msgBundle) preview(t *testing.T, typ string, params map[string]any, channel string) (nodes.Rendered, []nodes.RenderProblem) {
	t.Helper()
	in := &nodes.Input{Node: b.compile(t, typ, params), Env: b.env, Channels: b.ch, Settings: &b.settings}
	r, probs, err := nodes.RenderMessage(in, channel)
	if err != nil {
		t.Fatalf("RenderMessage: %v", err)
	}
	return r, probs
}

// The preview is what the step sends: the same subject, bodies and address.
func TestPreviewMatchesTheSentEmail(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	params := map[string]any{"subject": "Hi {{ contact.first_name }}", "html": "<p>Hello {{ contact.first_name }}</p>", "track": false}
	r, probs := b.preview(t, nodes.TypeEmail, params, "")
	if len(probs) > 0 {
		t.Fatalf("problems: %+v", probs)
	}
	if _, err := b.step(t, nodes.TypeEmail, params, "run1:n:1", nil); err != nil {
		t.Fatal(err)
	}
	m := b.only(t)
	if r.Channel != nodes.ChannelEmail || r.To != m.To || r.Subject != m.Subject || r.HTML != m.HTML || r.Text != m.Text {
		t.Fatalf("preview %+v differs from the sent %+v", r, m.Draft)
	}
	if r.Text != "Hello Ana" || r.To != "ana@example.com" {
		t.Fatalf("preview %+v: want the text made from the HTML, to Ana", r)
	}
}

func TestPreviewOfEachChannel(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	r, _ := b.preview(t, nodes.TypeSMS, map[string]any{"body": "Hi {{ contact.first_name }}", "credential": "acct"}, "")
	if r.Channel != nodes.ChannelSMS || r.Text != "Hi Ana" || r.To != "+34600111222" || r.CredentialID != "acct" {
		t.Errorf("sms: %+v", r)
	}
	r, _ = b.preview(t, nodes.TypeWhatsApp, map[string]any{"template_name": "welcome_v2"}, "")
	if r.Template != "welcome_v2" || r.Language != "en" || !strings.Contains(r.Text, "welcome_v2") {
		t.Errorf("whatsapp: %+v", r)
	}
	send := map[string]any{"channels": []any{"whatsapp", "email"}, "body": "Your order {{ trigger.order }} shipped"}
	b.env.Trigger = map[string]any{"order": "A-1"}
	r, _ = b.preview(t, nodes.TypeSend, send, "email")
	if r.Channel != nodes.ChannelEmail || r.Subject != "Your order A-1 shipped" || !strings.Contains(r.HTML, "A-1") {
		t.Errorf("send by email: %+v", r)
	}
	r, _ = b.preview(t, nodes.TypeSend, send, "")
	if r.Channel != nodes.ChannelWhatsApp {
		t.Errorf("send takes its first channel by default: %+v", r)
	}
	in := &nodes.Input{Node: b.compile(t, nodes.TypeSend, send), Env: b.env}
	if _, _, err := nodes.RenderMessage(in, "sms"); !errors.Is(err, nodes.ErrNotAMessage) {
		t.Errorf("a channel the step does not use: %v", err)
	}
	in = &nodes.Input{Node: b.compile(t, nodes.TypeAddToList, map[string]any{"list": "x"}), Env: b.env}
	if _, _, err := nodes.RenderMessage(in, ""); !errors.Is(err, nodes.ErrNotAMessage) {
		t.Errorf("a list step: %v", err)
	}
}

// A template that fails is a problem naming the parameter; the rest shows.
func TestPreviewProblemNamesTheParameter(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	b.env.Trigger = map[string]any{"name": "Ana"}
	r, probs := b.preview(t, nodes.TypeEmail, map[string]any{"subject": "Hi {{ trigger.name * 2 }}", "body": "Hello {{ contact.first_name }}"}, "")
	if len(probs) != 1 || probs[0].Param != "subject" || !strings.Contains(probs[0].Message, `"Subject" could not be filled in`) ||
		!strings.Contains(probs[0].Message, "trigger.name * 2") || strings.Contains(probs[0].Message, "\n") {
		t.Fatalf("problems: %+v", probs)
	}
	if r.Text != "Hello Ana" {
		t.Fatalf("the text is still shown: %+v", r)
	}
}

func TestSendTest(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	r, _ := b.preview(t, nodes.TypeEmail, map[string]any{"subject": "Hi {{ contact.first_name }}", "body": "Hello", "credential": "acct"}, "")
	a, err := nodes.SendTest(context.Background(), b.ch, r, "me@example.com", "test:1", "A test of the step Welcome.")
	if err != nil {
		t.Fatal(err)
	}
	m := b.only(t)
	if a.Status != nodes.StatusSent || m.Status != nodes.StatusSent || m.To != "me@example.com" || m.Subject != "[Test] Hi Ana" ||
		m.ContactID != "" || m.RunID != "" || m.FlowID != "" || !strings.HasPrefix(m.Reason, "A test of the step Welcome.") {
		t.Fatalf("attempt %+v, message %+v", a, m.Draft)
	}
	if len(b.sender.Sent) != 1 || b.sender.Sent[0].Subject != "[Test] Hi Ana" || b.ch.Prepared[m.ID] != 1 {
		t.Fatalf("sent %+v", b.sender.Sent)
	}

	// Without an account, the sandbox keeps it.
	r.CredentialID = ""
	a, err = nodes.SendTest(context.Background(), b.ch, r, "me@example.com", "test:2", "A test.")
	if err != nil || a.Status != nodes.StatusSandboxed || len(b.sender.Sent) != 1 {
		t.Fatalf("sandbox: %+v, %v, %d sent", a, err, len(b.sender.Sent))
	}
}

func TestSMSSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text             string
		length, segments int
	}{
		{"", 0, 0},
		{"Hi Ana", 6, 1},
		{strings.Repeat("a", 160), 160, 1},
		{strings.Repeat("a", 161), 161, 2},
		{strings.Repeat("a", 306), 306, 2},
		{strings.Repeat("a", 307), 307, 3},
		{"Price: 5€", 10, 1},               // € takes two places
		{"Hi 😀", 5, 1},                     // UCS-2: the emoji is two units
		{strings.Repeat("é", 161), 161, 2}, // é is GSM
		{strings.Repeat("ç", 71), 71, 2},   // ç is not (only Ç is)
	}
	for _, tt := range tests {
		c := nodes.SMSSegments(tt.text)
		if c.Length != tt.length || c.Segments != tt.segments {
			t.Errorf("%q: got %d chars in %d parts, want %d in %d", tt.text, c.Length, c.Segments, tt.length, tt.segments)
		}
		if unicode := strings.ContainsAny(tt.text, "😀ç"); c.Unicode != unicode {
			t.Errorf("%q: unicode %v, want %v", tt.text, c.Unicode, unicode)
		}
		if want := map[bool]int{false: 160, true: 70}[c.Unicode]; c.Segments > 1 {
			if want = map[bool]int{false: 153, true: 67}[c.Unicode]; c.PerSegment != want {
				t.Errorf("%q: %d per part, want %d", tt.text, c.PerSegment, want)
			}
		} else if c.PerSegment != want {
			t.Errorf("%q: %d per part, want %d", tt.text, c.PerSegment, want)
		}
	}
}
