package activecampaign

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of ActiveCampaign accounts.
const Kind = "activecampaign"

func init() {
	acct := connectors.Text("account_url", "API URL", true, "The account's API URL from Settings → Developer, like https://acme.api-us1.com.")
	acct.Check = connectors.CheckURL
	pipeline := connectors.Text("pipeline_id", "Deal pipeline ID", false,
		"The pipeline new deals go to when the deal step's stage is not an ActiveCampaign stage id; default 1, the first pipeline.")
	pipeline.Check = checkID
	taskType := connectors.Text("task_type_id", "Task type ID", false,
		"The type given to tasks the journey creates (Settings → Deals → Task types); default 1, usually Call.")
	taskType.Check = checkID
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "ActiveCampaign",
		Provides: []nodes.Capability{nodes.ProvidesCRM, nodes.ProvidesLists, nodes.ProvidesTags},
		Fields: []nodes.CredentialField{
			acct,
			connectors.Secret("api_token", "API key", true, "The API key from Settings → Developer, sent in the Api-Token header."),
			pipeline,
			taskType,
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			a := account{c: &Client{BaseURL: APIRoot(v["account_url"]), Token: v["api_token"], HTTPClient: env.HTTPClient},
				pipeline: strings.TrimSpace(v["pipeline_id"]), taskType: strings.TrimSpace(v["task_type_id"])}
			if a.pipeline == "" {
				a.pipeline = "1"
			}
			if a.taskType == "" {
				a.taskType = "1"
			}
			return nodes.Account{CRM: a, Lists: a, Tags: a}, nil
		},
		Test: func(ctx context.Context, acc nodes.Account) error {
			a, ok := acc.Lists.(account)
			if !ok {
				return errors.New("not an ActiveCampaign account")
			}
			return connectors.NodeError(a.c.Ping(ctx))
		},
		Docs: "Create or update contact syncs the contact by email (contact/sync: first and last name, phone; custom fields " +
			"by their numeric ActiveCampaign field id, under Settings → Fields — other names are refused; company is not sent) " +
			"and keeps its id in `activecampaign_contact_id`. On ActiveCampaign a list membership is a subscription: Add to list " +
			"sets the contact's status on the list to 1, active (Consent subscribe, or empty), so they receive the campaigns " +
			"sent to it. Consent list_only is refused (ActiveCampaign has no list membership without subscription) and so is " +
			"double_opt_in (its confirmation emails come from its own forms with opt-in confirmation, not from the API). Someone " +
			"who unsubscribed stays unsubscribed: the journey never sends ActiveCampaign's re-subscribe flag. Remove from list " +
			"sets the status to 2, unsubscribed from that list (ActiveCampaign's way of taking someone off a list; someone " +
			"unknown is left alone). Tags are found by name, and created when missing, then linked to the contact (removing " +
			"deletes the link). Deals take the value in cents and a lower-case currency (usd when none), the step's stage when " +
			"it is an ActiveCampaign stage id (else the account's pipeline), the owner when it is a user id. Notes go on the " +
			"contact. Tasks go on the contact with the account's task type (due now when the step gives no due date; the " +
			"owner when it is a user id, else named in the task's note); a task with no contact is refused. Copy the API " +
			"URL and key from Settings → Developer; the key is sent in the `Api-Token` header (a wrong key gets 403).",
	})
}

func checkID(s string) error {
	if connectors.NumericID(s) == "" {
		return errors.New("is not an ActiveCampaign id (a number)")
	}
	return nil
}

// account writes to one ActiveCampaign account. Contacts are synced by
// email and list status and tags are set, so retrying those changes
// nothing twice; deals, tasks and notes have no idempotency key, so a retry after
// a lost answer may create a second one.
type account struct {
	c        *Client
	pipeline string
	taskType string
}

func (a account) list(list string) (string, error) {
	if list = strings.TrimSpace(list); list == "" {
		return "", nodes.Permanentf("choose an ActiveCampaign list: give its id (a number, in the list's URL)")
	}
	return list, nil
}

