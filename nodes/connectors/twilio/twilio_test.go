package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
)

var mock = connectorstest.NewMock("twilio")

func TestMain(m *testing.M) { connectorstest.Main(m, mock) }

const accountSID = "AC0123456789abcdef0123456789abcdef"

func TestSendSMSAgainstContract(t *testing.T) {
	c := &twilio.Client{BaseURL: mock.URL(t), AccountSID: accountSID, Password: "token", HTTPClient: connectorstest.ContractClient(t)}
	for _, sms := range []twilio.SMS{
		{To: "+14155552345", From: "+14155550100", Body: "Hello", StatusCallback: "https://journey.example.com/hooks/twilio/status?m=abc", IdempotencyKey: "run1:n1:1"},
		{To: "+14155552345", MessagingServiceSID: "MG0123456789abcdef0123456789abcdef", Body: "Hi"},
	} {
		msg, err := c.SendSMS(context.Background(), sms)
		if err != nil {
			t.Fatalf("SendSMS: %v", err)
		}
		if !strings.HasPrefix(msg.SID, "SM") && !strings.HasPrefix(msg.SID, "MM") {
			t.Fatalf("want a message SID, got %+v", msg)
		}
	}
	msg, err := c.GetMessage(context.Background(), "SM0123456789abcdef0123456789abcdef")
	if err != nil || msg.Status == "" {
		t.Fatalf("GetMessage: %+v %v", msg, err)
	}
}

func TestSendSMSRequest(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = r.ParseForm()
		form = r.PostForm
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM1","status":"queued"}`))
	}))
	defer srv.Close()
	c := &twilio.Client{BaseURL: srv.URL, AccountSID: accountSID, Password: "tok", HTTPClient: srv.Client()}
	msg, err := c.SendSMS(context.Background(), twilio.SMS{To: "+4915112345678", From: "+4930123", Body: "Hi", StatusCallback: "https://x.example/cb", IdempotencyKey: "k1"})
	if err != nil || msg.SID != "SM1" {
		t.Fatalf("SendSMS = %+v, %v", msg, err)
	}
	if got.URL.Path != "/2010-04-01/Accounts/"+accountSID+"/Messages.json" {
		t.Errorf("path %s", got.URL.Path)
	}
	if u, p, ok := got.BasicAuth(); !ok || u != accountSID || p != "tok" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if form.Get("To") != "+4915112345678" || form.Get("From") != "+4930123" || form.Get("StatusCallback") != "https://x.example/cb" {
		t.Errorf("form %v", form)
	}
	if got.Header.Get("Idempotency-Key") != "k1" || !strings.HasPrefix(got.Header.Get("User-Agent"), "journey/") {
		t.Errorf("headers %v", got.Header)
	}
}

func TestSendSMSRefusesIncompleteMessages(t *testing.T) {
	t.Parallel()
	c := &twilio.Client{BaseURL: "http://127.0.0.1:1", AccountSID: accountSID, Password: "tok"}
	for _, m := range []twilio.SMS{{From: "+1", Body: "x"}, {To: "+1", Body: "x"}, {To: "+1", From: "+2"}} {
		_, err := c.SendSMS(context.Background(), m)
		var in *connectors.InputError
		if !errors.As(err, &in) {
			t.Errorf("%+v: want input error, got %v", m, err)
		}
	}
	bad := &twilio.Client{AccountSID: "nope", Password: "x"}
	if _, err := bad.SendSMS(context.Background(), twilio.SMS{To: "+1", From: "+2", Body: "x"}); err == nil {
		t.Error("bad account SID accepted")
	}
}

func TestSendSMSFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &twilio.Client{BaseURL: base, AccountSID: accountSID, Password: "tok", HTTPClient: hc}
		_, err := c.SendSMS(ctx, twilio.SMS{To: "+1555", From: "+1666", Body: "x"})
		return err
	}
	connectorstest.RunFailures(t, call, connectors.NodeError, connectorstest.StandardFailures(
		`{"code":21211,"message":"The 'To' number +1555 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`,
		"is not a valid phone number",
		`{"code":20003,"message":"Authenticate","status":401}`, "Authenticate"))
}

func TestSignatureMatchesTwilioDocsVector(t *testing.T) {
	t.Parallel()
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"}, "From": {"+14158675309"}, "To": {"+18005551212"}}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	if got := twilio.Signature("12345", u, params); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Fatalf("signature %s", got)
	}
	if err := twilio.VerifySignature("12345", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="); err != nil {
		t.Fatal(err)
	}
	params.Set("Digits", "9999")
	if err := twilio.VerifySignature("12345", u, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="); !errors.Is(err, connectors.ErrBadSignature) {
		t.Fatalf("tampered params accepted: %v", err)
	}
}

const publicURL = "https://journey.example.com/hooks/twilio/status"

func signed(t *testing.T, body []byte) string {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	return twilio.Signature("authtoken", publicURL, q)
}

