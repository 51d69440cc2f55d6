package twilio

import (
	"net/url"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// Inbound is a message a contact sent to one of our Twilio numbers (the
// number's "A message comes in" webhook).
type Inbound struct {
	// Channel is "sms", or "whatsapp" for Twilio WhatsApp senders.
	Channel    string
	MessageSID string
	AccountSID string
	// From is the sender's E.164 number (without "whatsapp:").
	From string
	To   string
	Body string
	// OptOutType is STOP, START or HELP when Twilio's Advanced Opt-Out
	// recognised a keyword (it also knows custom ones); "" otherwise.
	OptOutType string
	NumMedia   string
}

// IsInbound tells an incoming message from a status callback: it carries
// Body and no MessageStatus (its SmsStatus, when present, is "received").
func IsInbound(params url.Values) bool {
	if !params.Has("Body") || params.Get("MessageStatus") != "" {
		return false
	}
	s := params.Get("SmsStatus")
	return s == "" || s == "received"
}

// ParseInbound verifies and reads an incoming-message webhook (same
// signature as status callbacks: the public URL and the sorted
// parameters).
func ParseInbound(authToken, fullURL, signature string, params url.Values) (Inbound, error) {
	if err := VerifySignature(authToken, fullURL, params, signature); err != nil {
		return Inbound{}, err
	}
	in := Inbound{
		Channel:    "sms",
		MessageSID: params.Get("MessageSid"),
		AccountSID: params.Get("AccountSid"),
		From:       params.Get("From"),
		To:         params.Get("To"),
		Body:       params.Get("Body"),
		OptOutType: strings.ToUpper(params.Get("OptOutType")),
		NumMedia:   params.Get("NumMedia"),
	}
	if in.MessageSID == "" {
		in.MessageSID = params.Get("SmsMessageSid")
	}
	if from, ok := strings.CutPrefix(in.From, "whatsapp:"); ok {
		in.Channel, in.From = "whatsapp", from
		in.To = strings.TrimPrefix(in.To, "whatsapp:")
	}
	if in.MessageSID == "" || in.From == "" {
		return Inbound{}, connectors.Payloadf(vendor, "an incoming message needs MessageSid and From")
	}
	return in, nil
}
