// Package hubspot writes contacts, deals, notes and tasks to HubSpot CRM
// (v3 objects API, private-app token).
package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

// DefaultBaseURL is HubSpot's API.
const DefaultBaseURL = "https://api.hubapi.com"

const vendor = "HubSpot"

// HubSpot-defined association type ids.
const (
	assocDealToContact = 3
	assocNoteToContact = 202
	assocNoteToDeal    = 214
	assocTaskToContact = 204
	assocTaskToDeal    = 216
)

// Client calls one HubSpot portal.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// AccessToken is a private-app or OAuth access token.
	AccessToken string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Contact is a contact to create or update, keyed by e-mail.
type Contact struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	Company   string
	// Properties are extra HubSpot properties by internal name; unknown
	// names make HubSpot refuse the request.
	Properties map[string]string
	// IdempotencyKey is sent as a header (HubSpot ignores it).
	IdempotencyKey string
}

// Deal is a deal, associated with a contact when ContactID is set.
type Deal struct {
	Name string
	// Pipeline and Stage are internal ids ("default", "appointmentscheduled").
	Pipeline string
	Stage    string
	// Amount is a decimal string, "" for none.
	Amount         string
	ContactID      string
	Properties     map[string]string
	IdempotencyKey string
}

// Note is a timeline note on a contact and/or deal.
type Note struct {
	// Body may hold simple HTML.
	Body           string
	At             time.Time
	ContactID      string
	DealID         string
	IdempotencyKey string
}

// Task is a to-do for the sales team.
type Task struct {
	Subject string
	Body    string
	// Due is the due date; HubSpot requires one.
	Due time.Time
	// Priority is LOW, MEDIUM or HIGH ("" = none).
	Priority       string
	OwnerID        string
	ContactID      string
	DealID         string
	IdempotencyKey string
}

type assocTo struct {
	ID string `json:"id"`
}
type assocType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}
type association struct {
	To    assocTo     `json:"to"`
	Types []assocType `json:"types"`
}

func assoc(id string, typeID int) association {
	return association{To: assocTo{ID: id}, Types: []assocType{{Category: "HUBSPOT_DEFINED", TypeID: typeID}}}
}

type objectInput struct {
	Properties   map[string]string `json:"properties"`
	Associations []association     `json:"associations,omitempty"`
}

type object struct {
	ID  string `json:"id"`
	New bool   `json:"new"`
}

func (c *Client) post(ctx context.Context, path, key string, in any, out any) (int, error) {
	if c.AccessToken == "" {
		return 0, connectors.Invalidf("the HubSpot access token is not set")
	}
	body, err := json.Marshal(in)
	if err != nil {
		return 0, err
	}
	base := DefaultBaseURL
	if c.BaseURL != "" {
		base = strings.TrimRight(c.BaseURL, "/")
	}
	h := connectors.JSONHeader()
	h.Set("Authorization", "Bearer "+c.AccessToken)
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: http.MethodPost, URL: base + path, Header: h, Body: body})
	if err != nil {
		return 0, err
	}
	return resp.Status, connectors.DecodeJSON(vendor, resp.Body, out)
}

func merge(base map[string]string, extra map[string]string) map[string]string {
	for k, v := range extra {
		if _, set := base[k]; !set || base[k] == "" {
			base[k] = v
		}
	}
	for k, v := range base {
		if v == "" {
			delete(base, k)
		}
	}
	return base
}

