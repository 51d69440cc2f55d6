package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

const formType = "application/x-www-form-urlencoded"

// postTwilio posts form to the Twilio webhook, signed with token.
func (b *testBundle) postTwilio(t *testing.T, token string, form url.Values) response {
	t.Helper()
	sig := twilio.Signature(token, publicURL+"/hooks/providers/twilio", form)
	return b.post(t, "/hooks/providers/twilio", formType, form.Encode(), twilio.SignatureHeader, sig)
}

// inboundSMS is an incoming SMS as Twilio posts it.
func inboundSMS(sid, from, body string) url.Values {
	return url.Values{"MessageSid": {sid}, "SmsMessageSid": {sid}, "SmsSid": {sid}, "SmsStatus": {"received"},
		"AccountSid": {twilioAccount}, "From": {from}, "To": {"+15005550006"}, "Body": {body}, "NumMedia": {"0"}, "ApiVersion": {"2010-04-01"}}
}

// contactEvents returns the events of the contact with phone, by type.
func (b *testBundle) phoneEvents(t *testing.T, phone string) (contactID string, byType map[string][]storage.Event) {
	t.Helper()
	var c storage.Contact
	if err := storagetest.Take(b.store.Reader(), &c, storagetest.Where("phone = ?", phone)); err != nil {
		t.Fatalf("contact %s: %v", phone, err)
	}
	evs, err := storage.ContactEvents(b.store.Reader(), c.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	byType = map[string][]storage.Event{}
	for _, e := range evs {
		byType[e.Type] = append(byType[e.Type], e)
	}
	return c.ID, byType
}

func (b *testBundle) consent(t *testing.T, contactID string) string {
	t.Helper()
	c, err := storage.GetContact(b.store.Reader(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Consent
}

// A real inbound SMS (Twilio's captured request) becomes sms.received on
// the contact with that number (created); a resend is stored once; a bad
// signature stores nothing.
func TestTwilioInboundSMSSample(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const account = "AC58f1e8f2b1c6b88ca90a012a4be0c279"
	b.credential(t, channels.KindTwilio, map[string]any{"account_sid": account, "auth_token": twilioToken, "from": "+19253920364"})
	form, err := url.ParseQuery(strings.TrimSpace(string(connectorstest.Payload(t, "twilio/inbound_sms_real_twilio_go.form"))))
	if err != nil {
		t.Fatal(err)
	}
	b.postTwilio(t, "another-token", form).must(t, http.StatusUnauthorized)
	b.post(t, "/hooks/providers/twilio", formType, form.Encode()).must(t, http.StatusUnauthorized)
	var contacts int64
	_ = storagetest.Count(b.store.Reader(), &contacts, &storage.Contact{}, "")
	if n := b.countEvents(t, "sms.received"); n != 0 || contacts != 0 {
		t.Fatalf("a badly signed message stored %d events and %d contacts", n, contacts)
	}
	for range 2 {
		res := b.postTwilio(t, twilioToken, form).must(t, http.StatusOK)
		if !strings.Contains(res.header.Get("Content-Type"), "xml") || !strings.Contains(res.body, "<Response></Response>") {
			t.Fatalf("Twilio gets %q %s, want an empty TwiML answer", res.header.Get("Content-Type"), res.body)
		}
	}
	_, evs := b.phoneEvents(t, "+19253920364")
	got := evs["sms.received"]
	if len(got) != 1 || !strings.Contains(got[0].Data, `"text":"twilio-go testing!"`) ||
		!strings.Contains(got[0].Data, `"provider_message_id":"SM1521fa559fb923c1ed64f56cd1bed8ef"`) {
		t.Fatalf("sms.received = %+v, want one with the text and Twilio's id", got)
	}
}

// replyFlow texts a contact and waits a day for their answer.
const replyFlow = `{"id":"reply","name":"Ask","settings":{"reentry":{"policy":"always"}},"nodes":[
 {"id":"start","type":"trigger.event","params":{"event_type":"booked"}},
 {"id":"sms","type":"message.sms","params":{"body":"Can you come tomorrow? Reply YES or NO"}},
 {"id":"wait","type":"wait.event","name":"Wait for a reply","params":{"event_type":"sms.received","timeout":"1d"}},
 {"id":"replied","type":"data.set","params":{"values":{"answer":"event.data.text"}}}],
 "edges":[{"from":"start","to":"sms"},{"from":"sms","port":"sent","to":"wait"},{"from":"wait","port":"event","to":"replied"}]}`

// A run waiting for sms.received resumes on the contact's reply; STOP
// turns SMS consent off (the next SMS is skipped, saying so) and START
// turns it on again; the conversation shows it all. On SQLite and
// PostgreSQL.
func TestSMSReplyResumesAndStopStart(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			smsReplyResumesAndStopStart(t, setup(t, func(o *setupOptions) { o.postgres = db == "postgres" }))
		})
	}
}

