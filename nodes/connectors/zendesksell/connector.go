package zendesksell

import (
	"context"
	"fmt"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Zendesk Sell accounts.
const Kind = "zendesksell"

// leadPrefix marks a lead's id among the ids the CRM steps pass on (the
// run var zendesksell_contact_id): Sell's leads and contacts are numbered
// apart, and tasks and notes must say which one they belong to.
const leadPrefix = "lead:"

func init() {
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Zendesk Sell", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{
			connectors.Secret("access_token", "API token", true, "A personal access token from Sell's Settings → Integrations → OAuth → Access Tokens."),
			connectors.BaseURL("Only to use a mock; default https://api.getbase.com."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			return nodes.Account{CRM: crm{c: &Client{BaseURL: v["base_url"], AccessToken: v["access_token"], HTTPClient: env.HTTPClient}}}, nil
		},
		Test: func(ctx context.Context, acc nodes.Account) error {
			s, ok := acc.CRM.(crm)
			if !ok {
				return fmt.Errorf("not a Zendesk Sell account")
			}
			_, err := s.c.Self(ctx)
			return err
		},
		Docs: "\"Create or update contact\" saves a Sell contact (Save as: contact) through Sell's upsert filtered by email, or a lead " +
			"(Save as: lead), searched by email and updated, or created when there is none; either way a retry finds the person it created. " +
			"Several contacts with the same email make Sell refuse the upsert (409): merge them in Sell. " +
			"Custom fields are sent as Sell custom fields of the same names (create them in Sell first); a lead gets Company as its organization name. " +
			"Deals belong to contacts in Sell: a deal for a person saved as a lead fails, so save the person as a contact before a deal. " +
			"Tasks and notes are attached to the lead or contact. Owners and stages are sent only as Sell's numeric user and stage ids. " +
			"Deals, tasks and notes have no idempotency key at Sell: a retry after a lost answer may create a second one. " +
			"Get the token in Sell under Settings → Integrations → OAuth → Access Tokens (\"Add access token\", read/write); " +
			"it acts as the user who made it, so make it with a user who may see and create the records. " +
			"Testing the account reads that user (GET /v2/users/self). Zendesk has announced Sell's retirement: check the date before relying on it.",
	})
}

// crm writes to Zendesk Sell.
type crm struct{ c *Client }

// person splits an id of ours into Sell's resource type and id.
func person(id string) (typ, sellID string) {
	if rest, ok := strings.CutPrefix(id, leadPrefix); ok {
		return ResourceLead, rest
	}
	return ResourceContact, id
}

func (s crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	p := Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone, Company: in.Company,
		CustomFields: in.Fields, IdempotencyKey: key}
	if in.SaveAs == nodes.RecordLead {
		id, created, err := s.c.UpsertLead(ctx, p)
		if err != nil {
			return nodes.ContactRef{}, connectors.NodeError(err)
		}
		return nodes.ContactRef{ID: leadPrefix + id, Created: created}, nil
	}
	id, created, err := s.c.UpsertContact(ctx, p)
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (s crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	if typ, _ := person(in.ContactID); typ == ResourceLead {
		return "", nodes.Permanentf("Zendesk Sell deals belong to contacts, and this person was saved as a lead: " +
			"save them as a contact (Save as: contact) before creating a deal")
	}
	id, err := s.c.CreateDeal(ctx, Deal{Name: in.Title, ContactID: in.ContactID, Value: in.Value, Currency: in.Currency,
		StageID: connectors.NumericID(in.Stage), OwnerID: connectors.NumericID(in.Owner), IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (s crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	content := strings.TrimSpace(in.Title)
	if n := strings.TrimSpace(in.Notes); n != "" {
		content += "\n\n" + n
	}
	if in.Owner != "" && connectors.NumericID(in.Owner) == "" {
		content += "\n\nOwner: " + in.Owner
	}
	typ, id := person(in.ContactID)
	t := Task{Content: content, Due: in.DueAt, OwnerID: connectors.NumericID(in.Owner), IdempotencyKey: key}
	if id != "" {
		t.ResourceType, t.ResourceID = typ, id
	}
	tid, err := s.c.CreateTask(ctx, t)
	return tid, connectors.NodeError(err)
}

func (s crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	content := in.Body
	if in.Source != "" {
		content += "\n\nSource: " + in.Source
	}
	typ, id := person(in.ContactID)
	nid, err := s.c.CreateNote(ctx, Note{Content: content, ResourceType: typ, ResourceID: id, IdempotencyKey: key})
	return nid, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
