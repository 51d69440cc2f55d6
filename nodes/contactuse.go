package nodes

import (
	"maps"
	"slices"

	"github.com/journeyhq/journey/flows"
)

// How each node type uses the run's contact (flows.TypeSpec.Contact), for
// the warning "this step reads a contact field no step before it
// provides". Templates and expressions that read contact.X are found by
// flows itself; these declare what params say.

// presetSends are the contact fields a chat platform preset gives the
// trigger data, when the platform sends them.
var presetSends = []string{"email", "name", "first_name", "last_name", "phone", "company", "external_id"}

// webhookContact: a webhook's run acts on the contact its data names by
// email, when known; the data is not saved on the contact by itself.
func webhookContact(params map[string]any) flows.ContactUse {
	use := flows.ContactUse{Start: flows.ContactFromData}
	if paramString(params, paramPreset) != "" {
		use.Sends = slices.Clone(presetSends)
	}
	if m, ok := params[paramMapping].(map[string]any); ok {
		use.Sends = append(use.Sends, slices.Sorted(maps.Keys(m))...)
	}
	return use
}

// manualContact: a manual start's run acts on the contact its sample names
// by email, as a webhook's does.
func manualContact(map[string]any) flows.ContactUse {
	return flows.ContactUse{Start: flows.ContactFromData}
}

// storedContact: the run acts on a contact of the store (an event's), who
// may have any field.
func storedContact(map[string]any) flows.ContactUse {
	return flows.ContactUse{Start: flows.ContactStored}
}

// scheduleContact: with a segment, each run acts on a stored contact;
// without one, the run has no contact.
func scheduleContact(params map[string]any) flows.ContactUse {
	if paramString(params, paramSegment) != "" {
		return flows.ContactUse{Start: flows.ContactStored}
	}
	return flows.ContactUse{Start: flows.ContactNone}
}

// upsertContactUse: the fields a "Create or update contact" step fills in
// (it saves the built-in contact with a vendor target too).
func upsertContactUse(params map[string]any) flows.ContactUse {
	var saves []string
	for _, name := range []string{paramEmail, paramPhone, paramFirstName, paramLastName, paramCompany, paramExternalID, paramTimeZone} {
		if paramString(params, name) != "" {
			saves = append(saves, name)
		}
	}
	if paramString(params, paramName) != "" {
		saves = append(saves, paramFirstName, paramLastName)
	}
	if m, ok := params[paramFields].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			saves = append(saves, "fields."+k)
		}
	}
	return flows.ContactUse{Saves: saves}
}

// recipientUse: a message step without its own "To" sends to the
// contact's address on the channel, and skips contacts without one.
func recipientUse(channel string) func(map[string]any) flows.ContactUse {
	return func(params map[string]any) flows.ContactUse {
		if paramString(params, paramRecipient) != "" {
			return flows.ContactUse{}
		}
		return flows.ContactUse{Needs: []string{channelAddress(channel)}, Action: "sends to", Skips: true}
	}
}

// sendUse: "Send on the best channel" needs an address on one of its
// channels.
func sendUse(params map[string]any) flows.ContactUse {
	var needs []string
	for _, ch := range paramStrings(params, paramChannels) {
		if a := channelAddress(ch); a != "" && !slices.Contains(needs, a) {
			needs = append(needs, a)
		}
	}
	if len(needs) == 0 {
		return flows.ContactUse{}
	}
	return flows.ContactUse{Needs: needs, Action: "sends to", Skips: true}
}

// channelAddress is the contact field a channel sends to.
func channelAddress(channel string) string {
	switch channel {
	case ChannelEmail:
		return "email"
	case ChannelSMS, ChannelWhatsApp:
		return "phone"
	}
	return ""
}

// vendorEmailUse: with a vendor target (HubSpot, Pipedrive, Mailchimp) the
// step finds the contact there by email, and fails without one.
func vendorEmailUse(params map[string]any) flows.ContactUse {
	if !isVendorTarget(paramString(params, paramTarget)) {
		return flows.ContactUse{}
	}
	return flows.ContactUse{Needs: []string{"email"}}
}