func smsReplyResumesAndStopStart(t *testing.T, b *testBundle) {
	const phone = "+34600111222"
	b.api(t, "POST", "/api/v1/flows", replyFlow).must(t, http.StatusCreated)
	b.api(t, "POST", "/api/v1/flows/reply/publish", "").must(t, http.StatusOK)
	b.api(t, "POST", "/api/v1/events", `{"type":"booked","contact":{"phone":"`+phone+`"}}`).must(t, http.StatusAccepted)
	b.drain(t)
	if res := b.api(t, "GET", "/api/v1/runs?flow=reply", "").must(t, http.StatusOK); !strings.Contains(res.body, `"status":"waiting"`) {
		t.Fatalf("the run does not wait for the reply: %s", res.body)
	}
	// The webhook is set up once a Twilio credential exists (the SMS above
	// went to the sandbox).
	b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioAccount, "auth_token": twilioToken, "from": "+15005550006"})
	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000001", phone, "Yes, 10am works")).must(t, http.StatusOK)
	b.drain(t)
	res := b.api(t, "GET", "/api/v1/runs?flow=reply", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"status":"completed"`) || strings.Contains(res.body, `"status":"waiting"`) {
		t.Fatalf("the reply did not resume the run: %s", res.body)
	}

	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000002", phone, " stop ")).must(t, http.StatusOK)
	contactID, evs := b.phoneEvents(t, phone)
	if len(evs["sms.opted_out"]) != 1 || !strings.Contains(b.consent(t, contactID), `"sms":false`) {
		t.Fatalf("STOP: events %v, consent %s", evs, b.consent(t, contactID))
	}
	b.api(t, "POST", "/api/v1/events", `{"type":"booked","contact":{"phone":"`+phone+`"}}`).must(t, http.StatusAccepted)
	b.drain(t)
	res = b.api(t, "GET", "/api/v1/messages?channel=sms&status=skipped", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"total":1`) || !strings.Contains(res.body, "consent withdrawn") {
		t.Fatalf("the SMS after STOP was not skipped for consent: %s", res.body)
	}

	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000003", phone, "START")).must(t, http.StatusOK)
	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000004", phone, "help")).must(t, http.StatusOK)
	_, evs = b.phoneEvents(t, phone)
	if len(evs["sms.opted_in"]) != 1 || len(evs["sms.help_requested"]) != 1 || !strings.Contains(b.consent(t, contactID), `"sms":true`) {
		t.Fatalf("START/HELP: events %v, consent %s", evs, b.consent(t, contactID))
	}
	// Each keyword is a message too (a reply a journey may wait for).
	if n := len(evs["sms.received"]); n != 4 {
		t.Fatalf("%d sms.received events, want 4", n)
	}

	// The conversation shows both directions, oldest first: our question,
	// the reply, STOP, the skipped SMS, START, HELP.
	var conv struct {
		Messages []struct{ Direction, Channel, Text, Status string } `json:"messages"`
	}
	b.api(t, "GET", "/api/v1/contacts/"+contactID+"/conversation", "").must(t, http.StatusOK).json(t, &conv)
	var got []string
	for _, m := range conv.Messages {
		got = append(got, m.Direction+":"+m.Text+":"+m.Status)
	}
	want := []string{"out:Can you come tomorrow? Reply YES or NO:sandboxed", "in:Yes, 10am works:", "in: stop :",
		"out:Can you come tomorrow? Reply YES or NO:skipped", "in:START:", "in:help:"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("conversation:\n got %q\nwant %q", got, want)
	}
	b.api(t, "GET", "/api/v1/contacts/nobody/conversation", "").must(t, http.StatusNotFound)
	res = b.api(t, "GET", "/api/v1/conversations?limit=1", "").must(t, http.StatusOK)
	if !strings.Contains(res.body, `"text":"help"`) || strings.Contains(res.body, "START") || !strings.Contains(res.body, `"contact_id":"`+contactID+`"`) {
		t.Fatalf("latest received: %s", res.body)
	}
	b.api(t, "GET", "/api/v1/conversations?limit=0", "").must(t, http.StatusBadRequest)
}

// Twilio's Advanced Opt-Out names the keyword (OptOutType), custom ones
// included.
func TestTwilioAdvancedOptOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioAccount, "auth_token": twilioToken, "from": "+15005550006"})
	form := inboundSMS("SM00000000000000000000000000000009", "+15017122661", "ARRETEZ")
	form.Set("OptOutType", "STOP")
	b.postTwilio(t, twilioToken, form).must(t, http.StatusOK)
	id, evs := b.phoneEvents(t, "+15017122661")
	if len(evs["sms.opted_out"]) != 1 || !strings.Contains(b.consent(t, id), `"sms":false`) {
		t.Fatalf("events %v, consent %s", evs, b.consent(t, id))
	}
}

