package storage_test

import (
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// TestContactLabels names contacts by id for the runs list, once per id,
// and leaves unknown ids out, on both databases.
func TestContactLabels(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		var ada, phone string
		err := s.Write(t.Context(), func(tx storage.Tx) (err error) {
			if ada, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, now); err != nil {
				return err
			}
			phone, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Phone: "+4915112345678"}, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := storage.ContactLabels(s.Reader(), []string{ada, phone, ada, "gone"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[ada].Name != "Ada Lovelace" || got[ada].Email != "ada@example.com" ||
			got[phone].Name != "" || got[phone].Phone != "+4915112345678" {
			t.Fatalf("labels: %+v", got)
		}
		if none, err := storage.ContactLabels(s.Reader(), nil); err != nil || len(none) != 0 {
			t.Fatalf("no ids: %v, %v", none, err)
		}
	})
}
