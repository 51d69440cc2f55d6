package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// TargetBuiltin is the target param's value for the built-in contact store.
const TargetBuiltin = "builtin"

// paramTarget names where a CRM or list step writes.
const paramTarget = "target"

// Accounts resolves stored credentials into vendor clients. The engine's
// Channels implementation also implements it; node types reach it through
// Input.Channels, so no second dependency has to be wired.
type Accounts interface {
	// Account returns the clients of the credential id. An empty id gives
	// an Account with only HTTP set: plain requests, no credential.
	Account(ctx context.Context, credentialID string) (Account, error)
}

// Account is one stored credential turned into the clients its kind has.
type Account struct {
	ID   string
	Name string
	Kind string
	// CRM is set for CRM vendors (ProvidesCRM).
	CRM CRMTarget
	// People is set for vendors that keep contacts but not deals, tasks
	// or notes (ProvidesContacts: email platforms such as Klaviyo).
	// crm.upsert_contact uses CRM when set, else People.
	People ContactSaver
	// Lists is set for email-list vendors (ProvidesLists).
	Lists ListTarget
	// Tags is set for vendors with contact tags (ProvidesTags).
	Tags Tagger
	// Events is set for vendors that record events on people
	// (ProvidesEvents).
	Events EventSender
	// HTTP is set for http credentials (it adds the credential's base URL
	// and auth header) and for the empty id.
	HTTP HTTPCaller
	// Slack is set for slack credentials.
	Slack SlackPoster
}

// CRMTarget is where the crm.* node types write: the built-in contact
// store (Contacts has these methods) or an external CRM. Contact ids in its inputs and outputs are
// the vendor's. Methods return errors already mapped to the engine's retry
// semantics (Permanent for a refused request, *RetryAfterError when the
// vendor asked to wait).
type CRMTarget interface {
	// Upsert finds the person by email and updates them, or
	// creates them (so a retry does not create a second one).
	Upsert(ctx context.Context, key string, in ContactInput) (ContactRef, error)
	CreateDeal(ctx context.Context, key string, in DealInput) (string, error)
	CreateTask(ctx context.Context, key string, in TaskInput) (string, error)
	AddNote(ctx context.Context, key string, in NoteInput) (string, error)
}

// ContactSaver creates or updates a person found by email.
type ContactSaver interface {
	Upsert(ctx context.Context, key string, in ContactInput) (ContactRef, error)
}

// ListTarget is an external email-list tool (Mailchimp, Klaviyo, Brevo,
// ActiveCampaign). People are keyed by email.
type ListTarget interface {
	// Subscribe adds or updates the person on the list ("" = the
	// account's default list) and returns the member id. A vendor that
	// cannot join people the way how.Consent asks refuses with a
	// permanent error saying why.
	Subscribe(ctx context.Context, key, list string, in ContactInput, how JoinOptions) (string, error)
	// Remove takes the person off the list ("" = the account's default
	// list). Someone who was not on it is not an error.
	Remove(ctx context.Context, key, list, email string) error
}

// Tagger adds and removes tags on a person found by email (list: the
// Mailchimp audience; "" = the account's default; others ignore it).
type Tagger interface {
	Tag(ctx context.Context, key, list, email string, add, remove []string) error
}

// JoinOptions say how list.add puts a person on a vendor's list.
type JoinOptions struct {
	// Consent is "" (the vendor's usual way, see each connector's notes),
	// ConsentSubscribe, ConsentListOnly or ConsentDoubleOptIn.
	Consent string
	// ConfirmTemplate and ConfirmRedirect are the confirmation email
	// template id and the page shown after confirming, for vendors whose
	// double opt-in needs them (Brevo).
	ConfirmTemplate string
	ConfirmRedirect string
}

// Consent choices of list.add ("consent").
const (
	// ConsentSubscribe records that the person agreed to receive
	// marketing email.
	ConsentSubscribe = "subscribe"
	// ConsentListOnly puts the person on the list without recording any
	// consent (Klaviyo list membership, Mailchimp transactional member).
	ConsentListOnly = "list_only"
	// ConsentDoubleOptIn sends a confirmation email first; the person is
	// subscribed when they click it.
	ConsentDoubleOptIn = "double_opt_in"
)

// HTTPCaller performs one http.request call. A non-2xx answer returns the
// response and an error mapped like CRMTarget's (4xx other than 408/429
// permanent, 429/5xx retried, Retry-After honoured).
type HTTPCaller interface {
	Call(ctx context.Context, r HTTPRequest) (HTTPResponse, error)
}

// HTTPRequest is one call of http.request.
type HTTPRequest struct {
	Method  string
	URL     string
	Headers map[string]string
	// Body is sent as application/json when not nil.
	Body           json.RawMessage
	Timeout        time.Duration
	IdempotencyKey string
}

