package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// SignatureHeader carries Meta's body signature.
const SignatureHeader = "X-Hub-Signature-256"

// ErrVerifyToken means a subscription check with a wrong token or mode.
var ErrVerifyToken = errors.New("the webhook verification token does not match")

// Challenge answers Meta's GET subscription check: with hub.mode=subscribe
// and the configured verify token it returns hub.challenge, which the
// server echoes as the 200 body; otherwise ErrVerifyToken (answer 403).
func Challenge(query url.Values, verifyToken string) (string, error) {
	if verifyToken == "" || query.Get("hub.mode") != "subscribe" {
		return "", ErrVerifyToken
	}
	if !connectors.EqualMAC([]byte(query.Get("hub.verify_token")), []byte(verifyToken)) {
		return "", ErrVerifyToken
	}
	c := query.Get("hub.challenge")
	if c == "" {
		return "", connectors.Payloadf(vendor, "hub.challenge is missing")
	}
	return c, nil
}

// Sign returns the X-Hub-Signature-256 value for body.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks X-Hub-Signature-256 over the raw body.
func VerifySignature(appSecret string, body []byte, signature string) error {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if appSecret == "" || !ok {
		return connectors.ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return connectors.ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return connectors.ErrBadSignature
	}
	return nil
}

// Status event types.
const (
	EventSent      = "whatsapp.sent"
	EventDelivered = "whatsapp.delivered"
	EventRead      = "whatsapp.read"
	EventFailed    = "whatsapp.failed"
)

// StatusEvent is one message status change.
type StatusEvent struct {
	// Type is one of the Event* constants.
	Type string
	// MessageID is the wamid returned by SendText/SendTemplate.
	MessageID string
	// RecipientID is the recipient's WhatsApp id (digits, no "+").
	RecipientID string
	At          time.Time
	// Errors explain a failure.
	Errors []Error
	// PhoneNumberID is our sending number's id.
	PhoneNumberID string
	// Data keeps conversation and pricing details as sent.
	Data map[string]any
}

// DedupKey identifies this status change (Meta retries webhooks).
func (e StatusEvent) DedupKey() string { return "whatsapp:" + e.MessageID + ":" + e.Type }

