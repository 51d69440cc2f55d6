package brevo

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
)

// Kind is the credential kind of Brevo accounts.
const Kind = "brevo"

func init() {
	key := connectors.Secret("api_key", "API key", true, "A v3 API key (starts with xkeysib-), from SMTP & API → API keys.")
	key.Check = func(s string) error {
		if !strings.HasPrefix(strings.TrimSpace(s), "xkeysib-") {
			return errors.New("is not a Brevo API key: those start with xkeysib- (an SMTP key, xsmtpsib-, only sends mail)")
		}
		return nil
	}
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Brevo",
		Provides: []nodes.Capability{nodes.ProvidesContacts, nodes.ProvidesLists},
		Fields: []nodes.CredentialField{
			key,
			{Name: "first_name_attribute", Label: "First name attribute", Type: nodes.FieldString, Default: "FIRSTNAME",
				Description: "The contact attribute that holds the first name (FIRSTNAME in English accounts, PRENOM in French ones)."},
			{Name: "last_name_attribute", Label: "Last name attribute", Type: nodes.FieldString, Default: "LASTNAME",
				Description: "The contact attribute that holds the last name (LASTNAME, or NOM)."},
			connectors.BaseURL("Only to use a mock; default https://api.brevo.com."),
		},
		Open: func(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
			a := account{c: &Client{BaseURL: v["base_url"], APIKey: v["api_key"], HTTPClient: env.HTTPClient},
				first: attrName(v["first_name_attribute"], "FIRSTNAME"), last: attrName(v["last_name_attribute"], "LASTNAME")}
			return nodes.Account{People: a, Lists: a}, nil
		},
		Test: func(ctx context.Context, acc nodes.Account) error {
			a, ok := acc.Lists.(account)
			if !ok {
				return errors.New("not a Brevo account")
			}
			return connectors.NodeError(a.c.Ping(ctx))
		},
		Docs: "A Brevo list has no consent of its own: everyone on it receives the campaigns sent to it, unless they " +
			"unsubscribed (Brevo's email blacklist, which the journey never lifts). So Add to list offers two ways: **directly** " +
			"(Consent subscribe, or empty) creates or updates the contact and puts them on the list at once — choose it when " +
			"the person already agreed; **double opt-in** (Consent double_opt_in) has Brevo email them a confirmation (the " +
			"step's Confirmation email template: a Brevo template of the double opt-in kind, holding the {{ doubleoptin }} " +
			"link) and adds them to the list only when they click it, then shows the step's Page after confirming. Consent " +
			"list_only is refused: Brevo cannot keep someone on a list without mailing them. Remove from list takes the " +
			"address off the list and keeps the contact and their unsubscribe status (someone not on the list is left " +
			"alone). Create or update contact saves the contact found by email with the first and last name attributes, the " +
			"phone as the SMS attribute (Brevo refuses a number another contact already has, so Add to list leaves the phone out), the custom fields as attributes " +
			"of the same names in capitals (they must exist in Brevo), and the id in another system as ext_id; the email is " +
			"kept as `brevo_contact_id` (Brevo answers an update without an id). Brevo has no contact tags, so its accounts " +
			"are not offered by Tag or untag contact. Create the key under SMTP & API → API keys and send it in the `api-key` " +
			"header (not an SMTP key); list numbers are under Contacts → Lists.",
	})
}

func attrName(s, def string) string {
	if s = strings.ToUpper(strings.TrimSpace(s)); s != "" {
		return s
	}
	return def
}

// account writes to one Brevo account. Contacts are upserted by email and
// list membership is set, so a retry changes nothing twice.
type account struct {
	c           *Client
	first, last string
}

func (a account) list(list string) (int64, error) {
	if list = strings.TrimSpace(list); list == "" {
		return 0, nodes.Permanentf("choose a Brevo list: give its number, like 7 (Contacts → Lists)")
	}
	id, err := ListID(list)
	return id, connectors.NodeError(err)
}

func (a account) attributes(in nodes.ContactInput, fields bool) map[string]any {
	attrs := map[string]any{}
	if fields {
		for k, v := range in.Fields {
			attrs[strings.ToUpper(strings.TrimSpace(k))] = v
		}
	}
	if in.FirstName != "" {
		attrs[a.first] = in.FirstName
	}
	if in.LastName != "" {
		attrs[a.last] = in.LastName
	}
	if in.Phone != "" {
		attrs["SMS"] = in.Phone
	}
	return attrs
}

func (a account) Upsert(ctx context.Context, _ string, in nodes.ContactInput) (nodes.ContactRef, error) {
	created, err := a.c.UpsertContact(ctx, Contact{Email: in.Email, ExtID: in.ExternalID, Attributes: a.attributes(in, true)})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: strings.ToLower(strings.TrimSpace(in.Email)), Created: created}, nil
}

func (a account) Subscribe(ctx context.Context, _ string, list string, in nodes.ContactInput, how nodes.JoinOptions) (string, error) {
	id, err := a.list(list)
	if err != nil {
		return "", err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	// The phone is left to 'Create or update contact': Brevo refuses a
	// number another contact has, which must not stop a list sign-up.
	in.Phone = ""
	switch how.Consent {
	case "", nodes.ConsentSubscribe:
		_, err := a.c.UpsertContact(ctx, Contact{Email: in.Email, Attributes: a.attributes(in, false), ListIDs: []int64{id}})
		return email, connectors.NodeError(err)
	case nodes.ConsentDoubleOptIn:
		tmpl, _ := strconv.ParseInt(how.ConfirmTemplate, 10, 64)
		if tmpl <= 0 || how.ConfirmRedirect == "" {
			return "", nodes.Permanentf("Brevo's double opt-in needs the Confirmation email template and the Page after confirming: fill in both on the step")
		}
		return email, connectors.NodeError(a.c.DoubleOptIn(ctx, in.Email, []int64{id}, tmpl, how.ConfirmRedirect, a.attributes(in, false)))
	case nodes.ConsentListOnly:
		return "", nodes.Permanentf("Brevo cannot put someone on a list without mailing them: everyone on a Brevo list receives its campaigns. " +
			"Choose Consent subscribe when they agreed, or double_opt_in to ask them first")
	}
	return "", nodes.Permanentf("Brevo cannot add someone with consent %q", how.Consent)
}

func (a account) Remove(ctx context.Context, _ string, list, email string) error {
	id, err := a.list(list)
	if err != nil {
		return err
	}
	return connectors.NodeError(a.c.RemoveFromList(ctx, id, email))
}

var (
	_ nodes.ContactSaver = account{}
	_ nodes.ListTarget   = account{}
)
