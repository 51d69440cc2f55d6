// Package zendesksell writes leads, contacts, deals, tasks and notes to
// Zendesk Sell (Sell Core API v2, personal access token).
package zendesksell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// DefaultBaseURL is Sell's API.
const DefaultBaseURL = "https://api.getbase.com"

const vendor = "Zendesk Sell"

// Resource types a task or note is attached to.
const (
	ResourceLead    = "lead"
	ResourceContact = "contact"
	ResourceDeal    = "deal"
)

// Client calls one Sell account.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// AccessToken is a personal access token (or an OAuth access token),
	// sent as a Bearer token.
	AccessToken string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Person is a lead or contact keyed by email.
type Person struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Company is the lead's organization_name (Sell contacts have none:
	// a person's company is an organization contact).
	Company string
	// OwnerID is a Sell user id ("" = the token's user).
	OwnerID string
	// CustomFields are Sell custom fields by their name.
	CustomFields   map[string]any
	IdempotencyKey string
}

// Deal is a deal of a contact (Sell deals need one).
type Deal struct {
	Name      string
	ContactID string
	// Value is the amount, 0 for none.
	Value    float64
	Currency string
	// StageID and OwnerID are Sell's numeric ids ("" = Sell's default).
	StageID        string
	OwnerID        string
	IdempotencyKey string
}

// Task is a to-do, attached to a lead, contact or deal when ResourceID
// is set.
type Task struct {
	Content        string
	Due            time.Time
	OwnerID        string
	ResourceType   string
	ResourceID     string
	IdempotencyKey string
}

// Note is a plain-text note on a lead, contact or deal.
type Note struct {
	Content        string
	ResourceType   string
	ResourceID     string
	IdempotencyKey string
}

// sellErrors is Sell's error envelope.
type sellErrors struct {
	Errors []struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details string `json:"details"`
			Field   string `json:"field"`
		} `json:"error"`
	} `json:"errors"`
}

// parseError reads Sell's {"errors":[{"error":{code,message,details}}]}.
func parseError(body []byte) (code, message string) {
	var e sellErrors
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return connectors.GenericError(body)
	}
	var msgs []string
	for _, x := range e.Errors {
		m := x.Error.Message
		if x.Error.Details != "" && x.Error.Details != m {
			m += " (" + x.Error.Details + ")"
		}
		msgs = append(msgs, m)
	}
	return e.Errors[0].Error.Code, strings.Join(msgs, "; ")
}

// missingField reports whether err is Sell's 422 for an absent field
// (e.g. "/data/last_name").
func missingField(err error, body []byte, field string) bool {
	var he *connectors.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusUnprocessableEntity {
		return false
	}
	var e sellErrors
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	for _, x := range e.Errors {
		if x.Error.Field == "/data/"+field {
			return true
		}
	}
	return false
}

