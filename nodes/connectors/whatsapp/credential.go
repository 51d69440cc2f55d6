package whatsapp

import (
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// CredentialFields are the values of a WhatsApp Cloud API account
// (credential kind "whatsapp"): the sending number, its token, and what
// checks the webhooks Meta sends.
var CredentialFields = []nodes.CredentialField{
	connectors.Text("phone_number_id", "Phone number ID", true, "The WhatsApp Business phone number id."),
	connectors.Secret("access_token", "Access token", true, "A system-user access token."),
	{Name: "api_version", Label: "API version", Type: nodes.FieldString, Default: "v23.0"},
	connectors.Secret("app_secret", "App secret", false, "Checks the X-Hub-Signature-256 of webhooks."),
	connectors.Secret("verify_token", "Webhook verify token", false, "The token Meta sends when you subscribe the webhook."),
	connectors.BaseURL("Only to use a mock; default https://graph.facebook.com."),
}
