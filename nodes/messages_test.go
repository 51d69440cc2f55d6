package nodes_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// msgBundle runs message steps against a fake outbox.
type msgBundle struct {
	*testBundle
	ch       *nodestest.Channels
	sender   *nodestest.Sender
	settings flows.Settings
	contact  string
}

func setupMessages(t *testing.T) *msgBundle {
	t.Helper()
	b := &msgBundle{testBundle: setup(t), sender: &nodestest.Sender{}}
	b.ch = nodestest.NewChannels(func() time.Time { return b.env.Now })
	b.ch.AddSender("acct", nodes.Sender{Provider: "fakeprov", Email: b.sender, SMS: b.sender, WhatsApp: b.sender})
	b.contact = b.withContact(nodestest.Contact{Email: "ana@example.com", Phone: "+34600111222", FirstName: "Ana"})
	return b
}

// step runs typ with params under key, resuming with r when not nil.
func (b *msgBundle) step(t *testing.T, typ string, params map[string]any, key string, r *nodes.Resume) (nodes.Result, error) {
	t.Helper()
	n := b.compile(t, typ, params)
	tp, _ := b.reg.Lookup(typ, 1)
	in := &nodes.Input{Node: n, Env: b.env, RunID: b.env.Run.ID, Visit: 1, Attempt: 1, Key: key,
		Location: mustLoad(t, "Europe/Madrid"), Channels: b.ch, Settings: &b.settings, Resume: r}
	return tp.Handler.Run(context.Background(), in)
}

func (b *msgBundle) only(t *testing.T) *nodestest.Message {
	t.Helper()
	if len(b.ch.Messages) != 1 {
		t.Fatalf("%d messages recorded, want 1: %+v", len(b.ch.Messages), b.ch.Messages)
	}
	return b.ch.Messages[0]
}

