// Package pipedrive finds or creates persons and creates deals, notes and
// activities in Pipedrive (API v2 for persons and deals, v1 for notes and
// activities).
package pipedrive

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// DefaultBaseURL is Pipedrive's API (a company domain also works).
const DefaultBaseURL = "https://api.pipedrive.com"

const vendor = "Pipedrive"

// Client calls one Pipedrive company.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIToken is sent in the x-api-token header (never in the URL).
	APIToken string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Person is a contact, found by e-mail or created.
type Person struct {
	// Name defaults to the e-mail address (Pipedrive requires a name).
	Name           string
	Email          string
	Phone          string
	IdempotencyKey string
}

// Deal is a deal linked to a person.
type Deal struct {
	Title    string
	PersonID string
	// Value is the deal value in Currency; nil leaves it unset.
	Value      *float64
	Currency   string
	PipelineID string
	StageID    string
	// OwnerID is a Pipedrive user id ("" = token owner).
	OwnerID        string
	IdempotencyKey string
}

// Note is an HTML note on a person and/or deal.
type Note struct {
	Content        string
	PersonID       string
	DealID         string
	IdempotencyKey string
}

// Activity is a call, meeting or task to do.
type Activity struct {
	Subject string
	// Type is an activity type key ("call", "task", "meeting"...); "" = task.
	Type string
	// Due is when it is due (UTC date and time are sent).
	Due            time.Time
	Note           string
	PersonID       string
	DealID         string
	OwnerID        string
	IdempotencyKey string
}

func (c *Client) call(ctx context.Context, method, path, key string, in any, out any) error {
	if c.APIToken == "" {
		return connectors.Invalidf("the Pipedrive API token is not set")
	}
	base := DefaultBaseURL
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	h := http.Header{"X-Api-Token": {c.APIToken}}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
		h.Set("Content-Type", "application/json")
	}
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: base + path, Header: h, Body: body})
	if err != nil {
		return err
	}
	var env struct {
		Success bool            `json:"success"`
		Error   string          `json:"error"`
		Data    json.RawMessage `json:"data"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &env); err != nil {
		return err
	}
	if !env.Success {
		msg := env.Error
		if msg == "" {
			msg = "the request was not successful"
		}
		return &connectors.HTTPError{Vendor: vendor, Status: http.StatusBadRequest, Message: msg}
	}
	if out == nil {
		return nil
	}
	return connectors.DecodeJSON(vendor, env.Data, out)
}

func id(name, v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, connectors.Invalidf("the Pipedrive %s %q is not a number", name, v)
	}
	return n, nil
}

// optionalIDs sets m[field] for each non-empty id.
func optionalIDs(m map[string]any, ids map[string]string) error {
	for field, v := range ids {
		if v == "" {
			continue
		}
		n, err := id(strings.TrimSuffix(field, "_id")+" id", v)
		if err != nil {
			return err
		}
		m[field] = n
	}
	return nil
}

type record struct {
	ID int64 `json:"id"`
}

func (r record) idString() (string, error) {
	if r.ID <= 0 {
		return "", connectors.Payloadf(vendor, "the answer has no record id")
	}
	return strconv.FormatInt(r.ID, 10), nil
}

// FindPersonByEmail returns the id of a person with exactly this e-mail.
func (c *Client) FindPersonByEmail(ctx context.Context, email string) (string, bool, error) {
	email = strings.TrimSpace(email)
	if !strings.Contains(email, "@") {
		return "", false, connectors.Invalidf("%q is not an e-mail address", email)
	}
	q := url.Values{"term": {email}, "fields": {"email"}, "exact_match": {"true"}, "limit": {"1"}}
	var out struct {
		Items []struct {
			Item record `json:"item"`
		} `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v2/persons/search?"+q.Encode(), "", nil, &out); err != nil {
		return "", false, err
	}
	if len(out.Items) == 0 {
		return "", false, nil
	}
	s, err := out.Items[0].Item.idString()
	return s, err == nil, err
}