// UpsertContact creates or updates the contact with this e-mail (batch
// upsert keyed by email) and returns its id and whether it was created.
func (c *Client) UpsertContact(ctx context.Context, ct Contact) (id string, created bool, err error) {
	email := strings.TrimSpace(ct.Email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return "", false, connectors.Invalidf("%q is not an e-mail address HubSpot can key a contact on", ct.Email)
	}
	props := merge(map[string]string{"email": email, "firstname": ct.FirstName, "lastname": ct.LastName, "phone": ct.Phone, "company": ct.Company}, ct.Properties)
	in := map[string]any{"inputs": []map[string]any{{"idProperty": "email", "id": email, "properties": props}}}
	var out struct {
		Results []object `json:"results"`
		Errors  []struct {
			Category string `json:"category"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	status, err := c.post(ctx, "/crm/v3/objects/contacts/batch/upsert", ct.IdempotencyKey, in, &out)
	if err != nil {
		return "", false, err
	}
	if len(out.Errors) > 0 {
		// 207: the batch call worked, our one input was refused.
		return "", false, &connectors.HTTPError{Vendor: vendor, Status: status, Code: out.Errors[0].Category, Message: out.Errors[0].Message}
	}
	if len(out.Results) == 0 || out.Results[0].ID == "" {
		return "", false, connectors.Payloadf(vendor, "the upsert answer has no contact id")
	}
	return out.Results[0].ID, out.Results[0].New, nil
}

func (c *Client) create(ctx context.Context, path, key string, in objectInput) (string, error) {
	var out object
	if _, err := c.post(ctx, path, key, in, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", connectors.Payloadf(vendor, "the answer has no record id")
	}
	return out.ID, nil
}

// CreateDeal creates a deal and returns its id.
func (c *Client) CreateDeal(ctx context.Context, d Deal) (string, error) {
	if strings.TrimSpace(d.Name) == "" {
		return "", connectors.Invalidf("the deal needs a name")
	}
	in := objectInput{Properties: merge(map[string]string{"dealname": d.Name, "pipeline": d.Pipeline, "dealstage": d.Stage, "amount": d.Amount}, d.Properties)}
	if d.ContactID != "" {
		in.Associations = []association{assoc(d.ContactID, assocDealToContact)}
	}
	return c.create(ctx, "/crm/v3/objects/deals", d.IdempotencyKey, in)
}

// CreateNote adds a note and returns its id.
func (c *Client) CreateNote(ctx context.Context, n Note) (string, error) {
	if strings.TrimSpace(n.Body) == "" {
		return "", connectors.Invalidf("the note is empty")
	}
	if n.ContactID == "" && n.DealID == "" {
		return "", connectors.Invalidf("a HubSpot note needs a contact or a deal")
	}
	at := n.At
	if at.IsZero() {
		at = time.Now()
	}
	in := objectInput{Properties: map[string]string{"hs_timestamp": at.UTC().Format(time.RFC3339Nano), "hs_note_body": n.Body}}
	if n.ContactID != "" {
		in.Associations = append(in.Associations, assoc(n.ContactID, assocNoteToContact))
	}
	if n.DealID != "" {
		in.Associations = append(in.Associations, assoc(n.DealID, assocNoteToDeal))
	}
	return c.create(ctx, "/crm/v3/objects/notes", n.IdempotencyKey, in)
}

// CreateTask adds a task and returns its id. (Not in our HubSpot contract
// spec; shape from HubSpot's tasks API docs.)
func (c *Client) CreateTask(ctx context.Context, t Task) (string, error) {
	if strings.TrimSpace(t.Subject) == "" {
		return "", connectors.Invalidf("the task needs a subject")
	}
	if t.Due.IsZero() {
		return "", connectors.Invalidf("the task needs a due date")
	}
	switch t.Priority {
	case "", "LOW", "MEDIUM", "HIGH":
	default:
		return "", connectors.Invalidf("task priority must be LOW, MEDIUM or HIGH")
	}
	in := objectInput{Properties: merge(map[string]string{
		"hs_task_subject": t.Subject, "hs_task_body": t.Body, "hs_timestamp": t.Due.UTC().Format(time.RFC3339Nano),
		"hs_task_status": "NOT_STARTED", "hs_task_priority": t.Priority, "hubspot_owner_id": t.OwnerID,
	}, nil)}
	if t.ContactID != "" {
		in.Associations = append(in.Associations, assoc(t.ContactID, assocTaskToContact))
	}
	if t.DealID != "" {
		in.Associations = append(in.Associations, assoc(t.DealID, assocTaskToDeal))
	}
	return c.create(ctx, "/crm/v3/objects/tasks", t.IdempotencyKey, in)
}
