package nodes

// KnownEvent is a contact event the product records, with the words the
// event picker and the reference show for it.
type KnownEvent struct {
	// Type is the event type a flow names, e.g. "email.opened".
	Type string
	// Title is a short name, e.g. "Email opened".
	Title string
	// Sentence says what happened, e.g. "The contact opened an email.".
	Sentence string
	// Group gathers events in the picker, e.g. "Email".
	Group string
}

// Event groups, in picker order.
const (
	EventGroupEmail    = "Email"
	EventGroupSMS      = "SMS"
	EventGroupWhatsApp = "WhatsApp"
	EventGroupChat     = "Chat"
	EventGroupShop     = "Forms and shop"
)

// KnownEvents are the events this product records: channel.sent when a
// message step hands a message over, message receipts from the providers
// and the sandbox (channel.kind, see engine/channels and the connectors),
// messages and opt keywords contacts send (channel.received,
// channel.opted_out...), and the events a website, shop or chat tool sends to
// POST /api/v1/events by convention (the templates and presets use them).
var KnownEvents = []KnownEvent{
	{"email.sent", "Email sent", "An email was handed to the email provider (or kept by the sandbox) on its way to the contact.", EventGroupEmail},
	{"email.delivered", "Email delivered", "An email reached the contact's inbox.", EventGroupEmail},
	{"email.opened", "Email opened", "The contact opened an email.", EventGroupEmail},
	{"email.clicked", "Email link clicked", "The contact clicked a link in an email.", EventGroupEmail},
	{"email.bounced", "Email bounced", "An email bounced: the address does not accept mail.", EventGroupEmail},
	{"email.complained", "Email marked as spam", "The contact marked an email as spam.", EventGroupEmail},
	{"email.unsubscribed", "Unsubscribed from email", "The contact unsubscribed from emails, or from one of the email provider's unsubscribe groups (the group is in the event's data).", EventGroupEmail},
	{"email.resubscribed", "Resubscribed to email", "The contact subscribed to emails again, or to one of the email provider's unsubscribe groups (the group is in the event's data).", EventGroupEmail},
	{"email.failed", "Email not sent", "An email could not be sent.", EventGroupEmail},
	{"email.undelivered", "Email not delivered", "An email was sent but did not reach the contact.", EventGroupEmail},

	{"sms.sent", "SMS sent", "An SMS was handed to the SMS provider (or kept by the sandbox) on its way to the contact's phone.", EventGroupSMS},
	{"sms.delivered", "SMS delivered", "An SMS reached the contact's phone.", EventGroupSMS},
	{"sms.undelivered", "SMS not delivered", "An SMS was sent but did not reach the contact's phone.", EventGroupSMS},
	{"sms.failed", "SMS not sent", "An SMS could not be sent.", EventGroupSMS},
	{"sms.received", "SMS reply received", "The contact sent an SMS to one of your numbers (a reply); its text is in event.data.text.", EventGroupSMS},
	{"sms.opted_out", "Opted out of SMS", "The contact texted STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT): SMS consent is off and SMS to them are skipped.", EventGroupSMS},
	{"sms.opted_in", "Opted back in to SMS", "The contact texted START or UNSTOP: SMS consent is on again.", EventGroupSMS},
	{"sms.help_requested", "Asked for help by SMS", "The contact texted HELP.", EventGroupSMS},

	{"whatsapp.sent", "WhatsApp message sent", "A WhatsApp message was handed to WhatsApp (or kept by the sandbox) on its way to the contact.", EventGroupWhatsApp},
	{"whatsapp.delivered", "WhatsApp message delivered", "A WhatsApp message reached the contact's phone.", EventGroupWhatsApp},
	{"whatsapp.read", "WhatsApp message read", "The contact read a WhatsApp message.", EventGroupWhatsApp},
	{"whatsapp.undelivered", "WhatsApp message not delivered", "A WhatsApp message was sent but did not reach the contact.", EventGroupWhatsApp},
	{"whatsapp.failed", "WhatsApp message not sent", "A WhatsApp message could not be sent.", EventGroupWhatsApp},
	{"whatsapp.received", "WhatsApp reply received", "The contact sent a WhatsApp message or tapped a button of one (a reply); its text is in event.data.text, a button's id in event.data.reply_id.", EventGroupWhatsApp},
	{"whatsapp.opted_out", "Opted out of WhatsApp", "The contact stopped marketing messages in WhatsApp or wrote STOP: WhatsApp consent is off and WhatsApp messages to them are skipped.", EventGroupWhatsApp},
	{"whatsapp.opted_in", "Opted back in to WhatsApp", "The contact resumed marketing messages in WhatsApp or wrote START: WhatsApp consent is on again.", EventGroupWhatsApp},
	{"whatsapp.help_requested", "Asked for help on WhatsApp", "The contact wrote HELP on WhatsApp.", EventGroupWhatsApp},

	{"chat.finished", "Chat finished", "A chat conversation with the contact finished (sent by your chat tool).", EventGroupChat},

	{"form.submitted", "Form submitted", "The contact sent a form on your website.", EventGroupShop},
	{"cart.abandoned", "Cart abandoned", "The contact left items in their cart without buying.", EventGroupShop},
}

// RecordOnlyEvents are stored on the contact's timeline but never start or
// resume a journey, so pickers leave them out.
var RecordOnlyEvents = []string{"webhook.received", "contact.conflict"}

// LookupEvent returns the known event of type typ.
func LookupEvent(typ string) (KnownEvent, bool) {
	for _, e := range KnownEvents {
		if e.Type == typ {
			return e, true
		}
	}
	return KnownEvent{}, false
}
