// Package all registers every vendor connector: import it for its side
// effect. Adding a vendor is its folder under nodes/connectors plus one
// line here.
package all

import (
	_ "github.com/journeyhq/journey/nodes/connectors/activecampaign"
	_ "github.com/journeyhq/journey/nodes/connectors/bitrix24"
	_ "github.com/journeyhq/journey/nodes/connectors/brevo"
	_ "github.com/journeyhq/journey/nodes/connectors/httpreq"
	_ "github.com/journeyhq/journey/nodes/connectors/hubspot"
	_ "github.com/journeyhq/journey/nodes/connectors/klaviyo"
	_ "github.com/journeyhq/journey/nodes/connectors/mailchimp"
	_ "github.com/journeyhq/journey/nodes/connectors/pipedrive"
	_ "github.com/journeyhq/journey/nodes/connectors/salesforce"
	_ "github.com/journeyhq/journey/nodes/connectors/slack"
	_ "github.com/journeyhq/journey/nodes/connectors/zendesksell"
	_ "github.com/journeyhq/journey/nodes/connectors/zoho"
)
