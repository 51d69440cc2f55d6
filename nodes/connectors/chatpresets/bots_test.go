package chatpresets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

// TestBotPresetsMapToTriggerFields: each ManyChat, Chatfuel, Drift and
// Bot Framework body (the vendors' documented samples under payloads/,
// the test panel's samples, and bodies written here) gives the same
// trigger fields the other presets give. A field not listed must be
// absent.
func TestBotPresetsMapToTriggerFields(t *testing.T) {
	t.Parallel()
	const teamsUser = "29:1_LCi5Up14pAy65yZuaJzG1uIT7ujYhjjSTsUNqjORsZHjLHKiQIBJa4cX2XsAsRoaY7va2w6ZymA9-1VtSY_g"
	cases := []struct {
		name, preset string
		// body is a file under payloads/ ("payloads:..."), under samples/
		// ("samples:..."), or a literal JSON body.
		body string
		want map[string]any
	}{
		{"ManyChat: documented Full Contact Data (ids are 16-digit numbers, kept exact)", "manychat",
			"payloads:manychat/full_contact_data_dynamic_block_docs.json", map[string]any{
				"channel": "manychat", "closed": false, "conversation_id": "1324564700000000", "external_id": "1324564700000000",
				"name": "Subscriber Lastname", "first_name": "Subscriber", "last_name": "Lastname",
				"transcript": "Customer: Last subscriber's input text"}},
		{"ManyChat: the test panel's sample", "manychat", "samples:manychat-full-contact-data.json", map[string]any{
			"channel": "manychat", "closed": true, "conversation_id": "24513899000000017", "external_id": "24513899000000017",
			"email": "maya.okafor@example.com", "phone": "+14155550143", "name": "Maya Okafor", "first_name": "Maya", "last_name": "Okafor",
			"transcript": "Customer: Can someone call me about the annual plan?", "score": 81.0}},
		{"ManyChat: e-mail and phone in custom fields, WhatsApp number", "manychat",
			`{"id":17000000000000001,"name":"Jo","whatsapp_phone":"+5511987654321","custom_fields":{"email":"jo@example.com","score":"12"}}`,
			map[string]any{"channel": "manychat", "closed": false, "conversation_id": "17000000000000001", "external_id": "17000000000000001",
				"email": "jo@example.com", "phone": "+5511987654321", "name": "Jo", "first_name": "Jo", "score": 12.0}},
		{"Chatfuel: the test panel's sample (Full JSON profile)", "chatfuel", "samples:chatfuel-json-api-full-profile.json", map[string]any{
			"channel": "chatfuel", "closed": true, "event": "End of chat", "conversation_id": "5f2a9c1e8b7d4a0012c3e9f1",
			"external_id": "5f2a9c1e8b7d4a0012c3e9f1", "email": "lucas.moreau@example.com", "phone": "+33612345678",
			"name": "Lucas Moreau", "first_name": "Lucas", "last_name": "Moreau",
			"transcript": "Customer: We are 40 people, do you have a team discount?", "score": 67.0}},
		{"Chatfuel: a JSON body with attributes the bot never set", "chatfuel",
			`{"attributes":{"messenger_user_id":"394","first_name":"Ana","email":"{{email}}"},"last visited block name":"Pricing"}`,
			map[string]any{"channel": "chatfuel", "closed": false, "event": "Pricing", "conversation_id": "394", "external_id": "394",
				"name": "Ana", "first_name": "Ana"}},
		{"Drift: new lead (contact_identified)", "drift", "samples:drift-contact-identified.json", map[string]any{
			"channel": "drift", "closed": false, "event": "contact_identified", "external_id": "crm-4471",
			"email": "priya.nair@example.com", "phone": "+447700900123", "company": "Northwind Ltd",
			"name": "Priya Nair", "first_name": "Priya", "last_name": "Nair", "score": 74.0}},
		{"Drift: conversation closed (conversation_status_updated)", "drift", "samples:drift-conversation-closed.json", map[string]any{
			"channel": "drift", "closed": true, "event": "conversation_status_updated", "conversation_id": "464032472", "external_id": "1261122150"}},
		{"Drift: a status change that is not a close", "drift",
			`{"type":"conversation_status_updated","orgId":1,"data":{"conversationId":5,"status":"pending"}}`,
			map[string]any{"channel": "drift", "closed": false, "event": "conversation_status_updated", "conversation_id": "5"}},
		{"Drift: conversation_inactive", "drift", `{"type":"conversation_inactive","orgId":1,"data":{"conversationId":77,"endUserId":9}}`,
			map[string]any{"channel": "drift", "closed": true, "event": "conversation_inactive", "conversation_id": "77", "external_id": "9"}},
		{"Drift: new_message (HTML body, contact author)", "drift",
			`{"type":"new_message","orgId":1,"data":{"id":3,"conversationId":464,"type":"chat","body":"<p>Price for 10&nbsp;seats?</p>","author":{"id":1261,"type":"contact","bot":false},"createdAt":1772445600000}}`,
			map[string]any{"channel": "drift", "closed": false, "event": "new_message", "conversation_id": "464", "external_id": "1261",
				"transcript": "Customer: Price for 10\u00a0seats?"}},
		{"Drift: conversation with messages from the bot, an agent and the contact", "drift",
			`{"type":"conversation_push","orgId":1,"data":{"conversationId":8,"contact":{"id":42,"attributes":{"email":"li@example.com","first_name":"Li","last_name":"Wei"}},
			"messages":[{"type":"chat","body":"Hi!","author":{"id":1,"type":"user","bot":true}},{"type":"private_note","body":"hot lead","author":{"id":2,"type":"user"}},
			{"type":"chat","body":"I want a demo","author":{"id":42,"type":"contact"}},{"type":"chat","body":"Booked.","author":{"id":2,"type":"user","bot":false}}]}}`,
			map[string]any{"channel": "drift", "closed": true, "event": "conversation_push", "conversation_id": "8", "external_id": "42",
				"email": "li@example.com", "name": "Li Wei", "first_name": "Li", "last_name": "Wei",
				"transcript": "Bot: Hi!\nCustomer: I want a demo\nAgent: Booked."}},
		{"Bot Framework: Direct Line endOfConversation as documented (type and from only)", "bot_framework",
			"payloads:botframework/end_of_conversation_directline_docs.json",
			map[string]any{"channel": "bot_framework", "closed": true, "event": "endOfConversation", "external_id": "user1"}},
		{"Bot Framework: Teams member removed (the member is the contact, not who removed them)", "bot_framework",
			"payloads:botframework/conversation_update_member_removed_msteams_docs.json",
			map[string]any{"channel": "bot_framework", "closed": true, "event": "conversationUpdate",
				"conversation_id": "19:efa9296d959346209fea44151c742e73@thread.skype", "external_id": teamsUser}},
		{"Bot Framework: Teams bot added to a team (not an end)", "bot_framework",
			"payloads:botframework/conversation_update_bot_added_to_team_msteams_docs.json",
			map[string]any{"channel": "bot_framework", "closed": false, "event": "conversationUpdate",
				"conversation_id": "19:efa9296d959346209fea44151c742e73@thread.skype",
				"external_id":     "29:1I9Is_Sx0OIy2rQ7Xz1lcaPKlO9eqmBRTBuW6XzkFtcjqxTjPaCMij8BVMdBcL9L_RwWNJyAHFQb0TRzXgyQvA"}},
		{"Bot Framework: the test panel's endOfConversation (e-mail in channelData)", "bot_framework",
			"samples:bot_framework-end-of-conversation.json", map[string]any{
				"channel": "bot_framework", "closed": true, "event": "endOfConversation", "conversation_id": "GZxAXM39a6jdG0n2HQF5TEYL-1",
				"external_id": "dl_8d7f0b2c-1e3a-4c55-9f3e-2b6a1d0c9e77", "email": "sofia.reyes@example.com", "phone": "+34612345678",
				"name": "Sofia Reyes", "first_name": "Sofia", "last_name": "Reyes", "score": 58.0}},
		{"Bot Framework: the bot ends the chat (the person is the recipient)", "bot_framework",
			`{"type":"endOfConversation","code":"botTimedOut","from":{"id":"bot1","role":"bot"},"recipient":{"id":"u7","name":"Ola Berg","role":"user"},"conversation":{"id":"c7"}}`,
			map[string]any{"channel": "bot_framework", "closed": true, "event": "endOfConversation", "conversation_id": "c7", "external_id": "u7",
				"name": "Ola Berg", "first_name": "Ola", "last_name": "Berg"}},
		{"Bot Framework: a message from the bot is a Bot line", "bot_framework",
			`{"type":"message","text":"Anything else?","from":{"id":"bot1","role":"bot"},"recipient":{"id":"u7"},"conversation":{"id":"c7"}}`,
			map[string]any{"channel": "bot_framework", "closed": false, "event": "message", "conversation_id": "c7", "external_id": "u7",
				"transcript": "Bot: Anything else?"}},
		{"Drift: conversation_closed", "drift", `{"type":"conversation_closed","orgId":1,"data":{"conversationId":3,"contactId":4}}`,
			map[string]any{"channel": "drift", "closed": true, "event": "conversation_closed", "conversation_id": "3", "external_id": "4"}},
		{"Drift: a new_lead style event whose data is the contact", "drift",
			`{"type":"new_lead","orgId":1,"data":{"id":99,"attributes":{"email":"lee@example.com"}}}`,
			map[string]any{"channel": "drift", "closed": false, "event": "new_lead", "external_id": "99", "email": "lee@example.com"}},
		{"Bot Framework: a message activity, e-mail in value", "bot_framework",
			`{"type":"message","text":" I need a quote ","from":{"id":"u9","name":"Kim"},"conversation":{"id":"c9"},"value":{"emailAddress":"kim@example.com"}}`,
			map[string]any{"channel": "bot_framework", "closed": false, "event": "message", "conversation_id": "c9", "external_id": "u9",
				"email": "kim@example.com", "name": "Kim", "first_name": "Kim", "transcript": "Customer: I need a quote"}},
	}
	fields := []string{"channel", "closed", "event", "conversation_id", "external_id", "email", "phone", "company",
		"name", "first_name", "last_name", "transcript", "score"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw := []byte(c.body)
			if rel, ok := strings.CutPrefix(c.body, "payloads:"); ok {
				raw = connectorstest.Payload(t, rel)
			} else if rel, ok := strings.CutPrefix(c.body, "samples:"); ok {
				var err error
				if raw, err = os.ReadFile(filepath.Join("samples", rel)); err != nil {
					t.Fatal(err)
				}
			}
			parse, ok := chatpresets.Lookup(c.preset)
			if !ok {
				t.Fatalf("no preset %q", c.preset)
			}
			conv, err := parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			got := conv.TriggerData()
			for _, f := range fields {
				if want, wanted := c.want[f]; got[f] != want || wanted != (got[f] != nil) {
					t.Errorf("trigger.%s = %#v, want %#v", f, got[f], want)
				}
			}
		})
	}
}

