package salesforce

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
)

// Kind is the credential kind of Salesforce accounts.
const Kind = "salesforce"

// DefaultLoginURL is Salesforce's production login host.
const DefaultLoginURL = "https://login.salesforce.com"

// Credential fields.
const (
	fieldClientID     = "client_id"
	fieldClientSecret = "client_secret"
	fieldLoginURL     = "login_url"
	fieldAPIVersion   = "api_version"
)

// keepInstanceURL is the token answer's member naming the org's address.
const keepInstanceURL = "instance_url"

// notProvided fills required fields Salesforce's own web-to-lead form
// also fills this way (a lead needs a last name and a company).
const notProvided = "[not provided]"

// defaultStage is used when a deal step names no Salesforce stage.
const defaultStage = "Prospecting"

// closeIn is how far ahead an opportunity's required close date is set.
const closeIn = 30 * 24 * time.Hour

// OAuth is how Salesforce accounts connect.
var OAuth = &nodes.OAuthSpec{
	Endpoints: func(v map[string]string) (string, string, error) {
		base := strings.TrimRight(strings.TrimSpace(v[fieldLoginURL]), "/")
		if base == "" {
			base = DefaultLoginURL
		}
		if err := connectors.CheckURL(base); err != nil {
			return "", "", connectors.Invalidf("the login address %q %v", base, err)
		}
		return base + "/services/oauth2/authorize", base + "/services/oauth2/token", nil
	},
	Scopes: []string{"api", "refresh_token"},
	Keep:   []string{keepInstanceURL},
	Identify: func(ctx context.Context, acc nodes.Account) (string, error) {
		c, ok := acc.CRM.(crm)
		if !ok {
			return "", fmt.Errorf("not a Salesforce account")
		}
		return c.c.Identity(ctx)
	},
}

func init() {
	loginURL := connectors.Text(fieldLoginURL, "Login address", false,
		"https://login.salesforce.com (default), https://test.salesforce.com for a sandbox, or your My Domain address.")
	loginURL.Check = connectors.CheckURL
	version := connectors.Text(fieldAPIVersion, "API version", false, "The REST API version, like v62.0 (default).")
	version.Check = CheckAPIVersion
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Salesforce", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{
			connectors.Text(fieldClientID, "Consumer key", true, "The connected app's consumer key (client id)."),
			connectors.Secret(fieldClientSecret, "Consumer secret", true, "The connected app's consumer secret."),
			loginURL, version,
		},
		OAuth: OAuth,
		Open:  open,
		Test: func(ctx context.Context, acc nodes.Account) error {
			c, ok := acc.CRM.(crm)
			if !ok {
				return fmt.Errorf("not a Salesforce account")
			}
			return c.c.Check(ctx)
		},
		Docs: "Connect with Settings → Credentials → Connect (OAuth 2.0): create a connected app in Salesforce (Setup → App Manager → " +
			"New Connected App) with OAuth enabled, the scopes `api` and `refresh_token`, PKCE required, and this server's " +
			"`/oauth/callback` address as the callback URL; enter its consumer key and secret, save, then press Connect.\n\n" +
			"\"Create or update contact\" saves a **Lead** or a **Contact** as its *Save as* says: the person is first looked up by " +
			"email (leads not yet converted; the oldest match), updated when found and created otherwise, so a retry never " +
			"creates a second one. Leads need a last name and a company: missing ones are saved as `[not provided]`, as " +
			"Salesforce's web-to-lead does. *Custom fields* are Salesforce API field names (`Lead_Source__c`). " +
			"*Salesforce campaign* (a campaign id, 701…) adds the person to the campaign. Saving as a contact does not convert " +
			"an existing lead (conversion is done in Salesforce).\n\n" +
			"Deals are **Opportunities** (the stage must be a stage of your org, default `Prospecting`; close date 30 days ahead; " +
			"linked to the contact when the person is a contact), tasks are **Tasks** on the lead or contact, notes are " +
			"completed Tasks (they show in the activity timeline). Owners are Salesforce user ids (005…); another owner " +
			"name is written into the task's description.",
	})
}

// open builds the client of a stored credential.
func open(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
	cfg, err := oauth.ConfigFor("Salesforce", OAuth, v, "", env.HTTPClient)
	if err != nil {
		return nodes.Account{}, err
	}
	s := oauth.NewSession(cfg, v, env.UpdateSecrets)
	c := &Client{Auth: oauth.SessionAuth(s, keepInstanceURL), APIVersion: v[fieldAPIVersion], HTTPClient: env.HTTPClient}
	return nodes.Account{CRM: crm{c: c}}, nil
}

