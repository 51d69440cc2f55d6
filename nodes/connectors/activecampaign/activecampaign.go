// Package activecampaign syncs contacts, list status, tags, deals and
// notes with the ActiveCampaign API v3.
package activecampaign

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "ActiveCampaign"

// Client calls one ActiveCampaign account.
type Client struct {
	// BaseURL is the account's API root, e.g.
	// https://acme.api-us1.com/api/3 (see APIRoot).
	BaseURL string
	// Token is sent in the Api-Token header.
	Token string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// APIRoot turns the account's API URL from Settings → Developer
// (https://acme.api-us1.com) into the v3 root (…/api/3).
func APIRoot(accountURL string) string {
	u := strings.TrimRight(strings.TrimSpace(accountURL), "/")
	if strings.HasSuffix(u, "/api/3") {
		return u
	}
	return u + "/api/3"
}

// List statuses of contactLists.
const (
	StatusActive       = 1
	StatusUnsubscribed = 2
)

// Contact is a person to sync, found by email.
type Contact struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// FieldValues by custom field id.
	FieldValues map[string]string
}

// Deal is a deal to create.
type Deal struct {
	Title     string
	ContactID string
	// ValueCents is the amount in cents.
	ValueCents int64
	// Currency is a three-letter code, sent lower-case (default usd).
	Currency string
	// Pipeline (group) and Stage ids; one of them is needed.
	Pipeline string
	Stage    string
	Owner    string
}

func (c *Client) do(ctx context.Context, method, path string, in any) (*connectors.Response, error) {
	if strings.TrimSpace(c.Token) == "" {
		return nil, connectors.Invalidf("the ActiveCampaign API token is not set")
	}
	if strings.TrimSpace(c.BaseURL) == "" {
		return nil, connectors.Invalidf("the ActiveCampaign API URL is not set (Settings → Developer)")
	}
	h := http.Header{"Api-Token": {strings.TrimSpace(c.Token)}}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "application/json")
	}
	return connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method,
		URL: strings.TrimRight(c.BaseURL, "/") + path, Header: h, Body: body, ParseError: parseError})
}

func checkEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
		return "", connectors.Invalidf("%q is not an email address ActiveCampaign accepts", e)
	}
	return e, nil
}

