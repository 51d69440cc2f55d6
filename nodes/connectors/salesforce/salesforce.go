// Package salesforce writes leads, contacts, opportunities, tasks and
// campaign members to Salesforce through its REST API (sObjects and SOQL
// query), with an OAuth 2.0 connection (nodes/connectors/oauth).
package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
)

const vendor = "Salesforce"

// DefaultAPIVersion is the REST API version used when none is set.
const DefaultAPIVersion = "v62.0"

// Auth gives the client its access token and the org's address
// (instance_url), and a new token after a 401.
type Auth = oauth.Auth

// Client calls one Salesforce org.
type Client struct {
	Auth Auth
	// APIVersion is like "v62.0" (default DefaultAPIVersion).
	APIVersion string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Record types the client writes.
const (
	ObjectLead           = "Lead"
	ObjectContact        = "Contact"
	ObjectOpportunity    = "Opportunity"
	ObjectTask           = "Task"
	ObjectCampaignMember = "CampaignMember"
)

// Record id prefixes (the object's key prefix).
const (
	PrefixLead    = "00Q"
	PrefixContact = "003"
	PrefixUser    = "005"
)

var (
	apiVersion = regexp.MustCompile(`^v[0-9]{2,3}\.0$`)
	recordID   = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)
	apiName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// IsID reports whether s looks like a Salesforce record id (15 or 18
// characters), optionally of an object (its 3-character prefix).
func IsID(s, prefix string) bool {
	return recordID.MatchString(s) && strings.HasPrefix(s, prefix)
}

// IsAPIName reports whether s can be a field's API name (Lead_Source__c).
func IsAPIName(s string) bool { return apiName.MatchString(s) }

// CheckAPIVersion accepts "v62.0".
func CheckAPIVersion(s string) error {
	if !apiVersion.MatchString(s) {
		return errors.New(`is not an API version like v62.0`)
	}
	return nil
}

// apiError is one element of Salesforce's error array.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// parseError reads Salesforce's error array (or an OAuth error object).
func parseError(body []byte) (code, message string) {
	var list []apiError
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		msg := list[0].Message
		if len(list[0].Fields) > 0 && !strings.Contains(msg, list[0].Fields[0]) {
			msg += " (fields: " + strings.Join(list[0].Fields, ", ") + ")"
		}
		return list[0].ErrorCode, msg
	}
	var oe struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
		return oe.Error, oe.Description
	}
	return connectors.GenericError(body)
}

// ErrorCode returns Salesforce's errorCode of err ("" when none).
func ErrorCode(err error) string {
	var he *connectors.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	return ""
}

func (c *Client) version() string {
	if c.APIVersion != "" {
		return c.APIVersion
	}
	return DefaultAPIVersion
}

// call sends one request to the org, refreshing the token once after a
// 401 and trying again.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in any) (*connectors.Response, error) {
	if c.Auth == nil {
		return nil, connectors.Invalidf("the Salesforce account is not connected")
	}
	if err := CheckAPIVersion(c.version()); err != nil {
		return nil, connectors.Invalidf("the Salesforce API version %q %v", c.version(), err)
	}
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = b
	}
	token, instance, err := c.Auth.Token(ctx)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		if instance == "" {
			return nil, connectors.Invalidf("the Salesforce connection has no instance address: press Connect again in Settings")
		}
		u := strings.TrimRight(instance, "/") + "/services/data/" + c.version() + path
		if len(query) > 0 {
			u += "?" + query.Encode()
		}
		h := http.Header{"Authorization": {"Bearer " + token}}
		if body != nil {
			h.Set("Content-Type", "application/json")
		}
		resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: u, Header: h, Body: body, ParseError: parseError})
		var he *connectors.HTTPError
		if try == 0 && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			if token, instance, err = c.Auth.Refreshed(ctx, token); err != nil {
				return nil, err
			}
			continue
		}
		return resp, err
	}
}

// saveResult is the answer of a create.
type saveResult struct {
	ID      string     `json:"id"`
	Success bool       `json:"success"`
	Errors  []apiError `json:"errors"`
}