// HTTPResponse is what came back.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    string
	// JSON is the parsed body when it is JSON.
	JSON any
}

// SlackPoster posts to a Slack incoming webhook.
type SlackPoster interface {
	PostSlack(ctx context.Context, m SlackMessage) error
}

// SlackMessage is one Slack message.
type SlackMessage struct {
	Text     string
	Channel  string
	Username string
}

// accountFor resolves the credential of a step, checking that its kind
// can do what the step needs.
func accountFor(ctx context.Context, in *Input, credentialID, param string, what Capability) (Account, error) {
	accts, ok := in.Channels.(Accounts)
	if !ok || accts == nil {
		return Account{}, Permanentf("vendor accounts are not available to this step")
	}
	acc, err := accts.Account(ctx, credentialID)
	if err != nil {
		return Account{}, err
	}
	if credentialID != "" && !acc.provides(what) {
		return Account{}, Permanentf("%q must be %s account; %q is a %s account", label(in, param), kindList(connectorKinds(what)), acc.Name, kindTitle(acc.Kind))
	}
	return acc, nil
}

// provides reports whether the account has the client of a capability.
func (a Account) provides(what Capability) bool {
	switch what {
	case ProvidesCRM:
		return a.CRM != nil
	case ProvidesContacts:
		return a.CRM != nil || a.People != nil
	case ProvidesLists:
		return a.Lists != nil
	case ProvidesTags:
		return a.Tags != nil
	case ProvidesEvents:
		return a.Events != nil
	case ProvidesSlack:
		return a.Slack != nil
	case ProvidesHTTP:
		return a.HTTP != nil
	}
	return false
}

// channelKindTitles are the display names of the message channels'
// credential kinds (the vendors' come from their Connector).
var channelKindTitles = map[string]string{
	credentialKindSMTP: "SMTP", credentialKindTwilio: "Twilio", credentialKindWhatsApp: "WhatsApp",
}

