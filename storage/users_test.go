package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
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
		err := s.Write(ctx, func(tx storage.Tx) error {
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
		if err := s.Write(ctx, func(tx storage.Tx) error { return storage.DeleteUser(tx, second.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.SessionUser(s.Reader(), session, now); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("session of a removed user: err %v, want ErrNotFound", err)
		}
		if err := s.Write(ctx, func(tx storage.Tx) error { return storage.DeleteUser(tx, second.ID) }); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("delete twice: err %v, want ErrNotFound", err)
		}
		if us, err := storage.ListUsers(s.Reader()); err != nil || len(us) != 1 || us[0].Email != "first@example.com" {
			t.Fatalf("after delete: %+v, %v", us, err)
		}
	})
}

// TestSetUserRole changes a role, refuses an unknown one, and keeps the
// last administrator an administrator, on both databases.
func TestSetUserRole(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := t.Context()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var ann, bob *storage.User
		err := s.Write(ctx, func(tx storage.Tx) (err error) {
			if ann, err = storage.CreateUser(tx, "ann@example.com", "password one", now); err != nil {
				return err
			}
			bob, err = storage.CreateUserWithRole(tx, "bob@example.com", "password two", storage.RoleViewer, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		set := func(id, role string) (*storage.User, error) {
			var u *storage.User
			err := s.Write(ctx, func(tx storage.Tx) (err error) { u, err = storage.SetUserRole(tx, id, role); return err })
			return u, err
		}
		if _, err := set(ann.ID, storage.RoleEditor); !errors.Is(err, storage.ErrLastAdmin) {
			t.Fatalf("demote the only admin: err %v, want ErrLastAdmin", err)
		}
		if u, err := set(bob.ID, storage.RoleAdmin); err != nil || u.Role != storage.RoleAdmin {
			t.Fatalf("promote bob: %+v, %v", u, err)
		}
		if u, err := set(ann.ID, storage.RoleEditor); err != nil || u.Role != storage.RoleEditor {
			t.Fatalf("demote ann with bob admin: %+v, %v", u, err)
		}
		var roleErr *storage.RoleError
		if _, err := set(bob.ID, "boss"); !errors.As(err, &roleErr) {
			t.Fatalf("unknown role: err %v, want *RoleError", err)
		}
		if _, err := set("nobody", storage.RoleViewer); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown user: err %v, want ErrNotFound", err)
		}
		us, err := storage.ListUsers(s.Reader())
		roles := map[string]string{}
		for _, u := range us {
			roles[u.Email] = u.Role
		}
		if err != nil || roles["ann@example.com"] != storage.RoleEditor || roles["bob@example.com"] != storage.RoleAdmin {
			t.Fatalf("stored roles: %v, %v", roles, err)
		}
	})
}

// TestPasswordRule: the one policy has 10 characters as its minimum.
func TestPasswordRule(t *testing.T) {
	t.Parallel()
	if err := storage.CheckPassword("123456789"); !errors.Is(err, &storage.WeakPasswordError{}) {
		t.Fatalf("9 characters: err %v, want *WeakPasswordError", err)
	}
	if err := storage.CheckPassword("1234567890"); err != nil {
		t.Fatalf("10 characters: %v", err)
	}
	if got, want := storage.PasswordRule(), "A password needs 10 to 72 characters."; got != want {
		t.Fatalf("PasswordRule() = %q, want %q", got, want)
	}
}

// TestTwoAdminsDemotingEachOtherLeaveOne: on PostgreSQL, where writers run
// at once, the second demotion waits for the first and is refused.
func TestTwoAdminsDemotingEachOtherLeaveOne(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		if s.SingleWriter() {
			t.Skip("SQLite has one writer: demotions cannot overlap")
		}
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var a, b *storage.User
		err := s.Write(t.Context(), func(tx storage.Tx) (err error) {
			if a, err = storage.CreateUser(tx, "a@example.com", "password one", now); err != nil {
				return err
			}
			b, err = storage.CreateUser(tx, "b@example.com", "password two", now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL the reader is the writer's pool.
		first := gormdb.Of(s.Reader()).Begin()
		if _, err := storage.SetUserRole(gormdb.Wrap(s.Reader(), first), a.ID, storage.RoleEditor); err != nil {
			first.Rollback()
			t.Fatalf("first demotion: %v", err)
		}
		second := make(chan error, 1)
		go func() {
			tx := gormdb.Of(s.Reader()).Begin()
			_, err := storage.SetUserRole(gormdb.Wrap(s.Reader(), tx), b.ID, storage.RoleEditor)
			if err != nil {
				tx.Rollback()
			} else {
				err = tx.Commit().Error
			}
			second <- err
		}()
		if err := first.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-second; !errors.Is(err, storage.ErrLastAdmin) {
			t.Fatalf("second demotion: err %v, want ErrLastAdmin", err)
		}
	})
}
