package twilio

import (
	"errors"
	"regexp"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

var accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

// CredentialFields are the values of a Twilio account (credential kind
// "twilio"): what to send SMS with and check status callbacks by.
var CredentialFields = []nodes.CredentialField{
	{Name: "account_sid", Label: "Account SID", Required: true, Type: nodes.FieldString, Description: "Starts with AC.",
		Check: func(s string) error {
			if !accountSID.MatchString(s) {
				return errors.New("is not an account SID (AC followed by 32 hex digits)")
			}
			return nil
		}},
	connectors.Secret("auth_token", "Auth token", true, "The account's auth token (also checks status callbacks)."),
	connectors.Text("from", "From", true, "The sending number in E.164 form, or a Messaging Service SID (MG...)."),
	connectors.BaseURL("Only to use a mock; default https://api.twilio.com."),
}
