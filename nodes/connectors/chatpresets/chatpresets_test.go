package chatpresets_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

func TestIntercomClosedSample(t *testing.T) {
	t.Parallel()
	c, err := chatpresets.Intercom(connectorstest.Payload(t, "intercom/conversation_admin_closed_v1_shape.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := chatpresets.Contact{Email: "darrag@example.com", ExternalID: "9e3b3310-7810-4417-be3d-ab96d7976eac"}
	if c.Contact != want {
		t.Errorf("contact %+v (an e-mail used as the name is not a name)", c.Contact)
	}
	if c.Channel != "intercom" || c.ConversationID != "18994700881" || !c.Closed || c.Transcript != "Customer: I need help!" {
		t.Errorf("%+v", c)
	}
}

func TestIntercomNewShapeWithReplies(t *testing.T) {
	t.Parallel()
	body := `{"topic":"conversation.admin.closed","data":{"item":{"type":"conversation","id":"42","state":"closed",
	"contacts":{"contacts":[{"id":"c1","external_id":"crm-7"}]},
	"source":{"body":"<p>Hi, price for <b>10</b> seats?</p>","author":{"type":"user","name":"Ana Lima","email":"ana@example.com"}},
	"conversation_parts":{"conversation_parts":[{"part_type":"comment","body":"<p>It&#39;s 90&euro;</p>","author":{"type":"admin","name":"Bo"}},
	{"part_type":"close","body":null,"author":{"type":"admin"}},{"part_type":"comment","body":"Anything else?","author":{"type":"bot"}}]}}}}`
	c, err := chatpresets.Intercom([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := chatpresets.Contact{Email: "ana@example.com", Name: "Ana Lima", FirstName: "Ana", LastName: "Lima", ExternalID: "crm-7"}
	if c.Contact != want {
		t.Errorf("contact %+v", c.Contact)
	}
	if c.Transcript != "Customer: Hi, price for 10 seats?\nAgent: It's 90€\nBot: Anything else?" {
		t.Errorf("transcript %q", c.Transcript)
	}
}

func TestLiveChatDeactivatedSample(t *testing.T) {
	t.Parallel()
	raw := connectorstest.Payload(t, "livechat/chat_deactivated_docs.json")
	c, err := chatpresets.LiveChat(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConversationID != "PJ0MRSHTDG" || !c.Closed || c.Data["thread_id"] != "K600PKZON8" || c.Event != "chat_deactivated" {
		t.Errorf("%+v", c)
	}
	if b, _ := json.Marshal(c.Map()); strings.Contains(string(b), "secret_key") {
		t.Errorf("LiveChat's secret_key leaked into trigger data: %s", b)
	}
}

func TestLiveChatWithChat(t *testing.T) {
	t.Parallel()
	body := `{"action":"incoming_chat","payload":{"chat":{"id":"C1","users":[{"id":"u1","type":"customer","name":"Jo Park","email":"jo@example.com"},{"id":"a1","type":"agent","name":"Al"}],
	"thread":{"id":"T1","events":[{"type":"message","author_id":"u1","text":"Need a demo","created_at":"2026-01-01T10:00:00.000000Z"},{"type":"system_message","text":"x"},{"type":"message","author_id":"a1","text":"Sure!"}]}}}}`
	c, err := chatpresets.LiveChat([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Closed || c.ConversationID != "C1" || c.Contact.Email != "jo@example.com" || c.Contact.LastName != "Park" || c.Transcript != "Customer: Need a demo\nAgent: Sure!" {
		t.Errorf("%+v", c)
	}
}

func TestCrispSample(t *testing.T) {
	t.Parallel()
	c, err := chatpresets.Crisp(connectorstest.Payload(t, "crisp/message_send_docs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ConversationID != "session_36ba3566-9651-4790-afc8-ffedbccc317f" || c.Closed || c.Transcript != "Customer: Hey :)" ||
		c.Contact.ExternalID != "session_36ba3566-9651-4790-afc8-ffedbccc317f" || c.Messages[0].At.UnixMilli() != 1506985696616 {
		t.Errorf("%+v", c)
	}
	resolved := `{"event":"session:set_state","data":{"session_id":"s1","state":"resolved","user":{"email":"x@example.com"}}}`
	c, err = chatpresets.Crisp([]byte(resolved))
	if err != nil || !c.Closed || c.Contact.Email != "x@example.com" {
		t.Errorf("resolved: %+v %v", c, err)
	}
}

func TestDialogflowCXSamples(t *testing.T) {
	t.Parallel()
	c, err := chatpresets.DialogflowCX(connectorstest.Payload(t, "dialogflow_cx/webhook_request_tag_with_form_parameters_gcp_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Contact.Phone != "999999" || c.Data["tag"] != "detectCustomerAnomaly" || c.Closed {
		t.Errorf("%+v", c)
	}
	params := c.Data["parameters"].(map[string]any)
	if params["bill_amount"].(map[string]any)["amount"] != int64(1000) {
		t.Errorf("parameters %v", params)
	}
	c, err = chatpresets.DialogflowCX(connectorstest.Payload(t, "dialogflow_cx/webhook_request_session_with_environment_gcp_sample.json"))
	if err != nil || c.ConversationID != "d0bdaa0c-0d00-0000-b0eb-b00b0db000b0" {
		t.Errorf("session id: %+v %v", c, err)
	}
	full := `{"text":"bye","fulfillmentInfo":{"tag":"end-session"},"sessionInfo":{"session":"projects/p/sessions/abc","parameters":{"email":"ana@example.com","given-name":"Ana","last-name":"Lima","person":{"name":"Ana Lima"}}},"messages":[{"text":{"text":["Thanks, Ana!"]}}]}`
	c, err = chatpresets.DialogflowCX([]byte(full))
	want := chatpresets.Contact{Email: "ana@example.com", Name: "Ana Lima", FirstName: "Ana", LastName: "Lima"}
	if err != nil || !c.Closed || c.Contact != want || c.Transcript != "Customer: bye\nBot: Thanks, Ana!" {
		t.Errorf("full: %+v %v", c, err)
	}
}

func TestXenoSample(t *testing.T) {
	t.Parallel()
	c, err := chatpresets.Xeno(connectorstest.Payload(t, "xeno/end_conversation_docs.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := chatpresets.Contact{Email: "remi@example.com", Name: "Remi Delhaye", FirstName: "Rémi", LastName: "Delhaye", ExternalID: "1234567"}
	if c.Contact != want || c.ConversationID != "12345" || !c.Closed || c.Summary != "Wanted some help to create new webhooks." {
		t.Errorf("%+v", c)
	}
	if b, _ := json.Marshal(c.Map()); strings.Contains(string(b), "a-unique-token") {
		t.Errorf("Xeno's token leaked: %s", b)
	}
}

func TestGeneric(t *testing.T) {
	t.Parallel()
	body := `{"event":"conversation_ended","conversation_id":"abc","channel":"website",
	"customer":{"email":"ana@example.com","firstName":"Ana","lastName":"Lima","phone":"+55 11 98765-4321","company":"Acme","id":"x"},
	"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello! How can I help?"},{"author":{"type":"admin"},"text":"<b>Agent</b> here"}]}`
	c, err := chatpresets.Generic([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := chatpresets.Contact{Email: "ana@example.com", Name: "Ana Lima", FirstName: "Ana", LastName: "Lima", Phone: "+55 11 98765-4321", Company: "Acme"}
	if c.Contact != want || c.ConversationID != "abc" || !c.Closed || c.Channel != "website" ||
		c.Transcript != "Customer: Hi\nBot: Hello! How can I help?\nAgent: Agent here" {
		t.Errorf("%+v", c)
	}
	c, err = chatpresets.Generic([]byte(`{"email":"a@b.co","name":"Bo","transcript":"Bo: hi\nBot: bye"}`))
	if err != nil || c.Contact.Email != "a@b.co" || c.Transcript != "Bo: hi\nBot: bye" || c.Closed {
		t.Errorf("plain transcript: %+v %v", c, err)
	}
}

func TestMalformedPayloads(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]chatpresets.Preset{"intercom": chatpresets.Intercom, "livechat": chatpresets.LiveChat, "crisp": chatpresets.Crisp,
		"dialogflow_cx": chatpresets.DialogflowCX, "xeno": chatpresets.Xeno, "generic": chatpresets.Generic,
		"manychat": chatpresets.ManyChat, "chatfuel": chatpresets.Chatfuel, "drift": chatpresets.Drift, "bot_framework": chatpresets.BotFramework} {
		for _, b := range []string{`{`, `[]`, `null`, `"x"`} {
			if _, err := p([]byte(b)); !connectors.IsPayloadError(err) {
				t.Errorf("%s %s: want payload error, got %v", name, b, err)
			}
		}
		if name != "generic" {
			if _, err := p([]byte(`{"hello":"world"}`)); !connectors.IsPayloadError(err) {
				t.Errorf("%s: unrelated object accepted: %v", name, err)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	if !reflect.DeepEqual(chatpresets.Names(), []string{"bot_framework", "chatfuel", "crisp", "dialogflow_cx", "drift", "generic", "intercom", "livechat", "manychat", "xeno"}) {
		t.Errorf("names %v", chatpresets.Names())
	}
	if _, ok := chatpresets.Lookup("intercom"); !ok {
		t.Error("intercom missing")
	}
	if _, ok := chatpresets.Lookup("zendesk"); ok {
		t.Error("unknown preset found")
	}
}

func FuzzPresets(f *testing.F) {
	for _, s := range []string{
		`{"topic":"conversation.admin.closed","data":{"item":{"id":1,"conversation_parts":{"conversation_parts":[{"body":"<p>x"}]}}}}`,
		`{"action":"chat_deactivated","payload":{"chat_id":"c","chat":{"users":[{"id":"u","type":"customer"}],"thread":{"events":[{"type":"message","author_id":"u","text":"hi"}]}}}}`,
		`{"event":"message:send","data":{"session_id":"s","type":"text","content":"x","from":"user","timestamp":1}}`,
		`{"sessionInfo":{"session":"a/b","parameters":{"email":1,"person":{"name":"A B"}}}}`,
		`{"event":"end_conversation","payload":{"id":1,"contact":{"custom_informations":{"firstname":"É"}}}}`,
		`{"messages":[{"role":"user","content":"hi"}],"user":{"email":"a@b"}}`,
		`{"id":1324564700000000,"custom_fields":{"lead_score":"9","email":"a@b"},"last_input_text":"x"}`,
		`{"attributes":{"chatfuel user id":"1","lead score":"x"},"last visited block name":"End"}`,
		`{"type":"conversation_push","orgId":1,"data":{"conversationId":1,"messages":[{"body":"<b>x","author":{"type":"contact"}}]}}`,
		`{"type":"conversationUpdate","from":{"id":"a"},"membersRemoved":[{"id":"b"}],"channelData":{"user":{"email":"x"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, name := range chatpresets.Names() {
			p, _ := chatpresets.Lookup(name)
			c, err := p(raw)
			if err != nil {
				if !connectors.IsPayloadError(err) {
					t.Fatalf("%s: untyped error %v", name, err)
				}
				continue
			}
			if c.Channel == "" {
				t.Fatalf("%s: no channel", name)
			}
			if len(c.Transcript) > chatpresets.MaxTranscript+len("…") {
				t.Fatalf("%s: transcript not capped", name)
			}
			if _, err := json.Marshal(c.Map()); err != nil {
				t.Fatalf("%s: result not JSON: %v", name, err)
			}
		}
	})
}

// TestSamplesAreReadByTheirPresets: every sample body offered in the test
// panel is a payload its preset reads, with a contact or a conversation.
func TestSamplesAreReadByTheirPresets(t *testing.T) {
	t.Parallel()
	all, err := chatpresets.Samples()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range all {
		parse, ok := chatpresets.Lookup(s.Preset)
		if !ok {
			t.Fatalf("sample %q names the unknown preset %q", s.Title, s.Preset)
		}
		c, err := parse(s.Body)
		if err != nil {
			t.Errorf("sample %q is not read by its preset: %v", s.Title, err)
			continue
		}
		if c.ConversationID == "" && c.Contact.ExternalID == "" && c.Contact.Email == "" {
			t.Errorf("sample %q: neither a conversation nor a contact in %+v", s.Title, c)
		}
		seen[s.Preset] = true
	}
	for _, name := range chatpresets.Names() {
		if !seen[name] {
			t.Errorf("the preset %q has no sample body", name)
		}
	}
}

// TestLeadScoresReachTriggerScore: where a platform sends a lead score
// (a custom attribute, a parameter), steps read it as trigger.score.
func TestLeadScoresReachTriggerScore(t *testing.T) {
	t.Parallel()
	all, err := chatpresets.Samples()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"intercom-lead_score": 72.0, "intercom-no lead score": nil, "dialogflow_cx-lead_score": 64.0,
		"generic-lead_score": 55.0, "xeno-lead_score": 38.0, "manychat-lead_score": 81.0, "chatfuel-lead score": 67.0,
		"drift-lead_score": 74.0, "drift-ids only": nil, "bot_framework-lead_score": 58.0, "bot_framework-no e-mail": nil}
	for _, s := range all {
		for key, score := range want {
			preset, word, _ := strings.Cut(key, "-")
			if s.Preset != preset || !strings.Contains(s.Title, word) {
				continue
			}
			parse, _ := chatpresets.Lookup(s.Preset)
			c, err := parse(s.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.TriggerData()["score"]; got != score {
				t.Errorf("%s: trigger.score = %v, want %v", s.Title, got, score)
			}
			delete(want, key)
		}
	}
	if len(want) > 0 {
		t.Errorf("no sample for %v", want)
	}
	c, err := chatpresets.Generic([]byte(`{"contact":{"email":"a@example.com","score":" 12.5 "}}`))
	if err != nil || c.Score == nil || *c.Score != 12.5 {
		t.Errorf("a score written as text in the contact: %+v, %v", c.Score, err)
	}
	c, _ = chatpresets.Generic([]byte(`{"score":"high"}`))
	if c.Score != nil {
		t.Errorf("a score that is not a number: %v", *c.Score)
	}
}
