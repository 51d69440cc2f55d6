package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
)

// unix is a Unix-seconds timestamp d from now.
func unix(d time.Duration) string { return strconv.FormatInt(time.Now().Add(d).Unix(), 10) }

// signAt is the current generic webhook signature: t=<unix>,v1=<hex HMAC of "t.body">.
func signAt(body, secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + body))
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// TestMailgunReplayRefused: a captured Mailgun signature block cannot be
// reused (with forged event data or as is), nor one older than 5 minutes.
func TestMailgunReplayRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindMailgunWebhook, map[string]any{"signing_key": mailgunKey})
	msgID, contactID := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-1@smtp.example.com>", storage.ContactRef{Email: "ana@example.com"})

	ts, token := unix(0), "token-"+rand.Text()
	b.post(t, "/hooks/providers/mailgun", "application/json",
		mailgunSigned(mailgunKey, ts, token, "delivered", "ev-1", "m-1@smtp.example.com")).must(t, http.StatusOK)
	// The same signature block with forged event data: a hard bounce that
	// would turn the contact's email consent off.
	r := b.post(t, "/hooks/providers/mailgun", "application/json",
		mailgunSigned(mailgunKey, ts, token, "failed", "ev-forged", "m-1@smtp.example.com"))
	if r.must(t, http.StatusUnauthorized); !strings.Contains(r.body, "used before") {
		t.Fatalf("replay answer %s; want a sentence saying the signature was used before", r.body)
	}
	old := mailgunSigned(mailgunKey, unix(-6*time.Minute), "token-"+rand.Text(), "failed", "ev-old", "m-1@smtp.example.com")
	b.post(t, "/hooks/providers/mailgun", "application/json", old).must(t, http.StatusUnauthorized)

	if n := b.countEvents(t, "email.bounced"); n != 0 || b.messageStatus(t, msgID) != storage.MessageDelivered {
		t.Fatalf("%d bounces, status %s after replays; want none, delivered", n, b.messageStatus(t, msgID))
	}
	c, err := storage.GetContact(b.store.Reader(), contactID)
	if err != nil || strings.Contains(c.Consent, `"email":false`) {
		t.Fatalf("consent after replays = %s (%v); want email consent untouched", c.Consent, err)
	}
	// A fresh request (new token, 4 minutes old) is still accepted.
	fresh := mailgunSigned(mailgunKey, unix(-4*time.Minute), "token-"+rand.Text(), "failed", "ev-2", "m-1@smtp.example.com")
	b.post(t, "/hooks/providers/mailgun", "application/json", fresh).must(t, http.StatusOK)
	if n := b.countEvents(t, "email.bounced"); n != 1 {
		t.Fatalf("%d bounces after a fresh request, want 1", n)
	}
}

// TestSendGridOldTimestampRefused: a signed SendGrid batch older than 5
// minutes is a replay.
func TestSendGridOldTimestampRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b.credential(t, channels.KindSendGridWebhook, map[string]any{"public_key": base64.StdEncoding.EncodeToString(der)})
	msgID, _ := sentMessage(t, b, nodes.ChannelEmail, channels.KindSMTP, "<m-7@smtp.example.com>", storage.ContactRef{Email: "bo@example.com"})
	body := `[{"email":"bo@example.com","timestamp":1700000000,"event":"open","sg_event_id":"sg-ev-1","journey_message_id":"` + msgID + `"}]`
	sign := func(ts string) []string {
		sum := sha256.Sum256([]byte(ts + body))
		sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return []string{"X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig), "X-Twilio-Email-Event-Webhook-Timestamp", ts}
	}
	b.post(t, "/hooks/providers/sendgrid", "application/json", body, sign(unix(-time.Hour))...).must(t, http.StatusUnauthorized)
	b.post(t, "/hooks/providers/sendgrid", "application/json", body, sign(unix(10*time.Minute))...).must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "email.opened"); n != 0 {
		t.Fatalf("an old batch stored %d events", n)
	}
	b.post(t, "/hooks/providers/sendgrid", "application/json", body, sign(unix(-time.Minute))...).must(t, http.StatusOK)
	if n := b.countEvents(t, "email.opened"); n != 1 {
		t.Fatalf("a fresh batch stored %d events, want 1", n)
	}
}

