package pipedrive

import (
	"context"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Pipedrive accounts.
const Kind = "pipedrive"

func init() {
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Pipedrive", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{
			connectors.Secret("api_token", "API token", true, "Your personal API token."),
			connectors.Text("company_domain", "Company domain", false, "yourcompany in yourcompany.pipedrive.com."),
			connectors.BaseURL("Only to use a mock."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			base := v["base_url"]
			if base == "" && v["company_domain"] != "" {
				base = "https://" + strings.TrimSuffix(strings.TrimSpace(v["company_domain"]), ".pipedrive.com") + ".pipedrive.com"
			}
			return nodes.Account{CRM: crm{c: &Client{BaseURL: base, APIToken: v["api_token"], HTTPClient: env.HTTPClient}}}, nil
		},
		Docs: "Persons are searched by exact email before one is created, so a retry finds the person it created. " +
			"Tasks become activities of type task; owners and stages take Pipedrive's numeric user and stage ids. " +
			"Find your API token under Personal preferences → API.",
	})
}

// crm writes to Pipedrive. Persons are searched by email before one is
// created (Pipedrive has no upsert; the search is exact-match on email), so
// a retry finds the person it created. Deals, activities and notes have no
// idempotency key at Pipedrive: a retry after a lost answer may create a
// second one.
type crm struct{ c *Client }

func (p crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	name := strings.TrimSpace(in.FirstName + " " + in.LastName)
	id, created, err := p.c.FindOrCreatePerson(ctx, Person{Name: name, Email: in.Email, Phone: in.Phone, IdempotencyKey: key})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (p crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	d := Deal{Title: in.Title, PersonID: in.ContactID, Currency: in.Currency, StageID: connectors.NumericID(in.Stage),
		OwnerID: connectors.NumericID(in.Owner), IdempotencyKey: key}
	if in.Value != 0 {
		v := in.Value
		d.Value = &v
	}
	id, err := p.c.CreateDeal(ctx, d)
	return id, connectors.NodeError(err)
}

func (p crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	id, err := p.c.CreateActivity(ctx, Activity{Subject: in.Title, Type: "task", Due: in.DueAt, Note: in.Notes,
		PersonID: in.ContactID, OwnerID: connectors.NumericID(in.Owner), IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (p crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	id, err := p.c.CreateNote(ctx, Note{Content: connectors.NoteHTML(in), PersonID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
