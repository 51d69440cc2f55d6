package emailevents

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// VerifyMailgun checks hex(HMAC-SHA256(signing key, timestamp+token)).
func VerifyMailgun(signingKey, timestamp, token, signature string) error {
	if signingKey == "" || timestamp == "" || token == "" {
		return connectors.ErrBadSignature
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return connectors.ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write([]byte(timestamp + token))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return connectors.ErrBadSignature
	}
	return nil
}

type mgPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData json.RawMessage `json:"event-data"`
}

type mgEvent struct {
	Event     string  `json:"event"`
	ID        string  `json:"id"`
	Timestamp float64 `json:"timestamp"`
	Recipient string  `json:"recipient"`
	Severity  string  `json:"severity"`
	Reason    string  `json:"reason"`
	URL       string  `json:"url"`
	Message   struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
	DeliveryStatus struct {
		Code        int    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	} `json:"delivery-status"`
	UserVariables map[string]any `json:"user-variables"`
	Tags          []string       `json:"tags"`
}

// ParseMailgun verifies and parses one Mailgun webhook (JSON body with
// "signature" and "event-data"). Temporary failures and "accepted" are ignored:
// Mailgun retries those deliveries itself.
func ParseMailgun(signingKey string, body []byte) ([]Event, error) {
	var p mgPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, connectors.Payloadf(Mailgun, "not valid JSON: %v", err)
	}
	if err := VerifyMailgun(signingKey, p.Signature.Timestamp, p.Signature.Token, p.Signature.Signature); err != nil {
		return nil, err
	}
	return mailgunEvent(p.EventData)
}

func mailgunEvent(data json.RawMessage) ([]Event, error) {
	var e mgEvent
	if len(data) == 0 || json.Unmarshal(data, &e) != nil || e.Event == "" {
		return nil, connectors.Payloadf(Mailgun, "event-data is missing or has no event name")
	}
	if e.Recipient == "" {
		return nil, connectors.Payloadf(Mailgun, "the %s event has no recipient", e.Event)
	}
	ev := Event{Provider: Mailgun, Email: e.Recipient, At: floatTime(e.Timestamp), Data: map[string]any{"event": e.Event}}
	switch e.Event {
	case "delivered":
		ev.Type = Delivered
	case "opened":
		ev.Type = Opened
	case "clicked":
		ev.Type = Clicked
		ev.Data["url"] = e.URL
	case "failed":
		if e.Severity != "permanent" {
			return []Event{ignored(Mailgun, e.Event, IgnoredByDesign)}, nil
		}
		ev.Type = Bounced
		ev.HardBounce = true
	case "unsubscribed":
		ev.Type = Unsubscribed
	case "complained":
		ev.Type = Complained
	case "accepted":
		return []Event{ignored(Mailgun, e.Event, IgnoredByDesign)}, nil
	default:
		return []Event{ignored(Mailgun, e.Event, IgnoredUnknown)}, nil
	}
	for k, v := range map[string]string{"reason": e.Reason, "severity": e.Severity, "description": e.DeliveryStatus.Description, "smtp_message": e.DeliveryStatus.Message} {
		if v != "" {
			ev.Data[k] = v
		}
	}
	if e.DeliveryStatus.Code != 0 {
		ev.Data["smtp_code"] = e.DeliveryStatus.Code
	}
	if len(e.Tags) > 0 {
		ev.Data["tags"] = e.Tags
	}
	mid := strings.Trim(e.Message.Headers.MessageID, "<>")
	ev.MessageID, ev.SMTPMessageID = mid, mid
	if s, ok := e.UserVariables[CorrelationKey].(string); ok {
		ev.OurMessageID = s
	}
	if e.ID != "" {
		ev.ProviderEventID = e.ID
	} else {
		ev.ProviderEventID = contentKey(data)
	}
	return []Event{ev}, nil
}

// MailgunToken returns the one-time token of a Mailgun webhook's signature
// block ("" when there is none). A receiver remembers verified tokens for
// the freshness window so a captured request cannot be replayed.
func MailgunToken(body []byte) string {
	var p struct {
		Signature struct {
			Token string `json:"token"`
		} `json:"signature"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Signature.Token
}
