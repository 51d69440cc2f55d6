package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// SignatureHeader carries Twilio's request signature.
const SignatureHeader = "X-Twilio-Signature"

// Event types a status callback maps to.
const (
	EventSent        = "sent"
	EventDelivered   = "delivered"
	EventFailed      = "failed"
	EventUndelivered = "undelivered"
	EventRead        = "read"
)

// StatusEvent is one status callback, normalised.
type StatusEvent struct {
	// Type is "sms.<status>" or "whatsapp.<status>" (Twilio WhatsApp
	// numbers look like "whatsapp:+…").
	Type string
	// Status is Twilio's MessageStatus (trusted over SmsStatus).
	Status string
	// MessageSID correlates with the SID returned by SendSMS.
	MessageSID string
	AccountSID string
	To, From   string
	// ErrorCode is Twilio's error code on failure, "" otherwise.
	ErrorCode string
	// At is the carrier's done time (RawDlrDoneDate), zero when absent.
	At time.Time
	// Params are all callback parameters (Twilio adds new ones freely).
	Params map[string]string
}

// DedupKey identifies this status change: Twilio may post the same
// callback more than once.
func (e StatusEvent) DedupKey() string { return "twilio:" + e.MessageSID + ":" + e.Status }

// Signature computes X-Twilio-Signature: base64 HMAC-SHA1 keyed with the
// auth token over the full URL followed by each POST parameter name and
// value, sorted by name.
func Signature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks signature against the public URL Twilio called
// (behind a proxy: the external URL, query string included) and the POST
// parameters, in constant time.
func VerifySignature(authToken, fullURL string, params url.Values, signature string) error {
	if authToken == "" || signature == "" {
		return connectors.ErrBadSignature
	}
	want := Signature(authToken, fullURL, params)
	if !connectors.EqualMAC([]byte(want), []byte(signature)) {
		return connectors.ErrBadSignature
	}
	return nil
}

// ParseStatusCallback verifies and reads a status callback's raw
// form-encoded body. Statuses that are not outcomes (queued, sending,
// accepted, scheduled...) give connectors.ErrIgnored.
func ParseStatusCallback(authToken, publicURL, signature string, body []byte) (StatusEvent, error) {
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return StatusEvent{}, connectors.Payloadf(vendor, "the body is not form-encoded: %v", err)
	}
	if err := VerifySignature(authToken, publicURL, params, signature); err != nil {
		return StatusEvent{}, err
	}
	return statusEvent(params)
}

func statusEvent(params url.Values) (StatusEvent, error) {
	ev := StatusEvent{
		Status:     strings.ToLower(params.Get("MessageStatus")),
		MessageSID: params.Get("MessageSid"),
		AccountSID: params.Get("AccountSid"),
		To:         params.Get("To"),
		From:       params.Get("From"),
		ErrorCode:  params.Get("ErrorCode"),
		Params:     make(map[string]string, len(params)),
	}
	for k := range params {
		ev.Params[k] = params.Get(k)
	}
	if ev.MessageSID == "" {
		ev.MessageSID = params.Get("SmsSid")
	}
	if ev.Status == "" {
		ev.Status = strings.ToLower(params.Get("SmsStatus"))
	}
	if ev.MessageSID == "" || ev.Status == "" {
		return StatusEvent{}, connectors.Payloadf(vendor, "a status callback needs MessageSid and MessageStatus")
	}
	var kind string
	switch ev.Status {
	case EventSent, EventDelivered, EventFailed, EventUndelivered, EventRead:
		kind = ev.Status
	case "canceled":
		kind = EventFailed
	case "queued", "sending", "accepted", "scheduled", "receiving", "received":
		return StatusEvent{}, connectors.ErrIgnored
	default:
		return StatusEvent{}, connectors.Payloadf(vendor, "unknown message status %q", ev.Status)
	}
	channel := "sms"
	if strings.HasPrefix(ev.From, "whatsapp:") || strings.HasPrefix(ev.To, "whatsapp:") {
		channel = "whatsapp"
	}
	ev.Type = channel + "." + kind
	if raw := params.Get("RawDlrDoneDate"); len(raw) == 10 {
		if t, err := time.ParseInLocation("0601021504", raw, time.UTC); err == nil {
			ev.At = t
		}
	}
	return ev, nil
}
