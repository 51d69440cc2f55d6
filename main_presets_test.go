package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
)

func TestWebhookPresetsMatchTheParsers(t *testing.T) {
	t.Parallel()
	if !slices.Equal(nodes.WebhookPresets, chatpresets.Names()) {
		t.Fatalf("trigger.webhook declares presets %v, the parsers are %v", nodes.WebhookPresets, chatpresets.Names())
	}
	reg := registry()
	for _, name := range nodes.WebhookPresets {
		if _, ok := reg.WebhookPreset(name); !ok {
			t.Errorf("preset %s is declared but not wired", name)
		}
	}
}

// presetFlow saves the chat's contact and adds the transcript as a note.
func presetFlow(preset string) map[string]any {
	return map[string]any{
		"id": "chat-" + strings.ReplaceAll(preset, "_", "-"), "name": "Chat " + preset,
		"nodes": []any{
			map[string]any{"id": "hook", "type": "trigger.webhook", "params": map[string]any{"path": "chat/" + preset, "preset": preset}},
			map[string]any{"id": "save", "type": "crm.upsert_contact", "params": map[string]any{
				"email": "{{ trigger.email }}", "first_name": "{{ trigger.first_name }}", "last_name": "{{ trigger.last_name }}",
				"external_id": "{{ trigger.external_id }}"}},
			map[string]any{"id": "note", "type": "crm.add_note", "params": map[string]any{
				"body": "Chat on {{ trigger.channel }}:\n{{ trigger.transcript ?? trigger.summary }}", "source": "chatbot"}},
		},
		"edges": []any{map[string]any{"from": "hook", "to": "save"}, map[string]any{"from": "save", "to": "note"}},
	}
}

// TestChatPresetsEndToEnd posts the platforms' sample webhooks to a
// published flow on the built binary: each becomes a contact with the
// chat transcript as a note.
func TestChatPresetsEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "app.db")
	token, code := runCLI(t, "token", "create", "--name", "presets", "--db", db)
	if code != 0 {
		t.Fatalf("token create: %s", token)
	}
	token = strings.TrimSpace(token)
	addr := freeAddr(t)
	srv := startServer(t, db, addr)
	base := "http://" + addr

	cases := []struct {
		preset, sample string // sample: a file under payloads/, or a literal JSON body
		search         string // how to find the contact
		wantEmail      string
		wantNote       string
	}{
		{"intercom", "intercom/conversation_admin_closed_v1_shape.json", "darrag@example.com", "darrag@example.com", "Chat on intercom:\nCustomer: I need help!"},
		{"xeno", "xeno/end_conversation_docs.json", "remi@example.com", "remi@example.com", "Chat on xeno:\nWanted some help"},
		{"crisp", "crisp/message_send_docs.json", "visitor493603", "", "Chat on crisp:\nCustomer: Hey :)"},
		{"generic", `{"event":"chat.closed","customer":{"email":"Gen@Example.com","name":"Gen Ito"},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}`,
			"gen@example.com", "gen@example.com", "Chat on generic:\nCustomer: hi"},
		// The test panel's samples of the chatbot platforms, and ManyChat's
		// documented body, which has no e-mail: the contact is saved by its
		// subscriber id, as Crisp's visitor above.
		{"manychat", "samples:manychat-full-contact-data.json", "maya.okafor@example.com", "maya.okafor@example.com",
			"Chat on manychat:\nCustomer: Can someone call me"},
		{"manychat", "manychat/full_contact_data_dynamic_block_docs.json", "Subscriber Lastname", "", "Chat on manychat:\nCustomer: Last subscriber"},
		{"chatfuel", "samples:chatfuel-json-api-full-profile.json", "lucas.moreau@example.com", "lucas.moreau@example.com",
			"Chat on chatfuel:\nCustomer: We are 40 people"},
		{"drift", "samples:drift-contact-identified.json", "priya.nair@example.com", "priya.nair@example.com", "Chat on drift:"}, // a new lead: no transcript
		{"bot_framework", "samples:bot_framework-end-of-conversation.json", "sofia.reyes@example.com", "sofia.reyes@example.com",
			"Chat on bot_framework:"},
	}
	imported := map[string]bool{}
	for _, c := range cases {
		if !imported[c.preset] {
			if st, body := request(t, "POST", base+"/api/v1/flows/import", token, map[string]any{"flow": presetFlow(c.preset), "publish": true}); st != 201 {
				t.Fatalf("import %s: %d %s", c.preset, st, body)
			}
			imported[c.preset] = true
		}
		sample := []byte(c.sample)
		if file, ok := strings.CutPrefix(c.sample, "samples:"); ok {
			var err error
			if sample, err = os.ReadFile(filepath.Join("nodes", "connectors", "chatpresets", "samples", file)); err != nil {
				t.Fatal(err)
			}
		} else if !strings.HasPrefix(c.sample, "{") {
			sample = connectorstest.Payload(t, c.sample)
		}
		if st, body := request(t, "POST", base+"/hooks/chat/"+c.preset, "", sample); st != 202 {
			t.Fatalf("POST %s sample: %d %s", c.preset, st, body)
		}
	}
	for _, c := range cases {
		var contact map[string]any
		for deadline := time.Now().Add(testwait.Scaled(30 * time.Second)); contact == nil && time.Now().Before(deadline); {
			_, body := request(t, "GET", base+"/api/v1/contacts?search="+url.QueryEscape(c.search), token, nil)
			var page struct {
				Contacts []map[string]any `json:"contacts"`
			}
			_ = json.Unmarshal(body, &page)
			if len(page.Contacts) == 1 {
				id, _ := page.Contacts[0]["id"].(string)
				_, detail := request(t, "GET", base+"/api/v1/contacts/"+id, token, nil)
				var p map[string]any
				_ = json.Unmarshal(detail, &p)
				if notes, _ := p["notes"].([]any); len(notes) == 1 {
					contact = p
				}
			}
			if contact == nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if contact == nil {
			t.Fatalf("%s: no contact %q with a note appeared\n%s", c.preset, c.search, srv.logs)
		}
		if c.wantEmail != "" && fmt.Sprint(contact["contact"].(map[string]any)["email"]) != c.wantEmail {
			t.Errorf("%s: contact = %v", c.preset, contact["contact"])
		}
		note := contact["notes"].([]any)[0].(map[string]any)
		if body, _ := note["body"].(string); !strings.HasPrefix(body, c.wantNote) || len(body) <= len("Chat on x:\n") {
			t.Errorf("%s: note = %q, want it to start with %q", c.preset, body, c.wantNote)
		}
	}
	// A body that is not the platform's webhook is refused, and starts nothing.
	if st, body := request(t, "POST", base+"/hooks/chat/intercom", "", []byte(`[1, 2, 3]`)); st != 400 || !strings.Contains(string(body), "intercom") {
		t.Fatalf("a bad intercom body: %d %s", st, body)
	}
}
