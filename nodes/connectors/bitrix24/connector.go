package bitrix24

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Bitrix24 accounts.
const Kind = "bitrix24"

// leadPrefix marks a lead's id among the ids the CRM steps pass on (the
// run var bitrix24_contact_id): leads and contacts are numbered apart.
const leadPrefix = "lead:"

// probeEmail is searched for by the connection test: a read that needs
// the webhook's CRM permission and finds nobody.
const probeEmail = "connection-test@example.invalid"

var stageID = regexp.MustCompile(`^[A-Z0-9_]+(:[A-Z0-9_]+)?$`)

func init() {
	webhook := connectors.Secret("webhook_url", "Inbound webhook URL", true,
		"The REST call URL of an inbound webhook with the CRM and Tasks permissions, like https://your.bitrix24.com/rest/1/abc123/. It contains the webhook's secret.")
	webhook.Check = func(s string) error {
		_, err := ParseWebhook(s)
		return err
	}
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Bitrix24", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{webhook},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			c, err := New(v["webhook_url"], env.HTTPClient)
			if err != nil {
				return nodes.Account{}, err
			}
			return nodes.Account{CRM: crm{c: c}}, nil
		},
		Test: func(ctx context.Context, acc nodes.Account) error {
			b, ok := acc.CRM.(crm)
			if !ok {
				return fmt.Errorf("not a Bitrix24 account")
			}
			if _, err := b.c.Profile(ctx); err != nil {
				return err
			}
			_, _, err := b.c.Find(ctx, "CONTACT", probeEmail)
			return err
		},
		Docs: "\"Create or update contact\" saves a Bitrix24 contact (Save as: contact) or lead (Save as: lead): the person is searched " +
			"by email (crm.duplicate.findbycomm) and updated, or added when there is none, so a retry finds the person it added; " +
			"when several have the email the oldest is used. On update the email and phone are left as they are (Bitrix24 adds values " +
			"to multi-value fields rather than replacing them). Custom fields take Bitrix24 field ids, upper case: user fields like " +
			"UF_CRM_1700000000 (the id, not the label, from CRM settings → Fields) or standard ones like SOURCE_DESCRIPTION; Bitrix24 " +
			"ignores ids it does not know, so check the spelling. A new lead is titled with the person's name, has the source WEB (unless the custom fields set SOURCE_ID) and gets Company as its company name. " +
			"Deals are linked to the contact (or to the lead); tasks are Bitrix24 tasks bound to the lead or contact, given to the owner or " +
			"else to the webhook's user; notes are timeline comments. Owners are Bitrix24's numeric user ids; stages are sent when they are " +
			"Bitrix24 stage ids like PREPARATION or C1:NEW (the default new leaves the pipeline's first stage). " +
			"Deals, tasks and comments have no idempotency key at Bitrix24: a retry after a lost answer may add a second one. " +
			"Create the webhook in Bitrix24 under Developer resources → Other → Inbound webhook, tick the CRM (crm) and Tasks (task) " +
			"permissions, save, and paste the REST call URL. The URL is the password: it is stored encrypted and kept out of errors and logs; " +
			"anyone who has it can act as the user who made the webhook, so make it with a user allowed to see and create the records, " +
			"and delete the webhook to revoke it. Testing the account reads that user (profile) and searches contacts by an address that " +
			"matches nobody, which needs the CRM permission. Bitrix24 allows about 2 requests a second per portal; " +
			"QUERY_LIMIT_EXCEEDED answers are retried later.",
	})
}

// crm writes to Bitrix24.
type crm struct{ c *Client }

// person splits an id of ours into Bitrix24's entity type and id.
func person(id string) (typ, b24ID string) {
	if rest, ok := strings.CutPrefix(id, leadPrefix); ok {
		return EntityLead, rest
	}
	return EntityContact, id
}

func (b crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	p := Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone, Company: in.Company, Fields: in.Fields,
		IdempotencyKey: key}
	if in.SaveAs == nodes.RecordLead {
		id, created, err := b.c.UpsertLead(ctx, p)
		if err != nil {
			return nodes.ContactRef{}, connectors.NodeError(err)
		}
		return nodes.ContactRef{ID: leadPrefix + id, Created: created}, nil
	}
	id, created, err := b.c.UpsertContact(ctx, p)
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (b crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	typ, id := person(in.ContactID)
	d := Deal{Title: in.Title, EntityType: typ, EntityID: id, Value: in.Value, Currency: in.Currency, OwnerID: connectors.NumericID(in.Owner),
		IdempotencyKey: key}
	if s := strings.TrimSpace(in.Stage); s != "new" && stageID.MatchString(s) {
		d.StageID = s
	}
	did, err := b.c.CreateDeal(ctx, d)
	return did, connectors.NodeError(err)
}

func (b crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	desc := in.Notes
	if in.Owner != "" && connectors.NumericID(in.Owner) == "" {
		desc = strings.TrimSpace(desc + "\n\nOwner: " + in.Owner)
	}
	t := Task{Title: in.Title, Description: desc, Deadline: in.DueAt, ResponsibleID: connectors.NumericID(in.Owner), IdempotencyKey: key}
	if in.ContactID != "" {
		t.EntityType, t.EntityID = person(in.ContactID)
	}
	tid, err := b.c.CreateTask(ctx, t)
	return tid, connectors.NodeError(err)
}

func (b crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	comment := in.Body
	if in.Source != "" {
		comment += "\n\nSource: " + in.Source
	}
	if in.ContactID == "" {
		return "", nodes.Permanentf("a Bitrix24 timeline comment needs the lead or contact it goes on")
	}
	typ, id := person(in.ContactID)
	cid, err := b.c.AddComment(ctx, Comment{EntityType: typ, EntityID: id, Text: comment, IdempotencyKey: key})
	return cid, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