// Error is one of Meta's error entries.
type Error struct {
	Code    int    `json:"code"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// InboundMessage is a message a contact sent us.
type InboundMessage struct {
	ID   string
	From string
	// Name is the sender's profile name, when given.
	Name string
	// Type is Meta's message type (text, image, button, interactive...).
	Type string
	// Text is the text body, or the text or title of the button or list
	// row the contact tapped.
	Text string
	// ReplyID is the payload of a quick-reply button or the id of an
	// interactive button or list row ("" for typed text).
	ReplyID string
	// ContextID is the wamid of our message this one answers, when the
	// contact replied to it or tapped one of its buttons.
	ContextID     string
	At            time.Time
	PhoneNumberID string
}

// Preference is a contact's marketing-message choice (webhook field
// user_preferences): Value "stop" when they asked for no more marketing
// messages, "resume" when they asked for them again.
type Preference struct {
	WaID     string
	Value    string
	Category string
	Detail   string
	At       time.Time
}

// Notification is everything one webhook POST carried.
type Notification struct {
	Statuses []StatusEvent
	Messages []InboundMessage
	// Preferences are opt-outs and opt-ins of marketing messages.
	Preferences []Preference
	// Errors are account-level errors (value.errors).
	Errors []Error
}

// ParseWebhook verifies and reads a webhook POST body. Status values we do
// not know (e.g. "deleted") are skipped.
func ParseWebhook(appSecret, signature string, body []byte) (Notification, error) {
	if err := VerifySignature(appSecret, body, signature); err != nil {
		return Notification{}, err
	}
	return parse(body)
}

type rawError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

func (r rawError) norm() Error {
	return Error{Code: r.Code, Title: r.Title, Message: r.Message, Details: r.ErrorData.Details}
}

type payload struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Metadata struct {
					PhoneNumberID string `json:"phone_number_id"`
				} `json:"metadata"`
				Contacts []struct {
					WaID    string `json:"wa_id"`
					Profile struct {
						Name string `json:"name"`
					} `json:"profile"`
				} `json:"contacts"`
				Statuses []struct {
					ID           string          `json:"id"`
					Status       string          `json:"status"`
					Timestamp    string          `json:"timestamp"`
					RecipientID  string          `json:"recipient_id"`
					Conversation json.RawMessage `json:"conversation"`
					Pricing      json.RawMessage `json:"pricing"`
					Errors       []rawError      `json:"errors"`
				} `json:"statuses"`
				Messages []struct {
					ID        string `json:"id"`
					From      string `json:"from"`
					Timestamp string `json:"timestamp"`
					Type      string `json:"type"`
					Text      struct {
						Body string `json:"body"`
					} `json:"text"`
					Button struct {
						Payload string `json:"payload"`
						Text    string `json:"text"`
					} `json:"button"`
					Interactive struct {
						Type        string      `json:"type"`
						ButtonReply replyOption `json:"button_reply"`
						ListReply   replyOption `json:"list_reply"`
					} `json:"interactive"`
					Context struct {
						ID string `json:"id"`
					} `json:"context"`
				} `json:"messages"`
				UserPreferences []struct {
					WaID     string `json:"wa_id"`
					Value    string `json:"value"`
					Category string `json:"category"`
					Detail   string `json:"detail"`
					// Timestamp is a number here, a string elsewhere.
					Timestamp json.RawMessage `json:"timestamp"`
				} `json:"user_preferences"`
				Errors []rawError `json:"errors"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func parse(body []byte) (Notification, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Notification{}, connectors.Payloadf(vendor, "not valid JSON: %v", err)
	}
	if p.Object != "whatsapp_business_account" {
		return Notification{}, connectors.Payloadf(vendor, "object %q is not a WhatsApp Business Account notification", p.Object)
	}
	var n Notification
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			v := ch.Value
			for _, s := range v.Statuses {
				typ := map[string]string{"sent": EventSent, "delivered": EventDelivered, "read": EventRead, "failed": EventFailed}[s.Status]
				if typ == "" {
					continue
				}
				if s.ID == "" {
					return Notification{}, connectors.Payloadf(vendor, "a status without a message id")
				}
				ev := StatusEvent{Type: typ, MessageID: s.ID, RecipientID: s.RecipientID, At: unix(s.Timestamp), PhoneNumberID: v.Metadata.PhoneNumberID}
				for _, re := range s.Errors {
					ev.Errors = append(ev.Errors, re.norm())
				}
				data := map[string]any{}
				for k, raw := range map[string]json.RawMessage{"conversation": s.Conversation, "pricing": s.Pricing} {
					var x any
					if len(raw) > 0 && json.Unmarshal(raw, &x) == nil && x != nil {
						data[k] = x
					}
				}
				if len(data) > 0 {
					ev.Data = data
				}
				n.Statuses = append(n.Statuses, ev)
			}
			for _, m := range v.Messages {
				if m.ID == "" || m.From == "" {
					return Notification{}, connectors.Payloadf(vendor, "a message without id or sender")
				}
				im := InboundMessage{ID: m.ID, From: m.From, Type: m.Type, At: unix(m.Timestamp), PhoneNumberID: v.Metadata.PhoneNumberID,
					Text: m.Text.Body, ContextID: m.Context.ID}
				switch {
				case m.Type == "button":
					im.Text, im.ReplyID = m.Button.Text, m.Button.Payload
				case m.Interactive.ButtonReply.ID != "":
					im.Text, im.ReplyID = m.Interactive.ButtonReply.Title, m.Interactive.ButtonReply.ID
				case m.Interactive.ListReply.ID != "":
					im.Text, im.ReplyID = m.Interactive.ListReply.Title, m.Interactive.ListReply.ID
				}
				for _, c := range v.Contacts {
					if c.WaID == m.From {
						im.Name = c.Profile.Name
					}
				}
				n.Messages = append(n.Messages, im)
			}
			for _, up := range v.UserPreferences {
				if up.WaID == "" || (up.Value != "stop" && up.Value != "resume") {
					continue
				}
				n.Preferences = append(n.Preferences, Preference{WaID: up.WaID, Value: up.Value, Category: up.Category,
					Detail: up.Detail, At: unix(strings.Trim(string(up.Timestamp), `"`))})
			}
			for _, re := range v.Errors {
				n.Errors = append(n.Errors, re.norm())
			}
		}
	}
	return n, nil
}

// replyOption is the button or list row an interactive reply names.
type replyOption struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// unix reads Meta's string Unix seconds; zero when unreadable.
func unix(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
