package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/journeyhq/journey/storage"
)

// exerciseMatching checks which contact an upsert updates for every
// combination of email, phone and external id (absent, unknown, matching,
// held by another contact), so that two people are never merged.
//
// Every case seeds its own contacts, with identifiers made unique by the
// case's number, in one store:
//
//	A: email a, phone +1..01, external id ext-a, first name "Ada"
//	B: phone +1..02 only (no email)
//	C: external id ext-c only (no email), as a chat platform creates one
//	T: a test contact with email a (never matched by a real upsert)
func exerciseMatching(t *testing.T, setup func(t *testing.T) *testBundle) {
	b := setup(t)
	type in struct{ email, phone, ext string }
	type conflict struct{ with, ident string } // with: A, B or C
	cases := []struct {
		name string
		in   in
		// want is A, B, C or "new".
		want string
		// wantNew is the new contact's identifiers (when want is "new").
		wantNew   in
		conflicts []conflict
	}{
		{"email of A", in{email: "a"}, "A", in{}, nil},
		{"email and phone of A", in{email: "a", phone: "A"}, "A", in{}, nil},
		{"email of A, phone of B", in{email: "a", phone: "B"}, "A", in{}, []conflict{{"B", "phone"}}},
		{"unknown email alone", in{email: "new"}, "new", in{email: "new"}, nil},
		{"phone of A alone", in{phone: "A"}, "A", in{}, nil},
		{"phone of B alone", in{phone: "B"}, "B", in{}, nil},
		{"other email, phone of A", in{email: "new", phone: "A"}, "new", in{email: "new"}, []conflict{{"A", "phone"}}},
		{"new email, phone of B who has no email", in{email: "new", phone: "B"}, "B", in{}, nil},
		{"unknown phone alone", in{phone: "new"}, "new", in{phone: "new"}, nil},
		{"unknown email and unknown phone", in{email: "new", phone: "new"}, "new", in{email: "new", phone: "new"}, nil},
		{"external id of A alone", in{ext: "a"}, "A", in{}, nil},
		{"external id of C with a new email", in{email: "new", ext: "c"}, "C", in{}, nil},
		{"other email, external id of A", in{email: "new", ext: "a"}, "new", in{email: "new"}, []conflict{{"A", "external_id"}}},
		{"email of A, external id of C", in{email: "a", ext: "c"}, "A", in{}, []conflict{{"C", "external_id"}}},
		{"phone of A, external id of C", in{phone: "A", ext: "c"}, "A", in{}, []conflict{{"C", "external_id"}}},
		{"other email, phone of A, external id of C", in{email: "new", phone: "A", ext: "c"}, "C", in{}, []conflict{{"A", "phone"}}},
		{"unknown external id alone", in{ext: "new"}, "new", in{ext: "new"}, nil},
	}
	for n, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			email := func(s string) string {
				if s == "" {
					return ""
				}
				return fmt.Sprintf("%s-%d@example.com", s, n)
			}
			phone := func(s string) string {
				return map[string]string{"": "", "A": fmt.Sprintf("+1555%03d01", n), "B": fmt.Sprintf("+1555%03d02", n),
					"new": fmt.Sprintf("+1555%03d09", n)}[s]
			}
			ext := func(s string) string {
				if s == "" {
					return ""
				}
				return fmt.Sprintf("ext-%s-%d", s, n)
			}
			seeded := map[string]string{
				"A": mustUpsert(t, b, "", storage.ContactInput{Email: email("a"), Phone: phone("A"), ExternalID: ext("a"), FirstName: "Ada"}),
				"B": mustUpsert(t, b, "", storage.ContactInput{Phone: phone("B"), FirstName: "Bo"}),
				"C": mustUpsert(t, b, "", storage.ContactInput{ExternalID: ext("c"), FirstName: "Cy"}),
			}
			testA := mustUpsert(t, b, "", storage.ContactInput{Email: email("a"), FirstName: "Test Ada", Test: true})
			before := map[string]storage.Contact{}
			for k, id := range seeded {
				before[k] = mustGet(t, b, id).Contact
			}

			got := mustUpsert(t, b, "", storage.ContactInput{Email: email(tc.in.email), Phone: phone(tc.in.phone),
				ExternalID: ext(tc.in.ext), LastName: "Upserted"})

			if tc.want != "new" {
				if got != seeded[tc.want] {
					t.Fatalf("upsert updated %s, want contact %s (%s)", got, tc.want, seeded[tc.want])
				}
			} else {
				if slices.Contains([]string{seeded["A"], seeded["B"], seeded["C"], testA}, got) {
					t.Fatalf("upsert updated an existing contact %s, want a new one", got)
				}
				c := mustGet(t, b, got)
				if deref(c.Email) != email(tc.wantNew.email) || deref(c.Phone) != phone(tc.wantNew.phone) ||
					deref(c.ExternalID) != ext(tc.wantNew.ext) {
					t.Fatalf("new contact email %q phone %q external id %q, want %q %q %q", deref(c.Email), deref(c.Phone),
						deref(c.ExternalID), email(tc.wantNew.email), phone(tc.wantNew.phone), ext(tc.wantNew.ext))
				}
			}
			// No contact lost its name, email, phone or external id, and
			// only the matched one was changed.
			for k, id := range seeded {
				c := mustGet(t, b, id)
				old := before[k]
				if c.FirstName != old.FirstName || (old.Email != nil && deref(c.Email) != deref(old.Email)) ||
					deref(c.Phone) != deref(old.Phone) || deref(c.ExternalID) != deref(old.ExternalID) {
					t.Fatalf("contact %s changed its identity: before %s/%s/%s %q, after %s/%s/%s %q", k,
						deref(old.Email), deref(old.Phone), deref(old.ExternalID), old.FirstName,
						deref(c.Email), deref(c.Phone), deref(c.ExternalID), c.FirstName)
				}
				if (c.LastName == "Upserted") != (id == got) {
					t.Fatalf("contact %s last name %q: only the matched contact is updated", k, c.LastName)
				}
			}
			if tc.want == "B" && tc.in.email != "" && deref(mustGet(t, b, seeded["B"]).Email) != email(tc.in.email) {
				t.Fatalf("B (known by phone only) did not get the email")
			}
			if c := mustGet(t, b, testA); c.LastName != "" {
				t.Fatalf("a real upsert changed the test contact")
			}

			// Each conflict is an event on both contacts; no other
			// conflict is recorded.
			var want []string
			for _, cf := range tc.conflicts {
				other := seeded[cf.with]
				want = append(want, got+">"+other+":"+cf.ident, other+">"+got+":"+cf.ident)
			}
			have := conflictEvents(t, b, append([]string{got, testA}, seeded["A"], seeded["B"], seeded["C"]))
			slices.Sort(want)
			if !slices.Equal(have, want) {
				t.Fatalf("conflict events %v, want %v", have, want)
			}

			// The same upsert again records nothing new.
			mustUpsert(t, b, "", storage.ContactInput{Email: email(tc.in.email), Phone: phone(tc.in.phone), ExternalID: ext(tc.in.ext)})
			if again := conflictEvents(t, b, append([]string{got, testA}, seeded["A"], seeded["B"], seeded["C"])); !slices.Equal(again, want) {
				t.Fatalf("after a repeated upsert, conflict events %v, want %v", again, want)
			}
		})
	}
}