func TestEmailInTheSandbox(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	res, err := b.step(t, nodes.TypeEmail, map[string]any{"subject": "Hi {{ contact.first_name }}",
		"body": "Welcome, {{ contact.first_name }}!\nSee https://example.com/start"}, "run1:n:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := b.only(t)
	if res.Port != nodes.PortSent || m.Status != nodes.StatusSandboxed || m.Provider != nodes.ProviderSandbox {
		t.Fatalf("port %q, message %s via %s; want sent, sandboxed via sandbox", res.Port, m.Status, m.Provider)
	}
	if m.To != "ana@example.com" || m.Subject != "Hi Ana" || !strings.Contains(m.Text, "Welcome, Ana!") {
		t.Fatalf("message = %+v", m.Draft)
	}
	if !strings.Contains(m.HTML, `<a href="https://example.com/start">`) || !strings.Contains(m.HTML, "<br>") {
		t.Fatalf("HTML made from the text = %q", m.HTML)
	}
	if len(b.sender.Sent) != 0 {
		t.Fatalf("the sandbox sent %+v", b.sender.Sent)
	}
	if !strings.Contains(m.Reason, "nothing was sent") {
		t.Fatalf("reason = %q", m.Reason)
	}
}

func TestEmailHTMLEscapesValuesButNotTheTemplate(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	b.env.Contact.FirstName = `<a href="https://evil.example">Ana</a>`
	_, err := b.step(t, nodes.TypeEmail, map[string]any{"subject": "Hi {{ contact.first_name }}",
		"body": "Hi {{ contact.first_name }}", "html": "<p>Hi <b>{{ contact.first_name }}</b></p>"}, "run1:n:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := b.only(t)
	if m.HTML != `<p>Hi <b>&lt;a href=&#34;https://evil.example&#34;&gt;Ana&lt;/a&gt;</b></p>` {
		t.Fatalf("HTML = %q", m.HTML)
	}
	if m.Text != `Hi <a href="https://evil.example">Ana</a>` {
		t.Fatalf("text = %q", m.Text)
	}
}

func TestEmailThroughAnAccountIsRecordedOnceAcrossRetries(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	params := map[string]any{"credential": "acct", "subject": "Hi", "html": "<p>Hello <b>Ana</b></p>"}
	b.sender.Errs = []error{errors.New("connection reset")}
	res, err := b.step(t, nodes.TypeEmail, params, "run1:n:1", nil)
	if err != nil || res.Wait == nil || !res.Wait.Reenter {
		t.Fatalf("a network error gave %+v, %v; want a wait before the next try", res, err)
	}
	if m := b.only(t); m.Status != nodes.StatusQueued {
		t.Fatalf("after the failed try the message is %s, want queued", m.Status)
	}
	// The retry carries the same key: the queued row is reused.
	res, err = b.step(t, nodes.TypeEmail, params, "run1:n:1", &nodes.Resume{State: res.Wait.State})
	if err != nil || res.Port != nodes.PortSent {
		t.Fatalf("retry: port %q, err %v", res.Port, err)
	}
	// A replay after the message went out sends nothing more.
	if _, err := b.step(t, nodes.TypeEmail, params, "run1:n:1", nil); err != nil {
		t.Fatal(err)
	}
	m := b.only(t)
	if m.Status != nodes.StatusSent || m.ProviderID != "prov-1" || len(b.sender.Sent) != 1 {
		t.Fatalf("message %s (%s), %d sent; want one sent message", m.Status, m.ProviderID, len(b.sender.Sent))
	}
	got := b.sender.Sent[0]
	if got.Body != "Hello Ana" || got.Headers["List-Unsubscribe"] == "" || !b.ch.Tracked[m.ID] {
		t.Fatalf("sent %+v (tracked %v): want text made from HTML, unsubscribe header, tracking", got, b.ch.Tracked[m.ID])
	}
}

func TestACrashAfterTheVendorCallRecordsOneMessage(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	params := map[string]any{"credential": "acct", "body": "Your code is 1234"}
	b.ch.FailUpdates = 1 // the vendor accepts, then the record of it is lost
	if _, err := b.step(t, nodes.TypeSMS, params, "run1:n:1", nil); err == nil || nodes.IsPermanent(err) {
		t.Fatalf("lost update gave %v, want a retryable error", err)
	}
	res, err := b.step(t, nodes.TypeSMS, params, "run1:n:1", nil)
	if err != nil || res.Port != nodes.PortSent {
		t.Fatalf("retry: port %q, err %v", res.Port, err)
	}
	m := b.only(t)
	if m.Status != nodes.StatusSent || strings.Join(m.History, ",") != "queued,sent" {
		t.Fatalf("message %s with history %v, want one message queued then sent", m.Status, m.History)
	}
	// Said plainly in the README: the vendor may get it twice in that window.
	if len(b.sender.Sent) != 2 {
		t.Fatalf("vendor calls = %d, want 2 (at least once to the vendor, once on record)", len(b.sender.Sent))
	}
}

func TestMessagePoliciesAndRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typ      string
		params   map[string]any
		prepare  func(b *msgBundle)
		wantPort string
		status   string
		reason   string
	}{
		{name: "a vendor refusal fails the step", typ: nodes.TypeSMS,
			params:   map[string]any{"credential": "acct", "body": "Hi"},
			prepare:  func(b *msgBundle) { b.sender.Errs = []error{nodes.Permanentf("21211 invalid 'To' number")} },
			wantPort: nodes.PortFailed, status: nodes.StatusFailed, reason: "invalid 'To' number"},
		{name: "withdrawn consent skips", typ: nodes.TypeEmail, params: map[string]any{"subject": "Hi", "body": "x"},
			prepare:  func(b *msgBundle) { b.env.Contact.Consent = map[string]bool{"email": false} },
			wantPort: nodes.PortFailed, status: nodes.StatusSkipped, reason: "consent withdrawn"},
		{name: "a journey that requires consent skips contacts without it", typ: nodes.TypeWhatsApp, params: map[string]any{"body": "Hi"},
			prepare: func(b *msgBundle) {
				b.settings.Messaging = &flows.Messaging{RequireConsent: true}
			},
			wantPort: nodes.PortFailed, status: nodes.StatusSkipped, reason: "sends only with consent"},
		{name: "given consent lets it through", typ: nodes.TypeWhatsApp, params: map[string]any{"body": "Hi"},
			prepare: func(b *msgBundle) {
				b.settings.Messaging = &flows.Messaging{RequireConsent: true}
				b.env.Contact.Consent = map[string]bool{"whatsapp": true}
			},
			wantPort: nodes.PortSent, status: nodes.StatusSandboxed},
		{name: "no phone number skips", typ: nodes.TypeSMS, params: map[string]any{"body": "Hi"},
			prepare:  func(b *msgBundle) { b.env.Contact.Phone = "" },
			wantPort: nodes.PortFailed, status: nodes.StatusSkipped, reason: "no phone number"},
		{name: "a deleted account fails with the reason", typ: nodes.TypeSMS, params: map[string]any{"credential": "gone", "body": "Hi"},
			wantPort: nodes.PortFailed, status: nodes.StatusFailed, reason: "no longer exists"},
		{name: "the frequency cap skips", typ: nodes.TypeSMS, params: map[string]any{"body": "Hi"},
			prepare: func(b *msgBundle) {
				b.settings.Messaging = &flows.Messaging{FrequencyCap: &flows.FrequencyCap{Max: 1, Period: flows.Duration(24 * time.Hour)}}
				_, _ = b.ch.Record(context.Background(), nodes.Draft{Key: "earlier", Channel: "sms", ContactID: b.contact, Status: nodes.StatusSent})
			},
			wantPort: nodes.PortFailed, status: nodes.StatusSkipped, reason: "Frequency cap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupMessages(t)
			if tt.prepare != nil {
				tt.prepare(b)
			}
			res, err := b.step(t, tt.typ, tt.params, "run1:n:1", nil)
			if err != nil {
				t.Fatal(err)
			}
			m := b.ch.Messages[len(b.ch.Messages)-1]
			if res.Port != tt.wantPort || m.Status != tt.status || !strings.Contains(m.Reason, tt.reason) {
				t.Fatalf("port %q, message %s (%q); want %s, %s (%q)", res.Port, m.Status, m.Reason, tt.wantPort, tt.status, tt.reason)
			}
			if res.Output["status"] != tt.status {
				t.Fatalf("step output = %v, want status %s", res.Output, tt.status)
			}
		})
	}
}

