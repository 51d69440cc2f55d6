package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
)

var mock = connectorstest.NewMock("whatsapp")

func TestMain(m *testing.M) { connectorstest.Main(m, mock) }

func TestSendAndListAgainstContract(t *testing.T) {
	c := &whatsapp.Client{BaseURL: mock.URL(t), PhoneNumberID: "106540352242922", BusinessAccountID: "102290129340398",
		AccessToken: "EAAGtoken", HTTPClient: connectorstest.ContractClient(t)}
	ctx := context.Background()
	s, err := c.SendText(ctx, whatsapp.Text{To: "+1 650-555-1234", Body: "Hello!", IdempotencyKey: "r:n:1"})
	if err != nil || s.MessageID == "" {
		t.Fatalf("SendText = %+v, %v", s, err)
	}
	s, err = c.SendTemplate(ctx, whatsapp.Template{To: "+16505551234", Name: "order_update", Language: "pt_BR", BodyParams: []string{"Ana", "#123"}, HeaderParams: []string{"Hi"}})
	if err != nil || s.MessageID == "" {
		t.Fatalf("SendTemplate = %+v, %v", s, err)
	}
	ts, err := c.ListTemplates(ctx)
	if err != nil || len(ts) == 0 || ts[0].Name == "" {
		t.Fatalf("ListTemplates = %+v, %v", ts, err)
	}
}

func TestSendTemplateBody(t *testing.T) {
	t.Parallel()
	var body map[string]any
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		if r.URL.Path != "/v23.0/PNID/messages" {
			t.Errorf("path %s", r.URL.Path)
		}
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"4915","wa_id":"4915"}],"messages":[{"id":"wamid.1"}]}`))
	}))
	defer srv.Close()
	c := &whatsapp.Client{BaseURL: srv.URL, PhoneNumberID: "PNID", AccessToken: "tok", HTTPClient: srv.Client()}
	s, err := c.SendTemplate(context.Background(), whatsapp.Template{To: "+49 15", Name: "welcome", Language: "de", BodyParams: []string{"Ana"}})
	if err != nil || s.MessageID != "wamid.1" || s.WaID != "4915" {
		t.Fatalf("%+v %v", s, err)
	}
	if hdr.Get("Authorization") != "Bearer tok" || hdr.Get("Content-Type") != "application/json" || !strings.HasPrefix(hdr.Get("User-Agent"), "journey/") {
		t.Errorf("headers %v", hdr)
	}
	got, _ := json.Marshal(body)
	want := `{"messaging_product":"whatsapp","recipient_type":"individual","template":{"components":[{"parameters":[{"text":"Ana","type":"text"}],"type":"body"}],"language":{"code":"de","policy":"deterministic"},"name":"welcome"},"to":"4915","type":"template"}`
	if string(got) != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func TestListTemplatesFollowsCursors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") == "" {
			_, _ = w.Write([]byte(`{"data":[{"id":"1","name":"a","language":"en","status":"APPROVED","category":"MARKETING","components":[{"type":"BODY","text":"Hi {{1}}, code {{2}} {{1}}"}]}],"paging":{"cursors":{"after":"c1"},"next":"https://graph.facebook.com/x"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":[{"id":"2","name":"b","language":"de","status":"REJECTED"}],"paging":{"cursors":{"after":"c2"}}}`))
	}))
	defer srv.Close()
	c := &whatsapp.Client{BaseURL: srv.URL, BusinessAccountID: "W", AccessToken: "tok", HTTPClient: srv.Client()}
	ts, err := c.ListTemplates(context.Background())
	if err != nil || len(ts) != 2 || ts[0].BodyParams != 2 || ts[1].Status != "REJECTED" {
		t.Fatalf("%+v %v", ts, err)
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		c := &whatsapp.Client{BaseURL: base, PhoneNumberID: "P", AccessToken: "tok", HTTPClient: hc}
		_, err := c.SendText(ctx, whatsapp.Text{To: "+1555", Body: "x"})
		return err
	}
	failures := connectorstest.StandardFailures(
		`{"error":{"message":"(#131030) Recipient phone number not in allowed list","type":"OAuthException","code":131030,"error_data":{"messaging_product":"whatsapp","details":"Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."},"fbtrace_id":"Az"}}`,
		"Recipient phone number not in allowed list",
		`{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190}}`, "Session has expired")
	failures = append(failures, connectorstest.Failure{Name: "Meta's rate limit sent as 400 is retried", Status: 400,
		Body: `{"error":{"message":"(#130429) Rate limit hit","code":130429}}`, Want: "retry"})
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}