// Create creates a record and returns its id.
func (c *Client) Create(ctx context.Context, object string, fields map[string]any) (string, error) {
	resp, err := c.call(ctx, http.MethodPost, "/sobjects/"+object, nil, fields)
	if err != nil {
		return "", err
	}
	var out saveResult
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if !out.Success || out.ID == "" {
		if len(out.Errors) > 0 {
			return "", &connectors.HTTPError{Vendor: vendor, Status: resp.Status, Code: out.Errors[0].ErrorCode, Message: out.Errors[0].Message}
		}
		return "", connectors.Payloadf(vendor, "the answer has no record id")
	}
	return out.ID, nil
}

// Update changes fields of a record (Salesforce answers 204).
func (c *Client) Update(ctx context.Context, object, id string, fields map[string]any) error {
	if !IsID(id, "") {
		return connectors.Invalidf("%q is not a Salesforce record id", id)
	}
	if len(fields) == 0 {
		return nil
	}
	_, err := c.call(ctx, http.MethodPatch, "/sobjects/"+object+"/"+id, nil, fields)
	return err
}

// Query runs a SOQL query and returns the first batch's record ids.
func (c *Client) Query(ctx context.Context, soql string) ([]string, error) {
	resp, err := c.call(ctx, http.MethodGet, "/query", url.Values{"q": {soql}}, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Records))
	for _, r := range out.Records {
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// Quote makes s a SOQL string literal: quotes and backslashes escaped.
func Quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return "'" + r.Replace(s) + "'"
}

// FindByEmail returns the id of the oldest lead (not converted) or
// contact with this email, "" when there is none.
func (c *Client) FindByEmail(ctx context.Context, object, email string) (string, error) {
	email = strings.TrimSpace(email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return "", connectors.Invalidf("%q is not an email address Salesforce can find a person by", email)
	}
	where := "Email = " + Quote(email)
	if object == ObjectLead {
		where += " AND IsConverted = false"
	}
	ids, err := c.Query(ctx, "SELECT Id FROM "+object+" WHERE "+where+" ORDER BY CreatedDate ASC LIMIT 1")
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// AddToCampaign makes the lead or contact a member of the campaign; one
// already a member is left as is (Salesforce answers DUPLICATE_VALUE).
func (c *Client) AddToCampaign(ctx context.Context, campaignID, personID string) error {
	if !IsID(campaignID, "") {
		return connectors.Invalidf("%q is not a Salesforce campaign id (it looks like 7015e000000Cmp1AAC)", campaignID)
	}
	m := map[string]any{"CampaignId": campaignID}
	switch {
	case IsID(personID, PrefixLead):
		m["LeadId"] = personID
	case IsID(personID, PrefixContact):
		m["ContactId"] = personID
	default:
		return connectors.Invalidf("%q is neither a Salesforce lead nor a contact", personID)
	}
	_, err := c.Create(ctx, ObjectCampaignMember, m)
	if ErrorCode(err) == "DUPLICATE_VALUE" {
		return nil
	}
	return err
}

// Check runs a harmless query that proves the connection and the API
// access (reading leads).
func (c *Client) Check(ctx context.Context) error {
	_, err := c.Query(ctx, "SELECT Id FROM Lead LIMIT 1")
	return err
}

// Identity is who the token belongs to (from the OAuth userinfo
// endpoint on the org).
func (c *Client) Identity(ctx context.Context) (string, error) {
	token, instance, err := c.Auth.Token(ctx)
	if err != nil {
		return "", err
	}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: http.MethodGet,
		URL: strings.TrimRight(instance, "/") + "/services/oauth2/userinfo", Header: http.Header{"Authorization": {"Bearer " + token}}, ParseError: parseError})
	if err != nil {
		return "", err
	}
	var out struct {
		Username string `json:"preferred_username"`
		Email    string `json:"email"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if out.Username != "" {
		return out.Username, nil
	}
	return out.Email, nil
}
