package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/connectorstest"
	"github.com/journeyhq/journey/nodes/connectors/slack"
)

func TestPostSendsPayload(t *testing.T) {
	t.Parallel()
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/services/T1/B2/secret" {
			t.Errorf("%s %s %v", r.Method, r.URL.Path, r.Header)
		}
		_ = json.Unmarshal(b, &got)
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	w := &slack.Webhook{URL: srv.URL + "/services/T1/B2/secret", HTTPClient: srv.Client()}
	err := w.Post(context.Background(), slack.Message{Text: "New lead: Ana", Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"*Ana*"}}]`)})
	if err != nil {
		t.Fatal(err)
	}
	if got["text"] != "New lead: Ana" || got["blocks"].([]any)[0].(map[string]any)["type"] != "section" {
		t.Errorf("payload %v", got)
	}
}

func TestRefusesBadMessages(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url string
		m   slack.Message
	}{{"https://hooks.slack.com/x", slack.Message{}}, {"not a url", slack.Message{Text: "x"}}, {"https://hooks.slack.com/x", slack.Message{Text: "x", Blocks: json.RawMessage(`[`)}}} {
		w := &slack.Webhook{URL: c.url}
		if err := w.Post(context.Background(), c.m); !nodes.IsPermanent(connectors.NodeError(err)) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestErrorsNeverShowTheWebhookURL(t *testing.T) {
	t.Parallel()
	w := &slack.Webhook{URL: "http://127.0.0.1:1/services/T1/B2/SECRETPART"}
	err := w.Post(context.Background(), slack.Message{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "SECRETPART") {
		t.Fatalf("error leaks the webhook URL or is missing: %v", err)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	call := func(ctx context.Context, base string, hc *http.Client) error {
		w := &slack.Webhook{URL: base + "/services/x", HTTPClient: hc}
		return w.Post(ctx, slack.Message{Text: "x"})
	}
	failures := connectorstest.StandardFailures("invalid_payload", "Slack could not read the message", "invalid_token", "no longer valid")
	failures = append(failures, connectorstest.Failure{Name: "archived channel is permanent", Status: 410, Body: "channel_is_archived", Want: "permanent", WantMessage: "archived"})
	connectorstest.RunFailures(t, call, connectors.NodeError, failures)
}