func TestQuietHoursWaitInTheContactsTimeZone(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	b.settings.Messaging = &flows.Messaging{QuietHours: &flows.QuietHours{From: "21:00", To: "08:00"}}
	b.env.Contact.TimeZone = "America/New_York"
	b.env.Now = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC) // 22:00 in New York
	res, err := b.step(t, nodes.TypeSMS, map[string]any{"body": "Hi"}, "run1:n:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC) // 08:00 in New York
	if res.Wait == nil || !res.Wait.Reenter || !res.Wait.Until.Equal(want) {
		t.Fatalf("wait = %+v, want a re-entering wait until %s", res.Wait, want)
	}
	if m := b.only(t); m.Status != nodes.StatusDelayed || !strings.Contains(m.Reason, "Quiet hours") {
		t.Fatalf("message %s (%s), want delayed by quiet hours", m.Status, m.Reason)
	}
	b.env.Now = want
	res, err = b.step(t, nodes.TypeSMS, map[string]any{"body": "Hi"}, "run1:n:1", &nodes.Resume{})
	if err != nil || res.Port != nodes.PortSent {
		t.Fatalf("after the quiet hours: port %q, err %v", res.Port, err)
	}
	if m := b.only(t); m.Status != nodes.StatusSandboxed {
		t.Fatalf("the delayed message is %s, want sandboxed (the same row)", m.Status)
	}
}

func TestQuietHoursLimitedToSomeChannels(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	b.settings.Messaging = &flows.Messaging{QuietHours: &flows.QuietHours{From: "21:00", To: "08:00", Channels: []string{"sms"}}}
	b.env.Now = time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC) // midnight in Madrid
	res, err := b.step(t, nodes.TypeEmail, map[string]any{"subject": "s", "body": "b"}, "run1:n:1", nil)
	if err != nil || res.Port != nodes.PortSent {
		t.Fatalf("email during SMS quiet hours: port %q, wait %+v, err %v; want sent", res.Port, res.Wait, err)
	}
	res, err = b.step(t, nodes.TypeSMS, map[string]any{"body": "b"}, "run1:n:2", nil)
	if err != nil || res.Wait == nil {
		t.Fatalf("SMS during its quiet hours: port %q, err %v; want a wait", res.Port, err)
	}
}