func TestParseStatusCallbackSamples(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, typ, sid string
		at             time.Time
	}{
		{"twilio/status_sent_docs.form", "sms.sent", "SM1342fe1b2c904d1ab04f0fc7a58abca9", time.Time{}},
		{"twilio/status_delivered_va.form", "sms.delivered", "SMyyy", time.Date(2023, 3, 7, 21, 55, 0, 0, time.UTC)},
		// SmsStatus says delivered, MessageStatus says undelivered: MessageStatus wins.
		{"twilio/status_undelivered_va.form", "sms.undelivered", "SMyyy", time.Date(2023, 3, 7, 21, 55, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		body := []byte(strings.TrimSpace(string(connectorstest.Payload(t, c.file))))
		ev, err := twilio.ParseStatusCallback("authtoken", publicURL, signed(t, body), body)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if ev.Type != c.typ || ev.MessageSID != c.sid || !ev.At.Equal(c.at) || ev.DedupKey() != "twilio:"+c.sid+":"+ev.Status {
			t.Errorf("%s: got %s %s %v", c.file, ev.Type, ev.MessageSID, ev.At)
		}
		_, err = twilio.ParseStatusCallback("authtoken", publicURL, "AAAA"+signed(t, body)[4:], body)
		if !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("%s: bad signature accepted: %v", c.file, err)
		}
		_, err = twilio.ParseStatusCallback("other-token", publicURL, signed(t, body), body)
		if !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("%s: wrong token accepted: %v", c.file, err)
		}
	}
}

func TestParseStatusCallbackKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body, typ string
		err       error
	}{
		{"MessageSid=SM1&MessageStatus=failed&ErrorCode=30003&To=%2B1", "sms.failed", nil},
		{"MessageSid=SM1&MessageStatus=read&From=whatsapp%3A%2B1555", "whatsapp.read", nil},
		{"MessageSid=SM1&MessageStatus=queued", "", connectors.ErrIgnored},
		{"MessageSid=SM1&MessageStatus=exploded", "", &connectors.PayloadError{}},
		{"MessageStatus=sent", "", &connectors.PayloadError{}},
		{"%zz", "", &connectors.PayloadError{}},
	}
	for _, c := range cases {
		body := []byte(c.body)
		q, _ := url.ParseQuery(c.body)
		ev, err := twilio.ParseStatusCallback("authtoken", publicURL, twilio.Signature("authtoken", publicURL, q), body)
		switch want := c.err.(type) {
		case nil:
			if err != nil || ev.Type != c.typ {
				t.Errorf("%s: %+v %v", c.body, ev, err)
			}
		case *connectors.PayloadError:
			_ = want
			if !connectors.IsPayloadError(err) {
				t.Errorf("%s: want payload error, got %v", c.body, err)
			}
		default:
			if !errors.Is(err, c.err) {
				t.Errorf("%s: want %v, got %v", c.body, c.err, err)
			}
		}
	}
}

func FuzzParseStatusCallback(f *testing.F) {
	f.Add([]byte("MessageSid=SM1&MessageStatus=delivered&RawDlrDoneDate=2303072155"), "")
	f.Add([]byte("AccountSid=AC1&MessageStatus=sent&SmsSid=SM2"), "x")
	f.Add([]byte("%%%&&=="), "sig")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		// With a made-up signature nothing may be accepted.
		ev, err := twilio.ParseStatusCallback("authtoken", publicURL, sig, body)
		if err == nil {
			q, _ := url.ParseQuery(string(body))
			if sig != twilio.Signature("authtoken", publicURL, q) {
				t.Fatalf("accepted unsigned body: %+v", ev)
			}
		}
		// Correctly signed: either an event with a type and SID, or a typed error.
		q, perr := url.ParseQuery(string(body))
		if perr != nil {
			return
		}
		ev, err = twilio.ParseStatusCallback("authtoken", publicURL, twilio.Signature("authtoken", publicURL, q), body)
		if err == nil && (ev.Type == "" || ev.MessageSID == "") {
			t.Fatalf("event without type or SID: %+v", ev)
		}
		if err != nil && !errors.Is(err, connectors.ErrIgnored) && !connectors.IsPayloadError(err) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// Incoming messages are told from status callbacks by their payload and
// checked with the same signature.
func TestParseInboundSamples(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]twilio.Inbound{
		"twilio/inbound_sms_real_twilio_go.form": {Channel: "sms", MessageSID: "SM1521fa559fb923c1ed64f56cd1bed8ef",
			From: "+19253920364", Body: "twilio-go testing!"},
		"twilio/inbound_sms_stop_advanced_opt_out_composed.form": {Channel: "sms", MessageSID: "SM7f3c2a9e4b1d4e6f8a0b1c2d3e4f5a6b",
			From: "+15017122661", Body: "STOP", OptOutType: "STOP"},
	} {
		body := strings.TrimSpace(string(connectorstest.Payload(t, file)))
		params, err := url.ParseQuery(body)
		if err != nil || !twilio.IsInbound(params) {
			t.Fatalf("%s: not inbound (%v)", file, err)
		}
		in, err := twilio.ParseInbound("authtoken", publicURL, signed(t, []byte(body)), params)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if in.Channel != want.Channel || in.MessageSID != want.MessageSID || in.From != want.From || in.Body != want.Body || in.OptOutType != want.OptOutType {
			t.Errorf("%s: got %+v", file, in)
		}
		if _, err := twilio.ParseInbound("other-token", publicURL, signed(t, []byte(body)), params); !errors.Is(err, connectors.ErrBadSignature) {
			t.Errorf("%s: wrong token accepted: %v", file, err)
		}
	}
	status, _ := url.ParseQuery(strings.TrimSpace(string(connectorstest.Payload(t, "twilio/status_sent_docs.form"))))
	if twilio.IsInbound(status) {
		t.Error("a status callback is taken for an incoming message")
	}
	wa := url.Values{"MessageSid": {"SM1"}, "From": {"whatsapp:+14155550100"}, "To": {"whatsapp:+14155550199"}, "Body": {"hi"}}
	in, err := twilio.ParseInbound("authtoken", publicURL, twilio.Signature("authtoken", publicURL, wa), wa)
	if err != nil || in.Channel != "whatsapp" || in.From != "+14155550100" {
		t.Errorf("Twilio WhatsApp: %+v %v", in, err)
	}
}
