package storage_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/journeyhq/journey/storage"
)

func TestContactActivity(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC)
		var ana, bo, cy string
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			var err error
			for _, c := range []struct {
				id    *string
				email string
			}{{&ana, "ana@example.com"}, {&bo, "bo@example.com"}, {&cy, "cy@example.com"}} {
				if *c.id, _, err = storage.EnsureContact(tx, storage.ContactRef{Email: c.email}, t0); err != nil {
					return err
				}
			}
			for i, stage := range []string{"qualified", "won", "new"} {
				if _, err := storage.CreateDeal(tx, "", storage.Deal{ContactID: ana, Title: "Deal", Stage: stage}, t0.Add(time.Duration(i)*time.Hour)); err != nil {
					return err
				}
			}
			event := func(contact, typ string, at time.Time) error {
				id := contact
				_, err := storage.InsertEvent(tx, &storage.Event{ID: uuid.NewString(), ContactID: &id, Type: typ, Data: "{}", At: at, ReceivedAt: at})
				return err
			}
			if err := event(ana, "order.placed", t0.Add(24*time.Hour)); err != nil {
				return err
			}
			if err := event(ana, "email.opened", t0.Add(48*time.Hour)); err != nil {
				return err
			}
			// A later delivery receipt is not something Ana did.
			if err := event(ana, "email.delivered", t0.Add(72*time.Hour)); err != nil {
				return err
			}
			return event(bo, "email.delivered", t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := storage.ContactActivity(s.Reader(), []string{ana, bo, cy}, []string{"email.delivered"})
		if err != nil {
			t.Fatal(err)
		}
		want := storage.Activity{Deals: 3, OpenDeals: 2, LastAt: t0.Add(48 * time.Hour)}
		if a := got[ana]; a.Deals != want.Deals || a.OpenDeals != want.OpenDeals || !a.LastAt.Equal(want.LastAt) {
			t.Fatalf("Ana's activity = %+v, want %+v", a, want)
		}
		if a := got[bo]; a != (storage.Activity{}) {
			t.Fatalf("Bo's activity = %+v, want none: he only got a delivery receipt", a)
		}
		if _, ok := got[cy]; ok {
			t.Fatalf("Cy has an activity entry %+v, want none", got[cy])
		}

		page, err := storage.ContactsAfter(s.Reader(), "", 2)
		if err != nil {
			t.Fatal(err)
		}
		rest, err := storage.ContactsAfter(s.Reader(), page[len(page)-1].ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || len(rest) != 1 || page[0].ID >= page[1].ID || page[1].ID >= rest[0].ID {
			t.Fatalf("pages of 2 = %d then %d contacts, want 2 then 1, in id order", len(page), len(rest))
		}
	})
}
