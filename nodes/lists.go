package nodes

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// List and tag node type ids.
const (
	TypeAddToList      = "list.add"
	TypeRemoveFromList = "list.remove"
	TypeTag            = "contact.tag"
)

// List and tag param names.
const (
	paramList            = "list"
	paramAdd             = "add"
	paramRemove          = "remove"
	paramConsent         = "consent"
	paramConfirmTemplate = "confirm_template"
	paramConfirmRedirect = "confirm_redirect"
)

// ListParams are list.remove's params.
type ListParams struct {
	// List is the list's name, or the vendor's list id ("list").
	List string `json:"list"`
	// Target is "builtin" or a list vendor's credential id ("target").
	Target string `json:"target,omitempty"`
}

// AddToListParams are list.add's params.
type AddToListParams struct {
	// List is the list's name, or the vendor's list id ("list").
	List string `json:"list"`
	// Target is "builtin" or a list vendor's credential id ("target").
	Target string `json:"target,omitempty"`
	// Consent is how a vendor joins the person ("consent"): empty for the
	// vendor's usual way, or ConsentSubscribe, ConsentListOnly,
	// ConsentDoubleOptIn.
	Consent string `json:"consent,omitempty"`
	// ConfirmTemplate is the double opt-in email template id (Brevo).
	ConfirmTemplate int64 `json:"confirm_template,omitempty"`
	// ConfirmRedirect is the page shown after confirming (Brevo).
	ConfirmRedirect string `json:"confirm_redirect,omitempty"`
}

// listIDHelp says what "list" holds with each vendor.
const listIDHelp = "With another system, its list id: the Mailchimp audience id, the Klaviyo list id (like Y6nRLr), " +
	"the Brevo list number or the ActiveCampaign list id."

// consentParams declare how list.add joins a person on a vendor's list.
func consentParams() []flows.ParamSpec {
	one := 1.0
	return []flows.ParamSpec{
		{
			Name: paramConsent, Label: "Consent", Kind: flows.KindEnum,
			Enum: []string{ConsentListOnly, ConsentSubscribe, ConsentDoubleOptIn},
			EnumLabels: map[string]string{
				ConsentListOnly:    "Only put them on the list (no marketing consent)",
				ConsentSubscribe:   "Subscribe them (they agreed to marketing email)",
				ConsentDoubleOptIn: "Ask them to confirm by email first (double opt-in)",
			},
			Description: "Only when saving to another system: how the person joins the list. Choose \"Subscribe them\" only when they agreed, " +
				"e.g. ticked a box in the chat. Left empty, each system does what it usually does: Klaviyo only puts them on the list (the safe choice), " +
				"Mailchimp and ActiveCampaign subscribe them, Brevo adds them directly. A system that cannot do the choice says why when you save " +
				"(see Connected accounts).",
			Example: ConsentSubscribe,
		},
		{
			Name: paramConfirmTemplate, Label: "Confirmation email template", Kind: flows.KindInteger, Min: &one,
			ShowIf:      map[string][]string{paramConsent: {ConsentDoubleOptIn}},
			Description: "Brevo double opt-in only: the id of the Brevo template (with the {{ doubleoptin }} link) that asks the person to confirm.",
			Example:     12,
		},
		{
			Name: paramConfirmRedirect, Label: "Page after confirming", Kind: flows.KindString,
			ShowIf:      map[string][]string{paramConsent: {ConsentDoubleOptIn}},
			Description: "Brevo double opt-in only: the address people land on after clicking the confirmation link.",
			Example:     "https://example.com/thanks",
		},
	}
}

// listParams declares the one param of the list nodes.
func listParams(desc string) []flows.ParamSpec {
	return []flows.ParamSpec{{
		Name: paramList, Label: "List", Kind: flows.KindString, Required: true, Options: "lists",
		Description: desc, Example: "nurture",
	}}
}

func addToListNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:     TypeAddToList,
		Contact:  vendorEmailUse,
		Category: flows.CategoryList,
		Title:    "Add to list",
		Description: "Puts the contact on a list, such as a newsletter or nurture list; in this app's contacts the list is created if it does not exist yet. " +
			"In an email platform, Consent says whether joining the list also records their consent to marketing email.",
		Outputs: outPorts(),
		Params: append(append(listParams("The list to add the contact to. "+listIDHelp),
			targetParam("the contact on the list", ProvidesLists)), consentParams()...),
		Rules:    []flows.Rule{doubleOptInRule},
		Examples: []flows.Example{{Title: "Nurture list", Params: map[string]any{paramList: "nurture"}}},
	}, func(ctx context.Context, in *Input, p *AddToListParams) (Result, error) {
		if isVendorTarget(p.Target) {
			return runVendorList(ctx, in, p)
		}
		return runList(ctx, in, &ListParams{List: p.List}, true)
	}))
}

