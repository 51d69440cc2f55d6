package hubspot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of HubSpot accounts.
const Kind = "hubspot"

func init() {
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "HubSpot", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{
			connectors.Secret("access_token", "Private app token", true, "A private app access token."),
			connectors.BaseURL("Only to use a mock; default https://api.hubapi.com."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			return nodes.Account{CRM: crm{c: &Client{BaseURL: v["base_url"], AccessToken: v["access_token"], HTTPClient: env.HTTPClient}}}, nil
		},
		Docs: "Contacts are upserted by email (a retry updates the same contact). Deals, tasks and notes are " +
			"associated with the contact; owners and stages take HubSpot's numeric owner ids and internal stage ids. " +
			"Create a private app (Settings → Integrations → Private apps) with the crm.objects contacts and deals scopes and paste its token.",
	})
}

// crm writes to HubSpot. Contacts are upserted by email (batch upsert, so
// a retry updates the same contact); deals, tasks and notes have no
// idempotency key at HubSpot, so a retry after a lost answer may create a
// second one.
type crm struct{ c *Client }

func (h crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	props := map[string]string{}
	for k, v := range in.Fields {
		props[k] = fmt.Sprint(v)
	}
	id, created, err := h.c.UpsertContact(ctx, Contact{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Phone: in.Phone, Company: in.Company, Properties: props, IdempotencyKey: key})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (h crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	d := Deal{Name: in.Title, ContactID: in.ContactID, IdempotencyKey: key, Properties: map[string]string{}}
	if in.Stage != "" && in.Stage != "new" { // "new" is our default, not a HubSpot stage id
		d.Stage = in.Stage
	}
	if in.Value != 0 {
		d.Amount = strconv.FormatFloat(in.Value, 'f', -1, 64)
	}
	if in.Currency != "" {
		d.Properties["deal_currency_code"] = in.Currency
	}
	if o := connectors.NumericID(in.Owner); o != "" {
		d.Properties["hubspot_owner_id"] = o
	}
	id, err := h.c.CreateDeal(ctx, d)
	return id, connectors.NodeError(err)
}

func (h crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	due := in.DueAt
	if due.IsZero() {
		due = time.Now() // HubSpot tasks need a due time
	}
	body := in.Notes
	if in.Owner != "" && connectors.NumericID(in.Owner) == "" {
		body = strings.TrimSpace(body + "\n\nOwner: " + in.Owner)
	}
	id, err := h.c.CreateTask(ctx, Task{Subject: in.Title, Body: body, Due: due, OwnerID: connectors.NumericID(in.Owner),
		ContactID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (h crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	id, err := h.c.CreateNote(ctx, Note{Body: connectors.NoteHTML(in), ContactID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
