package emailevents

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// SendGrid signed-webhook headers.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// ParseSendGridPublicKey reads the verification key as SendGrid shows it
// (base64 DER), or PEM.
func ParseSendGridPublicKey(key string) (*ecdsa.PublicKey, error) {
	key = strings.TrimSpace(key)
	var der []byte
	if b, _ := pem.Decode([]byte(key)); b != nil {
		der = b.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(key); err != nil {
			return nil, connectors.Invalidf("the SendGrid verification key is not base64")
		}
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, connectors.Invalidf("the SendGrid verification key cannot be read: %v", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, connectors.Invalidf("the SendGrid verification key is not an ECDSA key")
	}
	return ec, nil
}

// VerifySendGrid checks the ECDSA P-256 signature over timestamp + raw
// body. A key that cannot be read is a configuration error, not a bad
// signature.
func VerifySendGrid(publicKey, signature, timestamp string, body []byte) error {
	pub, err := ParseSendGridPublicKey(publicKey)
	if err != nil {
		return err
	}
	if signature == "" || timestamp == "" {
		return connectors.ErrBadSignature
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return connectors.ErrBadSignature
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
		return connectors.ErrBadSignature
	}
	return nil
}

// ParseSendGrid verifies and parses an Event Webhook batch.
func ParseSendGrid(publicKey, signature, timestamp string, body []byte) ([]Event, error) {
	if err := VerifySendGrid(publicKey, signature, timestamp, body); err != nil {
		return nil, err
	}
	return parseSendGridBatch(body)
}

type sgEvent struct {
	Event       string          `json:"event"`
	Email       string          `json:"email"`
	Timestamp   float64         `json:"timestamp"`
	SgEventID   string          `json:"sg_event_id"`
	SgMessageID string          `json:"sg_message_id"`
	SMTPID      string          `json:"smtp-id"`
	Type        string          `json:"type"`
	Reason      string          `json:"reason"`
	Status      string          `json:"status"`
	URL         string          `json:"url"`
	Category    json.RawMessage `json:"category"`
	OurID       json.RawMessage `json:"journey_message_id"`
	// Group is asm_group_id, a number (a string is accepted too).
	Group json.RawMessage `json:"asm_group_id"`
}

// parseSendGridBatch reads the JSON array. Dedup key: SendGrid's docs
// sample gives every event in its batch the same placeholder sg_event_id,
// so the key is sg_event_id + ":" + event — distinct for the sample's
// distinct events and never merging two real events (real ids are unique
// per event already). Without sg_event_id the key is a hash of the event.
func parseSendGridBatch(body []byte) ([]Event, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, connectors.Payloadf(SendGrid, "the body must be a JSON array of events: %v", err)
	}
	var out []Event
	for i, raw := range raws {
		var e sgEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, connectors.Payloadf(SendGrid, "event %d is not an event object: %v", i, err)
		}
		if e.Event == "" || e.Email == "" {
			return nil, connectors.Payloadf(SendGrid, "event %d has no event name or e-mail", i)
		}
		ev := Event{Provider: SendGrid, Email: e.Email, At: floatTime(e.Timestamp), Data: map[string]any{"event": e.Event}}
		switch e.Event {
		case "delivered":
			ev.Type = Delivered
		case "open":
			ev.Type = Opened
		case "click":
			ev.Type = Clicked
			ev.Data["url"] = e.URL
		case "bounce":
			ev.Type = Bounced
			// type "blocked" is a temporary refusal (soft); "bounce" is hard.
			ev.HardBounce = e.Type != "blocked"
		case "dropped":
			ev.Type = Bounced
			ev.Data["dropped"] = true
			ev.HardBounce = e.Reason == "Bounced Address" || e.Reason == "Invalid"
		case "spamreport":
			ev.Type = Complained
		case "unsubscribe":
			ev.Type = Unsubscribed
			ev.ByRecipient = true
		case "group_unsubscribe", "group_resubscribe":
			// Only the one unsubscribe group changes, not all email.
			ev.Type, ev.ByRecipient = Unsubscribed, true
			if e.Event == "group_resubscribe" {
				ev.Type = Resubscribed
			}
			if ev.Group = groupID(e.Group); ev.Group == "" {
				out = append(out, ignored(SendGrid, e.Event, IgnoredUnknown))
				continue
			}
			ev.Data["group"] = ev.Group
		case "processed", "deferred":
			out = append(out, ignored(SendGrid, e.Event, IgnoredByDesign))
			continue
		default:
			out = append(out, ignored(SendGrid, e.Event, IgnoredUnknown))
			continue
		}
		for k, v := range map[string]string{"reason": e.Reason, "status": e.Status, "type": e.Type} {
			if v != "" {
				ev.Data[k] = v
			}
		}
		var cat any
		if len(e.Category) > 0 && json.Unmarshal(e.Category, &cat) == nil && cat != nil {
			ev.Data["category"] = cat
		}
		// sg_message_id is X-Message-Id + ".filter…": keep the prefix.
		ev.MessageID, _, _ = strings.Cut(e.SgMessageID, ".")
		ev.SMTPMessageID = strings.Trim(e.SMTPID, "<>")
		var our string
		if json.Unmarshal(e.OurID, &our) == nil {
			ev.OurMessageID = our
		}
		if e.SgEventID != "" {
			ev.ProviderEventID = e.SgEventID + ":" + e.Event
		} else {
			ev.ProviderEventID = contentKey(raw)
		}
		out = append(out, ev)
	}
	return out, nil
}

// groupID reads asm_group_id (a number, or a string) as text; "" when it
// is missing or neither.
func groupID(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch g := v.(type) {
	case float64:
		return strconv.FormatFloat(g, 'f', -1, 64)
	case string:
		return strings.TrimSpace(g)
	}
	return ""
}
