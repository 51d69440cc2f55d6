package nodes_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// fakeRouter is the fake contact store plus a recording team store.
type fakeRouter struct {
	*nodestest.Contacts
	people   []nodes.Salesperson
	counters map[string]int64
	deals    map[string]int
	owners   map[string]string // contact id -> user id
}

func newFakeRouter(people ...nodes.Salesperson) *fakeRouter {
	return &fakeRouter{Contacts: nodestest.NewContacts(), people: people, counters: map[string]int64{},
		deals: map[string]int{}, owners: map[string]string{}}
}

func (f *fakeRouter) Team(_ context.Context, emails []string) ([]nodes.Salesperson, error) {
	var out []nodes.Salesperson
	for _, p := range f.people {
		if slices.Contains(emails, p.Email) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeRouter) RoutingPosition(_ context.Context, key string) (int64, error) {
	return f.counters[key], nil
}

func (f *fakeRouter) SetRoutingPosition(_ context.Context, key string, pos int64) error {
	f.counters[key] = pos
	return nil
}

func (f *fakeRouter) OpenDeals(_ context.Context, emails []string) (map[string]int, error) {
	return f.deals, nil
}

func (f *fakeRouter) SetOwner(_ context.Context, contactID, userID string) error {
	f.owners[contactID] = userID
	return nil
}

// candidates makes a team of available people named by letters.
func candidates(names ...string) []nodes.Candidate {
	out := make([]nodes.Candidate, len(names))
	for i, n := range names {
		out[i] = nodes.Candidate{Person: &nodes.Salesperson{ID: n, Email: n + "@example.com"}, Weight: 1}
	}
	return out
}

// pickSequence runs ChooseOwner n times from position 0, carrying the
// position, and returns the ids chosen ("-" for nobody).
func pickSequence(strategy string, team []nodes.Candidate, n int) string {
	var got []string
	pos := int64(0)
	for range n {
		i, next := nodes.ChooseOwner(strategy, team, pos)
		if i < 0 {
			got = append(got, "-")
			continue
		}
		got = append(got, team[i].Person.ID)
		pos = next
	}
	return strings.Join(got, "")
}

func TestChooseOwner(t *testing.T) {
	t.Parallel()
	away := func(team []nodes.Candidate, i int) []nodes.Candidate {
		team[i].Reason = "away"
		return team
	}
	weighted := func(ws ...int) []nodes.Candidate {
		team := candidates("a", "b", "c")[:len(ws)]
		for i, w := range ws {
			team[i].Weight = w
		}
		return team
	}
	withDeals := func(counts ...int) []nodes.Candidate {
		team := candidates("a", "b", "c")
		for i, n := range counts {
			team[i].OpenDeals = n
		}
		return team
	}
	for _, tc := range []struct {
		name     string
		strategy string
		team     []nodes.Candidate
		n        int
		want     string
	}{
		{"round robin takes turns in team order", nodes.StrategyRoundRobin, candidates("a", "b", "c"), 7, "abcabca"},
		{"round robin skips someone away", nodes.StrategyRoundRobin, away(candidates("a", "b", "c"), 1), 6, "acacac"},
		{"nobody available takes no turn", nodes.StrategyRoundRobin, away(away(candidates("a", "b"), 0), 1), 2, "--"},
		{"weighted 2:1 is spread out", nodes.StrategyWeighted, weighted(2, 1), 6, "abaaba"},
		{"weighted 3:1:1", nodes.StrategyWeighted, weighted(3, 1, 1), 10, "abacaabaca"},
		{"weighted skips someone away", nodes.StrategyWeighted, away(weighted(2, 1), 0), 3, "bbb"},
		{"weights are ignored by round robin", nodes.StrategyRoundRobin, weighted(5, 1), 4, "abab"},
		{"fewest open deals wins", nodes.StrategyFewestOpen, withDeals(3, 0, 2), 3, "bbb"},
		{"ties of fewest open deals go in turn", nodes.StrategyFewestOpen, withDeals(1, 1, 1), 4, "abca"},
		{"fewest open deals skips someone away", nodes.StrategyFewestOpen, away(withDeals(0, 5, 5), 0), 4, "bcbc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := pickSequence(tc.strategy, tc.team, tc.n); got != tc.want {
				t.Fatalf("owners = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestChooseOwnerWeightedShares(t *testing.T) {
	t.Parallel()
	team := candidates("a", "b", "c")
	team[0].Weight, team[1].Weight, team[2].Weight = 5, 3, 2
	counts := map[byte]int{}
	seq := pickSequence(nodes.StrategyWeighted, team, 1000)
	for i := range len(seq) {
		counts[seq[i]]++
	}
	if counts['a'] != 500 || counts['b'] != 300 || counts['c'] != 200 {
		t.Fatalf("1000 leads by 5:3:2 = %v, want exactly 500/300/200", counts)
	}
}

func TestAvailability(t *testing.T) {
	t.Parallel()
	// Tuesday 24 November 2026 (CET is UTC+1, New York UTC-5).
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC) }
	berlin := nodes.Salesperson{Email: "b@example.com", TimeZone: "Europe/Berlin",
		WorkDays: []string{"mon", "tue", "wed", "thu", "fri"}, WorkStart: "09:00", WorkEnd: "17:00"}
	newYork := nodes.Salesperson{Email: "n@example.com", TimeZone: "America/New_York",
		WorkDays: []string{"mon", "tue", "wed", "thu", "fri"}, WorkStart: "09:00", WorkEnd: "17:00"}
	night := nodes.Salesperson{Email: "night@example.com", TimeZone: "Asia/Tokyo", WorkStart: "22:00", WorkEnd: "06:00"}
	noZone := nodes.Salesperson{Email: "z@example.com", WorkStart: "09:00", WorkEnd: "17:00"}
	away := nodes.Salesperson{Email: "a@example.com", AwayUntil: at(30, 0, 0)}
	back := nodes.Salesperson{Email: "a@example.com", AwayUntil: at(20, 0, 0)}
	madrid := mustLoad(t, "Europe/Madrid")
	for _, tc := range []struct {
		name   string
		person nodes.Salesperson
		now    time.Time
		ok     bool
		reason string
	}{
		{"Berlin 08:30 is before work", berlin, at(24, 7, 30), false, "outside working hours (tue 08:30 in Europe/Berlin)"},
		{"Berlin 09:00 starts work", berlin, at(24, 8, 0), true, ""},
		{"Berlin 16:59 still works", berlin, at(24, 15, 59), true, ""},
		{"Berlin 17:00 has stopped", berlin, at(24, 16, 0), false, "outside working hours"},
		{"Berlin on Saturday", berlin, at(28, 10, 0), false, "sat"},
		{"same instant is before work in New York", newYork, at(24, 8, 0), false, "03:00 in America/New_York"},
		{"New York 10:00 works", newYork, at(24, 15, 0), true, ""},
		{"Tokyo night shift at 23:00 local", night, at(24, 14, 0), true, ""},
		{"Tokyo night shift at noon local", night, at(24, 3, 0), false, "12:00 in Asia/Tokyo"},
		{"no time zone uses the flow's (Madrid 09:30)", noZone, at(24, 8, 30), true, ""},
		{"no time zone uses the flow's (Madrid 08:30)", noZone, at(24, 7, 30), false, "Europe/Madrid"},
		{"away until a later date", away, at(24, 10, 0), false, "away until 2026-11-30"},
		{"back from being away", back, at(24, 10, 0), true, ""},
		{"unknown time zone is explained", nodes.Salesperson{TimeZone: "Mars/Olympus", WorkStart: "09:00", WorkEnd: "17:00"}, at(24, 10, 0), false, "Mars/Olympus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, reason := tc.person.Availability(tc.now, madrid)
			if ok != tc.ok || !strings.Contains(reason, tc.reason) {
				t.Fatalf("Availability = %v %q, want %v with %q", ok, reason, tc.ok, tc.reason)
			}
		})
	}
}

// team3 is maria (Berlin office hours), li (no hours) and sam (away).
func team3() []nodes.Salesperson {
	return []nodes.Salesperson{
		{ID: "u1", Email: "maria@example.com", Name: "Maria", TimeZone: "Europe/Berlin", WorkStart: "09:00", WorkEnd: "17:00",
			OwnerIDs: map[string]string{"hub": "111"}},
		{ID: "u2", Email: "li@example.com", OwnerIDs: map[string]string{"hub": "222"}},
		{ID: "u3", Email: "sam@example.com", Name: "Sam", AwayUntil: testNow.Add(24 * time.Hour)},
	}
}

var team3Params = map[string]any{"team": []any{
	map[string]any{"user": "maria@example.com"}, map[string]any{"user": "sam@example.com"},
	map[string]any{"user": "li@example.com"}, map[string]any{"user": "nobody@example.com"},
}}

func TestAssignOwnerStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	router := newFakeRouter(team3()...)
	b.store = router.Contacts
	n := b.compile(t, nodes.TypeAssignOwner, team3Params)
	typ, _ := b.reg.Lookup(nodes.TypeAssignOwner, 1)
	var got []string
	for i := range 4 {
		cid := b.withContact(nodestest.Contact{Email: fmt.Sprintf("lead%d@example.com", i)})
		in := &nodes.Input{Node: n, Env: b.env, Key: fmt.Sprintf("run%d:n:1", i), Location: mustLoad(t, "Europe/Madrid"), Contacts: router}
		res, err := typ.Handler.Run(t.Context(), in)
		if err != nil || res.Port != nodes.PortOut {
			t.Fatalf("lead %d: port %q, err %v", i, res.Port, err)
		}
		owner := res.Output["owner"].(map[string]any)
		if router.owners[cid] != owner["id"] {
			t.Fatalf("lead %d: contact owner %q, output says %v", i, router.owners[cid], owner)
		}
		got = append(got, owner["name"].(string))
		skipped := fmt.Sprint(res.Output["skipped"])
		if !strings.Contains(skipped, "Sam: away until") || !strings.Contains(skipped, "nobody@example.com: not a user of this app") {
			t.Fatalf("skipped = %s", skipped)
		}
	}
	// Tuesday 10:00 UTC is 11:00 in Berlin: Maria works; Sam is away.
	if want := []string{"Maria", "li@example.com", "Maria", "li@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("owners = %v, want %v", got, want)
	}
	if pos := router.counters["test/n"]; pos != 6 {
		t.Fatalf("counter = %d, want 6 (two rounds of three turns)", pos)
	}
}

