package storage_test

import (
	"slices"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// Only the latest events count, each type once, sorted.
func TestRecentEventTypes(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			for _, typ := range []string{"old.event", "order.placed", "email.opened", "order.placed"} {
				// NewID is time-ordered, so later inserts are more recent.
				if _, err := storage.InsertEvent(tx, &storage.Event{ID: storage.NewID(), Type: typ, Data: "{}", At: at, ReceivedAt: at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := storage.RecentEventTypes(s.Reader(), 3)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"email.opened", "order.placed"}; !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