// WhatsApp messages, button replies and marketing opt-outs (Meta's
// payloads) become whatsapp.* events; a reply names our message.
func TestWhatsAppInbound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindWhatsApp, map[string]any{"access_token": "token", "phone_number_id": "106540352242922",
		"app_secret": waAppSecret, "verify_token": "verify"})
	post := func(file string, sig string) response {
		body := string(connectorstest.Payload(t, file))
		if sig == "" {
			sig = whatsapp.Sign(waAppSecret, []byte(body))
		}
		return b.post(t, "/hooks/providers/whatsapp", "application/json", body, whatsapp.SignatureHeader, sig)
	}
	post("whatsapp/inbound_text_message_meta_test_payload.json", whatsapp.Sign("wrong", []byte("x"))).must(t, http.StatusUnauthorized)
	if n := b.countEvents(t, "whatsapp.received"); n != 0 {
		t.Fatalf("a badly signed message stored %d events", n)
	}
	var out struct{ Recorded, Duplicates int }
	post("whatsapp/inbound_text_message_meta_test_payload.json", "").must(t, http.StatusOK).json(t, &out)
	if out.Recorded != 1 {
		t.Fatalf("answer %+v", out)
	}
	_, evs := b.phoneEvents(t, "+16315551181")
	if got := evs["whatsapp.received"]; len(got) != 1 || !strings.Contains(got[0].Data, `"text":"this is a text message"`) ||
		!strings.Contains(got[0].Data, `"name":"test user name"`) {
		t.Fatalf("whatsapp.received = %+v", got)
	}

	// The quick reply answers a template we sent: its event names it.
	const wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA"
	msgID, contactID := sentMessage(t, b, nodes.ChannelWhatsApp, channels.KindWhatsApp, wamid, storage.ContactRef{Phone: "+16505551234"})
	post("whatsapp/inbound_button_quick_reply_meta_spec.json", "").must(t, http.StatusOK)
	_, evs = b.phoneEvents(t, "+16505551234")
	got := evs["whatsapp.received"]
	if len(got) != 1 || *got[0].ContactID != contactID || !strings.Contains(got[0].Data, `"reply_to_message_id":"`+msgID+`"`) ||
		!strings.Contains(got[0].Data, `"reply_id":"Unsubscribe"`) {
		t.Fatalf("button reply = %+v", got)
	}
	// "Unsubscribe" is an opt-out keyword.
	if len(evs["whatsapp.opted_out"]) != 1 || !strings.Contains(b.consent(t, contactID), `"whatsapp":false`) {
		t.Fatalf("the Unsubscribe button did not opt out: %v %s", evs, b.consent(t, contactID))
	}
	post("whatsapp/user_preferences_resume_marketing_meta_docs.json", "").must(t, http.StatusOK)
	if !strings.Contains(b.consent(t, contactID), `"whatsapp":true`) {
		t.Fatalf("resume left consent %s", b.consent(t, contactID))
	}
	post("whatsapp/user_preferences_stop_marketing_meta_docs_syntax_filled.json", "").must(t, http.StatusOK)
	_, evs = b.phoneEvents(t, "+16505551234")
	if len(evs["whatsapp.opted_in"]) != 1 || len(evs["whatsapp.opted_out"]) != 2 || !strings.Contains(b.consent(t, contactID), `"whatsapp":false`) {
		t.Fatalf("preferences: %v %s", evs, b.consent(t, contactID))
	}
}

// "Wait for a reply": the event pickers of wait steps and event triggers
// offer the reply and opt-out events.
func TestPickersOfferReplies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, typ := range []string{"wait.event", "trigger.event"} {
		res := b.api(t, "GET", "/api/v1/node-types/"+typ+"/options/event_type", "").must(t, http.StatusOK)
		for _, want := range []string{`"value":"sms.received"`, `"label":"SMS reply received"`, `"value":"whatsapp.received"`,
			`"value":"sms.opted_out"`, `"value":"whatsapp.opted_out"`} {
			if !strings.Contains(res.body, want) {
				t.Errorf("%s pickers lack %s: %s", typ, want, res.body)
			}
		}
	}
}

// A person whose data was erased is not stored again when they text us;
// the webhook is acknowledged all the same (Twilio would resend it).
func TestInboundFromErasedPerson(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.credential(t, channels.KindTwilio, map[string]any{"account_sid": twilioAccount, "auth_token": twilioToken, "from": "+15005550006"})
	const phone = "+34600999888"
	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000011", phone, "hello")).must(t, http.StatusOK)
	id, _ := b.phoneEvents(t, phone)
	b.api(t, "DELETE", "/api/v1/contacts/"+id, "").must(t, http.StatusNoContent)
	b.postTwilio(t, twilioToken, inboundSMS("SM00000000000000000000000000000012", phone, "STOP")).must(t, http.StatusOK)
	var n int64
	_ = storagetest.Count(b.store.Reader(), &n, &storage.Contact{}, "phone = ?", phone)
	if n != 0 || b.countEvents(t, "sms.received") != 0 || b.countEvents(t, "sms.opted_out") != 0 {
		t.Fatalf("an erased person's message was stored: %d contacts, %d sms.received", n, b.countEvents(t, "sms.received"))
	}
}