func TestAssignOwnerNobodyAvailable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Now = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) // 21:00 in Berlin
	people := team3()
	router := newFakeRouter(people[0], people[2])
	b.withContact(nodestest.Contact{Email: "late@example.com"})
	n := b.compile(t, nodes.TypeAssignOwner, team3Params)
	typ, _ := b.reg.Lookup(nodes.TypeAssignOwner, 1)
	res, err := typ.Handler.Run(t.Context(), &nodes.Input{Node: n, Env: b.env, Key: "k", Contacts: router})
	if err != nil || res.Port != nodes.PortNobody {
		t.Fatalf("port %q, err %v; want nobody", res.Port, err)
	}
	if len(router.owners) != 0 || router.counters["test/n"] != 0 {
		t.Fatalf("nobody available changed owners %v or the counter %v", router.owners, router.counters)
	}
	if s := fmt.Sprint(res.Output["skipped"]); !strings.Contains(s, "Maria: outside working hours (tue 21:00 in Europe/Berlin)") {
		t.Fatalf("skipped = %s", s)
	}
}

func TestAssignOwnerKeepsCurrentOwner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	router := newFakeRouter(team3()...)
	b.withContact(nodestest.Contact{Email: "back@example.com"})
	b.env.Owner.ID = "u2"
	n := b.compile(t, nodes.TypeAssignOwner, team3Params)
	typ, _ := b.reg.Lookup(nodes.TypeAssignOwner, 1)
	res, err := typ.Handler.Run(t.Context(), &nodes.Input{Node: n, Env: b.env, Key: "k", Contacts: router})
	if err != nil || res.Output["kept"] == nil || res.Output["owner"].(map[string]any)["id"] != "u2" {
		t.Fatalf("res %+v, err %v; want u2 kept", res, err)
	}
	if len(router.counters) != 0 {
		t.Fatalf("keeping the owner took a turn: %v", router.counters)
	}
	// Switched off, the contact goes to whoever's turn it is.
	params := map[string]any{"team": team3Params["team"], "keep_owner": false}
	n = b.compile(t, nodes.TypeAssignOwner, params)
	res, err = typ.Handler.Run(t.Context(), &nodes.Input{Node: n, Env: b.env, Key: "k", Contacts: router})
	if err != nil || res.Output["owner"].(map[string]any)["id"] != "u1" {
		t.Fatalf("res %+v, err %v; want u1 (the first turn)", res, err)
	}
}

