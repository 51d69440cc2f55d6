package nodes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// TypeAssignOwner is the lead routing step.
const TypeAssignOwner = "crm.assign_owner"

// Params and ports of crm.assign_owner.
const (
	paramTeam      = "team"
	paramStrategy  = "strategy"
	paramKeepOwner = "keep_owner"
	fieldUser      = "user"
	// PortNobody is followed when nobody in the team is available.
	PortNobody = "nobody"
)

// Routing strategies of crm.assign_owner.
const (
	StrategyRoundRobin = "round_robin"
	StrategyWeighted   = "weighted"
	StrategyFewestOpen = "fewest_open_deals"
)

// maxMemberWeight bounds a team member's weight (the turn sequence holds
// the sum of the weights).
const maxMemberWeight = 100

// Salesperson is a user of this app as lead routing sees them.
type Salesperson struct {
	ID    string
	Email string
	// Name is shown to marketers; empty shows the email.
	Name string
	// AwayUntil, while after now, keeps them out of routing.
	AwayUntil time.Time
	// TimeZone (IANA) of their working hours; empty: the flow's.
	TimeZone string
	// WorkDays are the days they work ("mon".."sun"); empty: every day.
	WorkDays []string
	// WorkStart and WorkEnd ("09:00", "17:00"); both empty: all day.
	WorkStart, WorkEnd string
	// OwnerIDs maps a CRM credential id to their owner id there.
	OwnerIDs map[string]string
	// SlackID is their Slack member id.
	SlackID string
}

// DisplayName is the name, else the email.
func (p *Salesperson) DisplayName() string { return cmpOr(strings.TrimSpace(p.Name), p.Email) }

// Router is what crm.assign_owner needs from the built-in store, bound to
// the step's transaction like Contacts (the engine's store implements
// both; a handler finds it with a type assertion on Input.Contacts).
type Router interface {
	// Team returns the users with these emails (lower-case); unknown
	// emails are missing.
	Team(ctx context.Context, emails []string) ([]Salesperson, error)
	// RoutingPosition returns how many turns the counter key has handed
	// out, locking it until the step's transaction ends.
	RoutingPosition(ctx context.Context, key string) (int64, error)
	// SetRoutingPosition writes the counter key's position.
	SetRoutingPosition(ctx context.Context, key string, pos int64) error
	// OpenDeals counts the open deals of the built-in pipeline by
	// lower-case owner email.
	OpenDeals(ctx context.Context, emails []string) (map[string]int, error)
	// SetOwner makes the user the contact's owner.
	SetOwner(ctx context.Context, contactID, userID string) error
}

// TeamMember is one person of crm.assign_owner's team.
type TeamMember struct {
	// User is the user's email ("user").
	User string `json:"user"`
	// Weight is their share under the weighted strategy ("weight").
	Weight int `json:"weight,omitempty"`
}

// AssignOwnerParams are crm.assign_owner's params.
type AssignOwnerParams struct {
	// Team are the people leads go to, in turn order ("team").
	Team []TeamMember `json:"team"`
	// Strategy is round_robin, weighted or fewest_open_deals ("strategy").
	Strategy string `json:"strategy"`
	// KeepOwner keeps an owner the contact already has, when they are in
	// the team and not away ("keep_owner").
	KeepOwner *bool `json:"keep_owner,omitempty"`
}

func assignOwnerNode() *Type {
	minW, maxW := 1.0, float64(maxMemberWeight)
	return define(flows.TypeSpec{
		Type:     TypeAssignOwner,
		Category: flows.CategoryCRM,
		Title:    "Assign owner",
		Description: "Gives the lead to the next available salesperson of a team: in turn (round robin), in turn by weight, " +
			"or to whoever has the fewest open deals. People who are away or outside their working hours are skipped " +
			"(set on each user in Settings). Later steps know the owner: {{ owner.name }}, and deals and tasks go to them.",
		Outputs: []flows.PortSpec{{Name: PortOut, Label: "Assigned"}, {Name: PortNobody, Label: "Nobody available"}},
		Params: []flows.ParamSpec{
			{
				Name: paramTeam, Label: "Team", Kind: flows.KindList, Required: true,
				Description: "The salespeople who take leads, in the order of their turns. Each is a user of this app.",
				Fields: []flows.ParamSpec{
					{Name: fieldUser, Label: "Salesperson", Kind: flows.KindString, Required: true, Options: "users",
						Description: "The user's email address.", Example: "maria@example.com"},
					{Name: fieldWeight, Label: "Share (weighted only)", Kind: flows.KindInteger, Min: &minW, Max: &maxW, Default: 1,
						Description: "With 'weighted', someone with 2 gets twice as many leads as someone with 1.", Example: 2},
				},
				Example: []any{map[string]any{fieldUser: "maria@example.com"}, map[string]any{fieldUser: "li@example.com"}},
			},
			{
				Name: paramStrategy, Label: "How to choose", Kind: flows.KindEnum, Default: StrategyRoundRobin,
				Enum:        []string{StrategyRoundRobin, StrategyWeighted, StrategyFewestOpen},
				Description: "round robin: everyone in turn; weighted: in turn, by each person's share; fewest open deals: whoever has the fewest deals in this app's pipeline that are not won or lost (ties go in turn).",
			},
			{
				Name: paramKeepOwner, Label: "Keep the current owner", Kind: flows.KindBoolean, Default: true,
				Description: "When the contact already has an owner in the team who is not away, keep them instead of choosing again.",
			},
		},
		Rules: []flows.Rule{minItemsRule(paramTeam, 1, "Add at least one salesperson to the team."), teamRule},
		Examples: []flows.Example{
			{Title: "Round robin between two salespeople", Params: map[string]any{paramTeam: []any{
				map[string]any{fieldUser: "maria@example.com"}, map[string]any{fieldUser: "li@example.com"},
			}}},
			{Title: "Senior gets twice the leads", Params: map[string]any{paramStrategy: StrategyWeighted, paramTeam: []any{
				map[string]any{fieldUser: "maria@example.com", fieldWeight: 2}, map[string]any{fieldUser: "li@example.com", fieldWeight: 1},
			}}},
		},
	}, runAssignOwner)
}

