// Package brevo saves contacts and list membership, directly or through
// double opt-in, with the Brevo (ex Sendinblue) API v3.
package brevo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "Brevo"

// DefaultBaseURL is Brevo's API host; paths start with /v3.
const DefaultBaseURL = "https://api.brevo.com"

// Client calls one Brevo account.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey (xkeysib-…) is sent in the api-key header.
	APIKey string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Contact is a person to create or update, found by email.
type Contact struct {
	Email string
	// ExtID is the person's id in another system (ext_id).
	ExtID string
	// Attributes by their upper-case Brevo names (FIRSTNAME, SMS...);
	// they must exist in the account.
	Attributes map[string]any
	// ListIDs are lists to add the contact to.
	ListIDs []int64
}

func (c *Client) do(ctx context.Context, method, path string, in any) (*connectors.Response, error) {
	if strings.TrimSpace(c.APIKey) == "" {
		return nil, connectors.Invalidf("the Brevo API key is not set")
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	h := http.Header{"Api-Key": {strings.TrimSpace(c.APIKey)}}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "application/json")
	}
	return connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: base + path, Header: h, Body: body})
}

func checkEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
		return "", connectors.Invalidf("%q is not an email address Brevo accepts", e)
	}
	return e, nil
}

// ListID reads a Brevo list id (a positive number).
func ListID(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, connectors.Invalidf("%q is not a Brevo list id: Brevo lists are numbered, like 7 (Contacts → Lists)", s)
	}
	return n, nil
}

// UpsertContact creates the contact or updates the one with this email
// (POST /v3/contacts with updateEnabled), adding it to ListIDs. It
// reports whether the contact was created (201) rather than updated
// (204). An existing contact's email blacklist (their unsubscribe) is
// left as it is.
func (c *Client) UpsertContact(ctx context.Context, in Contact) (bool, error) {
	email, err := checkEmail(in.Email)
	if err != nil {
		return false, err
	}
	body := map[string]any{"email": email, "updateEnabled": true}
	if len(in.Attributes) > 0 {
		body["attributes"] = in.Attributes
	}
	if ext := strings.TrimSpace(in.ExtID); ext != "" {
		body["ext_id"] = ext
	}
	if len(in.ListIDs) > 0 {
		body["listIds"] = in.ListIDs
	}
	resp, err := c.do(ctx, http.MethodPost, "/v3/contacts", body)
	if err != nil {
		return false, err
	}
	return resp.Status == http.StatusCreated, nil
}

// DoubleOptIn emails the person Brevo's confirmation (the template, which
// must hold the {{ doubleoptin }} link) and adds them to the lists once
// they click it; they then land on redirectURL (POST
// /v3/contacts/doubleOptinConfirmation).
func (c *Client) DoubleOptIn(ctx context.Context, email string, listIDs []int64, templateID int64, redirectURL string, attrs map[string]any) error {
	email, err := checkEmail(email)
	if err != nil {
		return err
	}
	if len(listIDs) == 0 || templateID <= 0 || connectors.CheckURL(strings.TrimSpace(redirectURL)) != nil {
		return connectors.Invalidf("Brevo's double opt-in needs a list, the confirmation template id and the address of the page after confirming")
	}
	body := map[string]any{"email": email, "includeListIds": listIDs, "templateId": templateID, "redirectionUrl": strings.TrimSpace(redirectURL)}
	if len(attrs) > 0 {
		body["attributes"] = attrs
	}
	_, err = c.do(ctx, http.MethodPost, "/v3/contacts/doubleOptinConfirmation", body)
	return err
}

// RemoveFromList takes the address off the list (POST
// /v3/contacts/lists/{id}/contacts/remove); the contact and their consent
// stay. Someone not on the list, or unknown to Brevo, is not an error:
// Brevo answers 400 "already removed from list and/or does not exist".
func (c *Client) RemoveFromList(ctx context.Context, listID int64, email string) error {
	email, err := checkEmail(email)
	if err != nil {
		return err
	}
	if listID <= 0 {
		return connectors.Invalidf("choose a Brevo list")
	}
	_, err = c.do(ctx, http.MethodPost, "/v3/contacts/lists/"+strconv.FormatInt(listID, 10)+"/contacts/remove", map[string]any{"emails": []string{email}})
	var he *connectors.HTTPError
	if errors.As(err, &he) && he.Status == http.StatusBadRequest &&
		(strings.Contains(he.Message, "already removed") || strings.Contains(he.Message, "does not exist")) {
		return nil
	}
	return err
}

// Ping reads the account (GET /v3/account): it proves the key works and
// changes nothing.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/v3/account", nil)
	return err
}
