package emailevents_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
)

type sgVector struct {
	Headers   map[string]string `json:"headers"`
	PublicKey string            `json:"public_key_base64_der"`
	RawBody   string            `json:"raw_body"`
}

func TestSendGridSignatureTestVector(t *testing.T) {
	t.Parallel()
	var v sgVector
	if err := json.Unmarshal(connectorstest.Payload(t, "sendgrid/signed_event_webhook_test_vector.json"), &v); err != nil {
		t.Fatal(err)
	}
	sig, ts := v.Headers[emailevents.SendGridSignatureHeader], v.Headers[emailevents.SendGridTimestampHeader]
	if err := emailevents.VerifySendGrid(v.PublicKey, sig, ts, []byte(v.RawBody)); err != nil {
		t.Fatalf("SendGrid's own vector rejected: %v", err)
	}
	for name, c := range map[string][2]string{
		"tampered body":     {ts, "this is not valid payload for the given signature"},
		"invalid timestamp": {"invalid timestamp", v.RawBody},
	} {
		if err := emailevents.VerifySendGrid(v.PublicKey, sig, c[0], []byte(c[1])); !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The vector's body is one object, not a batch: verified but malformed.
	evs, err := emailevents.ParseSendGrid(v.PublicKey, sig, ts, []byte(v.RawBody))
	if !connectors.IsPayloadError(err) || evs != nil {
		t.Errorf("non-array body: %v %v", evs, err)
	}
}

// sgSigner signs bodies like SendGrid, with a key made for the test.
type sgSigner struct {
	key    *ecdsa.PrivateKey
	public string
}

func newSigner(t testing.TB) sgSigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return sgSigner{key: k, public: base64.StdEncoding.EncodeToString(der)}
}

func (s sgSigner) headers(t testing.TB, body []byte) http.Header {
	ts := "1700000000"
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{emailevents.SendGridSignatureHeader: {base64.StdEncoding.EncodeToString(sig)}, emailevents.SendGridTimestampHeader: {ts}}
}

func TestSendGridBatchAllTypes(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	body := connectorstest.Payload(t, "sendgrid/event_batch_all_types_docs.json")
	evs, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body)
	if err != nil {
		t.Fatal(err)
	}
	var types, ignoredTypes []string
	keys := map[string]bool{}
	for _, e := range evs {
		if e.Ignored != "" {
			ignoredTypes = append(ignoredTypes, e.Type+" ("+e.Ignored+")")
			continue
		}
		types = append(types, e.Type)
		keys[e.ProviderEventID] = true
		if e.Email != "example@test.com" || e.At != time.Unix(1513299569, 0).UTC() {
			t.Errorf("event %+v", e)
		}
	}
	want := "email.delivered email.opened email.clicked email.bounced email.bounced email.complained email.unsubscribed email.unsubscribed email.resubscribed"
	if strings.Join(types, " ") != want {
		t.Errorf("types\n got %s\nwant %s", strings.Join(types, " "), want)
	}
	// processed and deferred come back ignored, to be counted, not refused.
	if got := strings.Join(ignoredTypes, ", "); got != "processed (not recorded), deferred (not recorded)" {
		t.Errorf("ignored = %s", got)
	}
	// A group unsubscribe and resubscribe name their group; only the global
	// unsubscribe has none.
	var groups []string
	for _, e := range evs {
		if e.Type == emailevents.Unsubscribed || e.Type == emailevents.Resubscribed {
			groups = append(groups, e.Type+":"+e.Group)
		}
	}
	if got := strings.Join(groups, " "); got != "email.unsubscribed: email.unsubscribed:10 email.resubscribed:10" {
		t.Errorf("unsubscribe groups = %s", got)
	}
	// The ignored events have no dedup key; all others are distinct.
	delete(keys, "")
	// The docs sample reuses one sg_event_id for every event: dedup keys
	// must still be distinct per event, or 7 of 8 events would be dropped.
	if len(keys) != len(types) {
		t.Errorf("dedup keys collide: %v", keys)
	}
}