func TestAssignOwnerNeedsAContactAndTeam(t *testing.T) {
	t.Parallel()
	b := setup(t)
	n := b.compile(t, nodes.TypeAssignOwner, team3Params)
	typ, _ := b.reg.Lookup(nodes.TypeAssignOwner, 1)
	_, err := typ.Handler.Run(t.Context(), &nodes.Input{Node: n, Env: b.env, Key: "k", Contacts: newFakeRouter()})
	wantPermanent(t, err, "no contact yet")

	wantProblem(t, b.problems(t, nodes.TypeAssignOwner, map[string]any{"team": []any{}}), "team", `needs a value for "Team"`)
	wantProblem(t, b.problems(t, nodes.TypeAssignOwner, map[string]any{"team": []any{
		map[string]any{"user": "maria@example.com"}, map[string]any{"user": "Maria@example.com"},
	}}), "team[1].user", "in the team twice")
	wantProblem(t, b.problems(t, nodes.TypeAssignOwner, map[string]any{"team": []any{map[string]any{"user": "maria"}}}),
		"team[0].user", "not an email address")
}

func TestDealAndTaskDefaultToTheOwner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	b.env.Owner = flowsOwner()
	if _, err := b.run(t, nodes.TypeCreateDeal, map[string]any{"stage": "new"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.run(t, nodes.TypeCreateTask, map[string]any{"title": "Call back"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.runNode(t, b.compile(t, nodes.TypeCreateTask, map[string]any{"title": "Other", "owner": "li@example.com"}), "run1:n:2"); err != nil {
		t.Fatal(err)
	}
	deals, tasks := b.store.Deals(), b.store.Tasks()
	if deals[0].Owner != "maria@example.com" || tasks[0].Owner != "maria@example.com" || tasks[1].Owner != "li@example.com" {
		t.Fatalf("deal owner %q, task owners %q %q", deals[0].Owner, tasks[0].Owner, tasks[1].Owner)
	}
}

// flowsOwner is Maria as the env's owner, with a HubSpot owner id in "hs".
func flowsOwner() flows.Owner {
	return flows.Owner{ID: "u1", Name: "Maria", Email: "maria@example.com", IDs: map[string]string{"hs": "111"}}
}

func TestVendorDealDefaultsToTheOwnersVendorID(t *testing.T) {
	t.Parallel()
	b := setupVendors(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	b.env.Owner = flowsOwner()
	res, err := b.runRemote(t, nodes.TypeCreateDeal, map[string]any{"target": "hs"})
	if err != nil {
		t.Fatal(err)
	}
	if d := b.crm.Deals(); len(d) != 1 || d[0].Owner != "111" || res.Output["owner"] != "111" {
		t.Fatalf("HubSpot deals %+v, output %v; want owner 111", d, res.Output)
	}
	// An owner with no id in that account leaves the deal unassigned.
	b.env.Owner.IDs = nil
	if _, err := b.runRemote(t, nodes.TypeCreateTask, map[string]any{"target": "hs", "title": "Call"}); err != nil {
		t.Fatal(err)
	}
	if tk := b.crm.Tasks(); len(tk) != 1 || tk[0].Owner != "" {
		t.Fatalf("HubSpot tasks %+v; want no owner", tk)
	}
}