// teamRule checks the team's emails and that nobody is in it twice.
func teamRule(params map[string]any) []flows.Problem {
	var out []flows.Problem
	seen := map[string]bool{}
	for i, m := range paramItems(params, paramTeam) {
		email := strings.ToLower(paramString(m, fieldUser))
		path := fmt.Sprintf("%s[%d].%s", paramTeam, i, fieldUser)
		switch {
		case email == "":
			continue // the required field's own problem
		case !strings.Contains(email, "@"):
			out = append(out, problem(codeInvalidParam, path, "%q is not an email address: choose a user of this app.", email))
		case seen[email]:
			out = append(out, problem(codeInvalidParam, path, "%s is in the team twice; give them a bigger share instead.", email))
		}
		seen[email] = true
	}
	return out
}

// Availability says whether a salesperson can take a lead now, and if not
// why, in words.
func (p *Salesperson) Availability(now time.Time, flowLoc *time.Location) (bool, string) {
	if !p.AwayUntil.IsZero() && p.AwayUntil.After(now) {
		return false, "away until " + p.AwayUntil.UTC().Format("2006-01-02 15:04 MST")
	}
	if p.WorkStart == "" && p.WorkEnd == "" && len(p.WorkDays) == 0 {
		return true, ""
	}
	loc := flowLoc
	if p.TimeZone != "" {
		l, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			return false, fmt.Sprintf("the time zone %q of their working hours is unknown", p.TimeZone)
		}
		loc = l
	}
	if loc == nil {
		loc = time.UTC
	}
	from, to := ClockTime{}, ClockTime{}
	var err error
	if p.WorkStart != "" || p.WorkEnd != "" {
		if from, err = ParseClockTime(cmpOr(p.WorkStart, "00:00")); err != nil {
			return false, "their working hours cannot be read: " + err.Error()
		}
		if to, err = ParseClockTime(cmpOr(p.WorkEnd, "24:00")); err != nil {
			return false, "their working hours cannot be read: " + err.Error()
		}
	}
	days := make([]time.Weekday, 0, len(p.WorkDays))
	for _, d := range p.WorkDays {
		wd, err := ParseWeekday(d)
		if err != nil {
			return false, "their working days cannot be read: " + err.Error()
		}
		days = append(days, wd)
	}
	if NextInWindow(now, loc, days, from, to).Equal(now) {
		return true, ""
	}
	local := now.In(loc)
	return false, fmt.Sprintf("outside working hours (%s %s in %s)", weekdayNames[local.Weekday()], local.Format("15:04"), loc)
}

// Candidate is a team member as the choice sees them.
type Candidate struct {
	Person *Salesperson
	Weight int
	// Reason is why they cannot take the lead now ("" when they can).
	Reason string
	// OpenDeals counts their open deals (fewest_open_deals only).
	OpenDeals int
}

// turns is the order in which the team takes turns: each member once for
// round robin, each member Weight times for weighted, spread out (smooth
// weighted round robin, so 2:1 gives A B A, not A A B).
func turns(strategy string, team []Candidate) []int {
	if strategy != StrategyWeighted {
		out := make([]int, len(team))
		for i := range team {
			out[i] = i
		}
		return out
	}
	total := 0
	for _, c := range team {
		total += c.Weight
	}
	current := make([]int, len(team))
	out := make([]int, 0, total)
	for range total {
		best := -1
		for i, c := range team {
			current[i] += c.Weight
			if c.Weight > 0 && (best < 0 || current[i] > current[best]) {
				best = i
			}
		}
		current[best] -= total
		out = append(out, best)
	}
	return out
}

