package storage_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// Two transactions that both decide to create the contact for one email
// (PlanUpsert) cannot both create it: the second ApplyUpsert waits for the
// first transaction and then reports ErrConflict, and deciding again
// finds the contact the first one created.
func TestPostgresUpsertPlannedTwiceConflicts(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	store := openPostgresDSN(t, storagetest.PostgresDSN(t))
	ctx := context.Background()
	now := time.Now()
	in := storage.ContactInput{Email: "twice@example.com", FirstName: "Twice"}
	planned := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- store.Write(ctx, func(tx storage.Tx) error {
			u, err := storage.PlanUpsert(tx, in, now)
			if err != nil {
				return err
			}
			<-planned // the second transaction has decided too
			return storage.ApplyUpsert(tx, u, now)
		})
	}()
	var second error
	err := store.Write(ctx, func(tx storage.Tx) error {
		u, err := storage.PlanUpsert(tx, in, now)
		if err != nil {
			return err
		}
		if u.New == nil {
			t.Error("the second transaction found a contact before the first committed")
		}
		close(planned)
		if err := <-firstDone; err != nil {
			return err
		}
		second = storage.ApplyUpsert(tx, u, now)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(second, storage.ErrConflict) {
		t.Fatalf("second apply: %v, want ErrConflict", second)
	}
	err = store.Write(ctx, func(tx storage.Tx) error {
		u, err := storage.PlanUpsert(tx, in, now)
		if err == nil && u.New != nil {
			t.Error("deciding again creates another contact")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
