// Package mailchimp adds or updates audience members and their tags
// through the Mailchimp Marketing API.
package mailchimp

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "Mailchimp"

// Client calls one Mailchimp account.
type Client struct {
	// BaseURL defaults to https://<dc>.api.mailchimp.com/3.0, the data
	// center being the API key's suffix ("…-us6").
	BaseURL string
	// APIKey is sent as the Basic auth password.
	APIKey string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Member statuses.
const (
	StatusSubscribed    = "subscribed"
	StatusPending       = "pending"
	StatusUnsubscribed  = "unsubscribed"
	StatusTransactional = "transactional"
)

// Member is an audience member to add or update.
type Member struct {
	Email string
	// StatusIfNew applies only when the address is new ("subscribed",
	// "pending" for double opt-in, "transactional"); default subscribed.
	// An existing member's status, e.g. unsubscribed, is left alone.
	StatusIfNew string
	// MergeFields by tag, e.g. FNAME, LNAME.
	MergeFields map[string]any
	// Tags are added (created when unknown) after the upsert.
	Tags           []string
	Language       string
	IdempotencyKey string
}

// SubscriberHash is Mailchimp's member id: MD5 of the lower-cased e-mail.
func SubscriberHash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

func (c *Client) base() (string, error) {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/"), nil
	}
	i := strings.LastIndexByte(c.APIKey, '-')
	dc := ""
	if i >= 0 {
		dc = c.APIKey[i+1:]
	}
	for _, r := range dc {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			dc = ""
			break
		}
	}
	if dc == "" {
		return "", connectors.Invalidf("the Mailchimp API key must end with its data center, like -us6")
	}
	return "https://" + dc + ".api.mailchimp.com/3.0", nil
}

func (c *Client) do(ctx context.Context, method, path, key string, in any) (*connectors.Response, error) {
	if c.APIKey == "" {
		return nil, connectors.Invalidf("the Mailchimp API key is not set")
	}
	base, err := c.base()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("journey", c.APIKey)
	h := connectors.JSONHeader()
	h.Set("Authorization", r.Header.Get("Authorization"))
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	return connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: base + path, Header: h, Body: body, ParseError: parseError})
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// UpsertMember adds the address to the audience or updates it (PUT by
// subscriber hash), then adds Tags. It returns the member id (the hash).
func (c *Client) UpsertMember(ctx context.Context, listID string, m Member) (string, error) {
	email := strings.TrimSpace(m.Email)
	if !validEmail(email) {
		return "", connectors.Invalidf("%q is not an e-mail address Mailchimp accepts", m.Email)
	}
	if listID == "" {
		return "", connectors.Invalidf("choose a Mailchimp audience")
	}
	status := m.StatusIfNew
	switch status {
	case "":
		status = StatusSubscribed
	case StatusSubscribed, StatusPending, StatusTransactional, StatusUnsubscribed:
	default:
		return "", connectors.Invalidf("status %q is not a Mailchimp member status", status)
	}
	in := map[string]any{"email_address": email, "status_if_new": status}
	if len(m.MergeFields) > 0 {
		in["merge_fields"] = m.MergeFields
	}
	if m.Language != "" {
		in["language"] = m.Language
	}
	hash := SubscriberHash(email)
	resp, err := c.do(ctx, http.MethodPut, "/lists/"+url.PathEscape(listID)+"/members/"+hash, m.IdempotencyKey, in)
	if err != nil {
		return "", err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		out.ID = hash
	}
	if len(m.Tags) > 0 {
		if err := c.SetTags(ctx, listID, email, m.Tags, nil); err != nil {
			return out.ID, err
		}
	}
	return out.ID, nil
}

// Unsubscribe marks the member unsubscribed on the audience (PATCH
// status). An address that is not on the audience (404) is not an error:
// there is nothing to take it off. Unsubscribing rather than archiving
// keeps the person's opt-out, so a later "Add to list" (status_if_new)
// does not subscribe them again; archiving would forget it.
func (c *Client) Unsubscribe(ctx context.Context, listID, email string) error {
	email = strings.TrimSpace(email)
	if listID == "" || !validEmail(email) {
		return connectors.Invalidf("unsubscribing needs an audience and a valid e-mail address")
	}
	_, err := c.do(ctx, http.MethodPatch, "/lists/"+url.PathEscape(listID)+"/members/"+SubscriberHash(email), "", map[string]any{"status": StatusUnsubscribed})
	var he *connectors.HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// SetTags adds and removes tags on a member (unknown tags are created).
func (c *Client) SetTags(ctx context.Context, listID, email string, add, remove []string) error {
	if listID == "" || !validEmail(strings.TrimSpace(email)) {
		return connectors.Invalidf("tags need an audience and a valid e-mail address")
	}
	type tag struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	var tags []tag
	for _, n := range add {
		if n = strings.TrimSpace(n); n != "" {
			tags = append(tags, tag{n, "active"})
		}
	}
	for _, n := range remove {
		if n = strings.TrimSpace(n); n != "" {
			tags = append(tags, tag{n, "inactive"})
		}
	}
	if len(tags) == 0 {
		return nil
	}
	for _, t := range tags {
		if len(t.Name) > 100 {
			return connectors.Invalidf("the tag %q is longer than 100 characters", t.Name[:20]+"…")
		}
	}
	_, err := c.do(ctx, http.MethodPost, "/lists/"+url.PathEscape(listID)+"/members/"+SubscriberHash(email)+"/tags", "", map[string]any{"tags": tags})
	return err
}

// parseError reads Mailchimp's problem+json: title as code, detail plus
// field errors as message.
func parseError(body []byte) (string, string) {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil || (p.Title == "" && p.Detail == "") {
		return connectors.GenericError(body)
	}
	msg := p.Detail
	for _, e := range p.Errors {
		msg += " " + e.Field + ": " + e.Message
	}
	return p.Title, strings.TrimSpace(msg)
}