// TestGenericWebhookTimedSignature: the t=,v1= scheme is accepted once;
// the same request again, or one signed long ago, is refused; the
// deprecated sha256= header still works and is logged.
func TestGenericWebhookTimedSignature(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(signedFlow, "signed")(t, b)
	body := `{"email":"sig@example.com"}`

	header := signAt(body, hookSecret, unix(0))
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", header).must(t, http.StatusAccepted)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", header).must(t, http.StatusUnauthorized)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", signAt(body, hookSecret, unix(-6*time.Minute))).
		must(t, http.StatusUnauthorized)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", signAt(body, "guess", unix(0))).
		must(t, http.StatusUnauthorized)
	// The timestamp is signed: moving it forward breaks the signature.
	moved := strings.Replace(header, "t=", "t=1", 1)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", moved).must(t, http.StatusUnauthorized)
	// Another secret's v1 next to the right one (a rotation) verifies.
	rotating := signAt(body, hookSecret, unix(-time.Minute)) + ",v1=" + strings.Repeat("ab", 32)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", rotating).must(t, http.StatusAccepted)

	if strings.Contains(b.logs.String(), "deprecated") {
		t.Fatal("a deprecation warning before any old-style request")
	}
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", sign(body, hookSecret)).must(t, http.StatusAccepted)
	if !strings.Contains(b.logs.String(), "deprecated") {
		t.Fatalf("logs = %s; want a deprecation warning for the sha256= header", b.logs.String())
	}
}

// TestIdempotencyKeyScope: a key is scoped to its path (the same key on
// another path starts that path's runs), and a sender's retry of a signed
// request, newly signed, with the same key is a duplicate, not a replay.
func TestIdempotencyKeyScope(t *testing.T) {
	t.Parallel()
	b := setup(t)
	publishFlow(signedFlow, "signed")(t, b)
	publishFlow(helloFlow, "hello")(t, b)
	body := `{"email":"key@example.com"}`
	var first, retry, other struct {
		Runs      []string
		Duplicate bool
	}
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", signAt(body, hookSecret, unix(-time.Minute)),
		"Idempotency-Key", "k-1").must(t, http.StatusAccepted).json(t, &first)
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", signAt(body, hookSecret, unix(0)),
		"Idempotency-Key", "k-1").must(t, http.StatusAccepted).json(t, &retry)
	b.request(t, "POST", "/hooks/hello", body, "Idempotency-Key", "k-1").must(t, http.StatusAccepted).json(t, &other)
	if len(first.Runs) != 1 || !retry.Duplicate || len(retry.Runs) != 0 || other.Duplicate || len(other.Runs) != 1 {
		t.Fatalf("first %+v, retry %+v, other path %+v; want a run, a duplicate, a run", first, retry, other)
	}
}

// TestReplayRefusedOnAnotherInstance: on PostgreSQL two instances share
// the replay memory, so a signed webhook accepted by one is refused by the
// other (SQLite runs one instance; its memory is the process's).
func TestReplayRefusedOnAnotherInstance(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOptions) { o.postgres = true })
	publishFlow(signedFlow, "signed")(t, b)
	other := *b
	other.srv = server.New(server.Config{Engine: b.eng, Store: b.store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "test", HookSecrets: map[string]string{"CHATBOT": hookSecret}})
	body := `{"email":"twice@example.com"}`
	now := time.Now()
	header := signAt(body, hookSecret, strconv.FormatInt(now.Unix(), 10))
	b.request(t, "POST", "/hooks/signed", body, "X-Signature-256", header).must(t, http.StatusAccepted)
	other.request(t, "POST", "/hooks/signed", body, "X-Signature-256", header).must(t, http.StatusUnauthorized)
	// Another second than the first signature's, however long the
	// requests took (unix(-time.Second) could come out equal to it).
	fresh := signAt(body, hookSecret, strconv.FormatInt(now.Unix()-1, 10))
	other.request(t, "POST", "/hooks/signed", body, "X-Signature-256", fresh).must(t, http.StatusAccepted)
}
