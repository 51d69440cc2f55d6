package mailchimp

import (
	"context"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Mailchimp accounts.
const Kind = "mailchimp"

func init() {
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Mailchimp", Provides: []nodes.Capability{nodes.ProvidesLists, nodes.ProvidesTags},
		Fields: []nodes.CredentialField{
			connectors.Secret("api_key", "API key", true, "Ends with the data centre, e.g. -us6."),
			connectors.Text("list_id", "Audience ID", false, "The default audience (list) id."),
			connectors.BaseURL("Only to use a mock."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			l := lists{c: &Client{BaseURL: v["base_url"], APIKey: v["api_key"], HTTPClient: env.HTTPClient},
				defaultList: strings.TrimSpace(v["list_id"])}
			return nodes.Account{Lists: l, Tags: l}, nil
		},
		Docs: "Adding to a list subscribes the person to the audience (status subscribed when new; an existing member keeps " +
			"their status, so someone who unsubscribed stays unsubscribed). Consent list_only adds a new member as transactional " +
			"(on the audience, no marketing consent); double_opt_in adds them as pending, and Mailchimp sends the audience's own " +
			"confirmation email (the step's template and page are not used). Removing from a list unsubscribes the member rather than " +
			"archiving them, so their opt-out is kept and a later Add to list does not subscribe them again; someone not on the " +
			"audience is left alone. Tags are set on the audience member. " +
			"Create an API key under Account → Extras → API keys; the audience id is under Audience → Settings.",
	})
}

// lists writes audience members. Members are keyed by the MD5 of the
// lower-cased email (PUT upsert) and tags are set, not added, so both are
// safe to retry.
type lists struct {
	c           *Client
	defaultList string
}

func (m lists) list(list string) (string, error) {
	if list = strings.TrimSpace(list); list != "" {
		return list, nil
	}
	if m.defaultList == "" {
		return "", nodes.Permanentf("choose a Mailchimp audience: the account has no default audience id")
	}
	return m.defaultList, nil
}

// statusIfNew maps list.add's consent choice to a new member's status.
func statusIfNew(consent string) (string, error) {
	switch consent {
	case "", nodes.ConsentSubscribe:
		return StatusSubscribed, nil
	case nodes.ConsentListOnly:
		return StatusTransactional, nil
	case nodes.ConsentDoubleOptIn:
		return StatusPending, nil
	}
	return "", nodes.Permanentf("Mailchimp cannot add someone with consent %q", consent)
}

func (m lists) Subscribe(ctx context.Context, key, list string, in nodes.ContactInput, how nodes.JoinOptions) (string, error) {
	list, err := m.list(list)
	if err != nil {
		return "", err
	}
	status, err := statusIfNew(how.Consent)
	if err != nil {
		return "", err
	}
	merge := map[string]any{}
	if in.FirstName != "" {
		merge["FNAME"] = in.FirstName
	}
	if in.LastName != "" {
		merge["LNAME"] = in.LastName
	}
	id, err := m.c.UpsertMember(ctx, list, Member{Email: in.Email, StatusIfNew: status,
		MergeFields: merge, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (m lists) Remove(ctx context.Context, _ string, list, email string) error {
	list, err := m.list(list)
	if err != nil {
		return err
	}
	return connectors.NodeError(m.c.Unsubscribe(ctx, list, email))
}

func (m lists) Tag(ctx context.Context, _ string, list, email string, add, remove []string) error {
	list, err := m.list(list)
	if err != nil {
		return err
	}
	return connectors.NodeError(m.c.SetTags(ctx, list, email, add, remove))
}

var (
	_ nodes.ListTarget = lists{}
	_ nodes.Tagger     = lists{}
)