func TestSendFallsBackAndShowsEveryAttempt(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	b.sender.Errs = []error{nodes.Permanentf("131047 re-engagement message")}
	res, err := b.step(t, nodes.TypeSend, map[string]any{
		"channels": []any{"whatsapp", "sms", "email"}, "body": "Hi {{ contact.first_name }}",
		"whatsapp_credential": "acct", "sms_credential": "gone",
	}, "run1:n:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Port != nodes.PortSent || res.Output["channel"] != "email" {
		t.Fatalf("port %q output %v, want sent by email", res.Port, res.Output)
	}
	out, _ := json.Marshal(res.Output["attempts"])
	for _, want := range []string{`"reason":"fakeprov refused the message: 131047`, `"status":"failed"`,
		`no longer exists`, `"channel":"email"`, `"status":"sandboxed"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("attempts %s lack %s", out, want)
		}
	}
	keys := []string{}
	for _, m := range b.ch.Messages {
		keys = append(keys, m.Key)
	}
	if strings.Join(keys, " ") != "run1:n:1:whatsapp run1:n:1:sms run1:n:1:email" {
		t.Fatalf("message keys = %v", keys)
	}
	if b.ch.Messages[2].Subject != "Hi Ana" {
		t.Fatalf("email subject %q, want the first line of the text", b.ch.Messages[2].Subject)
	}
}

func TestSendWaitsForItsOwnReceipt(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	params := map[string]any{"channels": []any{"sms", "email"}, "body": "Hi", "delivery_timeout": "30m"}
	res, err := b.step(t, nodes.TypeSend, params, "run1:n:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := res.Wait
	if w == nil || !w.Reenter || w.Event != "sms.delivered" || !strings.Contains(strings.Join(w.Events, " "), "sms.undelivered") {
		t.Fatalf("wait = %+v, want a receipt wait on sms", w)
	}
	// Another message's receipt: the step keeps waiting, same deadline.
	other := &flows.Event{Type: "sms.delivered", Data: map[string]any{"message_id": "someone-else"}}
	res, err = b.step(t, nodes.TypeSend, params, "run1:n:1", &nodes.Resume{Event: other, State: w.State})
	if err != nil || res.Wait == nil || !res.Wait.Until.Equal(w.Until) {
		t.Fatalf("after another receipt: wait %+v err %v, want the same wait", res.Wait, err)
	}
	// Ours arrives: done, no other channel tried.
	mine := &flows.Event{Type: "sms.delivered", Data: map[string]any{"message_id": b.ch.Messages[0].ID}}
	res, err = b.step(t, nodes.TypeSend, params, "run1:n:1", &nodes.Resume{Event: mine, State: res.Wait.State})
	if err != nil || res.Port != nodes.PortSent || len(b.ch.Messages) != 1 {
		t.Fatalf("port %q err %v, %d messages; want sent with one message", res.Port, err, len(b.ch.Messages))
	}
}

func TestMessageParamRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tt := range []struct {
		typ    string
		params map[string]any
		want   string
	}{
		{nodes.TypeSend, map[string]any{"channels": []any{"sms", "sms"}, "body": "x"}, "listed twice"},
		{nodes.TypeSend, map[string]any{"channels": []any{"fax"}, "body": "x"}, "fax"},
		{nodes.TypeEmail, map[string]any{"subject": "x"}, "text or its HTML"},
		{nodes.TypeWhatsApp, map[string]any{}, "approved template"},
	} {
		probs := b.problems(t, tt.typ, tt.params)
		if len(probs) == 0 || !strings.Contains(probs[0].Message, tt.want) {
			t.Errorf("%s %v: problems %+v, want one about %q", tt.typ, tt.params, probs, tt.want)
		}
	}
}

// A Retry-After that ends past the step's budget spends it at once: the
// message fails with the provider's answer instead of waiting.
func TestRetryAfterPastTheBudgetFailsAtOnce(t *testing.T) {
	t.Parallel()
	b := setupMessages(t)
	params := map[string]any{"credential": "acct", "body": "Your code is 1234", "retry_within": "2m"}
	b.sender.Errs = []error{&nodes.RetryAfterError{Err: errors.New("429 too many requests"), After: 10 * time.Minute}}
	res, err := b.step(t, nodes.TypeSMS, params, "run1:n:1", nil)
	if err != nil || res.Wait != nil || res.Port != nodes.PortFailed {
		t.Fatalf("result %+v, %v; want the failed port at once", res, err)
	}
	if m := b.only(t); m.Status != nodes.StatusFailed || !strings.Contains(m.Reason, "429 too many requests") {
		t.Fatalf("message %s %q; want failed with the provider's answer", m.Status, m.Reason)
	}
}
