package server

import (
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// categoryView names a palette category, in palette order.
type categoryView struct {
	ID    flows.Category `json:"id"`
	Title string         `json:"title"`
}

// categories is the palette order and the plain names of categories.
var categories = []categoryView{
	{flows.CategoryTrigger, "Triggers"},
	{flows.CategoryLogic, "Logic"},
	{flows.CategoryTiming, "Timing"},
	{flows.CategoryCRM, "CRM"},
	{flows.CategoryList, "Lists and tags"},
	{flows.CategoryMessage, "Messages"},
	{flows.CategoryIntegration, "Integrations"},
}

// listNodeTypes serves every node type's declaration (the editor's palette
// and forms come from it), sorted by category, then type, then version.
func (s *Server) listNodeTypes(c *fiber.Ctx) error {
	all := s.eng.Registry().All()
	specs := make([]*flows.TypeSpec, len(all))
	for i, t := range all {
		specs[i] = &t.Spec
	}
	return c.JSON(fiber.Map{"categories": categories, "node_types": specs})
}

// option is one dynamic choice of a parameter.
type option struct {
	Value string `json:"value"`
	Label string `json:"label"`
	// Description and Group are set for event types: a sentence saying
	// what happened, and the picker's heading.
	Description string `json:"description,omitempty"`
	Group       string `json:"group,omitempty"`
}

// Choice sources named by flows.ParamSpec.Options.
const (
	optionLists      = "lists"
	optionDealStages = "deal_stages"
	optionOwners     = "owners"
	optionTags       = "tags"
	optionEventTypes = "event_types"
	optionUsers      = "users"
)

// defaultDealStages come first in the stage choices; stages already used
// by deals follow.
var defaultDealStages = []string{"new", "qualified", "proposal", "won", "lost"}

// eventGroupSeen heads the event types this server has received that the
// product does not know.
const eventGroupSeen = "Seen on this server"

// eventScan bounds the latest events read for the types seen.
const eventScan = 5000

// scanLimit bounds the rows read to collect distinct values.
const scanLimit = 1000

// paramOptions serves the dynamic choices of a parameter, such as the
// names of lists: GET /node-types/:type/options/:param.
func (s *Server) paramOptions(c *fiber.Ctx) error {
	typ, name := param(c, "type"), param(c, "param")
	t, ok := s.eng.Registry().Latest(typ)
	if !ok {
		return notFound("There is no node type %q.", typ)
	}
	ps := findParam(t.Spec.Params, name)
	if ps == nil || ps.Options == "" {
		return notFound("The node type %q has no parameter %q with choices.", typ, name)
	}
	if ps.Options == optionCredentials {
		out, err := s.credentialChoices(c, ps.CredentialKind)
		if err != nil {
			return err
		}
		if ps.Default == nodes.TargetBuiltin {
			out = append([]option{{Value: nodes.TargetBuiltin, Label: "This app's contacts (built in)"}}, out...)
		}
		return c.JSON(fiber.Map{"source": ps.Options, "options": out})
	}
	if ps.Options == optionEventTypes {
		out, err := s.eventTypeChoices()
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"source": ps.Options, "options": out})
	}
	if ps.Options == optionUsers {
		out, err := s.userChoices()
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"source": ps.Options, "options": out})
	}
	values, err := s.choices(ps.Options)
	if err != nil {
		return err
	}
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{Value: v, Label: v}
	}
	return c.JSON(fiber.Map{"source": ps.Options, "options": out})
}

// findParam finds a parameter by name or dotted path into list fields
// ("cases.when").
func findParam(specs []flows.ParamSpec, name string) *flows.ParamSpec {
	head, rest, nested := strings.Cut(name, ".")
	for i := range specs {
		if specs[i].Name != head {
			continue
		}
		if !nested {
			return &specs[i]
		}
		return findParam(specs[i].Fields, rest)
	}
	return nil
}