const secret = "appsecret"

func TestWebhookStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body []byte
		typ  string
		id   string
	}{
		{connectorstest.Payload(t, "whatsapp/status_sent_with_pricing_meta_test_payload.json"), whatsapp.EventSent, "ABGGFlA5Fpa"},
		{connectorstest.Payload(t, "whatsapp/status_delivered_meta_test_payload.json"), whatsapp.EventDelivered, ""},
	}
	for _, c := range cases {
		n, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, c.body), c.body)
		if err != nil || len(n.Statuses) != 1 || n.Statuses[0].Type != c.typ || n.Statuses[0].MessageID == "" || n.Statuses[0].At.IsZero() {
			t.Fatalf("%s: %+v %v", c.typ, n, err)
		}
		if c.id != "" && n.Statuses[0].MessageID != c.id {
			t.Errorf("message id %s", n.Statuses[0].MessageID)
		}
	}
	sent := cases[0].body
	n, _ := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, sent), sent)
	if n.Statuses[0].DedupKey() != "whatsapp:ABGGFlA5Fpa:whatsapp.sent" {
		t.Errorf("dedup key %s", n.Statuses[0].DedupKey())
	}
	if n.Statuses[0].Data["pricing"] == nil || n.Statuses[0].RecipientID != "16315551181" {
		t.Errorf("pricing/recipient lost: %+v", n.Statuses[0])
	}

	failed, err := os.ReadFile("testdata/status_failed.json")
	if err != nil {
		t.Fatal(err)
	}
	n, err = whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, failed), failed)
	if err != nil || len(n.Statuses) != 1 {
		t.Fatalf("failed sample: %+v %v", n, err)
	}
	st := n.Statuses[0]
	if st.Type != whatsapp.EventFailed || len(st.Errors) != 1 || st.Errors[0].Code != 131047 || !strings.Contains(st.Errors[0].Details, "24 hours") ||
		!st.At.Equal(time.Unix(1750263773, 0)) {
		t.Errorf("failed status %+v", st)
	}
}

func TestWebhookInboundMessage(t *testing.T) {
	t.Parallel()
	body := connectorstest.Payload(t, "whatsapp/inbound_text_message_meta_test_payload.json")
	n, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, body), body)
	if err != nil || len(n.Messages) != 1 {
		t.Fatalf("%+v %v", n, err)
	}
	m := n.Messages[0]
	if m.Text != "this is a text message" || m.From != "16315551181" || m.Name != "test user name" {
		t.Errorf("%+v", m)
	}
}

// Button and interactive replies carry the tapped option and the message
// they answer (context.id).
func TestWebhookInboundReplies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ file, text, reply, context string }{
		{"whatsapp/inbound_button_quick_reply_meta_spec.json", "Unsubscribe", "Unsubscribe", "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA"},
		{"whatsapp/inbound_interactive_list_reply_meta_spec.json", "Priority Mail Express", "priority_express", "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA"},
		{"whatsapp/inbound_interactive_button_reply_meta_spec.json", "", "cancel-button", ""},
	} {
		body := connectorstest.Payload(t, tc.file)
		n, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, body), body)
		if err != nil || len(n.Messages) != 1 {
			t.Fatalf("%s: %+v %v", tc.file, n, err)
		}
		m := n.Messages[0]
		if m.ReplyID != tc.reply || (tc.text != "" && m.Text != tc.text) || m.Text == "" || (tc.context != "" && m.ContextID != tc.context) {
			t.Errorf("%s: %+v", tc.file, m)
		}
	}
}