// TestBotPresetsKeepSecretsOut: Drift's verification token (in every
// body) and tokens a Chatfuel bot keeps in its attributes never reach the
// trigger data, which is stored with runs.
func TestBotPresetsKeepSecretsOut(t *testing.T) {
	t.Parallel()
	for preset, body := range map[string]string{
		"drift":    `{"type":"contact_identified","token":"drift-secret-1","orgId":1,"data":{"id":5,"attributes":{"email":"a@example.com","api_token":"drift-secret-2"}}}`,
		"chatfuel": `{"chatfuel user id":"1","email":"a@example.com","chatfuel_token":"cf-secret-1","my api token":"cf-secret-2"}`,
	} {
		parse, _ := chatpresets.Lookup(preset)
		c, err := parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", preset, err)
		}
		b, _ := json.Marshal(c.TriggerData())
		if strings.Contains(string(b), "secret") {
			t.Errorf("%s: a token leaked into the trigger data: %s", preset, b)
		}
		if c.Contact.Email != "a@example.com" {
			t.Errorf("%s: contact %+v", preset, c.Contact)
		}
	}
}

// TestBotPresetsRefuseOtherBodies: each says in plain words what it
// expected.
func TestBotPresetsRefuseOtherBodies(t *testing.T) {
	t.Parallel()
	cases := []struct{ preset, body, msg string }{
		{"manychat", `{"first_name":"Ana"}`, "no subscriber id"},
		{"chatfuel", `{"first name":"Ana","email":"a@example.com"}`, `"chatfuel user id"`},
		{"drift", `{"type":"new_message","data":"x"}`, "orgId and a data object"},
		{"drift", `{"data":{"conversationId":1}}`, "orgId and a data object"},
		{"drift", `{"type":"notification_event","data":{"item":{}}}`, "orgId and a data object"}, // Intercom's envelope
		{"chatfuel", `{"user_id":"7","email":"a@example.com"}`, `"chatfuel user id"`},
		{"bot_framework", `{"type":"message","text":"hi"}`, "from or conversation"},
		{"bot_framework", `{"from":{"id":"u"}}`, "from or conversation"},
		// another platform's sample is not mistaken for this one
		{"drift", `{"action":"chat_deactivated","payload":{"chat_id":"c"}}`, "orgId and a data object"},
		{"bot_framework", `{"event":"message:send","data":{"session_id":"s"}}`, "not a Bot Framework activity"},
	}
	for _, c := range cases {
		parse, _ := chatpresets.Lookup(c.preset)
		_, err := parse([]byte(c.body))
		if !connectors.IsPayloadError(err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s %s: got %v, want a payload error saying %q", c.preset, c.body, err, c.msg)
		}
	}
}

// TestEndOfConversationWords: a block or event name ends the chat only
// when a word of it says so ("Weekend offer" does not).
func TestEndOfConversationWords(t *testing.T) {
	t.Parallel()
	for block, closed := range map[string]bool{"End of chat": true, "chat_closed": true, "Finished": true, "Goodbye": true,
		"Weekend offer": false, "Recommend a plan": false, "Pricing": false, "conversation ended": true} {
		c, err := chatpresets.Chatfuel([]byte(`{"chatfuel user id":"1","last visited block name":"` + block + `"}`))
		if err != nil || c.Closed != closed {
			t.Errorf("block %q: closed = %v, want %v (%v)", block, c.Closed, closed, err)
		}
	}
}