// NewCRM is the CRM target of a client (for tests and other packages).
func NewCRM(c *Client) nodes.CRMTarget { return crm{c: c} }

// crm writes the crm.* steps to Salesforce. People are found by email
// before a create, so a retry updates the one created by the try before.
// Opportunities and tasks have no idempotency key at Salesforce: a retry
// after a lost answer may create a second one.
type crm struct{ c *Client }

// personFields are the fields of a lead or contact, without empty ones.
func personFields(object string, in nodes.ContactInput) (map[string]any, error) {
	f := map[string]any{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			f[k] = v
		}
	}
	set("Email", in.Email)
	set("FirstName", in.FirstName)
	set("LastName", in.LastName)
	set("Phone", in.Phone)
	if object == ObjectLead {
		set("Company", in.Company)
	}
	for k, v := range in.Fields {
		if !IsAPIName(k) {
			return nil, connectors.Invalidf("%q is not a Salesforce field API name (like Lead_Source__c)", k)
		}
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if strings.TrimSpace(x) == "" {
				continue
			}
		}
		f[k] = v
	}
	return f, nil
}

func (s crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	object := ObjectContact
	if in.SaveAs == nodes.RecordLead {
		object = ObjectLead
	}
	fields, err := personFields(object, in)
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	id, err := s.c.FindByEmail(ctx, object, in.Email)
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	created := false
	if id != "" {
		delete(fields, "Email") // it matched already
		err = s.c.Update(ctx, object, id, fields)
	} else {
		if fields["LastName"] == nil {
			fields["LastName"] = notProvided
		}
		if object == ObjectLead && fields["Company"] == nil {
			fields["Company"] = notProvided
		}
		id, err = s.c.Create(ctx, object, fields)
		created = err == nil
	}
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	if in.Campaign != "" {
		if err := s.c.AddToCampaign(ctx, in.Campaign, id); err != nil {
			return nodes.ContactRef{}, connectors.NodeError(err)
		}
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

// date is a Salesforce date (YYYY-MM-DD).
func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func (s crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	if strings.TrimSpace(in.Title) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the opportunity needs a name"))
	}
	stage := strings.TrimSpace(in.Stage)
	if stage == "" || stage == "new" { // "new" is our default, not a Salesforce stage
		stage = defaultStage
	}
	f := map[string]any{"Name": in.Title, "StageName": stage, "CloseDate": date(time.Now().Add(closeIn))}
	if in.Value != 0 {
		f["Amount"] = in.Value
	}
	if IsID(in.Owner, PrefixUser) {
		f["OwnerId"] = in.Owner
	}
	switch {
	case IsID(in.ContactID, PrefixContact):
		f["ContactId"] = in.ContactID
	case IsID(in.ContactID, PrefixLead):
		f["Description"] = "For lead " + in.ContactID + " (an opportunity links to a lead once it is converted)."
	}
	id, err := s.c.Create(ctx, ObjectOpportunity, f)
	return id, connectors.NodeError(err)
}

// who is a task's WhoId: the lead or contact.
func who(f map[string]any, contactID string) {
	if IsID(contactID, PrefixLead) || IsID(contactID, PrefixContact) {
		f["WhoId"] = contactID
	}
}

func (s crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	if strings.TrimSpace(in.Title) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the task needs a subject"))
	}
	desc := in.Notes
	f := map[string]any{"Subject": in.Title, "Status": "Not Started", "Priority": "Normal"}
	if !in.DueAt.IsZero() {
		f["ActivityDate"] = date(in.DueAt)
	}
	if IsID(in.Owner, PrefixUser) {
		f["OwnerId"] = in.Owner
	} else if o := strings.TrimSpace(in.Owner); o != "" {
		desc = strings.TrimSpace(desc + "\n\nOwner: " + o)
	}
	if desc != "" {
		f["Description"] = desc
	}
	who(f, in.ContactID)
	id, err := s.c.Create(ctx, ObjectTask, f)
	return id, connectors.NodeError(err)
}

// noteSubject is the first line of a note, shortened.
func noteSubject(body string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	if r := []rune(line); len(r) > 60 {
		line = string(r[:60]) + "…"
	}
	return "Note: " + line
}

// AddNote logs the note as a completed task on the lead or contact, so
// it shows in their activity timeline.
func (s crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	if strings.TrimSpace(in.Body) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the note is empty"))
	}
	desc := in.Body
	if in.Source != "" {
		desc += "\n\nSource: " + in.Source
	}
	f := map[string]any{"Subject": noteSubject(in.Body), "Description": desc, "Status": "Completed", "ActivityDate": date(time.Now())}
	who(f, in.ContactID)
	id, err := s.c.Create(ctx, ObjectTask, f)
	return id, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