// The user_preferences field carries marketing opt-outs and opt-ins (its
// timestamp is a number).
func TestWebhookUserPreferences(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"whatsapp/user_preferences_stop_marketing_meta_docs_syntax_filled.json": "stop",
		"whatsapp/user_preferences_resume_marketing_meta_docs.json":             "resume",
	} {
		body := connectorstest.Payload(t, file)
		n, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, body), body)
		if err != nil || len(n.Preferences) != 1 {
			t.Fatalf("%s: %+v %v", file, n, err)
		}
		if p := n.Preferences[0]; p.Value != want || p.WaID == "" || p.At.IsZero() {
			t.Errorf("%s: %+v", file, p)
		}
	}
}

func TestWebhookRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	body := connectorstest.Payload(t, "whatsapp/status_delivered_meta_test_payload.json")
	good := whatsapp.Sign(secret, body)
	for _, sig := range []string{"", "sha256=", good[:len(good)-2] + "00", strings.TrimPrefix(good, "sha256="), "sha1=" + good[7:], whatsapp.Sign("other", body)} {
		n, err := whatsapp.ParseWebhook(secret, sig, body)
		if !errors.Is(err, connectors.ErrBadSignature) || len(n.Statuses) != 0 {
			t.Errorf("signature %q: %+v %v", sig, n, err)
		}
	}
	tampered := []byte(strings.Replace(string(body), "delivered", "read", 1))
	if _, err := whatsapp.ParseWebhook(secret, good, tampered); !errors.Is(err, connectors.ErrBadSignature) {
		t.Errorf("tampered body accepted: %v", err)
	}
}

func TestWebhookMalformed(t *testing.T) {
	t.Parallel()
	for _, b := range []string{`{`, `[]`, `{"object":"page","entry":[]}`, `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"status":"sent"}]}}]}]}`} {
		_, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, []byte(b)), []byte(b))
		if !connectors.IsPayloadError(err) {
			t.Errorf("%s: want payload error, got %v", b, err)
		}
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt"}, "hub.challenge": {"1158201444"}}
	if c, err := whatsapp.Challenge(q, "vt"); err != nil || c != "1158201444" {
		t.Fatalf("%q %v", c, err)
	}
	if _, err := whatsapp.Challenge(q, "other"); !errors.Is(err, whatsapp.ErrVerifyToken) {
		t.Errorf("wrong token: %v", err)
	}
	q.Set("hub.mode", "unsubscribe")
	if _, err := whatsapp.Challenge(q, "vt"); !errors.Is(err, whatsapp.ErrVerifyToken) {
		t.Errorf("wrong mode: %v", err)
	}
	if _, err := whatsapp.Challenge(url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}}, ""); err == nil {
		t.Error("empty configured token must refuse")
	}
}

func TestInputErrorsArePermanent(t *testing.T) {
	t.Parallel()
	c := &whatsapp.Client{PhoneNumberID: "P", AccessToken: "t"}
	if _, err := c.SendText(context.Background(), whatsapp.Text{To: "abc", Body: "x"}); !nodes.IsPermanent(connectors.NodeError(err)) {
		t.Errorf("no digits: %v", err)
	}
	if _, err := c.SendTemplate(context.Background(), whatsapp.Template{To: "+1"}); !nodes.IsPermanent(connectors.NodeError(err)) {
		t.Errorf("no template: %v", err)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[{"id":"w","status":"read","timestamp":"1"}]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"m","from":"1","type":"button","button":{"text":"Stop"}}]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"errors":[{"code":1}]}}]}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := whatsapp.ParseWebhook(secret, whatsapp.Sign(secret, body), body)
		if err != nil {
			if !connectors.IsPayloadError(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, s := range n.Statuses {
			if s.MessageID == "" || s.Type == "" {
				t.Fatalf("status without id/type %+v", s)
			}
		}
		if _, err := whatsapp.ParseWebhook(secret, "sha256=00", body); !errors.Is(err, connectors.ErrBadSignature) {
			t.Fatal("unsigned body accepted")
		}
	})
}
