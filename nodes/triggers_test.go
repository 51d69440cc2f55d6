package nodes_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
)

func TestTriggersPassThrough(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ    string
		params map[string]any
	}{
		{nodes.TypeWebhookTrigger, map[string]any{"path": "chat-finished"}},
		{nodes.TypeScheduleTrigger, map[string]any{"cron": "0 9 * * 1", "time_zone": "Europe/Madrid"}},
		{nodes.TypeManualTrigger, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Trigger = map[string]any{"email": "ana@example.com"}
			res, err := b.run(t, tt.typ, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.Port != nodes.PortOut || !reflect.DeepEqual(res.Output, b.env.Trigger) {
				t.Fatalf("result = %+v, want the trigger on out", res)
			}
		})
	}
}

func TestEventTriggersOutputTheEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ    string
		params map[string]any
	}{
		{nodes.TypeEventTrigger, map[string]any{"event_type": "chat.finished", "filter": "event.data.rating >= 4"}},
		{nodes.TypeAbsenceTrigger, map[string]any{"event": "email.sent", "missing_event": "email.opened", "within": "48h"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			at := testNow.Add(-time.Minute)
			b.env.Event = flows.Event{ID: "e1", Type: "chat.finished", Data: map[string]any{"rating": 5}, At: at}
			res, err := b.run(t, tt.typ, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			ev, _ := res.Output["event"].(map[string]any)
			if res.Port != nodes.PortOut || ev["id"] != "e1" || ev["type"] != "chat.finished" || ev["at"] != at {
				t.Fatalf("result = %+v, want the event on out", res)
			}
		})
	}
}

func TestTriggerValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		typ    string
		params map[string]any
		param  string
	}{
		{"webhook path must be slug-like", nodes.TypeWebhookTrigger, map[string]any{"path": "Chat Finished"}, "path"},
		{"webhook path cannot start with a slash", nodes.TypeWebhookTrigger, map[string]any{"path": "/chat"}, "path"},
		{"webhook path cannot be under providers/", nodes.TypeWebhookTrigger, map[string]any{"path": "providers/twilio"}, "path"},
		{"webhook path cannot be providers", nodes.TypeWebhookTrigger, map[string]any{"path": "providers"}, "path"},
		{"webhook path is required", nodes.TypeWebhookTrigger, map[string]any{}, "path"},
		{"webhook mapping must compile", nodes.TypeWebhookTrigger, map[string]any{"path": "x", "mapping": map[string]any{"email": "trigger.body.("}}, "mapping.email"},
		{"event type is required", nodes.TypeEventTrigger, map[string]any{}, "event_type"},
		{"event filter must be a condition", nodes.TypeEventTrigger, map[string]any{"event_type": "x", "filter": "event.data.("}, "filter"},
		{"absence needs a duration", nodes.TypeAbsenceTrigger, map[string]any{"event": "a", "missing_event": "b", "within": "soon"}, "within"},
		{"schedule needs a valid cron", nodes.TypeScheduleTrigger, map[string]any{"cron": "every monday"}, "cron"},
		{"schedule time zone must exist", nodes.TypeScheduleTrigger, map[string]any{"cron": "0 9 * * 1", "time_zone": "Mars/Olympus"}, "time_zone"},
		{"manual has no params", nodes.TypeManualTrigger, map[string]any{"sample": 1}, "sample"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			wantProblem(t, b.problems(t, tt.typ, tt.params), tt.param, "")
		})
	}
}

func TestWebhookPayload(t *testing.T) {
	t.Parallel()
	body := map[string]any{"data": map[string]any{"item": map[string]any{"id": "42", "user": map[string]any{"email": "ana@example.com"}}}}
	request := map[string]any{"body": body, "headers": map[string]any{}, "query": map[string]any{}}
	tests := []struct {
		name   string
		params map[string]any
		want   map[string]any
	}{
		{
			name: "mapped fields",
			params: map[string]any{"path": "intercom", "mapping": map[string]any{
				"email": "trigger.body.data.item.user.email", "conversation_id": "trigger.body.data.item.id",
			}},
			want: map[string]any{"email": "ana@example.com", "conversation_id": "42"},
		},
		{
			name:   "no mapping keeps the body",
			params: map[string]any{"path": "intercom"},
			want:   body,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			n := b.compile(t, nodes.TypeWebhookTrigger, tt.params)
			got, err := nodes.WebhookPayload(n, &flows.Env{Trigger: request, Now: testNow})
			if err != nil {
				t.Fatalf("WebhookPayload: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("payload = %v, want %v", got, tt.want)
			}
		})
	}
}