// SyncContact creates the contact or updates the one with this email
// (POST /contact/sync). It returns the id and whether it was created.
func (c *Client) SyncContact(ctx context.Context, in Contact) (string, bool, error) {
	email, err := checkEmail(in.Email)
	if err != nil {
		return "", false, err
	}
	contact := map[string]any{"email": email}
	for k, v := range map[string]string{"firstName": in.FirstName, "lastName": in.LastName, "phone": in.Phone} {
		if v = strings.TrimSpace(v); v != "" {
			contact[k] = v
		}
	}
	if len(in.FieldValues) > 0 {
		fv := make([]map[string]string, 0, len(in.FieldValues))
		for _, k := range slices.Sorted(maps.Keys(in.FieldValues)) {
			fv = append(fv, map[string]string{"field": k, "value": in.FieldValues[k]})
		}
		contact["fieldValues"] = fv
	}
	resp, err := c.do(ctx, http.MethodPost, "/contact/sync", map[string]any{"contact": contact})
	if err != nil {
		return "", false, err
	}
	var out struct {
		Contact struct {
			ID string `json:"id"`
		} `json:"contact"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", false, err
	}
	if out.Contact.ID == "" {
		return "", false, errors.New("ActiveCampaign saved the contact but sent no id back")
	}
	return out.Contact.ID, resp.Status == http.StatusCreated, nil
}

// FindContact returns the id of the contact with this email, "" when
// there is none (GET /contacts?email=).
func (c *Client) FindContact(ctx context.Context, email string) (string, error) {
	email, err := checkEmail(email)
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, http.MethodGet, "/contacts?"+url.Values{"email": {email}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Contacts []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"contacts"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	for _, ct := range out.Contacts {
		if strings.EqualFold(ct.Email, email) {
			return ct.ID, nil
		}
	}
	return "", nil
}

// SetListStatus subscribes (StatusActive) or unsubscribes
// (StatusUnsubscribed) the contact on a list (POST /contactLists). It
// never sends sourceid 4, ActiveCampaign's flag for re-subscribing someone
// who unsubscribed.
func (c *Client) SetListStatus(ctx context.Context, listID, contactID string, status int) error {
	if connectors.NumericID(listID) == "" {
		return connectors.Invalidf("%q is not an ActiveCampaign list id: list ids are numbers (in the list's URL)", listID)
	}
	if connectors.NumericID(contactID) == "" || (status != StatusActive && status != StatusUnsubscribed) {
		return connectors.Invalidf("an ActiveCampaign list status needs a contact id and status 1 or 2")
	}
	_, err := c.do(ctx, http.MethodPost, "/contactLists", map[string]any{"contactList": map[string]any{
		"list": strings.TrimSpace(listID), "contact": contactID, "status": status}})
	return err
}

// FindTag returns the id of the contact tag with exactly this name
// (case-insensitive), "" when there is none (GET /tags?search=).
func (c *Client) FindTag(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", connectors.Invalidf("a tag needs a name")
	}
	resp, err := c.do(ctx, http.MethodGet, "/tags?"+url.Values{"search": {name}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Tags []struct {
			ID      string `json:"id"`
			Tag     string `json:"tag"`
			TagType string `json:"tagType"`
		} `json:"tags"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	for _, t := range out.Tags {
		if strings.EqualFold(strings.TrimSpace(t.Tag), name) && (t.TagType == "" || t.TagType == "contact") {
			return t.ID, nil
		}
	}
	return "", nil
}

// EnsureTag returns the id of the contact tag with this name, creating it
// (POST /tags) when there is none.
func (c *Client) EnsureTag(ctx context.Context, name string) (string, error) {
	id, err := c.FindTag(ctx, name)
	if err != nil || id != "" {
		return id, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/tags", map[string]any{"tag": map[string]any{"tag": strings.TrimSpace(name), "tagType": "contact"}})
	if err != nil {
		return "", err
	}
	var out struct {
		Tag struct {
			ID string `json:"id"`
		} `json:"tag"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if out.Tag.ID == "" {
		return "", errors.New("ActiveCampaign created the tag but sent no id back")
	}
	return out.Tag.ID, nil
}

// AddTag puts a tag (by id) on the contact (POST /contactTags); adding
// it twice keeps one link.
func (c *Client) AddTag(ctx context.Context, contactID, tagID string) error {
	if connectors.NumericID(contactID) == "" || connectors.NumericID(tagID) == "" {
		return connectors.Invalidf("adding an ActiveCampaign tag needs a contact id and a tag id")
	}
	_, err := c.do(ctx, http.MethodPost, "/contactTags", map[string]any{"contactTag": map[string]any{"contact": contactID, "tag": tagID}})
	return err
}

// RemoveTag takes a tag (by id) off the contact: it finds the link (GET
// /contacts/{id}/contactTags) and deletes it (DELETE /contactTags/{id}).
// A tag the contact does not have is not an error.
func (c *Client) RemoveTag(ctx context.Context, contactID, tagID string) error {
	if connectors.NumericID(contactID) == "" || connectors.NumericID(tagID) == "" {
		return connectors.Invalidf("removing an ActiveCampaign tag needs a contact id and a tag id")
	}
	resp, err := c.do(ctx, http.MethodGet, "/contacts/"+contactID+"/contactTags", nil)
	if err != nil {
		return err
	}
	var out struct {
		ContactTags []struct {
			ID  string `json:"id"`
			Tag string `json:"tag"`
		} `json:"contactTags"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return err
	}
	for _, ct := range out.ContactTags {
		if ct.Tag != tagID || connectors.NumericID(ct.ID) == "" {
			continue
		}
		_, err := c.do(ctx, http.MethodDelete, "/contactTags/"+ct.ID, nil)
		var he *connectors.HTTPError
		if err != nil && !(errors.As(err, &he) && he.Status == http.StatusNotFound) {
			return err
		}
	}
	return nil
}

// CreateDeal creates a deal (POST /deals) and returns its id.
func (c *Client) CreateDeal(ctx context.Context, d Deal) (string, error) {
	if strings.TrimSpace(d.Title) == "" {
		return "", connectors.Invalidf("an ActiveCampaign deal needs a title")
	}
	if d.Pipeline == "" && d.Stage == "" {
		return "", connectors.Invalidf("an ActiveCampaign deal needs a pipeline or a stage id: set the account's default pipeline")
	}
	cur := strings.ToLower(strings.TrimSpace(d.Currency))
	if cur == "" {
		cur = "usd"
	}
	if len(cur) != 3 {
		return "", connectors.Invalidf("%q is not a three-letter currency code", d.Currency)
	}
	if d.ValueCents < 0 {
		return "", connectors.Invalidf("a deal value cannot be negative")
	}
	deal := map[string]any{"title": strings.TrimSpace(d.Title), "value": d.ValueCents, "currency": cur, "status": 0}
	for k, v := range map[string]string{"contact": d.ContactID, "group": d.Pipeline, "stage": d.Stage, "owner": d.Owner} {
		if v != "" {
			deal[k] = v
		}
	}
	resp, err := c.do(ctx, http.MethodPost, "/deals", map[string]any{"deal": deal})
	if err != nil {
		return "", err
	}
	var out struct {
		Deal struct {
			ID string `json:"id"`
		} `json:"deal"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	return out.Deal.ID, nil
}

// Task is a task to create on a contact.
type Task struct {
	Title     string
	Note      string
	ContactID string
	Due       time.Time
	// Type is the task type id (Settings → Deals → Task types).
	Type     string
	Assignee string
}

// CreateTask creates a task on the contact (POST /dealTasks, ownerType
// contact) and returns its id.
func (c *Client) CreateTask(ctx context.Context, t Task) (string, error) {
	if connectors.NumericID(t.ContactID) == "" {
		return "", connectors.Invalidf("an ActiveCampaign task belongs to a contact: put a 'Create or update contact' step before this one")
	}
	if connectors.NumericID(t.Type) == "" {
		return "", connectors.Invalidf("an ActiveCampaign task needs a task type id (Settings → Deals → Task types)")
	}
	due := t.Due
	if due.IsZero() {
		due = time.Now()
	}
	task := map[string]any{"title": strings.TrimSpace(t.Title), "ownerType": "contact", "relid": t.ContactID, "status": 0,
		"duedate": due.Format(time.RFC3339), "dealTasktype": t.Type}
	if n := strings.TrimSpace(t.Note); n != "" {
		task["note"] = n
	}
	if a := connectors.NumericID(t.Assignee); a != "" {
		task["assignee"] = a
	}
	resp, err := c.do(ctx, http.MethodPost, "/dealTasks", map[string]any{"dealTask": task})
	if err != nil {
		return "", err
	}
	var out struct {
		Task struct {
			ID string `json:"id"`
		} `json:"dealTask"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	return out.Task.ID, nil
}

// Note relation types.
const (
	RelContact = "Subscriber"
	RelDeal    = "Deal"
)

// AddNote attaches a note to a contact (RelContact) or deal (POST /notes)
// and returns its id.
func (c *Client) AddNote(ctx context.Context, relType, relID, text string) (string, error) {
	if strings.TrimSpace(text) == "" || connectors.NumericID(relID) == "" {
		return "", connectors.Invalidf("an ActiveCampaign note needs text and the contact or deal it belongs to")
	}
	resp, err := c.do(ctx, http.MethodPost, "/notes", map[string]any{"note": map[string]any{"note": text, "relid": relID, "reltype": relType}})
	if err != nil {
		return "", err
	}
	var out struct {
		Note struct {
			ID string `json:"id"`
		} `json:"note"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	return out.Note.ID, nil
}

// Ping reads the token's user (GET /users/me): it proves the URL and
// token work and changes nothing.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/users/me", nil)
	return err
}

// parseError reads {"errors":[{title, detail, code}]} (422) and
// {"message"} (403, 404).
func parseError(body []byte) (string, string) {
	var e struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Code   string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		msgs := make([]string, 0, len(e.Errors))
		for _, x := range e.Errors {
			m := strings.TrimSpace(x.Title + " " + x.Detail)
			if m != "" {
				msgs = append(msgs, m)
			}
		}
		return e.Errors[0].Code, strings.Join(msgs, "; ")
	}
	return connectors.GenericError(body)
}
