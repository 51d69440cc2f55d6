package zoho

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/oauth"
)

// Kind is the credential kind of Zoho CRM accounts.
const Kind = "zoho"

// DataCentres are the Zoho data centres a credential may name.
var DataCentres = []string{"com", "eu", "in", "com.au", "jp"}

// Credential fields.
const (
	fieldClientID     = "client_id"
	fieldClientSecret = "client_secret"
	fieldDataCentre   = "data_centre"
	fieldAccountsURL  = "accounts_url"
)

// keepAPIDomain is the token answer's member naming the org's API host.
const keepAPIDomain = "api_domain"

// notProvided fills a required last name that the step left empty.
const notProvided = "[not provided]"

// defaultStage is used when a deal step names no Zoho stage.
const defaultStage = "Qualification"

// closeIn is how far ahead a deal's closing date is set.
const closeIn = 30 * 24 * time.Hour

// OAuth is how Zoho CRM accounts connect: the accounts server of the
// credential's data centre.
var OAuth = &nodes.OAuthSpec{
	Endpoints: func(v map[string]string) (string, string, error) {
		base := strings.TrimRight(strings.TrimSpace(v[fieldAccountsURL]), "/")
		if base == "" {
			dc := strings.TrimSpace(v[fieldDataCentre])
			if dc == "" {
				dc = "com"
			}
			known := false
			for _, d := range DataCentres {
				known = known || d == dc
			}
			if !known {
				return "", "", connectors.Invalidf("%q is not a Zoho data centre (%s)", dc, strings.Join(DataCentres, ", "))
			}
			base = "https://accounts.zoho." + dc
		} else if err := connectors.CheckURL(base); err != nil {
			return "", "", connectors.Invalidf("the accounts address %q %v", base, err)
		}
		return base + "/oauth/v2/auth", base + "/oauth/v2/token", nil
	},
	// Zoho separates scopes with commas.
	Scopes:     []string{"ZohoCRM.modules.ALL,ZohoCRM.users.READ"},
	AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	Keep:       []string{keepAPIDomain},
	Identify: func(ctx context.Context, acc nodes.Account) (string, error) {
		c, ok := acc.CRM.(crm)
		if !ok {
			return "", errors.New("not a Zoho CRM account")
		}
		return c.c.CurrentUser(ctx)
	},
}

func init() {
	accounts := connectors.Text(fieldAccountsURL, "Accounts server", false,
		"Only for a mock or another data centre (ca, sa, com.cn): the accounts server's address, e.g. https://accounts.zohocloud.ca.")
	accounts.Check = connectors.CheckURL
	nodes.RegisterConnector(nodes.Connector{
		Kind: Kind, Title: "Zoho CRM", Provides: []nodes.Capability{nodes.ProvidesCRM},
		Fields: []nodes.CredentialField{
			connectors.Text(fieldClientID, "Client ID", true, "The client id of a server-based application in Zoho's API console."),
			connectors.Secret(fieldClientSecret, "Client secret", true, "The application's client secret."),
			{Name: fieldDataCentre, Label: "Data centre", Type: nodes.FieldString, Default: "com", Enum: DataCentres,
				Description: "Where your Zoho account lives: com (US), eu, in, com.au or jp (the end of your Zoho address, e.g. crm.zoho.eu)."},
			accounts,
		},
		OAuth: OAuth,
		Open:  open,
		Test: func(ctx context.Context, acc nodes.Account) error {
			c, ok := acc.CRM.(crm)
			if !ok {
				return errors.New("not a Zoho CRM account")
			}
			_, err := c.c.CurrentUser(ctx)
			return err
		},
		Docs: "Connect with Settings → Credentials → Connect (OAuth 2.0): in Zoho's API console (api-console.zoho.com, or the " +
			"console of your data centre) add a *Server-based application* whose redirect URI is this server's `/oauth/callback`; " +
			"enter its client id and secret and your data centre, save, then press Connect.\n\n" +
			"\"Create or update contact\" saves a **Lead** or a **Contact** as its *Save as* says, with Zoho's upsert keyed on " +
			"Email (a retry updates the same record). A person without a last name is saved as `[not provided]` (Zoho requires " +
			"one), unless they already exist. *Custom fields* are Zoho field API names (`Lead_Source`). The id kept for later " +
			"steps names the module, e.g. `Leads/5725767000001234001`.\n\n" +
			"Deals are **Deals** (the stage must be one of your pipeline, default `Qualification`; closing date 30 days ahead; " +
			"linked to the contact when the person is a contact), tasks are **Tasks** and notes **Notes** on the lead or " +
			"contact. Owners are Zoho user ids (long numbers); another owner name is written into the task's description.",
	})
}

func open(v map[string]string, env nodes.ConnectorEnv) (nodes.Account, error) {
	cfg, err := oauth.ConfigFor("Zoho CRM", OAuth, v, "", env.HTTPClient)
	if err != nil {
		return nodes.Account{}, err
	}
	s := oauth.NewSession(cfg, v, env.UpdateSecrets)
	return nodes.Account{CRM: crm{c: &Client{Auth: oauth.SessionAuth(s, keepAPIDomain), HTTPClient: env.HTTPClient}}}, nil
}

// NewCRM is the CRM target of a client.
func NewCRM(c *Client) nodes.CRMTarget { return crm{c: c} }

