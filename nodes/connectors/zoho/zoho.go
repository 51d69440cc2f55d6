// Package zoho writes leads, contacts, deals, tasks and notes to Zoho CRM
// (records API v7) with an OAuth 2.0 connection (nodes/connectors/oauth).
package zoho

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

const vendor = "Zoho CRM"

// APIVersion is the records API version used.
const APIVersion = "v7"

// Modules the client writes.
const (
	ModuleLeads    = "Leads"
	ModuleContacts = "Contacts"
	ModuleDeals    = "Deals"
	ModuleTasks    = "Tasks"
	ModuleNotes    = "Notes"
)

// Auth gives the client its access token and API domain, and a new token
// after a 401.
type Auth = oauth.Auth

// Client calls one Zoho CRM org.
type Client struct {
	Auth Auth
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

var (
	recordID = regexp.MustCompile(`^[0-9]{10,25}$`)
	apiName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// IsID reports whether s is a Zoho record id (a long numeric string).
func IsID(s string) bool { return recordID.MatchString(s) }

// IsAPIName reports whether s can be a field's API name (Lead_Source).
func IsAPIName(s string) bool { return apiName.MatchString(s) }

// parseError reads Zoho's error object or the first per-record error.
func parseError(body []byte) (code, message string) {
	var e struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
		Data    []result        `json:"data"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Code != "" {
			return e.Code, e.Message
		}
		if len(e.Data) > 0 {
			return e.Data[0].Code, e.Data[0].sentence()
		}
	}
	return connectors.GenericError(body)
}

// result is one record's outcome.
type result struct {
	Code    string `json:"code"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Action  string `json:"action"`
	Details struct {
		ID      string `json:"id"`
		APIName string `json:"api_name"`
	} `json:"details"`
}

func (r result) sentence() string {
	if r.Details.APIName != "" {
		return r.Message + " (field " + r.Details.APIName + ")"
	}
	return r.Message
}

// call sends one request, refreshing the token once after a 401.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in any) (*connectors.Response, error) {
	if c.Auth == nil {
		return nil, connectors.Invalidf("the Zoho CRM account is not connected")
	}
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = b
	}
	token, domain, err := c.Auth.Token(ctx)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		if domain == "" {
			return nil, connectors.Invalidf("the Zoho CRM connection has no API domain: press Connect again in Settings")
		}
		u := strings.TrimRight(domain, "/") + "/crm/" + APIVersion + path
		if len(query) > 0 {
			u += "?" + query.Encode()
		}
		h := http.Header{"Authorization": {"Zoho-oauthtoken " + token}}
		if body != nil {
			h.Set("Content-Type", "application/json")
		}
		resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: u, Header: h, Body: body, ParseError: parseError})
		var he *connectors.HTTPError
		if try == 0 && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			if token, domain, err = c.Auth.Refreshed(ctx, token); err != nil {
				return nil, err
			}
			continue
		}
		return resp, err
	}
}

// write posts one record and returns its result (an error for a refused
// record, whatever the HTTP status).
func (c *Client) write(ctx context.Context, path string, in map[string]any) (result, error) {
	resp, err := c.call(ctx, http.MethodPost, path, nil, in)
	if err != nil {
		return result{}, err
	}
	var out struct {
		Data []result `json:"data"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return result{}, err
	}
	if len(out.Data) == 0 {
		return result{}, connectors.Payloadf(vendor, "the answer has no record result")
	}
	r := out.Data[0]
	if r.Status != "success" {
		return result{}, &connectors.HTTPError{Vendor: vendor, Status: http.StatusBadRequest, Code: r.Code, Message: r.sentence()}
	}
	if r.Details.ID == "" {
		return result{}, connectors.Payloadf(vendor, "the answer has no record id")
	}
	return r, nil
}

// Insert creates one record in module and returns its id.
func (c *Client) Insert(ctx context.Context, module string, record map[string]any) (string, error) {
	r, err := c.write(ctx, "/"+module, map[string]any{"data": []map[string]any{record}, "trigger": []string{"workflow"}})
	return r.Details.ID, err
}

// Upsert inserts or updates the record whose Email matches and returns
// its id and whether it was inserted.
func (c *Client) Upsert(ctx context.Context, module string, record map[string]any) (string, bool, error) {
	r, err := c.write(ctx, "/"+module+"/upsert", map[string]any{"data": []map[string]any{record},
		"duplicate_check_fields": []string{"Email"}, "trigger": []string{"workflow"}})
	return r.Details.ID, r.Action == "insert", err
}

// FindByEmail returns the id of a record of module with this email, ""
// when none (Zoho answers 204). The search lags behind writes.
func (c *Client) FindByEmail(ctx context.Context, module, email string) (string, error) {
	email = strings.TrimSpace(email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return "", connectors.Invalidf("%q is not an email address Zoho CRM can find a person by", email)
	}
	resp, err := c.call(ctx, http.MethodGet, "/"+module+"/search", url.Values{"email": {email}}, nil)
	if err != nil || resp.Status == http.StatusNoContent || len(resp.Body) == 0 {
		return "", err
	}
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if len(out.Data) == 0 {
		return "", nil
	}
	return out.Data[0].ID, nil
}

// CurrentUser is who the token belongs to (its email), which also proves
// the connection works.
func (c *Client) CurrentUser(ctx context.Context) (string, error) {
	resp, err := c.call(ctx, http.MethodGet, "/users", url.Values{"type": {"CurrentUser"}}, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Users []struct {
			Email    string `json:"email"`
			FullName string `json:"full_name"`
		} `json:"users"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if len(out.Users) == 0 {
		return "", connectors.Payloadf(vendor, "the answer names no user")
	}
	if out.Users[0].Email != "" {
		return out.Users[0].Email, nil
	}
	return out.Users[0].FullName, nil
}
