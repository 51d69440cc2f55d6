package klaviyo

import (
	"context"
	"errors"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Klaviyo accounts.
const Kind = "klaviyo"

// DefaultTagsProperty is the profile property contact.tag writes.
const DefaultTagsProperty = "tags"

func init() {
	key := connectors.Secret("api_key", "Private API key", true,
		"A private key (starts with pk_) with the scopes profiles:write, lists:write, subscriptions:write and events:write (and lists:read for the connection test).")
	key.Check = func(s string) error {
		if !strings.HasPrefix(strings.TrimSpace(s), "pk_") {
			return errors.New("is not a Klaviyo private API key: those start with pk_ (the 6-character public key cannot write)")
		}
		return nil
	}
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Klaviyo",
		Provides: []nodes.Capability{nodes.ProvidesContacts, nodes.ProvidesLists, nodes.ProvidesTags, nodes.ProvidesEvents},
		Fields: []nodes.CredentialField{
			key,
			{Name: "tags_property", Label: "Tags property", Type: nodes.FieldString, Default: DefaultTagsProperty,
				Description: "Klaviyo has no contact tags: 'Tag or untag contact' adds and removes values of this profile property (a list), " +
					"which segments can test with 'contains'."},
			connectors.BaseURL("Only to use a mock; default https://a.klaviyo.com."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			c := &Client{BaseURL: v["base_url"], APIKey: v["api_key"], HTTPClient: env.HTTPClient}
			a := account{c: c, tagsProperty: strings.TrimSpace(v["tags_property"])}
			if a.tagsProperty == "" {
				a.tagsProperty = DefaultTagsProperty
			}
			return nodes.Account{People: a, Lists: a, Tags: a, Events: a}, nil
		},
		Test: func(ctx context.Context, acc nodes.Account) error {
			a, ok := acc.Lists.(account)
			if !ok {
				return errors.New("not a Klaviyo account")
			}
			return connectors.NodeError(a.c.Ping(ctx))
		},
		Docs: "Klaviyo separates two things a marketer may mean by \"add to list\". **Subscribing** (Add to list with Consent " +
			"subscribe) records that the person agreed to receive marketing email and puts them on the list, through Klaviyo's " +
			"subscription job; it also lifts an earlier unsubscribe, so choose it only when the person just agreed (e.g. ticked " +
			"a box in the chat). If the list has double opt-in switched on in Klaviyo, Klaviyo emails the confirmation itself; " +
			"Consent double_opt_in is refused, because Klaviyo decides that by the list's setting, not per call. **Adding to the " +
			"list** (Consent list_only, the default) only makes the person a member and records no consent: their email " +
			"marketing status stays what it was (e.g. never subscribed), and flows triggered by the list run. Remove from list takes the profile off the list " +
			"and leaves their consent as it is (someone without a profile is left alone). Create or update contact saves the " +
			"profile found by email (names, phone in E.164, company as organization, time zone, custom fields as profile " +
			"properties) and keeps its id in `klaviyo_contact_id`; Add to list sends only the email and names (Klaviyo refuses a " +
			"phone another profile has). Klaviyo has no contact tags, so Tag or untag contact adds and " +
			"removes values of a list property on the profile (`tags` unless the account says otherwise). Record event in email " +
			"platform creates a Klaviyo event (a metric named like the step's event, with its details and value) on the profile " +
			"found by email, which can start Klaviyo flows; the step's idempotency key is the event's unique_id, so a retried " +
			"step records it once. Every call sends the " +
			"API revision header `revision: " + Revision + "` and JSON:API bodies. Create a private API key under Settings → " +
			"Account → API keys (scopes profiles, lists, subscriptions and events: full access); " +
			"list ids are in each list's URL and settings.",
	})
}

// account writes to one Klaviyo account. Profiles are upserted by email
// (profile-import), list membership and consent are set, not added, so a
// retry changes nothing twice.
type account struct {
	c            *Client
	tagsProperty string
}

func (a account) list(list string) (string, error) {
	if list = strings.TrimSpace(list); list == "" {
		return "", nodes.Permanentf("choose a Klaviyo list: give its id, like Y6nRLr (in the list's URL and settings)")
	}
	return list, nil
}

func profileOf(in nodes.ContactInput) Profile {
	return Profile{Email: in.Email, Phone: in.Phone, ExternalID: in.ExternalID, FirstName: in.FirstName, LastName: in.LastName,
		Organization: in.Company, TimeZone: in.TimeZone, Properties: in.Fields}
}

func (a account) Upsert(ctx context.Context, _ string, in nodes.ContactInput) (nodes.ContactRef, error) {
	id, created, err := a.c.UpsertProfile(ctx, profileOf(in))
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (a account) Subscribe(ctx context.Context, _ string, list string, in nodes.ContactInput, how nodes.JoinOptions) (string, error) {
	list, err := a.list(list)
	if err != nil {
		return "", err
	}
	switch how.Consent {
	case "", nodes.ConsentListOnly, nodes.ConsentSubscribe:
	case nodes.ConsentDoubleOptIn:
		return "", nodes.Permanentf("Klaviyo decides double opt-in by the list's own setting, not per step: choose Consent subscribe " +
			"(a list with double opt-in switched on emails the confirmation itself) or list_only")
	default:
		return "", nodes.Permanentf("Klaviyo cannot add someone with consent %q", how.Consent)
	}
	p := profileOf(in)
	// List steps carry the person, not custom fields; the phone is left to
	// 'Create or update contact', as Klaviyo refuses a number another
	// profile has (409), which must not stop a list sign-up.
	p.Properties, p.Phone = nil, ""
	id, _, err := a.c.UpsertProfile(ctx, p)
	if err != nil {
		return "", connectors.NodeError(err)
	}
	if how.Consent == nodes.ConsentSubscribe {
		return id, connectors.NodeError(a.c.Subscribe(ctx, list, in.Email, "Journey"))
	}
	return id, connectors.NodeError(a.c.AddToList(ctx, list, id))
}

func (a account) Remove(ctx context.Context, _ string, list, email string) error {
	list, err := a.list(list)
	if err != nil {
		return err
	}
	id, err := a.c.FindProfile(ctx, email)
	if err != nil || id == "" {
		return connectors.NodeError(err)
	}
	return connectors.NodeError(a.c.RemoveFromList(ctx, list, id))
}

func (a account) TrackEvent(ctx context.Context, key string, e nodes.VendorEvent) error {
	return connectors.NodeError(a.c.CreateEvent(ctx, Event{Email: e.Email, Metric: e.Name, Properties: e.Properties, Value: e.Value,
		Time: e.Time, UniqueID: key}))
}

func (a account) Tag(ctx context.Context, _ string, _ string, email string, add, remove []string) error {
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	p := Profile{Email: email}
	if len(add) > 0 {
		p.AppendProps = map[string][]string{a.tagsProperty: add}
	}
	if len(remove) > 0 {
		p.UnappendProps = map[string][]string{a.tagsProperty: remove}
	}
	_, _, err := a.c.UpsertProfile(ctx, p)
	return connectors.NodeError(err)
}

var (
	_ nodes.ContactSaver = account{}
	_ nodes.ListTarget   = account{}
	_ nodes.Tagger       = account{}
	_ nodes.EventSender  = account{}
)