// Ref is the id steps keep for a person: module and record id.
func Ref(module, id string) string { return module + "/" + id }

// splitRef reads a person's id ("Leads/123"; a bare id is a contact).
func splitRef(ref string) (module, id string) {
	if m, id, ok := strings.Cut(ref, "/"); ok {
		return m, id
	}
	return ModuleContacts, ref
}

// crm writes the crm.* steps to Zoho CRM. People are upserted on Email,
// so a retry updates the record the try before created. Deals, tasks and
// notes have no idempotency key at Zoho: a retry after a lost answer may
// create a second one.
type crm struct{ c *Client }

func (z crm) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	module := ModuleContacts
	if in.SaveAs == nodes.RecordLead {
		module = ModuleLeads
	}
	r := map[string]any{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			r[k] = v
		}
	}
	set("Email", in.Email)
	set("First_Name", in.FirstName)
	set("Last_Name", in.LastName)
	set("Phone", in.Phone)
	if module == ModuleLeads {
		set("Company", in.Company)
	}
	for k, v := range in.Fields {
		if !IsAPIName(k) {
			return nodes.ContactRef{}, connectors.NodeError(connectors.Invalidf("%q is not a Zoho CRM field API name (like Lead_Source)", k))
		}
		if s, ok := v.(string); v == nil || (ok && strings.TrimSpace(s) == "") {
			continue
		}
		r[k] = v
	}
	if r["Last_Name"] == nil {
		// Zoho needs a last name to insert; an existing person keeps theirs.
		found, err := z.c.FindByEmail(ctx, module, in.Email)
		if err != nil {
			return nodes.ContactRef{}, connectors.NodeError(err)
		}
		if found == "" {
			r["Last_Name"] = notProvided
		}
	} else if _, err := mailOK(in.Email); err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	id, created, err := z.c.Upsert(ctx, module, r)
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: Ref(module, id), Created: created}, nil
}

// mailOK refuses what is not an email address before any call.
func mailOK(email string) (string, error) {
	e := strings.TrimSpace(email)
	if !strings.Contains(e, "@") || strings.ContainsAny(e, "<> ") {
		return "", connectors.Invalidf("%q is not an email address Zoho CRM can key a person on", email)
	}
	return e, nil
}

func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func (z crm) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	if strings.TrimSpace(in.Title) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the deal needs a name"))
	}
	stage := strings.TrimSpace(in.Stage)
	if stage == "" || stage == "new" { // "new" is our default, not a Zoho stage
		stage = defaultStage
	}
	d := map[string]any{"Deal_Name": in.Title, "Stage": stage, "Closing_Date": date(time.Now().Add(closeIn))}
	if in.Value != 0 {
		d["Amount"] = in.Value
	}
	if IsID(in.Owner) {
		d["Owner"] = map[string]any{"id": in.Owner}
	}
	if module, id := splitRef(in.ContactID); IsID(id) {
		if module == ModuleContacts {
			d["Contact_Name"] = map[string]any{"id": id}
		} else {
			d["Description"] = fmt.Sprintf("For lead %s (a deal links to a contact once the lead is converted).", id)
		}
	}
	id, err := z.c.Insert(ctx, ModuleDeals, d)
	return id, connectors.NodeError(err)
}

func (z crm) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	if strings.TrimSpace(in.Title) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the task needs a subject"))
	}
	desc := in.Notes
	t := map[string]any{"Subject": in.Title, "Status": "Not Started"}
	if !in.DueAt.IsZero() {
		t["Due_Date"] = date(in.DueAt)
	}
	if IsID(in.Owner) {
		t["Owner"] = map[string]any{"id": in.Owner}
	} else if o := strings.TrimSpace(in.Owner); o != "" {
		desc = strings.TrimSpace(desc + "\n\nOwner: " + o)
	}
	if desc != "" {
		t["Description"] = desc
	}
	if module, id := splitRef(in.ContactID); IsID(id) {
		if module == ModuleContacts {
			t["Who_Id"] = map[string]any{"id": id}
		} else {
			t["What_Id"] = map[string]any{"id": id}
			t["$se_module"] = module
		}
	}
	id, err := z.c.Insert(ctx, ModuleTasks, t)
	return id, connectors.NodeError(err)
}

func (z crm) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	if strings.TrimSpace(in.Body) == "" {
		return "", connectors.NodeError(connectors.Invalidf("the note is empty"))
	}
	module, id := splitRef(in.ContactID)
	if !IsID(id) {
		return "", connectors.NodeError(connectors.Invalidf("a Zoho CRM note needs a lead or contact: put a 'Create or update contact' step saving to Zoho CRM before this one"))
	}
	content := in.Body
	if in.Source != "" {
		content += "\n\nSource: " + in.Source
	}
	title, _, _ := strings.Cut(strings.TrimSpace(in.Body), "\n")
	if r := []rune(title); len(r) > 60 {
		title = string(r[:60]) + "…"
	}
	n := map[string]any{"Note_Title": title, "Note_Content": content,
		"Parent_Id": map[string]any{"module": map[string]any{"api_name": module}, "id": id}}
	nid, err := z.c.write(ctx, "/"+ModuleNotes, map[string]any{"data": []map[string]any{n}})
	return nid.Details.ID, connectors.NodeError(err)
}

var _ nodes.CRMTarget = crm{}
