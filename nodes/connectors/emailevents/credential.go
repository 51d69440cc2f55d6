package emailevents

import (
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Credential fields of the email providers' event webhooks: what checks
// that a delivery event really comes from the provider.
var (
	SendGridFields = []nodes.CredentialField{
		connectors.Text("public_key", "Verification key", true, "The signed event webhook's public key (base64), from SendGrid's settings."),
	}
	MailgunFields = []nodes.CredentialField{
		connectors.Secret("signing_key", "Webhook signing key", true, "Checks the signature of Mailgun's webhooks."),
	}
	PostmarkFields = []nodes.CredentialField{
		connectors.Text("username", "Basic auth user", true, "The user in the webhook URL's basic auth."),
		connectors.Secret("password", "Basic auth password", true, "The password in the webhook URL's basic auth."),
	}
)
