package channels_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/emailcheck"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// Ways a vendor stub on 127.0.0.1 can be down or up.
const (
	vendorUp      = "up"
	vendorRefused = "refused" // nothing listens: connection refused
	vendor503     = "503"     // answers 503 Service Unavailable
	vendorHangs   = "hangs"   // accepts, never answers (a timeout)
)

// outageVendor is a Twilio / WhatsApp Cloud API stub in one of the modes.
type outageVendor struct {
	mu    sync.Mutex
	calls int
}

func (v *outageVendor) count() int { v.mu.Lock(); defer v.mu.Unlock(); return v.calls }

// serve returns the stub's base URL.
func (v *outageVendor) serve(t *testing.T, mode string) string {
	t.Helper()
	if mode == vendorRefused {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close() // the port is free again: connecting is refused
		return "http://" + addr
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		v.mu.Lock()
		v.calls++
		v.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case vendorHangs:
			<-r.Context().Done() // until the caller gives up
			return
		case vendor503:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"code": 20503, "message": "Service is unavailable, please try again", "status": 503}`)
			return
		}
		if strings.Contains(r.URL.Path, "/Messages.json") {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}`)
			return
		}
		_, _ = io.WriteString(w, `{"messaging_product": "whatsapp", "messages": [{"id": "wamid.OK"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// outageBundle is an engine with a clock the test moves, on one database.
type outageBundle struct {
	ctx   context.Context
	store *storage.Store
	svc   *channels.Service
	eng   *engine.Engine
	clock *stepClock
	inbox *inbox
}

func setupOutage(t *testing.T, dsn string) *outageBundle { return setupOutageWith(t, dsn, nil) }

// setupOutageWith is setupOutage whose http.request steps call web.
func setupOutageWith(t *testing.T, dsn string, web nodes.HTTPCaller) *outageBundle {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clock := &stepClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	svc, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{5}, 32), PublicURL: publicURL,
		SMTPInsecureSkipVerify: true, SMTPAllowPrivate: true, Connectors: channels.VendorConnectors(publicURL, true), Now: clock.Now, HTTP: web})
	if err != nil {
		t.Fatal(err)
	}
	// A short step timeout makes a vendor that never answers time out
	// quickly; the outcome does not depend on how long anything takes. It
	// grows with the machine's load, so that a vendor that does answer
	// (the SMTP server, over STARTTLS) is never cut off on a busy machine.
	reg := nodes.Builtin()
	reg.SetWebhookPresets(chatpresets.WebhookPresets())
	eng, err := engine.New(engine.Config{Store: store, Registry: reg, Channels: svc, Clock: clock,
		StepTimeout: testwait.Scaled(500 * time.Millisecond), EmailChecker: emailcheck.New(emailcheck.Config{Resolver: exampleResolver{}})})
	if err != nil {
		t.Fatal(err)
	}
	return &outageBundle{ctx: ctx, store: store, svc: svc, eng: eng, clock: clock, inbox: startSMTP(t)}
}

func (b *outageBundle) credential(t *testing.T, kind string, fields map[string]any) string {
	t.Helper()
	v, err := b.svc.CreateCredential(b.ctx, channels.CredentialInput{Name: kind, Kind: kind, Fields: fields})
	if err != nil {
		t.Fatalf("create %s credential: %v", kind, err)
	}
	return v.ID
}

const fallbackFlow = `{
  "id": "fallback", "name": "Fallback",
  "nodes": [
    {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
    {"id": "send", "type": "message.send", "params": {"channels": ["whatsapp", "sms", "email"],
      "subject": "Your order", "body": "Your order has shipped.",
      "whatsapp_credential": "WA", "sms_credential": "SMS", "email_credential": "MAIL"}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "send"}]
}`

// TestFallbackThroughOutages: a channel whose provider is down is tried
// within its budget (3 tries in 2 minutes by default), then ends failed
// with the provider's last answer, and the next channel is tried. No
// message is left queued.
func TestFallbackThroughOutages(t *testing.T) {
	t.Parallel()
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "app.db") },
		"postgres": storagetest.PostgresDSN,
	}
	cases := []struct {
		name           string
		whatsapp, sms  string
		want           string // the channel that sends
		whatsAppAnswer string // in the failed WhatsApp message's reason
	}{
		{"whatsapp refused, sms sends", vendorRefused, vendorUp, nodes.ChannelSMS, "connection refused"},
		{"whatsapp 503, sms 503, email sends", vendor503, vendor503, nodes.ChannelEmail, "503"},
		{"whatsapp times out, sms refused, email sends", vendorHangs, vendorRefused, nodes.ChannelEmail, "deadline"},
	}
	for db, dsn := range dbs {
		for _, tc := range cases {
			t.Run(db+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				b := setupOutage(t, dsn(t))
				wa, sms := &outageVendor{}, &outageVendor{}
				host, port, _ := net.SplitHostPort(b.inbox.addr)
				p, _ := strconv.Atoi(port)
				ids := map[string]string{
					"WA": b.credential(t, channels.KindWhatsApp, map[string]any{"phone_number_id": "1234567890",
						"access_token": "wa-token-SECRET", "base_url": wa.serve(t, tc.whatsapp)}),
					"SMS": b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioSID,
						"auth_token": "tw-token-SECRET", "from": "+15005550006", "base_url": sms.serve(t, tc.sms)}),
					"MAIL": b.credential(t, channels.KindSMTP, map[string]any{"host": host, "port": float64(p), "security": "starttls",
						"username": smtpUser, "password": smtpPassword, "from_email": "news@example.com"}),
				}
				run := b.runFallback(t, ids)
				if run.Status != storage.RunCompleted {
					t.Fatalf("run %s (%s), want completed", run.Status, run.Error)
				}
				ms, _, err := storage.ListMessages(b.store.Reader(), storage.MessageQuery{})
				if err != nil {
					t.Fatal(err)
				}
				byChannel := map[string]storage.Message{}
				for _, m := range ms {
					if m.Status == storage.MessageQueued {
						t.Errorf("%s message left queued: %q", m.Channel, m.Reason)
					}
					byChannel[m.Channel] = m
				}
				if m := byChannel[tc.want]; m.Status != storage.MessageSent {
					t.Fatalf("%s message is %q (%q), want sent; all: %+v", tc.want, m.Status, m.Reason, ms)
				}
				w := byChannel[nodes.ChannelWhatsApp]
				if w.Status != storage.MessageFailed || !strings.Contains(w.Reason, tc.whatsAppAnswer) ||
					!strings.Contains(w.Reason, "3 tries") {
					t.Fatalf("whatsapp message %q: %q; want failed after 3 tries with %q", w.Status, w.Reason, tc.whatsAppAnswer)
				}
				if tc.whatsapp != vendorRefused && wa.count() != 3 {
					t.Fatalf("WhatsApp was called %d times, want 3", wa.count())
				}
				if tc.want == nodes.ChannelEmail {
					if s := byChannel[nodes.ChannelSMS]; s.Status != storage.MessageFailed {
						t.Fatalf("sms message %q: %q; want failed", s.Status, s.Reason)
					}
					if len(b.inbox.all()) != 1 {
						t.Fatalf("%d emails arrived, want 1", len(b.inbox.all()))
					}
				}
			})
		}
	}
}

// runFallback runs the fallback flow for a contact with a phone and an
// email, moving the clock on until the run ends, and returns the run.
func (b *outageBundle) runFallback(t *testing.T, creds map[string]string) *storage.Run {
	t.Helper()
	raw := fallbackFlow
	for k, v := range creds {
		raw = strings.Replace(raw, `"`+k+`"`, `"`+v+`"`, 1)
	}
	f, err := flows.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatal(err)
	}
	res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup",
		Contact: storage.ContactRef{Email: "ana@example.com", Phone: "+4915112345678"}})
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("ingest = %+v, %v", res, err)
	}
	var run *storage.Run
	// Two budgets of two minutes each at most; 20 half minutes is plenty.
	for range 20 {
		if _, err := b.eng.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		run, err = storage.GetRun(b.store.Reader(), res.Started[0])
		if err != nil {
			t.Fatal(err)
		}
		if run.Status == storage.RunCompleted || run.Status == storage.RunFailed {
			return run
		}
		b.clock.add(30 * time.Second)
	}
	return run
}

// TestSingleChannelOutageEndsOnFailed: a message.sms step whose provider
// stays down follows its failed port once its budget (here set on the
// step: 2 tries) is spent, and its message ends failed, not queued.
func TestSingleChannelOutageEndsOnFailed(t *testing.T) {
	t.Parallel()
	b := setupOutage(t, "sqlite://"+filepath.Join(t.TempDir(), "app.db"))
	sms := &outageVendor{}
	cred := b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioSID,
		"auth_token": "tw-token-SECRET", "from": "+15005550006", "base_url": sms.serve(t, vendor503)})
	f, err := flows.Decode([]byte(`{"id": "single", "name": "Single", "nodes": [
	  {"id": "start", "type": "trigger.event", "params": {"event_type": "signup"}, "position": {"x":0,"y":0}},
	  {"id": "sms", "type": "message.sms", "params": {"credential": "` + cred + `", "body": "Hi", "attempts": 2}, "position": {"x":0,"y":0}},
	  {"id": "tag", "type": "contact.tag", "params": {"add": ["sms-failed"]}, "position": {"x":0,"y":0}}],
	  "edges": [{"from": "start", "to": "sms"}, {"from": "sms", "port": "failed", "to": "tag"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.Import(b.ctx, f, true); err != nil {
		t.Fatal(err)
	}
	res, err := b.eng.IngestEvent(b.ctx, engine.EventInput{Type: "signup", Contact: storage.ContactRef{Phone: "+4915112345678"}})
	if err != nil || len(res.Started) != 1 {
		t.Fatalf("ingest = %+v, %v", res, err)
	}
	for range 10 {
		if _, err := b.eng.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		b.clock.add(30 * time.Second)
	}
	steps, err := storage.RunSteps(b.store.Reader(), res.Started[0])
	if err != nil {
		t.Fatal(err)
	}
	var port string
	for _, s := range steps {
		if s.NodeID == "sms" && s.Status == "completed" {
			port = s.Port
		}
	}
	ms, _, _ := storage.ListMessages(b.store.Reader(), storage.MessageQuery{})
	if port != nodes.PortFailed || len(ms) != 1 || ms[0].Status != storage.MessageFailed || !strings.Contains(ms[0].Reason, "503") {
		t.Fatalf("sms step port %q, messages %+v; want the failed port and one failed message with the 503", port, ms)
	}
	if sms.count() != 2 {
		t.Fatalf("Twilio was called %d times, want 2 (the step's budget)", sms.count())
	}
}

// exampleResolver answers DNS for the tests' addresses without a network:
// example.com takes mail, every other domain does not exist.
type exampleResolver struct{}

func (exampleResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if name == "example.com." || name == "example.com" {
		return []*net.MX{{Host: "mx.example.com.", Pref: 10}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (exampleResolver) LookupHost(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}
