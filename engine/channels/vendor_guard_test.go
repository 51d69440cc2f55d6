package channels_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// TestVendorURLsPassTheAddressGuard: a HubSpot, Pipedrive or Mailchimp
// base URL and a Slack webhook URL on loopback are refused like an
// http.request there, unless private addresses are allowed.
func TestVendorURLsPassTheAddressGuard(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ci := nodes.ContactInput{Email: "ana@example.com"}
	calls := map[string]func(ctx context.Context, acc nodes.Account) error{
		channels.KindHubSpot: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.CRM.CreateDeal(ctx, "k", nodes.DealInput{Title: "Deal", ContactID: "1"})
			return err
		},
		channels.KindPipedrive: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.CRM.Upsert(ctx, "k", ci)
			return err
		},
		channels.KindMailchimp: func(ctx context.Context, acc nodes.Account) error {
			_, err := acc.Lists.Subscribe(ctx, "k", "", ci, nodes.JoinOptions{})
			return err
		},
		channels.KindSlack: func(ctx context.Context, acc nodes.Account) error {
			return acc.Slack.PostSlack(ctx, nodes.SlackMessage{Text: "hi"})
		},
	}
	values := map[string]string{"base_url": srv.URL, "webhook_url": srv.URL + "/services/T/B/X",
		"access_token": "t", "api_token": "t", "api_key": "k-us6", "list_id": "l"}
	guarded, _ := channels.VendorAccounts(channels.AccountOptions{})
	for kind, call := range calls {
		acc, err := guarded[kind](values, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := call(context.Background(), acc); !errors.Is(err, httpreq.ErrForbiddenTarget) {
			t.Errorf("%s on loopback: %v, want the internal-address refusal", kind, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server was reached %d times", n)
	}
	allowed, _ := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: true})
	acc, _ := allowed[channels.KindSlack](values, nil)
	_ = calls[channels.KindSlack](context.Background(), acc)
	if hits.Load() == 0 {
		t.Fatal("with private addresses allowed, Slack did not reach the local server")
	}
}

// TestSMTPHostPassesTheAddressGuard: an SMTP credential on loopback is
// refused (its "test" cannot probe internal ports) unless private
// addresses are allowed.
func TestSMTPHostPassesTheAddressGuard(t *testing.T) {
	t.Parallel()
	b := setup(t) // allows private addresses: the inbox is on loopback
	v := b.smtpCredential(t, smtpPassword)
	if res, err := b.svc.TestCredential(b.ctx, v.ID); err != nil || !res.OK {
		t.Fatalf("allowed: %+v, %v", res, err)
	}
	guarded, err := channels.New(channels.Config{Store: b.store, SecretKey: bytes.Repeat([]byte{9}, 32), PublicURL: publicURL,
		SMTPInsecureSkipVerify: true, SMTPTimeout: testwait.Scaled(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := guarded.TestCredential(b.ctx, v.ID)
	if err != nil || res.OK || !strings.Contains(res.Message, "--http-allow-private") {
		t.Fatalf("guarded: %+v, %v; want a refusal naming --http-allow-private", res, err)
	}
	// Implicit TLS (port 465) is checked too.
	tlsCred, err := guarded.CreateCredential(b.ctx, channels.CredentialInput{Name: "TLS", Kind: channels.KindSMTP, Fields: map[string]any{
		"host": "127.0.0.1", "port": float64(465), "security": "tls", "from_email": "news@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := guarded.TestCredential(b.ctx, tlsCred.ID); err != nil || res.OK || !strings.Contains(res.Message, "--http-allow-private") {
		t.Fatalf("guarded implicit TLS: %+v, %v; want a refusal naming --http-allow-private", res, err)
	}
}

// TestTwilioAndWhatsAppURLsPassTheAddressGuard: a Twilio or WhatsApp
// credential's base URL on loopback is refused like an http.request there,
// unless private addresses are allowed (--http-allow-private).
func TestTwilioAndWhatsAppURLsPassTheAddressGuard(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"sid":"SM1","status":"queued","messages":[{"id":"wamid.1"}]}`))
	}))
	defer srv.Close()
	values := map[string]string{"base_url": srv.URL, "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "t",
		"from": "+15550000000", "phone_number_id": "1", "access_token": "t", "api_version": "v21.0"}
	send := func(senders map[string]channels.ConnectorFunc) (smsErr, waErr error) {
		tw, err := senders[channels.KindTwilio](values)
		if err != nil {
			t.Fatal(err)
		}
		_, smsErr = tw.SMS.SendSMS(context.Background(), nodes.SMS{To: "+15551234567", Body: "hi", MessageID: "m1"})
		wa, err := senders[channels.KindWhatsApp](values)
		if err != nil {
			t.Fatal(err)
		}
		_, waErr = wa.WhatsApp.SendWhatsApp(context.Background(), nodes.WhatsApp{To: "+15551234567", Body: "hi", MessageID: "m2"})
		return smsErr, waErr
	}
	smsErr, waErr := send(channels.VendorConnectors("", false))
	for kind, err := range map[string]error{"twilio": smsErr, "whatsapp": waErr} {
		if err == nil || !strings.Contains(err.Error(), "internal") && !errors.Is(err, httpreq.ErrForbiddenTarget) {
			t.Errorf("%s on loopback: %v, want the internal-address refusal", kind, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server was reached %d times", n)
	}
	_, _ = send(channels.VendorConnectors("", true))
	if hits.Load() != 2 {
		t.Fatalf("with private addresses allowed, the local server got %d requests, want 2", hits.Load())
	}
}
