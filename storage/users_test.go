package storage_test

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
)

// TestListAndDeleteUsers lists users oldest first and removes one with
// its sessions, on both databases.
func TestListAndDeleteUsers(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := t.Context()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var first, second *storage.User
		var session string
		err := s.Write(ctx, func(tx *gorm.DB) error {
			var err error
			if first, err = storage.CreateUser(tx, "first@example.com", "password one", now); err != nil {
				return err
			}
			if second, err = storage.CreateUser(tx, "second@example.com", "password two", now.Add(time.Minute)); err != nil {
				return err
			}
			session, err = storage.CreateSession(tx, second.ID, time.Hour, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		us, err := storage.ListUsers(s.Reader())
		if err != nil || len(us) != 2 || us[0].ID != first.ID || us[1].ID != second.ID {
			t.Fatalf("list users = %+v, %v", us, err)
		}
		if err := s.Write(ctx, func(tx *gorm.DB) error { return storage.DeleteUser(tx, second.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.SessionUser(s.Reader(), session, now); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("session of a removed user: err %v, want ErrNotFound", err)
		}
		if err := s.Write(ctx, func(tx *gorm.DB) error { return storage.DeleteUser(tx, second.ID) }); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("delete twice: err %v, want ErrNotFound", err)
		}
		if us, err := storage.ListUsers(s.Reader()); err != nil || len(us) != 1 || us[0].Email != "first@example.com" {
			t.Fatalf("after delete: %+v, %v", us, err)
		}
	})
}