// vendorListFor resolves a list vendor's target and the run contact's email.
func vendorListFor(ctx context.Context, in *Input, target string) (Account, string, error) {
	acc, err := accountFor(ctx, in, target, paramTarget, ProvidesLists)
	if err != nil {
		return Account{}, "", err
	}
	if acc.Lists == nil {
		return Account{}, "", Permanentf("the account %q has no lists", acc.Name)
	}
	if in.Env == nil || in.Env.Contact.Email == "" {
		return Account{}, "", Permanentf("the contact has no email, which %s needs: put a 'Create or update contact' step with an email before this one", acc.Name)
	}
	return acc, in.Env.Contact.Email, nil
}

// runVendorList adds (or updates) the run's contact on a vendor's list,
// keyed by email (so a retry updates the same member).
func runVendorList(ctx context.Context, in *Input, p *AddToListParams) (Result, error) {
	acc, email, err := vendorListFor(ctx, in, p.Target)
	if err != nil {
		return Result{}, err
	}
	c := in.Env.Contact
	list := strings.TrimSpace(p.List)
	how := JoinOptions{Consent: p.Consent, ConfirmRedirect: strings.TrimSpace(p.ConfirmRedirect)}
	if p.ConfirmTemplate > 0 {
		how.ConfirmTemplate = strconv.FormatInt(p.ConfirmTemplate, 10)
	}
	id, err := acc.Lists.Subscribe(ctx, in.Key, list, ContactInput{Email: email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}, how)
	if err != nil {
		return Result{}, stepFailed("add the contact to "+acc.Name, err)
	}
	out := map[string]any{"list": list, "added": true, "member_id": id, "target": p.Target}
	if p.Consent != "" {
		out["consent"] = p.Consent
	}
	return Result{Port: PortOut, Output: out}, nil
}

// doubleOptInRule asks for the confirmation template and page together:
// Brevo needs both.
func doubleOptInRule(params map[string]any) []flows.Problem {
	if paramString(params, paramConsent) != ConsentDoubleOptIn {
		return nil
	}
	addr := strings.TrimSpace(paramString(params, paramConfirmRedirect))
	tmpl, page := params[paramConfirmTemplate] != nil, addr != ""
	if u, err := url.Parse(addr); page && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return []flows.Problem{problem(codeInvalidParam, paramConfirmRedirect,
			"Page after confirming must be a web address starting with https:// or http://; %q is not.", addr)}
	}
	if tmpl == page {
		return nil
	}
	if !tmpl {
		return []flows.Problem{problem(codeMissingParam, paramConfirmTemplate,
			"Fill in Confirmation email template as well: Brevo's double opt-in needs both the template and the page after confirming.")}
	}
	return []flows.Problem{problem(codeMissingParam, paramConfirmRedirect,
		"Fill in Page after confirming as well: Brevo's double opt-in needs both the template and the page after confirming.")}
}

func removeFromListNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:     TypeRemoveFromList,
		Category: flows.CategoryList,
		Title:    "Remove from list",
		Description: "Takes the contact off a list. Nothing happens if the contact was not on it. " +
			"In an email platform the effect differs: Mailchimp and ActiveCampaign unsubscribe the person from that list, " +
			"Klaviyo and Brevo take them off the list and leave their consent as it is.",
		Outputs: outPorts(),
		Params: append(listParams("The list to remove the contact from. "+listIDHelp),
			targetParam("the change", ProvidesLists)),
		Examples: []flows.Example{{Title: "Leave the nurture list", Params: map[string]any{paramList: "nurture"}}},
	}, func(ctx context.Context, in *Input, p *ListParams) (Result, error) {
		if isVendorTarget(p.Target) {
			return runVendorRemove(ctx, in, p)
		}
		return runList(ctx, in, p, false)
	}))
}

// runVendorRemove takes the run's contact off a vendor's list.
func runVendorRemove(ctx context.Context, in *Input, p *ListParams) (Result, error) {
	acc, email, err := vendorListFor(ctx, in, p.Target)
	if err != nil {
		return Result{}, err
	}
	list := strings.TrimSpace(p.List)
	if err := acc.Lists.Remove(ctx, in.Key, list, email); err != nil {
		return Result{}, stepFailed("remove the contact from "+acc.Name, err)
	}
	return Result{Port: PortOut, Output: map[string]any{"list": list, "added": false, "target": p.Target}}, nil
}

