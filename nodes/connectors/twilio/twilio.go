// Package twilio sends SMS through Twilio's Messages API and reads its
// signed status callbacks.
package twilio

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// DefaultBaseURL is Twilio's API.
const DefaultBaseURL = "https://api.twilio.com"

const vendor = "Twilio"

var accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

// Client sends messages for one Twilio account.
type Client struct {
	// BaseURL defaults to DefaultBaseURL (tests point it at a mock).
	BaseURL string
	// AccountSID is the account (AC…), part of every path.
	AccountSID string
	// Username and Password are the Basic auth pair: AccountSID and auth
	// token, or an API key SID and secret. Username defaults to AccountSID.
	Username string
	Password string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// SMS is one outbound message.
type SMS struct {
	// To is the E.164 number (or "whatsapp:+…" for Twilio WhatsApp).
	To string
	// From is our number; MessagingServiceSID may replace it.
	From                string
	MessagingServiceSID string
	Body                string
	// StatusCallback is the public URL Twilio posts status changes to.
	StatusCallback string
	// IdempotencyKey is sent as a header (Twilio ignores unknown headers).
	IdempotencyKey string
}

// Message is Twilio's view of a message.
type Message struct {
	SID          string `json:"sid"`
	Status       string `json:"status"`
	To           string `json:"to"`
	From         string `json:"from"`
	ErrorCode    *int   `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

func (c *Client) base() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return DefaultBaseURL
}

func (c *Client) check() error {
	if !accountSIDPattern.MatchString(c.AccountSID) {
		return connectors.Invalidf("the Twilio account SID must look like AC followed by 32 hex characters")
	}
	if c.Password == "" {
		return connectors.Invalidf("the Twilio auth token is not set")
	}
	return nil
}

func (c *Client) header() http.Header {
	user := c.Username
	if user == "" {
		user = c.AccountSID
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, c.Password)
	return http.Header{"Authorization": {r.Header.Get("Authorization")}}
}

// SendSMS queues one message and returns its SID (the correlation key of
// later status callbacks).
func (c *Client) SendSMS(ctx context.Context, m SMS) (Message, error) {
	if err := c.check(); err != nil {
		return Message{}, err
	}
	if strings.TrimSpace(m.To) == "" {
		return Message{}, connectors.Invalidf("the message has no recipient phone number")
	}
	if m.From == "" && m.MessagingServiceSID == "" {
		return Message{}, connectors.Invalidf("set a sender number or a Messaging Service for Twilio")
	}
	if strings.TrimSpace(m.Body) == "" {
		return Message{}, connectors.Invalidf("the message text is empty")
	}
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if m.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", m.MessagingServiceSID)
	} else {
		form.Set("From", m.From)
	}
	if m.StatusCallback != "" {
		form.Set("StatusCallback", m.StatusCallback)
	}
	h := c.header()
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	if m.IdempotencyKey != "" {
		h.Set(connectors.IdempotencyHeader, m.IdempotencyKey)
	}
	resp, err := connectors.Do(ctx, connectors.Request{
		Vendor: vendor, Client: c.HTTPClient, Method: http.MethodPost,
		URL:    c.base() + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages.json",
		Header: h, Body: []byte(form.Encode()),
	})
	if err != nil {
		return Message{}, err
	}
	var out Message
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return Message{}, err
	}
	if out.SID == "" {
		return Message{}, connectors.Payloadf(vendor, "the answer has no message SID")
	}
	return out, nil
}

// GetMessage reads a message's current status.
func (c *Client) GetMessage(ctx context.Context, sid string) (Message, error) {
	if err := c.check(); err != nil {
		return Message{}, err
	}
	if sid == "" {
		return Message{}, connectors.Invalidf("no message SID given")
	}
	resp, err := connectors.Do(ctx, connectors.Request{
		Vendor: vendor, Client: c.HTTPClient, Method: http.MethodGet,
		URL:    c.base() + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages/" + url.PathEscape(sid) + ".json",
		Header: c.header(),
	})
	if err != nil {
		return Message{}, err
	}
	var out Message
	return out, connectors.DecodeJSON(vendor, resp.Body, &out)
}