// choices lists the values of a choice source.
func (s *Server) choices(source string) ([]string, error) {
	db := s.store.Reader()
	switch source {
	case optionLists:
		ls, err := storage.ListLists(db)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = l.Name
		}
		return out, nil
	case optionDealStages:
		deals, _, err := storage.ListDeals(db, storage.DealQuery{Limit: scanLimit})
		if err != nil {
			return nil, err
		}
		used := make([]string, 0, len(deals))
		for _, d := range deals {
			used = append(used, d.Stage)
		}
		return appendNew(slices.Clone(defaultDealStages), distinct(used)), nil
	case optionOwners:
		deals, _, err := storage.ListDeals(db, storage.DealQuery{Limit: scanLimit})
		if err != nil {
			return nil, err
		}
		tasks, _, err := storage.ListTasks(db, storage.TaskQuery{Limit: scanLimit})
		if err != nil {
			return nil, err
		}
		// The users first (the people "Assign owner" gives leads to), then
		// the owners deals and tasks already name.
		users, err := storage.ListUsers(db)
		if err != nil {
			return nil, err
		}
		var owners []string
		for _, u := range users {
			owners = append(owners, u.Email)
		}
		for _, d := range deals {
			owners = append(owners, d.Owner)
		}
		for _, t := range tasks {
			owners = append(owners, t.Owner)
		}
		return distinct(owners), nil
	case optionTags:
		cs, _, err := storage.ListContacts(db, storage.ContactQuery{Limit: scanLimit})
		if err != nil {
			return nil, err
		}
		var tags []string
		for _, c := range cs {
			tags = append(tags, c.Tags...)
		}
		return distinct(tags), nil
	}
	return nil, notFound("There are no choices for %q yet.", source)
}

// userChoices are the users of this app, for a lead routing team: the
// value is the email, the label the name and what keeps them from taking
// leads now, if anything.
func (s *Server) userChoices() ([]option, error) {
	us, err := storage.ListUsers(s.store.Reader())
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]option, len(us))
	for i := range us {
		u := &us[i]
		label := u.Email
		if u.Name != "" {
			label = u.Name + " (" + u.Email + ")"
		}
		desc := "Takes leads at any time."
		if u.AwayUntil != nil && u.AwayUntil.After(now) {
			desc = "Away until " + u.AwayUntil.UTC().Format("2006-01-02") + "."
		} else if u.WorkStart != "" || u.WorkDays != "" {
			desc = "Works"
			if u.WorkDays != "" {
				desc += " " + strings.ReplaceAll(u.WorkDays, ",", ", ")
			}
			if u.WorkStart != "" {
				desc += " " + u.WorkStart + "–" + u.WorkEnd
			}
			if u.TimeZone != "" {
				desc += " (" + u.TimeZone + ")"
			}
			desc += "."
		}
		out[i] = option{Value: u.Email, Label: label, Description: desc}
	}
	return out, nil
}

// eventTypeChoices are the events the product records, each with a
// sentence, then the other event types this server received lately.
func (s *Server) eventTypeChoices() ([]option, error) {
	out := make([]option, 0, len(nodes.KnownEvents))
	for _, e := range nodes.KnownEvents {
		out = append(out, option{Value: e.Type, Label: e.Title, Description: e.Sentence, Group: e.Group})
	}
	seen, err := storage.RecentEventTypes(s.store.Reader(), eventScan)
	if err != nil {
		return nil, err
	}
	for _, typ := range seen {
		if _, known := nodes.LookupEvent(typ); known || slices.Contains(nodes.RecordOnlyEvents, typ) {
			continue
		}
		out = append(out, option{Value: typ, Label: typ, Description: "An event your own systems sent to this server.", Group: eventGroupSeen})
	}
	return out, nil
}

// distinct returns the non-empty values, sorted, without repeats.
func distinct(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// appendNew appends the values of more that base lacks.
func appendNew(base, more []string) []string {
	for _, v := range more {
		if !slices.Contains(base, v) {
			base = append(base, v)
		}
	}
	return base
}

// expressionCheck is the body of POST /expressions/check.
type expressionCheck struct {
	Expression string `json:"expression"`
	// Returns is "bool" for conditions, "any" (default) otherwise.
	Returns string `json:"returns"`
	// Template checks text with {{ expr }} parts.
	Template bool `json:"template"`
}

// checkExpression compiles an expression or template as validation would,
// for live checking in the editor: {ok, problems}.
func (s *Server) checkExpression(c *fiber.Ctx) error {
	var in expressionCheck
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	switch in.Returns {
	case "", flows.ReturnsAny, flows.ReturnsBool:
	default:
		return badRequest(`returns must be "bool" or "any".`)
	}
	problems := problemsOrEmpty(flows.CheckExpression(in.Expression, in.Returns, in.Template))
	return c.JSON(fiber.Map{"ok": len(problems) == 0, "problems": problems})
}