// ChooseOwner picks the team member who gets the lead, given the counter's
// position, and returns their index and the counter's next position; -1
// when nobody is available (the position is then unchanged). It is a pure
// function of its inputs.
func ChooseOwner(strategy string, team []Candidate, pos int64) (int, int64) {
	order := turns(strategy, team)
	if len(order) == 0 {
		return -1, pos
	}
	n := int64(len(order))
	start := ((pos % n) + n) % n
	if strategy == StrategyFewestOpen {
		best, bestOff := -1, int64(0)
		for off := range n {
			i := order[(start+off)%n]
			if team[i].Reason != "" {
				continue
			}
			if best < 0 || team[i].OpenDeals < team[best].OpenDeals {
				best, bestOff = i, off
			}
		}
		if best < 0 {
			return -1, pos
		}
		return best, pos + bestOff + 1
	}
	for off := range n {
		if i := order[(start+off)%n]; team[i].Reason == "" {
			return i, pos + off + 1
		}
	}
	return -1, pos
}

// errNoRouter is returned when the engine wired no team store.
var errNoRouter = errors.New("lead routing is not available to this step")

func runAssignOwner(ctx context.Context, in *Input, p *AssignOwnerParams) (Result, error) {
	cid, err := contactID(in)
	if err != nil {
		return Result{}, err
	}
	router, ok := in.Contacts.(Router)
	if !ok {
		return Result{}, Permanent(errNoRouter)
	}
	strategy := cmpOr(p.Strategy, StrategyRoundRobin)
	if !slices.Contains([]string{StrategyRoundRobin, StrategyWeighted, StrategyFewestOpen}, strategy) {
		return Result{}, Permanentf("%q is not a way to choose: use round_robin, weighted or fewest_open_deals", strategy)
	}
	emails := make([]string, 0, len(p.Team))
	for _, m := range p.Team {
		emails = append(emails, strings.ToLower(strings.TrimSpace(m.User)))
	}
	people, err := router.Team(ctx, emails)
	if err != nil {
		return Result{}, stepFailed("read the team", err)
	}
	byEmail := make(map[string]*Salesperson, len(people))
	for i := range people {
		byEmail[strings.ToLower(people[i].Email)] = &people[i]
	}
	now := in.Now()
	team := make([]Candidate, 0, len(emails))
	var skipped []string
	for i, email := range emails {
		person := byEmail[email]
		if person == nil {
			skipped = append(skipped, email+": not a user of this app")
			continue
		}
		w := p.Team[i].Weight
		if w <= 0 || strategy != StrategyWeighted {
			w = 1
		}
		c := Candidate{Person: person, Weight: min(w, maxMemberWeight)}
		if _, c.Reason = person.Availability(now, in.Location); c.Reason != "" {
			skipped = append(skipped, person.DisplayName()+": "+c.Reason)
		}
		team = append(team, c)
	}
	out := map[string]any{"strategy": strategy}
	if len(skipped) > 0 {
		out["skipped"] = skipped
	}
	keep := p.KeepOwner == nil || *p.KeepOwner
	if cur := in.Env.Owner.ID; keep && cur != "" {
		for _, c := range team {
			if c.Person.ID == cur && (c.Person.AwayUntil.IsZero() || !c.Person.AwayUntil.After(now)) {
				out["owner"] = ownerOutput(c.Person)
				out["kept"] = "the contact already had this owner"
				return Result{Port: PortOut, Output: out}, nil
			}
		}
	}
	key := in.Env.Run.FlowID + "/" + in.Node.Node.ID
	pos, err := router.RoutingPosition(ctx, key)
	if err != nil {
		return Result{}, stepFailed("read whose turn it is", err)
	}
	if strategy == StrategyFewestOpen {
		counts, err := router.OpenDeals(ctx, emails)
		if err != nil {
			return Result{}, stepFailed("count open deals", err)
		}
		for i := range team {
			team[i].OpenDeals = counts[strings.ToLower(team[i].Person.Email)]
		}
	}
	chosen, next := ChooseOwner(strategy, team, pos)
	if chosen < 0 {
		out["message"] = "Nobody in the team can take the lead now."
		return Result{Port: PortNobody, Output: out}, nil
	}
	if err := router.SetRoutingPosition(ctx, key, next); err != nil {
		return Result{}, stepFailed("save whose turn it is", err)
	}
	person := team[chosen].Person
	if err := router.SetOwner(ctx, cid, person.ID); err != nil {
		return Result{}, stepFailed("assign the owner", err)
	}
	out["owner"] = ownerOutput(person)
	if strategy == StrategyFewestOpen {
		out["open_deals"] = team[chosen].OpenDeals
	}
	return Result{Port: PortOut, Output: out}, nil
}

// ownerOutput is the owner as a step's output shows them.
func ownerOutput(p *Salesperson) map[string]any {
	return map[string]any{"id": p.ID, "name": p.DisplayName(), "email": p.Email}
}

// defaultOwner is the owner a deal or task gets when its step leaves the
// owner empty: the contact's owner, as their email in this app's pipeline
// or as their owner id in a CRM account (empty when they have none there).
func defaultOwner(in *Input, target string) string {
	if in.Env == nil || in.Env.Owner.ID == "" {
		return ""
	}
	if isVendorTarget(target) {
		return in.Env.Owner.IDs[strings.TrimSpace(target)]
	}
	return in.Env.Owner.Email
}
