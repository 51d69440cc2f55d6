package nodes_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
)

// step is a node of a test journey: id, type, name and params.
type step struct {
	id, typ, name string
	params        map[string]any
}

// journey builds a flow named "Welcome" from steps and edges written
// "from>to" or "from:port>to".
func journey(t *testing.T, steps []step, edges ...string) *flows.Flow {
	t.Helper()
	f := &flows.Flow{ID: "welcome", Name: "Welcome"}
	for _, s := range steps {
		params, err := json.Marshal(s.params)
		if err != nil {
			t.Fatal(err)
		}
		f.Nodes = append(f.Nodes, flows.Node{ID: s.id, Type: s.typ, Name: s.name, Params: params})
	}
	for _, e := range edges {
		from, to, _ := strings.Cut(e, ">")
		from, port, _ := strings.Cut(from, ":")
		f.Edges = append(f.Edges, flows.Edge{From: from, Port: port, To: to})
	}
	return f
}

var (
	hook      = step{"hook", nodes.TypeWebhookTrigger, "Signup form", map[string]any{"path": "signup"}}
	sms       = step{"sms", nodes.TypeSMS, "Send welcome SMS", map[string]any{"body": "Welcome!"}}
	saveEmail = step{"save", nodes.TypeUpsertContact, "Save the lead", map[string]any{"email": "{{ trigger.email }}"}}
	savePhone = step{"save", nodes.TypeUpsertContact, "Save the lead", map[string]any{"email": "{{ trigger.email }}", "phone": "{{ trigger.phone }}", "name": "{{ trigger.name }}"}}
)

