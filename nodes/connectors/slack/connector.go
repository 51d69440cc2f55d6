package slack

import (
	"context"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Slack accounts.
const Kind = "slack"

func init() {
	webhook := connectors.Secret("webhook_url", "Incoming webhook URL", false, "A Slack incoming webhook URL.")
	webhook.Check = connectors.CheckURL
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Slack", Provides: []nodes.Capability{nodes.ProvidesSlack},
		Fields: []nodes.CredentialField{
			webhook,
			connectors.Secret("bot_token", "Bot token", false, "A bot token (xoxb-...), to post with the Web API."),
		},
		Validate: func(v map[string]string) map[string]string {
			if v["webhook_url"] == "" && v["bot_token"] == "" {
				return map[string]string{"webhook_url": "give an incoming webhook URL or a bot token"}
			}
			return nil
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			if v["webhook_url"] == "" {
				return nodes.Account{}, nil // bot tokens are not used by notify.slack
			}
			return nodes.Account{Slack: poster{w: &Webhook{URL: v["webhook_url"], HTTPClient: env.HTTPClient}}}, nil
		},
		Docs: "Posts through an incoming webhook (Slack app → Incoming Webhooks → Add New Webhook to Workspace). " +
			"A removed webhook or archived channel fails the step with Slack's reason; a busy Slack is retried.",
	})
}

// poster posts to an incoming webhook. Slack webhooks have no idempotency
// key: a retry after a lost answer may post twice.
type poster struct{ w *Webhook }

func (s poster) PostSlack(ctx context.Context, m nodes.SlackMessage) error {
	return connectors.NodeError(s.w.Post(ctx, Message{Text: m.Text, Channel: m.Channel, Username: m.Username}))
}

var _ nodes.SlackPoster = poster{}