func TestSendGridSingleEvents(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	cases := []struct {
		file string
		want emailevents.Event
	}{
		{"sendgrid/event_bounce_docs.json", emailevents.Event{Type: emailevents.Bounced, HardBounce: true, MessageID: "14c5d75ce93", ProviderEventID: "6g4ZI7SA-xmRDv57GoPIPw==:bounce"}},
		{"sendgrid/event_delivered_anymail.json", emailevents.Event{Type: emailevents.Delivered, MessageID: "wrfRRvF7Q0GgwUo2CvDmEA", SMTPMessageID: "wrfRRvF7Q0GgwUo2CvDmEA@ismtpd0006p1sjc2.sendgrid.net", ProviderEventID: "nOSv8m0eTQ-vxvwNwt3fZQ:delivered"}},
		{"sendgrid/event_click_url_offset_anymail.json", emailevents.Event{Type: emailevents.Clicked}},
		{"sendgrid/event_open_docs.json", emailevents.Event{Type: emailevents.Opened}},
		{"sendgrid/event_dropped_unsubscribed_address_anymail.json", emailevents.Event{Type: emailevents.Bounced}},
	}
	for _, c := range cases {
		body := connectorstest.Payload(t, c.file)
		evs, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", c.file, evs, err)
		}
		e := evs[0]
		if e.Type != c.want.Type || e.HardBounce != c.want.HardBounce || (c.want.MessageID != "" && e.MessageID != c.want.MessageID) ||
			(c.want.SMTPMessageID != "" && e.SMTPMessageID != c.want.SMTPMessageID) || (c.want.ProviderEventID != "" && e.ProviderEventID != c.want.ProviderEventID) {
			t.Errorf("%s: got %+v", c.file, e)
		}
	}
	// processed is not recorded, but our correlation arg is read from custom args.
	body := connectorstest.Payload(t, "sendgrid/event_processed_custom_args_anymail.json")
	evs, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body)
	if err != nil || len(evs) != 1 || evs[0].Ignored != emailevents.IgnoredByDesign || evs[0].Type != "processed" {
		t.Fatalf("processed: %+v %v", evs, err)
	}
	body = []byte(`[{"event":"open","email":"a@b.co","timestamp":1,"sg_event_id":"e1","journey_message_id":"msg_42","category":["x","y"]}]`)
	evs, err = emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body)
	if err != nil || len(evs) != 1 || evs[0].OurMessageID != "msg_42" {
		t.Fatalf("custom arg: %+v %v", evs, err)
	}
}

func TestSendGridBadSignatureReturnsNothing(t *testing.T) {
	t.Parallel()
	s, other := newSigner(t), newSigner(t)
	body := connectorstest.Payload(t, "sendgrid/event_open_docs.json")
	for name, h := range map[string]http.Header{
		"other key":  other.headers(t, body),
		"no headers": {},
		"garbage":    {emailevents.SendGridSignatureHeader: {"!!"}, emailevents.SendGridTimestampHeader: {"1"}},
	} {
		evs, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, h, body)
		if !errors.Is(err, connectors.ErrBadSignature) || evs != nil {
			t.Errorf("%s: %v %v", name, evs, err)
		}
	}
	if _, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: "not a key"}, s.headers(t, body), body); err == nil {
		t.Error("unreadable key accepted")
	}
}

const mgKey = "TEST_WEBHOOK_SIGNING_KEY"