func (a account) Upsert(ctx context.Context, _ string, in nodes.ContactInput) (nodes.ContactRef, error) {
	fields := map[string]string{}
	for k, v := range in.Fields {
		id := connectors.NumericID(k)
		if id == "" {
			return nodes.ContactRef{}, nodes.Permanentf("ActiveCampaign custom fields are set by their numeric id (Settings → Fields): %q is not one", k)
		}
		fields[id] = fmt.Sprint(v)
	}
	id, created, err := a.c.SyncContact(ctx, Contact{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone, FieldValues: fields})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (a account) CreateDeal(ctx context.Context, _ string, in nodes.DealInput) (string, error) {
	if in.Value < 0 || math.IsNaN(in.Value) || math.IsInf(in.Value, 0) {
		return "", nodes.Permanentf("the deal value %v is not an amount ActiveCampaign accepts", in.Value)
	}
	d := Deal{Title: in.Title, ContactID: in.ContactID, ValueCents: int64(math.Round(in.Value * 100)), Currency: in.Currency,
		Owner: connectors.NumericID(in.Owner)}
	if s := connectors.NumericID(in.Stage); s != "" {
		d.Stage = s
	} else {
		d.Pipeline = a.pipeline
	}
	id, err := a.c.CreateDeal(ctx, d)
	return id, connectors.NodeError(err)
}

func (a account) CreateTask(ctx context.Context, _ string, in nodes.TaskInput) (string, error) {
	note := in.Notes
	if in.Owner != "" && connectors.NumericID(in.Owner) == "" {
		note = strings.TrimSpace(note + "\n\nOwner: " + in.Owner)
	}
	id, err := a.c.CreateTask(ctx, Task{Title: in.Title, Note: note, ContactID: in.ContactID, Due: in.DueAt, Type: a.taskType,
		Assignee: connectors.NumericID(in.Owner)})
	return id, connectors.NodeError(err)
}

func (a account) AddNote(ctx context.Context, _ string, in nodes.NoteInput) (string, error) {
	text := strings.TrimSpace(in.Body)
	if in.Source != "" {
		text += "\n\nSource: " + in.Source
	}
	id, err := a.c.AddNote(ctx, RelContact, in.ContactID, text)
	return id, connectors.NodeError(err)
}

func (a account) Subscribe(ctx context.Context, _ string, list string, in nodes.ContactInput, how nodes.JoinOptions) (string, error) {
	list, err := a.list(list)
	if err != nil {
		return "", err
	}
	switch how.Consent {
	case "", nodes.ConsentSubscribe:
	case nodes.ConsentListOnly:
		return "", nodes.Permanentf("ActiveCampaign has no list membership without subscription: everyone active on a list receives its " +
			"campaigns. Choose Consent subscribe when they agreed")
	case nodes.ConsentDoubleOptIn:
		return "", nodes.Permanentf("ActiveCampaign sends opt-in confirmations from its own forms, not through the API: " +
			"choose Consent subscribe, or collect the sign-up with an ActiveCampaign form that has opt-in confirmation")
	default:
		return "", nodes.Permanentf("ActiveCampaign cannot add someone with consent %q", how.Consent)
	}
	if connectors.NumericID(list) == "" {
		return "", nodes.Permanentf("%q is not an ActiveCampaign list id: list ids are numbers (in the list's URL)", list)
	}
	id, _, err := a.c.SyncContact(ctx, Contact{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Phone: in.Phone})
	if err != nil {
		return "", connectors.NodeError(err)
	}
	return id, connectors.NodeError(a.c.SetListStatus(ctx, list, id, StatusActive))
}

func (a account) Remove(ctx context.Context, _ string, list, email string) error {
	list, err := a.list(list)
	if err != nil {
		return err
	}
	if connectors.NumericID(list) == "" {
		return nodes.Permanentf("%q is not an ActiveCampaign list id: list ids are numbers (in the list's URL)", list)
	}
	id, err := a.c.FindContact(ctx, email)
	if err != nil || id == "" {
		return connectors.NodeError(err)
	}
	return connectors.NodeError(a.c.SetListStatus(ctx, list, id, StatusUnsubscribed))
}

func (a account) Tag(ctx context.Context, _ string, _ string, email string, add, remove []string) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	var id string
	var err error
	if len(add) > 0 {
		id, _, err = a.c.SyncContact(ctx, Contact{Email: email})
	} else {
		id, err = a.c.FindContact(ctx, email)
	}
	if err != nil || id == "" {
		return connectors.NodeError(err)
	}
	for _, name := range add {
		tag, err := a.c.EnsureTag(ctx, name)
		if err != nil {
			return connectors.NodeError(err)
		}
		if err := a.c.AddTag(ctx, id, tag); err != nil {
			return connectors.NodeError(err)
		}
	}
	for _, name := range remove {
		tag, err := a.c.FindTag(ctx, name)
		if err != nil {
			return connectors.NodeError(err)
		}
		if tag == "" {
			continue
		}
		if err := a.c.RemoveTag(ctx, id, tag); err != nil {
			return connectors.NodeError(err)
		}
	}
	return nil
}

var (
	_ nodes.CRMTarget  = account{}
	_ nodes.ListTarget = account{}
	_ nodes.Tagger     = account{}
)
