// Package slack posts notify.slack messages to a Slack incoming webhook.
package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "Slack"

// Webhook is one incoming-webhook URL (a secret: it is the credential).
type Webhook struct {
	URL string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Message is what notify.slack posts. Text is required (it is also the
// notification fallback when Blocks are given).
type Message struct {
	Text string `json:"text"`
	// Blocks are Block Kit blocks, passed through as JSON.
	Blocks json.RawMessage `json:"blocks,omitempty"`
	// Username, IconEmoji and Channel only work with legacy webhooks.
	Username  string `json:"username,omitempty"`
	IconEmoji string `json:"icon_emoji,omitempty"`
	Channel   string `json:"channel,omitempty"`
	// UnfurlLinks asks Slack to preview links.
	UnfurlLinks bool `json:"unfurl_links,omitempty"`
}

// Post sends the message. Slack answers errors as plain text codes
// (invalid_payload, no_service, channel_is_archived...).
func (w *Webhook) Post(ctx context.Context, m Message) error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return connectors.Invalidf("the Slack webhook address is not a valid URL")
	}
	if strings.TrimSpace(m.Text) == "" {
		return connectors.Invalidf("the Slack message text is empty")
	}
	if len(m.Blocks) > 0 && !json.Valid(m.Blocks) {
		return connectors.Invalidf("the Slack blocks are not valid JSON")
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = connectors.Do(ctx, connectors.Request{
		Vendor: vendor, Client: w.HTTPClient, Method: http.MethodPost, URL: w.URL,
		Header: connectors.JSONHeader(), Body: body, ParseError: parseError,
	})
	return err
}

var explanations = map[string]string{
	"invalid_payload":                   "Slack could not read the message",
	"no_text":                           "the message has no text",
	"no_service":                        "the webhook was removed or disabled in Slack",
	"no_service_id":                     "the webhook address is incomplete",
	"no_team":                           "the Slack workspace no longer exists",
	"team_disabled":                     "the Slack workspace is disabled",
	"invalid_token":                     "the webhook address is no longer valid",
	"action_prohibited":                 "a Slack admin restricted posting to this channel",
	"channel_not_found":                 "the channel no longer exists",
	"channel_is_archived":               "the channel is archived",
	"posting_to_general_channel_denied": "only admins may post to this channel",
	"too_many_attachments":              "the message has too many attachments",
}

func parseError(body []byte) (string, string) {
	code := strings.TrimSpace(string(body))
	if len(code) > 100 || strings.ContainsAny(code, " \n{") {
		return connectors.GenericError(body)
	}
	if msg, ok := explanations[code]; ok {
		return code, msg
	}
	return code, code
}