// resignMailgun replaces the sample's signature (unknown key for the docs
// samples) with one made with mgKey over its own timestamp+token.
func resignMailgun(t *testing.T, body []byte) []byte {
	var p struct {
		Signature map[string]string `json:"signature"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(mgKey))
	mac.Write([]byte(p.Signature["timestamp"] + p.Signature["token"]))
	return []byte(strings.Replace(string(body), p.Signature["signature"], hex.EncodeToString(mac.Sum(nil)), 1))
}

func TestMailgunSamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, typ, email string
		hard             bool
		resign           bool
	}{
		{"mailgun/webhook_delivered_real_sanitized_anymail.json", emailevents.Delivered, "recipient@example.com", false, false},
		{"mailgun/webhook_failed_permanent_bounce_anymail.json", emailevents.Bounced, "invalid@example.com", true, false},
		{"mailgun/webhook_failed_permanent_suppress_bounce_docs.json", emailevents.Bounced, "", true, true},
		{"mailgun/webhook_opened_docs.json", emailevents.Opened, "", false, true},
		{"mailgun/webhook_clicked_docs.json", emailevents.Clicked, "recipient@example.com", false, true},
		{"mailgun/webhook_unsubscribed_docs.json", emailevents.Unsubscribed, "", false, true},
	}
	for _, c := range cases {
		body := connectorstest.Payload(t, c.file)
		if c.resign {
			body = resignMailgun(t, body)
		}
		evs, err := emailevents.Parse(emailevents.Mailgun, emailevents.Secrets{MailgunSigningKey: mgKey}, nil, body)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", c.file, evs, err)
		}
		e := evs[0]
		if e.Type != c.typ || e.HardBounce != c.hard || e.ProviderEventID == "" || e.At.IsZero() || e.MessageID == "" || (c.email != "" && e.Email != c.email) {
			t.Errorf("%s: %+v", c.file, e)
		}
	}
	body := connectorstest.Payload(t, "mailgun/webhook_delivered_real_sanitized_anymail.json")
	evs, _ := emailevents.ParseMailgun(mgKey, body)
	if evs[0].MessageID != "20180812211713.1.DF5966851B4BAA99@example.org" || evs[0].ProviderEventID != "hTWCTD81RtiDN-..." || evs[0].At != time.Unix(1534108637, 153125000).UTC() {
		t.Errorf("delivered %+v", evs[0])
	}
}

func TestMailgunBadSignatureReturnsNothing(t *testing.T) {
	t.Parallel()
	body := connectorstest.Payload(t, "mailgun/webhook_delivered_real_sanitized_anymail.json")
	for name, c := range map[string][2]string{
		"wrong key":       {"other", string(body)},
		"no key":          {"", string(body)},
		"tampered token":  {mgKey, strings.Replace(string(body), "651869375b9df3c98fc15c4889b102119add1235c38fc92824", "651869375b9df3c98fc15c4889b102119add1235c38fc92825", 1)},
		"docs signatures": {mgKey, string(connectorstest.Payload(t, "mailgun/webhook_opened_docs.json"))},
	} {
		evs, err := emailevents.ParseMailgun(c[0], []byte(c[1]))
		if !errors.Is(err, connectors.ErrBadSignature) || evs != nil {
			t.Errorf("%s: %v %v", name, evs, err)
		}
	}
}

func TestMailgunTemporaryFailureRecordsNothing(t *testing.T) {
	t.Parallel()
	body := resignMailgun(t, []byte(strings.Replace(string(connectorstest.Payload(t, "mailgun/webhook_failed_permanent_bounce_anymail.json")), `"permanent"`, `"temporary"`, 1)))
	evs, err := emailevents.ParseMailgun(mgKey, body)
	if err != nil || len(evs) != 1 || evs[0].Ignored != emailevents.IgnoredByDesign {
		t.Fatalf("%+v %v", evs, err)
	}
}

var pmSecrets = emailevents.Secrets{PostmarkToken: "s3cret"}

func pmHeader() http.Header { return http.Header{emailevents.PostmarkTokenHeader: {"s3cret"}} }

func TestPostmarkSamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, typ string
		hard      bool
		at        string
	}{
		{"postmark/delivery_anymail.json", emailevents.Delivered, false, "2014-08-01T17:28:10.2735393Z"},
		{"postmark/bounce_hard_anymail.json", emailevents.Bounced, true, "2016-04-27T20:28:50.3963933Z"},
		{"postmark/open_anymail.json", emailevents.Opened, false, "2016-04-27T20:21:41.2493688Z"},
		{"postmark/click_anymail.json", emailevents.Clicked, false, "2017-10-25T15:21:11.9065619Z"},
		{"postmark/subscription_change_unsubscribe_anymail.json", emailevents.Unsubscribed, false, "2022-06-05T17:17:32Z"},
	}
	for _, c := range cases {
		evs, err := emailevents.Parse(emailevents.Postmark, pmSecrets, pmHeader(), connectorstest.Payload(t, c.file))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", c.file, evs, err)
		}
		e := evs[0]
		at, _ := time.Parse(time.RFC3339Nano, c.at)
		if e.Type != c.typ || e.HardBounce != c.hard || !e.At.Equal(at) || e.MessageID == "" || e.Email == "" {
			t.Errorf("%s: %+v", c.file, e)
		}
	}
	// The suppression caused by a hard bounce duplicates the Bounce record.
	evs, err := emailevents.Parse(emailevents.Postmark, pmSecrets, pmHeader(), connectorstest.Payload(t, "postmark/subscription_change_hard_bounce_anymail.json"))
	if err != nil || len(evs) != 1 || evs[0].Ignored != emailevents.IgnoredByDesign {
		t.Errorf("hard-bounce suppression: %+v %v", evs, err)
	}
	body := []byte(`{"RecordType":"SpamComplaint","ID":42,"MessageID":"m1","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z","Metadata":{"journey_message_id":"msg_9"}}`)
	evs, err = emailevents.Parse(emailevents.Postmark, pmSecrets, pmHeader(), body)
	if err != nil || len(evs) != 1 || evs[0].Type != emailevents.Complained || evs[0].OurMessageID != "msg_9" || evs[0].ProviderEventID != "SpamComplaint:42" {
		t.Errorf("spam complaint: %+v %v", evs, err)
	}
}

func TestPostmarkAuth(t *testing.T) {
	t.Parallel()
	body := connectorstest.Payload(t, "postmark/delivery_anymail.json")
	basic := emailevents.Secrets{PostmarkUsername: "pm", PostmarkPassword: "pw"}
	good := http.Header{}
	req, _ := http.NewRequest("POST", "/", nil)
	req.SetBasicAuth("pm", "pw")
	good.Set("Authorization", req.Header.Get("Authorization"))
	if evs, err := emailevents.ParsePostmark(basic, good, body); err != nil || len(evs) != 1 {
		t.Fatalf("basic auth: %v %v", evs, err)
	}
	req.SetBasicAuth("pm", "wrong")
	bad := http.Header{"Authorization": {req.Header.Get("Authorization")}}
	for name, c := range map[string]struct {
		s emailevents.Secrets
		h http.Header
	}{
		"wrong password":     {basic, bad},
		"no auth":            {basic, http.Header{}},
		"wrong token":        {pmSecrets, http.Header{emailevents.PostmarkTokenHeader: {"nope"}}},
		"nothing configured": {emailevents.Secrets{}, pmHeader()},
	} {
		evs, err := emailevents.ParsePostmark(c.s, c.h, body)
		if !errors.Is(err, connectors.ErrBadSignature) || evs != nil {
			t.Errorf("%s: %v %v", name, evs, err)
		}
	}
}

func TestMalformedPayloads(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	for _, b := range []string{`{`, `{"event":"open"}`, `[{"email":"a@b.co"}]`, `[1]`} {
		body := []byte(b)
		if _, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body); !connectors.IsPayloadError(err) {
			t.Errorf("sendgrid %s: %v", b, err)
		}
	}
	for _, b := range []string{`{`, `[]`, `{"RecordType":"Delivery","MessageID":"m","Recipient":"a@b.co","DeliveredAt":"yesterday"}`} {
		if _, err := emailevents.Parse(emailevents.Postmark, pmSecrets, pmHeader(), []byte(b)); !connectors.IsPayloadError(err) {
			t.Errorf("postmark %s: %v", b, err)
		}
	}
	body := resignMailgun(t, []byte(`{"signature":{"timestamp":"1","token":"t","signature":"00"},"event-data":{"recipient":"a@b.co"}}`))
	if _, err := emailevents.ParseMailgun(mgKey, body); !connectors.IsPayloadError(err) {
		t.Errorf("mailgun without event: %v", err)
	}
	if _, err := emailevents.Parse("sparkpost", emailevents.Secrets{}, nil, nil); !connectors.IsPayloadError(err) {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestCorrelationHeaders(t *testing.T) {
	t.Parallel()
	h := emailevents.CorrelationHeaders(`msg"1`)
	var smtpapi struct {
		UniqueArgs map[string]string `json:"unique_args"`
	}
	if err := json.Unmarshal([]byte(h["X-SMTPAPI"]), &smtpapi); err != nil || smtpapi.UniqueArgs[emailevents.CorrelationKey] != `msg"1` {
		t.Errorf("X-SMTPAPI %s %v", h["X-SMTPAPI"], err)
	}
	var mg map[string]string
	if err := json.Unmarshal([]byte(h["X-Mailgun-Variables"]), &mg); err != nil || mg[emailevents.CorrelationKey] != `msg"1` {
		t.Errorf("X-Mailgun-Variables %s", h["X-Mailgun-Variables"])
	}
}

func TestMaxAgeRefusesReplays(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	body := connectorstest.Payload(t, "sendgrid/event_open_docs.json")
	h := s.headers(t, body) // timestamp 1700000000
	fresh := emailevents.Secrets{SendGridPublicKey: s.public, MaxAge: 5 * time.Minute, Now: time.Unix(1700000100, 0)}
	if evs, err := emailevents.Parse(emailevents.SendGrid, fresh, h, body); err != nil || len(evs) != 1 {
		t.Fatalf("fresh request refused: %v %v", evs, err)
	}
	stale := fresh
	stale.Now = time.Unix(1700000000+3600, 0)
	if evs, err := emailevents.Parse(emailevents.SendGrid, stale, h, body); !errors.Is(err, connectors.ErrBadSignature) || evs != nil {
		t.Fatalf("replayed SendGrid request accepted: %v %v", evs, err)
	}
	mg := connectorstest.Payload(t, "mailgun/webhook_delivered_real_sanitized_anymail.json") // timestamp 1534108637
	ok := emailevents.Secrets{MailgunSigningKey: mgKey, MaxAge: time.Minute, Now: time.Unix(1534108650, 0)}
	if evs, err := emailevents.Parse(emailevents.Mailgun, ok, nil, mg); err != nil || len(evs) != 1 {
		t.Fatalf("fresh Mailgun request refused: %v %v", evs, err)
	}
	ok.Now = time.Unix(1534108637+600, 0)
	if evs, err := emailevents.Parse(emailevents.Mailgun, ok, nil, mg); !errors.Is(err, connectors.ErrBadSignature) || evs != nil {
		t.Fatalf("replayed Mailgun request accepted: %v %v", evs, err)
	}
}

// Every Postmark record maps to what it means for the contact; records we
// cannot map are ignored (answered 200 and counted), never refused, since
// Postmark retries a refused record for days.
func TestPostmarkRecords(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       emailevents.Event // Type, HardBounce, ByRecipient, Ignored, Email, MessageID
	}{
		{"bounce of type Unsubscribe", `{"RecordType":"Bounce","ID":7,"Type":"Unsubscribe","TypeCode":16,"MessageID":"m7","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Unsubscribed, Email: "a@b.co", MessageID: "m7"}},
		{"bounce of type ManuallyDeactivated", `{"RecordType":"Bounce","ID":8,"Type":"ManuallyDeactivated","TypeCode":100000,"MessageID":"m8","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Unsubscribed, Email: "a@b.co", MessageID: "m8"}},
		{"bounce of type SpamComplaint", `{"RecordType":"Bounce","ID":9,"Type":"SpamComplaint","MessageID":"m9","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Complained, Email: "a@b.co", MessageID: "m9"}},
		{"unsubscribe bounce without Email", `{"RecordType":"Bounce","ID":10,"Type":"Unsubscribe","MessageID":"m10","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Unsubscribed, MessageID: "m10"}},
		{"hard bounce without MessageID", `{"RecordType":"Bounce","ID":11,"Type":"HardBounce","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Bounced, HardBounce: true, Email: "a@b.co"}},
		{"soft bounce", `{"RecordType":"Bounce","ID":12,"Type":"SoftBounce","MessageID":"m12","Email":"a@b.co","BouncedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Bounced, Email: "a@b.co", MessageID: "m12"}},
		{"manual suppression", `{"RecordType":"SubscriptionChange","MessageID":"m13","Recipient":"a@b.co","Origin":"Recipient","SuppressSending":true,"SuppressionReason":"ManualSuppression","ChangedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Unsubscribed, Email: "a@b.co", MessageID: "m13"}},
		{"reactivated by the recipient", `{"RecordType":"SubscriptionChange","MessageID":"m14","Recipient":"a@b.co","Origin":"Recipient","SuppressSending":false,"ChangedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Resubscribed, ByRecipient: true, Email: "a@b.co", MessageID: "m14"}},
		{"reactivated by the sender", `{"RecordType":"SubscriptionChange","MessageID":"m15","Recipient":"a@b.co","Origin":"Customer","SuppressSending":false,"ChangedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: emailevents.Resubscribed, Email: "a@b.co", MessageID: "m15"}},
		{"suppressed after a spam complaint", `{"RecordType":"SubscriptionChange","MessageID":"m16","Recipient":"a@b.co","SuppressSending":true,"SuppressionReason":"SpamComplaint","ChangedAt":"2024-01-02T03:04:05Z"}`,
			emailevents.Event{Type: "SubscriptionChange", Ignored: emailevents.IgnoredByDesign}},
		{"unknown record type", `{"RecordType":"Teleport","MessageID":"m","Recipient":"a@b.co"}`,
			emailevents.Event{Type: "Teleport", Ignored: emailevents.IgnoredUnknown}},
		{"no record type", `{"MessageID":"m","Recipient":"a@b.co"}`,
			emailevents.Event{Ignored: emailevents.IgnoredUnknown}},
		{"neither address nor message", `{"RecordType":"Delivery"}`,
			emailevents.Event{Type: "Delivery", Ignored: emailevents.IgnoredUnknown}},
	}
	for _, c := range cases {
		evs, err := emailevents.Parse(emailevents.Postmark, pmSecrets, pmHeader(), []byte(c.body))
		if err != nil || len(evs) != 1 {
			t.Errorf("%s: %+v %v", c.name, evs, err)
			continue
		}
		e := evs[0]
		if e.Type != c.want.Type || e.HardBounce != c.want.HardBounce || e.ByRecipient != c.want.ByRecipient ||
			e.Ignored != c.want.Ignored || e.Email != c.want.Email || e.MessageID != c.want.MessageID {
			t.Errorf("%s: got %+v", c.name, e)
		}
		if e.Ignored == "" && (e.ProviderEventID == "" || e.At.IsZero()) {
			t.Errorf("%s: no dedup key or time: %+v", c.name, e)
		}
	}
}

// SendGrid group events change one unsubscribe group; unknown events are
// ignored, not refused.
func TestSendGridGroupsAndUnknownEvents(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	body := []byte(`[{"event":"group_unsubscribe","email":"a@b.co","timestamp":1,"sg_event_id":"g1","asm_group_id":42},
{"event":"group_resubscribe","email":"a@b.co","timestamp":2,"sg_event_id":"g2","asm_group_id":"42"},
{"event":"group_unsubscribe","email":"a@b.co","timestamp":3,"sg_event_id":"g3"},
{"event":"unsubscribe","email":"a@b.co","timestamp":4,"sg_event_id":"u1"},
{"event":"teleported","email":"a@b.co","timestamp":5,"sg_event_id":"t1"}]`)
	evs, err := emailevents.Parse(emailevents.SendGrid, emailevents.Secrets{SendGridPublicKey: s.public}, s.headers(t, body), body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Type+"|"+e.Group+"|"+e.Ignored)
	}
	want := []string{"email.unsubscribed|42|", "email.resubscribed|42|", "group_unsubscribe||unknown event",
		"email.unsubscribed||", "teleported||unknown event"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
}