// kindList says "a HubSpot or Pipedrive".
func kindList(kinds []string) string {
	s := titles(kinds, "or")
	if s != "" && strings.ContainsRune("AEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// accountKinds is the CredentialKind of a param that takes the accounts
// of every registered vendor that can do what.
func accountKinds(what Capability) string {
	return strings.Join(connectorKinds(what), ",")
}

// targetParam declares where a CRM or list step writes.
func targetParam(what string, can Capability) flows.ParamSpec {
	where := "choose an account to save it there instead"
	if kinds := connectorKinds(can); len(kinds) > 0 {
		where = "choose " + kindList(kinds) + " account to save it there instead"
	}
	return flows.ParamSpec{
		Name: paramTarget, Label: "Save to", Kind: flows.KindCredential, CredentialKind: accountKinds(can),
		Options: "credentials", Default: TargetBuiltin, WithoutAccount: flows.WithoutAccountBuiltin,
		Description: fmt.Sprintf("Where to save %s: %q keeps it in this app's contacts; %s.", what, TargetBuiltin, where),
	}
}

// isVendorTarget reports whether a target param value names a credential.
func isVendorTarget(target string) bool {
	t := strings.TrimSpace(target)
	return t != "" && t != TargetBuiltin
}

// remoteWhenTarget marks t as doing network I/O for nodes whose target is
// a credential; with the built-in store they run inside the step's
// transaction as before.
func remoteWhenTarget(t *Type) *Type {
	t.remoteIf = func(n *flows.CompiledNode) bool {
		s, _ := n.Params[paramTarget].(string)
		return isVendorTarget(s)
	}
	return t
}

// remoteWithAccount makes a message or Slack node Remote only when it
// names an account: without one every channel is the sandbox, which
// records the message and calls nobody, so the step runs inside its
// transaction and its messages commit with it.
func remoteWithAccount(t *Type) *Type {
	var accounts []string
	for _, p := range t.Spec.Params {
		if p.Kind == flows.KindCredential && p.WithoutAccount == flows.WithoutAccountSandbox {
			accounts = append(accounts, p.Name)
		}
	}
	t.remoteIf = func(n *flows.CompiledNode) bool {
		for _, name := range accounts {
			if s, _ := n.Params[name].(string); strings.TrimSpace(s) != "" {
				return true
			}
		}
		return false
	}
	return t
}

// RemoteFor reports whether a node of this type does network I/O (the
// engine then runs it outside any database transaction, without the
// built-in contact store).
func (t *Type) RemoteFor(n *flows.CompiledNode) bool {
	if t.Remote {
		return true
	}
	return t.remoteIf != nil && n != nil && t.remoteIf(n)
}

// vendorContactVar names the run variable that keeps the vendor's id of
// the run's contact, e.g. hubspot_contact_id.
func vendorContactVar(kind string) string { return kind + "_contact_id" }

// vendorContact returns the vendor's id of the run's contact: the one a
// vendor "Create or update contact" step saved in the run's vars, else the
// built-in contact upserted at the vendor by email (found, not duplicated).
func vendorContact(ctx context.Context, in *Input, acc Account) (string, map[string]any, error) {
	if in.Env != nil {
		if id, ok := in.Env.Vars[vendorContactVar(acc.Kind)].(string); ok && id != "" {
			return id, nil, nil
		}
	}
	if in.Env == nil || in.Env.Contact.Email == "" {
		return "", nil, Permanentf("the contact has no email to find them in %s: put a 'Create or update contact' step saving to %s before this one",
			acc.Name, acc.Name)
	}
	c := in.Env.Contact
	ref, err := acc.CRM.Upsert(ctx, in.Key+":contact", ContactInput{
		Email: c.Email, Phone: c.Phone, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company,
	})
	if err != nil {
		return "", nil, stepFailed("find the contact in "+acc.Name, err)
	}
	return ref.ID, map[string]any{vendorContactVar(acc.Kind): ref.ID}, nil
}

// crmFor returns where a crm step writes and the id of the run's contact
// there. With needContact, a missing contact is an error; otherwise the id
// may be empty. Vars carry a vendor contact id found for later steps.
func crmFor(ctx context.Context, in *Input, target string, needContact bool) (CRMTarget, string, map[string]any, error) {
	if !isVendorTarget(target) {
		if in.Contacts == nil {
			return nil, "", nil, Permanent(errNoStore)
		}
		cid := ""
		if in.Env != nil {
			cid = in.Env.Contact.ID
		}
		if needContact && cid == "" {
			return nil, "", nil, Permanent(ErrNoContact)
		}
		return in.Contacts, cid, nil, nil
	}
	acc, err := accountFor(ctx, in, target, paramTarget, ProvidesCRM)
	if err != nil {
		return nil, "", nil, err
	}
	if acc.CRM == nil {
		return nil, "", nil, Permanentf("the account %q cannot store CRM records", acc.Name)
	}
	if !needContact && (in.Env == nil || (in.Env.Contact.Email == "" && in.Env.Vars[vendorContactVar(acc.Kind)] == nil)) {
		return acc.CRM, "", nil, nil // a task may stand alone
	}
	cid, vars, err := vendorContact(ctx, in, acc)
	if err != nil {
		return nil, "", nil, err
	}
	return acc.CRM, cid, vars, nil
}

// saver is where crm.upsert_contact writes in an account: its CRM, else
// its People.
func (a Account) saver() ContactSaver {
	if a.CRM != nil {
		return a.CRM
	}
	if a.People != nil {
		return a.People
	}
	return nil
}

// upsertVendorContact saves the contact in a HubSpot or Pipedrive account
// and keeps its id there in the run's vars for the steps after it. The
// built-in contact is saved too, and becomes the run's contact: it is the
// journey's memory of the person (the vendor keeps its own copy), so that
// later steps see the name and email ("Chat lead: {{ contact.first_name }}",
// a Mailchimp step that needs the email).
func upsertVendorContact(ctx context.Context, in *Input, target string, ci ContactInput, out map[string]any) (Result, error) {
	if ci.Email == "" {
		return Result{}, Permanentf("%q needs an email to find the contact by in another system", label(in, paramEmail))
	}
	acc, err := accountFor(ctx, in, target, paramTarget, ProvidesContacts)
	if err != nil {
		return Result{}, err
	}
	saver := acc.saver()
	if saver == nil {
		return Result{}, Permanentf("the account %q cannot store contacts", acc.Name)
	}
	ref, err := saver.Upsert(ctx, in.Key, ci)
	if err != nil {
		return Result{}, stepFailed("save the contact in "+acc.Name, err)
	}
	out["contact_id"] = ref.ID
	out["created"] = ref.Created
	out["saved_to"] = acc.Name
	// Saved after the vendor call, so a vendor that refuses the contact
	// leaves nothing behind here either.
	return Result{Port: PortOut, Output: out, Vars: map[string]any{vendorContactVar(acc.Kind): ref.ID}, SaveContact: &ci}, nil
}

// vendorEmailRule requires an email when a contact is saved to a vendor,
// which keys people by email.
func vendorEmailRule(params map[string]any) []flows.Problem {
	if isVendorTarget(paramString(params, paramTarget)) && strings.TrimSpace(paramString(params, paramEmail)) == "" {
		return []flows.Problem{problem(codeMissingParam, paramEmail,
			"Fill in Email: %s find contacts by their email address.", cmpOr(titles(connectorKinds(ProvidesContacts), "and"), "other systems"))}
	}
	return nil
}

// savedTo adds the vendor account name to a vendor step's output.
func savedTo(out map[string]any, target string) map[string]any {
	if isVendorTarget(target) {
		out["target"] = target
	}
	return out
}