// conflictEvents lists the conflict events of the contacts (deduplicated
// ids) as "contact>other:identifier", sorted.
func conflictEvents(t *testing.T, b *testBundle, contacts []string) []string {
	t.Helper()
	var out []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(contacts))) {
		es, err := storage.ContactEvents(b.store.Reader(), id, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Type != storage.ConflictEventType {
				continue
			}
			var d map[string]string
			if err := json.Unmarshal([]byte(e.Data), &d); err != nil {
				t.Fatalf("conflict event data %q: %v", e.Data, err)
			}
			if d["value"] == "" || d["message"] == "" {
				t.Fatalf("conflict event without value or message: %s", e.Data)
			}
			out = append(out, id+">"+d["other_contact_id"]+":"+d["identifier"])
		}
	}
	slices.Sort(out)
	return out
}

// exerciseUnsubscribedGroups checks that leaving and rejoining a provider's
// unsubscribe group changes only that group, keeps the other custom
// fields and leaves consent alone.
func exerciseUnsubscribedGroups(t *testing.T, setup func(t *testing.T) *testBundle) {
	b := setup(t)
	id := mustUpsert(t, b, "", storage.ContactInput{Email: "groups@example.com", Fields: map[string]any{"plan": "pro"}})
	groups := func() (string, any) {
		c := mustGet(t, b, id)
		var f map[string]any
		if err := json.Unmarshal([]byte(c.Fields), &f); err != nil {
			t.Fatalf("fields %q: %v", c.Fields, err)
		}
		return fmt.Sprint(f[storage.UnsubscribedGroupsField]), f["plan"]
	}
	for _, step := range []struct {
		group string
		leave bool
		want  string
	}{
		{"10", true, "[10]"},
		{"7", true, "[10 7]"},
		{"10", true, "[10 7]"},
		{"10", false, "[7]"},
		{"3", false, "[7]"},
		{"7", false, "[]"},
	} {
		write(t, b, func(tx storage.Tx) error {
			return storage.SetUnsubscribedGroup(tx, id, step.group, step.leave, t0)
		})
		if got, plan := groups(); got != step.want || plan != "pro" {
			t.Fatalf("after group %s leave=%v: groups %s plan %v, want %s and pro", step.group, step.leave, got, plan, step.want)
		}
	}
	if c := mustGet(t, b, id); c.Consent != "{}" {
		t.Fatalf("consent %s, want untouched", c.Consent)
	}
	err := b.store.Write(b.ctx, func(tx storage.Tx) error {
		return storage.SetUnsubscribedGroup(tx, "no-such-contact", "1", true, t0)
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown contact: err = %v, want ErrNotFound", err)
	}
}

// exerciseEnsureMatching checks that an event naming a contact (EnsureContact)
// is matched as an upsert is: never to someone else by phone or external id.
func exerciseEnsureMatching(t *testing.T, setup func(t *testing.T) *testBundle) {
	b := setup(t)
	a := mustUpsert(t, b, "", storage.ContactInput{Email: "ann@example.com", Phone: "+15550000001", ExternalID: "chat-ann"})
	bo := mustUpsert(t, b, "", storage.ContactInput{Phone: "+15550000002"})
	ensure := func(ref storage.ContactRef) (string, bool) {
		t.Helper()
		var id string
		var created bool
		write(t, b, func(tx storage.Tx) (err error) {
			id, created, err = storage.EnsureContact(tx, ref, t0)
			return err
		})
		return id, created
	}
	if id, created := ensure(storage.ContactRef{Phone: "+15550000001"}); id != a || created {
		t.Fatalf("phone of Ann alone: %s created=%v, want Ann", id, created)
	}
	if id, created := ensure(storage.ContactRef{Email: "new@example.com", Phone: "+15550000002"}); id != bo || created {
		t.Fatalf("new email with the phone of Bo (who has no email): %s created=%v, want Bo", id, created)
	}
	id, created := ensure(storage.ContactRef{Email: "cy@example.com", Phone: "+15550000001", ExternalID: "chat-ann"})
	if id == a || !created {
		t.Fatalf("another email with Ann's phone and chat id: %s created=%v, want a new contact", id, created)
	}
	if c := mustGet(t, b, id); deref(c.Email) != "cy@example.com" || c.Phone != nil || c.ExternalID != nil {
		t.Fatalf("new contact %s/%s/%s, want only the email", deref(c.Email), deref(c.Phone), deref(c.ExternalID))
	}
	want := []string{a + ">" + id + ":external_id", a + ">" + id + ":phone", id + ">" + a + ":external_id", id + ">" + a + ":phone"}
	slices.Sort(want)
	if got := conflictEvents(t, b, []string{a, bo, id}); !slices.Equal(got, want) {
		t.Fatalf("conflict events %v, want %v", got, want)
	}
}
