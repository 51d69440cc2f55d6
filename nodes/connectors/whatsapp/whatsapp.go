// Package whatsapp sends text and template messages through Meta's
// WhatsApp Cloud API, lists message templates, and reads its signed
// webhooks.
package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

// DefaultBaseURL is Meta's Graph API.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultVersion is the Graph API version used when Version is empty.
const DefaultVersion = "v23.0"

const vendor = "WhatsApp"

// Client sends for one WhatsApp Business phone number.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// Version is the Graph API version, e.g. "v23.0".
	Version string
	// PhoneNumberID is the sending number's id (not the number).
	PhoneNumberID string
	// BusinessAccountID (WABA id) is needed to list templates.
	BusinessAccountID string
	// AccessToken is a system-user or app token.
	AccessToken string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Text is a free-form message (delivered only inside the 24-hour
// customer-service window).
type Text struct {
	// To is the recipient's number; "+", spaces and dashes are removed.
	To         string
	Body       string
	PreviewURL bool
	// IdempotencyKey is sent as a header (Meta ignores it).
	IdempotencyKey string
}

// Template is an approved template message.
type Template struct {
	To       string
	Name     string
	Language string
	// BodyParams fill {{1}}, {{2}}... of the body in order.
	BodyParams []string
	// HeaderParams fill a text header's placeholders.
	HeaderParams   []string
	IdempotencyKey string
}

// Sent is the accepted message.
type Sent struct {
	// MessageID is the wamid that status webhooks carry.
	MessageID string
	// WaID is the recipient's WhatsApp id, when Meta reports it.
	WaID string
}

func (c *Client) base() string {
	b := DefaultBaseURL
	if c.BaseURL != "" {
		b = strings.TrimRight(c.BaseURL, "/")
	}
	v := c.Version
	if v == "" {
		v = DefaultVersion
	}
	return b + "/" + url.PathEscape(v)
}

func (c *Client) header(key string) (http.Header, error) {
	if c.AccessToken == "" {
		return nil, connectors.Invalidf("the WhatsApp access token is not set")
	}
	h := connectors.JSONHeader()
	h.Set("Authorization", "Bearer "+c.AccessToken)
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	return h, nil
}

// Recipient normalises a phone number to the digits Meta expects.
func Recipient(to string) string {
	var b strings.Builder
	for _, r := range to {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type textBody struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

type language struct {
	Code   string `json:"code"`
	Policy string `json:"policy"`
}

type param struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type component struct {
	Type       string  `json:"type"`
	Parameters []param `json:"parameters"`
}

type templateBody struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type message struct {
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type"`
	To               string        `json:"to"`
	Type             string        `json:"type"`
	Text             *textBody     `json:"text,omitempty"`
	Template         *templateBody `json:"template,omitempty"`
}

// SendText sends a free-form text message.
func (c *Client) SendText(ctx context.Context, m Text) (Sent, error) {
	to := Recipient(m.To)
	if to == "" {
		return Sent{}, connectors.Invalidf("the message has no recipient phone number")
	}
	if strings.TrimSpace(m.Body) == "" {
		return Sent{}, connectors.Invalidf("the message text is empty")
	}
	return c.send(ctx, m.IdempotencyKey, message{
		MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "text",
		Text: &textBody{Body: m.Body, PreviewURL: m.PreviewURL},
	})
}

// SendTemplate sends an approved template with text parameters.
func (c *Client) SendTemplate(ctx context.Context, m Template) (Sent, error) {
	to := Recipient(m.To)
	if to == "" {
		return Sent{}, connectors.Invalidf("the message has no recipient phone number")
	}
	if m.Name == "" || m.Language == "" {
		return Sent{}, connectors.Invalidf("choose a WhatsApp template and its language")
	}
	tb := &templateBody{Name: m.Name, Language: language{Code: m.Language, Policy: "deterministic"}}
	texts := func(vs []string) []param {
		ps := make([]param, len(vs))
		for i, v := range vs {
			ps[i] = param{Type: "text", Text: v}
		}
		return ps
	}
	if len(m.HeaderParams) > 0 {
		tb.Components = append(tb.Components, component{Type: "header", Parameters: texts(m.HeaderParams)})
	}
	if len(m.BodyParams) > 0 {
		tb.Components = append(tb.Components, component{Type: "body", Parameters: texts(m.BodyParams)})
	}
	return c.send(ctx, m.IdempotencyKey, message{
		MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: "template", Template: tb,
	})
}

func (c *Client) send(ctx context.Context, key string, m message) (Sent, error) {
	if c.PhoneNumberID == "" {
		return Sent{}, connectors.Invalidf("the WhatsApp phone number id is not set")
	}
	h, err := c.header(key)
	if err != nil {
		return Sent{}, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Sent{}, err
	}
	resp, err := connectors.Do(ctx, connectors.Request{
		Vendor: vendor, Client: c.HTTPClient, Method: http.MethodPost,
		URL:    c.base() + "/" + url.PathEscape(c.PhoneNumberID) + "/messages",
		Header: h, Body: body, ParseError: parseError,
	})
	if err != nil {
		return Sent{}, markTransient(err)
	}
	var out struct {
		Contacts []struct {
			WaID string `json:"wa_id"`
		} `json:"contacts"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return Sent{}, err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return Sent{}, connectors.Payloadf(vendor, "the answer has no message id")
	}
	s := Sent{MessageID: out.Messages[0].ID}
	if len(out.Contacts) > 0 {
		s.WaID = out.Contacts[0].WaID
	}
	return s, nil
}

// TemplateInfo describes one message template for the editor.
type TemplateInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language"`
	Status   string `json:"status"`
	Category string `json:"category"`
	// Body is the body text with its {{n}} placeholders.
	Body string `json:"body"`
	// BodyParams counts the body's placeholders.
	BodyParams int `json:"body_params"`
}

// maxTemplatePages bounds ListTemplates' paging.
const maxTemplatePages = 20

// ListTemplates returns the account's templates (all statuses; the editor
// offers APPROVED ones), following paging cursors.
func (c *Client) ListTemplates(ctx context.Context) ([]TemplateInfo, error) {
	if c.BusinessAccountID == "" {
		return nil, connectors.Invalidf("the WhatsApp Business Account id is not set")
	}
	h, err := c.header("")
	if err != nil {
		return nil, err
	}
	h.Del("Content-Type")
	var all []TemplateInfo
	after := ""
	for page := 0; page < maxTemplatePages; page++ {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		resp, err := connectors.Do(ctx, connectors.Request{
			Vendor: vendor, Client: c.HTTPClient, Method: http.MethodGet,
			URL:    c.base() + "/" + url.PathEscape(c.BusinessAccountID) + "/message_templates?" + q.Encode(),
			Header: h, ParseError: parseError,
		})
		if err != nil {
			return nil, markTransient(err)
		}
		var out struct {
			Data []struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				Language   string `json:"language"`
				Status     string `json:"status"`
				Category   string `json:"category"`
				Components []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"components"`
			} `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
			return nil, err
		}
		for _, d := range out.Data {
			t := TemplateInfo{ID: d.ID, Name: d.Name, Language: d.Language, Status: d.Status, Category: d.Category}
			for _, comp := range d.Components {
				if strings.EqualFold(comp.Type, "BODY") {
					t.Body = comp.Text
					t.BodyParams = countPlaceholders(comp.Text)
				}
			}
			all = append(all, t)
		}
		// Only follow a cursor that moves; Meta omits "next" on the last page.
		if out.Paging.Next == "" || out.Paging.Cursors.After == "" || out.Paging.Cursors.After == after {
			break
		}
		after = out.Paging.Cursors.After
	}
	return all, nil
}

// countPlaceholders counts distinct {{n}} placeholders.
func countPlaceholders(s string) int {
	seen := map[string]bool{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		seen[strings.TrimSpace(s[i+2:i+j])] = true
		s = s[i+j+2:]
	}
	return len(seen)
}

// parseError reads Meta's {"error":{"message","code","error_data":{"details"}}}.
func parseError(body []byte) (string, string) {
	var e struct {
		Error struct {
			Message   string `json:"message"`
			Code      int    `json:"code"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return connectors.GenericError(body)
	}
	msg := e.Error.Message
	if d := e.Error.ErrorData.Details; d != "" && d != msg {
		msg += ": " + d
	}
	code := ""
	if e.Error.Code != 0 {
		code = strconv.Itoa(e.Error.Code)
	}
	return code, msg
}

// throttleCodes are Meta error codes that mean "slow down", sent with 400.
var throttleCodes = map[string]bool{"4": true, "80007": true, "130429": true, "131048": true, "131056": true, "133016": true}

func markTransient(err error) error {
	var he *connectors.HTTPError
	if errors.As(err, &he) && throttleCodes[he.Code] {
		he.Transient = true
	}
	return err
}