// runList adds the run's contact to, or removes it from, a list.
func runList(ctx context.Context, in *Input, p *ListParams, add bool) (Result, error) {
	cid, err := contactID(in)
	if err != nil {
		return Result{}, err
	}
	list := strings.TrimSpace(p.List)
	if list == "" {
		return Result{}, Permanentf("choose a list for this step")
	}
	if add {
		err = in.Contacts.AddToList(ctx, in.Key, cid, list)
	} else {
		err = in.Contacts.RemoveFromList(ctx, in.Key, cid, list)
	}
	if err != nil {
		return Result{}, stepFailed("change the list "+list, err)
	}
	return Result{Port: PortOut, Output: map[string]any{"list": list, "added": add}}, nil
}

// TagParams are contact.tag's params.
type TagParams struct {
	// Add are tags to add ("add").
	Add []string `json:"add,omitempty"`
	// Remove are tags to remove ("remove").
	Remove []string `json:"remove,omitempty"`
	// List is the Mailchimp audience id; empty uses the account's
	// default audience ("list").
	List string `json:"list,omitempty"`
	// Target is "builtin" or the credential id of a vendor with tags
	// ("target").
	Target string `json:"target,omitempty"`
}

func tagNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:        TypeTag,
		Contact:     vendorEmailUse,
		Category:    flows.CategoryList,
		Title:       "Tag or untag contact",
		Description: "Adds tags to the contact and removes others, e.g. add 'hot-lead' and remove 'cold'.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramAdd, Label: "Add tags", Kind: flows.KindStringList, Options: "tags",
				Description: "Tags to put on the contact.", Example: []string{"hot-lead"},
			},
			{
				Name: paramRemove, Label: "Remove tags", Kind: flows.KindStringList, Options: "tags",
				Description: "Tags to take off the contact.", Example: []string{"cold"},
			},
			targetParam("the tags", ProvidesTags),
			{
				Name: paramList, Label: "Mailchimp audience", Kind: flows.KindString,
				Description: "Only with a Mailchimp account: the audience id whose member gets the tags; empty uses the account's default audience. " +
					"Klaviyo has no contact tags: with a Klaviyo account the tags are values of a list property on the profile. " +
					"Brevo has none either, so its accounts are not offered here: save a custom field with 'Create or update contact' instead.",
				Example: "a1b2c3d4e5",
			},
		},
		Rules: []flows.Rule{tagRule},
		Examples: []flows.Example{
			{Title: "Mark as hot", Params: map[string]any{paramAdd: []any{"hot-lead"}, paramRemove: []any{"cold"}}},
			{Title: "Untag after purchase", Params: map[string]any{paramRemove: []any{"trial"}}},
		},
	}, runTag))
}

// tagRule requires at least one tag to add or remove.
func tagRule(params map[string]any) []flows.Problem {
	if len(paramStrings(params, paramAdd)) > 0 || len(paramStrings(params, paramRemove)) > 0 {
		return nil
	}
	return []flows.Problem{problem(codeMissingParam, paramAdd, "Give at least one tag to add or to remove.")}
}

// tidyTags trims tags, drops empty ones and duplicates, keeping order.
func tidyTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func runTag(ctx context.Context, in *Input, p *TagParams) (Result, error) {
	if isVendorTarget(p.Target) {
		acc, err := accountFor(ctx, in, p.Target, paramTarget, ProvidesTags)
		if err != nil {
			return Result{}, err
		}
		if acc.Tags == nil {
			return Result{}, Permanentf("the account %q has no contact tags", acc.Name)
		}
		if in.Env == nil || in.Env.Contact.Email == "" {
			return Result{}, Permanentf("the contact has no email, which %s needs: put a 'Create or update contact' step with an email before this one", acc.Name)
		}
		email := in.Env.Contact.Email
		add, remove := tidyTags(p.Add), tidyTags(p.Remove)
		if err := acc.Tags.Tag(ctx, in.Key, strings.TrimSpace(p.List), email, add, remove); err != nil {
			return Result{}, stepFailed("change the tags in "+acc.Name, err)
		}
		return Result{Port: PortOut, Output: map[string]any{"added": add, "removed": remove, "target": p.Target}}, nil
	}
	cid, err := contactID(in)
	if err != nil {
		return Result{}, err
	}
	add, remove := tidyTags(p.Add), tidyTags(p.Remove)
	if len(add) == 0 && len(remove) == 0 {
		return Result{}, Permanentf("give at least one tag to add or to remove")
	}
	if err := in.Contacts.Tag(ctx, in.Key, cid, add, remove); err != nil {
		return Result{}, stepFailed("change the tags", err)
	}
	return Result{Port: PortOut, Output: map[string]any{"added": add, "removed": remove}}, nil
}