// FindOrCreatePerson returns the person with p.Email, creating it when
// none exists (Pipedrive has no upsert). created tells which.
func (c *Client) FindOrCreatePerson(ctx context.Context, p Person) (personID string, created bool, err error) {
	found, ok, err := c.FindPersonByEmail(ctx, p.Email)
	if err != nil || ok {
		return found, false, err
	}
	personID, err = c.CreatePerson(ctx, p)
	return personID, err == nil, err
}

// CreatePerson creates a person without searching first.
func (c *Client) CreatePerson(ctx context.Context, p Person) (string, error) {
	if !strings.Contains(p.Email, "@") {
		return "", connectors.Invalidf("%q is not an e-mail address", p.Email)
	}
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = strings.TrimSpace(p.Email)
	}
	in := map[string]any{"name": name, "emails": []map[string]any{{"value": strings.TrimSpace(p.Email), "primary": true, "label": "work"}}}
	if p.Phone != "" {
		in["phones"] = []map[string]any{{"value": p.Phone, "primary": true, "label": "mobile"}}
	}
	var out record
	if err := c.call(ctx, http.MethodPost, "/api/v2/persons", p.IdempotencyKey, in, &out); err != nil {
		return "", err
	}
	return out.idString()
}

// CreateDeal creates a deal and returns its id.
func (c *Client) CreateDeal(ctx context.Context, d Deal) (string, error) {
	if strings.TrimSpace(d.Title) == "" {
		return "", connectors.Invalidf("the deal needs a title")
	}
	in := map[string]any{"title": d.Title}
	if err := optionalIDs(in, map[string]string{"person_id": d.PersonID, "pipeline_id": d.PipelineID, "stage_id": d.StageID, "owner_id": d.OwnerID}); err != nil {
		return "", err
	}
	if d.Value != nil {
		in["value"] = *d.Value
	}
	if d.Currency != "" {
		in["currency"] = strings.ToUpper(d.Currency)
	}
	var out record
	if err := c.call(ctx, http.MethodPost, "/api/v2/deals", d.IdempotencyKey, in, &out); err != nil {
		return "", err
	}
	return out.idString()
}

// CreateNote adds a note and returns its id.
func (c *Client) CreateNote(ctx context.Context, n Note) (string, error) {
	if strings.TrimSpace(n.Content) == "" {
		return "", connectors.Invalidf("the note is empty")
	}
	if n.PersonID == "" && n.DealID == "" {
		return "", connectors.Invalidf("a Pipedrive note needs a person or a deal")
	}
	in := map[string]any{"content": n.Content}
	if err := optionalIDs(in, map[string]string{"person_id": n.PersonID, "deal_id": n.DealID}); err != nil {
		return "", err
	}
	var out record
	if err := c.call(ctx, http.MethodPost, "/v1/notes", n.IdempotencyKey, in, &out); err != nil {
		return "", err
	}
	return out.idString()
}

// CreateActivity adds an activity and returns its id. (Not in our
// Pipedrive contract spec; shape from Pipedrive's v1 activities docs.)
func (c *Client) CreateActivity(ctx context.Context, a Activity) (string, error) {
	if strings.TrimSpace(a.Subject) == "" {
		return "", connectors.Invalidf("the activity needs a subject")
	}
	typ := a.Type
	if typ == "" {
		typ = "task"
	}
	in := map[string]any{"subject": a.Subject, "type": typ}
	if !a.Due.IsZero() {
		u := a.Due.UTC()
		in["due_date"] = u.Format("2006-01-02")
		in["due_time"] = u.Format("15:04")
	}
	if a.Note != "" {
		in["note"] = a.Note
	}
	if err := optionalIDs(in, map[string]string{"person_id": a.PersonID, "deal_id": a.DealID, "user_id": a.OwnerID}); err != nil {
		return "", err
	}
	var out record
	if err := c.call(ctx, http.MethodPost, "/v1/activities", a.IdempotencyKey, in, &out); err != nil {
		return "", err
	}
	return out.idString()
}