func TestContactFieldWarnings(t *testing.T) {
	t.Parallel()
	reg := nodes.Builtin()
	tests := []struct {
		name  string
		steps []step
		edges []string
		// want lists "step id|param|words in the message" per warning.
		want []string
	}{
		{
			name:  "an SMS right after a webhook",
			steps: []step{hook, sms},
			edges: []string{"hook>sms"},
			want:  []string{`sms||"Send welcome SMS" sends to the contact's phone number, but no step before it saves a phone number and the trigger does not provide one: people without a phone number will be skipped.`},
		},
		{
			name:  "the contact is saved without a phone",
			steps: []step{hook, saveEmail, sms},
			edges: []string{"hook>save", "save>sms"},
			want:  []string{"sms||no step before it saves a phone number"},
		},
		{
			name:  "the contact is saved with a phone",
			steps: []step{hook, savePhone, sms},
			edges: []string{"hook>save", "save>sms"},
		},
		{
			name:  "one of two paths saves the phone",
			steps: []step{hook, {"vip", nodes.TypeIf, "VIP?", map[string]any{"condition": `trigger.plan == "vip"`}}, savePhone, sms},
			edges: []string{"hook>vip", "vip:yes>save", "save>sms", "vip:no>sms"},
			want:  []string{"sms||sends to the contact's phone number"},
		},
		{
			name: "both paths save the phone",
			steps: []step{hook, {"vip", nodes.TypeIf, "VIP?", map[string]any{"condition": `trigger.plan == "vip"`}}, savePhone,
				{"save2", nodes.TypeUpsertContact, "Save the VIP", map[string]any{"phone": "{{ trigger.phone }}"}}, sms},
			edges: []string{"hook>vip", "vip:yes>save", "save>sms", "vip:no>save2", "save2>sms"},
		},
		{
			name:  "the webhook's preset carries the phone",
			steps: []step{{"hook", nodes.TypeWebhookTrigger, "Chat finished", map[string]any{"path": "chat", "preset": "intercom"}}, saveEmail, sms},
			edges: []string{"hook>save", "save>sms"},
			want:  []string{`sms||saves the trigger's phone number (trigger.phone) on the contact: people without a phone number will be skipped unless they are already contacts with one. Add a "Create or update contact" step`},
		},
		{
			name:  "the SMS goes to the trigger's phone",
			steps: []step{hook, {"sms", nodes.TypeSMS, "Send welcome SMS", map[string]any{"body": "Hi", "to": "{{ trigger.phone }}"}}},
			edges: []string{"hook>sms"},
		},
		{
			name: "a text uses the first name nobody saved",
			steps: []step{hook, saveEmail, {"mail", nodes.TypeEmail, "Welcome email",
				map[string]any{"subject": "Welcome, {{ contact.first_name }}!", "body": "Hi {{ contact.first_name }} {{ contact.fields.plan }}"}}},
			edges: []string{"hook>save", "save>mail"},
			want: []string{
				`mail|body|"Welcome email" uses the contact's custom field "plan" in "Text", but no step before it saves a value in the custom field "plan"`,
				`mail|subject|"Welcome email" uses the contact's first name in "Subject", but no step before it saves a first name and the trigger does not provide one: it will be empty for people without one.`,
			},
		},
		{
			name: "a text with a fallback",
			steps: []step{hook, saveEmail, {"mail", nodes.TypeEmail, "Welcome email",
				map[string]any{"subject": `Welcome, {{ coalesce(contact.first_name, "friend") }}!`, "body": `Hi {{ contact.first_name != "" ? contact.first_name : "there" }}`}}},
			edges: []string{"hook>save", "save>mail"},
		},
		{
			name:  "a condition checks the phone first",
			steps: []step{hook, {"has", nodes.TypeIf, "Has a phone?", map[string]any{"condition": `contact.phone != ""`}}, sms},
			edges: []string{"hook>has", "has:yes>sms"},
		},
		{
			name:  "an event trigger acts on stored contacts",
			steps: []step{{"ev", nodes.TypeEventTrigger, "Form sent", map[string]any{"event_type": "form.submitted"}}, sms},
			edges: []string{"ev>sms"},
		},
		{
			name:  "a schedule with a segment acts on stored contacts",
			steps: []step{{"tick", nodes.TypeScheduleTrigger, "Every morning", map[string]any{"cron": "0 8 * * *", "segment": "contact.score > 10"}}, sms},
			edges: []string{"tick>sms"},
		},
		{
			name:  "a schedule without a segment has no contact",
			steps: []step{{"tick", nodes.TypeScheduleTrigger, "Every morning", map[string]any{"cron": "0 8 * * *"}}, sms},
			edges: []string{"tick>sms"},
			want:  []string{"sms||no step before it saves a phone number"},
		},
		{
			name: "several channels: one address is enough",
			steps: []step{hook, saveEmail, {"send", nodes.TypeSend, "Tell them",
				map[string]any{"channels": []string{"whatsapp", "sms", "email"}, "body": "Hi", "subject": "Hi"}}},
			edges: []string{"hook>save", "save>send"},
		},
		{
			name: "several channels without any address",
			steps: []step{hook, saveEmail, {"send", nodes.TypeSend, "Tell them",
				map[string]any{"channels": []string{"whatsapp", "sms"}, "body": "Hi"}}},
			edges: []string{"hook>save", "save>send"},
			want:  []string{"send||people without a phone number will be skipped"},
		},
		{
			name:  "a Mailchimp list needs the email",
			steps: []step{hook, {"list", nodes.TypeAddToList, "Newsletter", map[string]any{"list": "abc", "target": "mailchimp-1"}}},
			edges: []string{"hook>list"},
			want:  []string{`list||"Newsletter" needs the contact's email address, but no step before it saves an email address and the trigger does not provide one: the step fails for people without an email address.`},
		},
		{
			name:  "a Mailchimp list after the contact is saved",
			steps: []step{hook, saveEmail, {"list", nodes.TypeAddToList, "Newsletter", map[string]any{"list": "abc", "target": "mailchimp-1"}}},
			edges: []string{"hook>save", "save>list"},
		},
		{
			name:  "a loop through a wait keeps what was saved",
			steps: []step{hook, savePhone, {"wait", nodes.TypeWaitEvent, "Wait for a reply", map[string]any{"event_type": "sms.received", "timeout": "1d"}}, sms},
			edges: []string{"hook>save", "save>wait", "wait:timeout>sms", "sms:sent>wait"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := journey(t, tt.steps, tt.edges...)
			errs, warnings := flows.Check(f, reg)
			for _, p := range errs {
				if p.Code != flows.CodeMissingCredential {
					t.Fatalf("the test journey has an error: %s", p)
				}
			}
			if len(warnings) != len(tt.want) {
				t.Fatalf("got %d warnings, want %d:\n%v", len(warnings), len(tt.want), warnings)
			}
			for i, w := range tt.want {
				parts := strings.SplitN(w, "|", 3)
				p := warnings[i]
				if p.NodeID != parts[0] || p.Param != parts[1] || !strings.Contains(p.Message, parts[2]) {
					t.Errorf("warning %d: got %s, want node %s param %q saying %q", i, p, parts[0], parts[1], parts[2])
				}
				if !p.IsWarning() || p.Code != flows.CodeContactFieldMissing {
					t.Errorf("warning %d is not a contact field warning: %+v", i, p)
				}
				if p.Journey != "Welcome" || p.Step != stepNamed(f, p.NodeID) || !strings.Contains(p.Message, `"`+p.Step+`"`) {
					t.Errorf("warning %d does not name the journey and the step: %+v", i, p)
				}
			}
			// Warnings never make a flow invalid.
			if ps := flows.Validate(f, reg); len(ps) != len(errs) {
				t.Errorf("Validate found %d problems, Check %d errors", len(ps), len(errs))
			}
		})
	}
}

func stepNamed(f *flows.Flow, id string) string {
	for _, n := range f.Nodes {
		if n.ID == id {
			return n.Name
		}
	}
	return ""
}

// TestShippedTemplatesHaveNoWarnings: the templates a marketer starts
// from must not warn about what they do on purpose.
func TestShippedTemplatesHaveNoWarnings(t *testing.T) {
	t.Parallel()
	templates, err := flows.Templates()
	if err != nil {
		t.Fatal(err)
	}
	reg := nodes.Builtin()
	for _, tpl := range templates {
		errs, warnings := flows.Check(tpl.Flow, reg)
		for _, p := range append(errs, warnings...) {
			t.Errorf("%s: %s", tpl.ID, p)
		}
	}
}
