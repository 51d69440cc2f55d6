package nodes

import (
	"context"
	"slices"
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
	paramList   = "list"
	paramAdd    = "add"
	paramRemove = "remove"
)

// ListParams are the params of list.add and list.remove.
type ListParams struct {
	// List is the list's name ("list").
	List string `json:"list"`
}

// AddToListParams are list.add's params.
type AddToListParams struct {
	// List is the list's name, or the Mailchimp audience id ("list").
	List string `json:"list"`
	// Target is "builtin" or a Mailchimp credential id ("target").
	Target string `json:"target,omitempty"`
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
		Type:        TypeAddToList,
		Contact:     vendorEmailUse,
		Category:    flows.CategoryList,
		Title:       "Add to list",
		Description: "Puts the contact on a list, such as a newsletter or nurture list. The list is created if it does not exist yet.",
		Outputs:     outPorts(),
		Params: append(listParams("The list to add the contact to; with Mailchimp, the audience id."),
			targetParam("the contact on the list", ProvidesLists)),
		Examples: []flows.Example{{Title: "Nurture list", Params: map[string]any{paramList: "nurture"}}},
	}, func(ctx context.Context, in *Input, p *AddToListParams) (Result, error) {
		if isVendorTarget(p.Target) {
			return runVendorList(ctx, in, p)
		}
		return runList(ctx, in, &ListParams{List: p.List}, true)
	}))
}

// vendorListFor resolves a Mailchimp target and the run contact's email.
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

// runVendorList adds (or updates) the run's contact on a Mailchimp
// audience, keyed by the MD5 of the lower-cased email (so a retry updates
// the same member).
func runVendorList(ctx context.Context, in *Input, p *AddToListParams) (Result, error) {
	acc, email, err := vendorListFor(ctx, in, p.Target)
	if err != nil {
		return Result{}, err
	}
	c := in.Env.Contact
	list := strings.TrimSpace(p.List)
	id, err := acc.Lists.Subscribe(ctx, in.Key, list, ContactInput{Email: email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone})
	if err != nil {
		return Result{}, stepFailed("add the contact to "+acc.Name, err)
	}
	return Result{Port: PortOut, Output: map[string]any{"list": list, "added": true, "member_id": id, "target": p.Target}}, nil
}

func removeFromListNode() *Type {
	return define(flows.TypeSpec{
		Type:        TypeRemoveFromList,
		Category:    flows.CategoryList,
		Title:       "Remove from list",
		Description: "Takes the contact off a list. Nothing happens if the contact was not on it.",
		Outputs:     outPorts(),
		Params:      listParams("The list to remove the contact from."),
		Examples:    []flows.Example{{Title: "Leave the nurture list", Params: map[string]any{paramList: "nurture"}}},
	}, func(ctx context.Context, in *Input, p *ListParams) (Result, error) {
		return runList(ctx, in, p, false)
	})
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
	// Target is "builtin" or a Mailchimp credential id ("target").
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
			targetParam("the tags", ProvidesLists),
			{
				Name: paramList, Label: "Mailchimp audience", Kind: flows.KindString,
				Description: "Only with a Mailchimp account: the audience id whose member gets the tags; empty uses the account's default audience.",
				Example:     "a1b2c3d4e5",
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
		acc, email, err := vendorListFor(ctx, in, p.Target)
		if err != nil {
			return Result{}, err
		}
		add, remove := tidyTags(p.Add), tidyTags(p.Remove)
		if err := acc.Lists.Tag(ctx, in.Key, strings.TrimSpace(p.List), email, add, remove); err != nil {
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