type record struct {
	ID        int64  `json:"id"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func (r record) idString() (string, error) {
	if r.ID <= 0 {
		return "", connectors.Payloadf(vendor, "the answer has no record id")
	}
	return strconv.FormatInt(r.ID, 10), nil
}

// call sends one request; a non-2xx answer is an *connectors.HTTPError and
// its body is returned too (Sell's 422 says which field is missing).
func (c *Client) call(ctx context.Context, method, path, key string, data map[string]any, out any) ([]byte, error) {
	if strings.TrimSpace(c.AccessToken) == "" {
		return nil, connectors.Invalidf("the Zendesk Sell access token is not set")
	}
	base := DefaultBaseURL
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	h := http.Header{"Authorization": {"Bearer " + strings.TrimSpace(c.AccessToken)}}
	var body []byte
	if data != nil {
		var err error
		if body, err = json.Marshal(map[string]any{"data": data}); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "application/json")
	}
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	var errBody []byte
	parse := func(b []byte) (string, string) {
		errBody = b
		return parseError(b)
	}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: base + path,
		Header: h, Body: body, ParseError: parse})
	if err != nil {
		return errBody, err
	}
	if out == nil {
		return nil, nil
	}
	return nil, connectors.DecodeJSON(vendor, resp.Body, out)
}

// one sends a request answered by {"data": {...}, "meta": {...}}.
func (c *Client) one(ctx context.Context, method, path, key string, data map[string]any) (record, []byte, error) {
	var out struct {
		Data record `json:"data"`
	}
	errBody, err := c.call(ctx, method, path, key, data, &out)
	return out.Data, errBody, err
}

func checkEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return "", connectors.Invalidf("%q is not an email address Zendesk Sell can find a person by", email)
	}
	return email, nil
}

// numeric reads an id Sell expects as a number.
func numeric(what, v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, connectors.Invalidf("the Zendesk Sell %s %q is not a number", what, v)
	}
	return n, nil
}

// personData is the attributes of a lead or contact; empty values are
// left out so an update keeps what Sell has.
func personData(p Person, email string) (map[string]any, error) {
	d := map[string]any{"email": email}
	for k, v := range map[string]string{"first_name": p.FirstName, "last_name": p.LastName, "phone": p.Phone} {
		if v = strings.TrimSpace(v); v != "" {
			d[k] = v
		}
	}
	if p.OwnerID != "" {
		n, err := numeric("owner id", p.OwnerID)
		if err != nil {
			return nil, err
		}
		d["owner_id"] = n
	}
	if len(p.CustomFields) > 0 {
		d["custom_fields"] = p.CustomFields
	}
	return d, nil
}

// nameForCreate fills the last name Sell requires to create a person who
// has none: the first name, else the email.
func nameForCreate(d map[string]any, p Person) {
	if _, ok := d["last_name"]; ok {
		return
	}
	if first, ok := d["first_name"]; ok {
		d["last_name"] = first
		delete(d, "first_name")
		return
	}
	d["last_name"] = d["email"]
}

// UpsertContact creates or updates the one contact with p.Email (Sell's
// upsert filtered by email: a retry updates the contact it created) and
// returns its id and whether it was created. Several contacts with the
// email are Sell's 409, a permanent error.
func (c *Client) UpsertContact(ctx context.Context, p Person) (string, bool, error) {
	email, err := checkEmail(p.Email)
	if err != nil {
		return "", false, err
	}
	d, err := personData(p, email)
	if err != nil {
		return "", false, err
	}
	path := "/v2/contacts/upsert?" + url.Values{"email": {email}}.Encode()
	rec, errBody, err := c.one(ctx, http.MethodPost, path, p.IdempotencyKey, d)
	if err != nil && missingField(err, errBody, "last_name") {
		// Nobody has the email (an update needs no last name) and Sell
		// needs one to create: send the stand-in this time.
		nameForCreate(d, p)
		rec, _, err = c.one(ctx, http.MethodPost, path, p.IdempotencyKey, d)
	}
	if err != nil {
		return "", false, err
	}
	id, err := rec.idString()
	return id, err == nil && rec.CreatedAt != "" && rec.CreatedAt == rec.UpdatedAt, err
}

// FindLead returns the id of the first lead with exactly this email.
func (c *Client) FindLead(ctx context.Context, email string) (string, bool, error) {
	email, err := checkEmail(email)
	if err != nil {
		return "", false, err
	}
	var out struct {
		Items []struct {
			Data record `json:"data"`
		} `json:"items"`
	}
	q := url.Values{"email": {email}, "per_page": {"1"}, "sort_by": {"id:asc"}}
	if _, err := c.call(ctx, http.MethodGet, "/v2/leads?"+q.Encode(), "", nil, &out); err != nil {
		return "", false, err
	}
	if len(out.Items) == 0 {
		return "", false, nil
	}
	id, err := out.Items[0].Data.idString()
	return id, err == nil, err
}

// UpsertLead updates the lead with p.Email, or creates one when there is
// none (Sell has no lead upsert: it is searched first, so a retry finds
// the lead it created).
func (c *Client) UpsertLead(ctx context.Context, p Person) (string, bool, error) {
	email, err := checkEmail(p.Email)
	if err != nil {
		return "", false, err
	}
	d, err := personData(p, email)
	if err != nil {
		return "", false, err
	}
	if co := strings.TrimSpace(p.Company); co != "" {
		d["organization_name"] = co
	}
	found, ok, err := c.FindLead(ctx, email)
	if err != nil {
		return "", false, err
	}
	if ok {
		rec, _, err := c.one(ctx, http.MethodPut, "/v2/leads/"+found, p.IdempotencyKey, d)
		if err != nil {
			return "", false, err
		}
		id, err := rec.idString()
		return id, false, err
	}
	if _, ok := d["organization_name"]; !ok {
		nameForCreate(d, p)
	}
	rec, _, err := c.one(ctx, http.MethodPost, "/v2/leads", p.IdempotencyKey, d)
	if err != nil {
		return "", false, err
	}
	id, err := rec.idString()
	return id, err == nil, err
}

// CreateDeal creates a deal of a contact and returns its id.
func (c *Client) CreateDeal(ctx context.Context, d Deal) (string, error) {
	name := strings.TrimSpace(d.Name)
	if name == "" {
		return "", connectors.Invalidf("the deal needs a name")
	}
	if d.ContactID == "" {
		return "", connectors.Invalidf("a Zendesk Sell deal needs a contact")
	}
	cid, err := numeric("contact id", d.ContactID)
	if err != nil {
		return "", err
	}
	data := map[string]any{"name": name, "contact_id": cid}
	if d.Value != 0 {
		data["value"] = d.Value
	}
	if cur := strings.ToUpper(strings.TrimSpace(d.Currency)); cur != "" {
		data["currency"] = cur
	}
	for field, v := range map[string]string{"stage_id": d.StageID, "owner_id": d.OwnerID} {
		if v == "" {
			continue
		}
		n, err := numeric(strings.ReplaceAll(field, "_", " "), v)
		if err != nil {
			return "", err
		}
		data[field] = n
	}
	rec, _, err := c.one(ctx, http.MethodPost, "/v2/deals", d.IdempotencyKey, data)
	if err != nil {
		return "", err
	}
	return rec.idString()
}

func resource(data map[string]any, typ, id string) error {
	if id == "" {
		return nil
	}
	switch typ {
	case ResourceLead, ResourceContact, ResourceDeal:
	default:
		return connectors.Invalidf("Zendesk Sell attaches tasks and notes to a lead, contact or deal, not a %q", typ)
	}
	n, err := numeric(typ+" id", id)
	if err != nil {
		return err
	}
	data["resource_type"], data["resource_id"] = typ, n
	return nil
}

// CreateTask creates a task and returns its id.
func (c *Client) CreateTask(ctx context.Context, t Task) (string, error) {
	if strings.TrimSpace(t.Content) == "" {
		return "", connectors.Invalidf("the task needs a text")
	}
	data := map[string]any{"content": t.Content}
	if !t.Due.IsZero() {
		data["due_date"] = t.Due.UTC().Format(time.RFC3339)
	}
	if t.OwnerID != "" {
		n, err := numeric("owner id", t.OwnerID)
		if err != nil {
			return "", err
		}
		data["owner_id"] = n
	}
	if err := resource(data, t.ResourceType, t.ResourceID); err != nil {
		return "", err
	}
	rec, _, err := c.one(ctx, http.MethodPost, "/v2/tasks", t.IdempotencyKey, data)
	if err != nil {
		return "", err
	}
	return rec.idString()
}

// CreateNote adds a note and returns its id.
func (c *Client) CreateNote(ctx context.Context, n Note) (string, error) {
	if strings.TrimSpace(n.Content) == "" {
		return "", connectors.Invalidf("the note is empty")
	}
	if n.ResourceID == "" {
		return "", connectors.Invalidf("a Zendesk Sell note needs a lead, contact or deal")
	}
	data := map[string]any{"content": n.Content}
	if err := resource(data, n.ResourceType, n.ResourceID); err != nil {
		return "", err
	}
	rec, _, err := c.one(ctx, http.MethodPost, "/v2/notes", n.IdempotencyKey, data)
	if err != nil {
		return "", err
	}
	return rec.idString()
}

// Self returns the name and email of the token's user (a harmless call
// that proves the token works).
func (c *Client) Self(ctx context.Context) (string, error) {
	var out struct {
		Data struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"data"`
	}
	if _, err := c.call(ctx, http.MethodGet, "/v2/users/self", "", nil, &out); err != nil {
		return "", err
	}
	if out.Data.ID == 0 {
		return "", connectors.Payloadf(vendor, "the answer has no user")
	}
	return strings.TrimSpace(fmt.Sprintf("%s <%s>", out.Data.Name, out.Data.Email)), nil
}
