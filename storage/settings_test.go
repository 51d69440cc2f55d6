package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

func TestSettingsAndDemoMarker(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := t.Context()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if _, err := storage.GetSetting(s.Reader(), storage.SettingDemo); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("fresh database: err %v, want ErrNotFound", err)
		}
		if held, err := storage.HoldsData(s.Reader()); err != nil || held {
			t.Fatalf("fresh database holds data = %v (%v)", held, err)
		}
		for _, v := range []string{"one", "two"} {
			if err := s.Write(ctx, func(tx storage.Tx) error { return storage.PutSetting(tx, storage.SettingDemo, v, now) }); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := storage.GetSetting(s.Reader(), storage.SettingDemo); err != nil || v != "two" {
			t.Fatalf("setting = %q (%v), want the later value", v, err)
		}
		err := s.Write(ctx, func(tx storage.Tx) error {
			_, err := storage.CreateUser(tx, "a@example.com", "first-password", now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if held, err := storage.HoldsData(s.Reader()); err != nil || !held {
			t.Fatalf("database with a user holds data = %v (%v)", held, err)
		}
		if err := s.Write(ctx, func(tx storage.Tx) error { return storage.SetPassword(tx, "A@example.com", "second-password") }); err != nil {
			t.Fatal(err)
		}
		if _, err := storage.Authenticate(s.Reader(), "a@example.com", "second-password"); err != nil {
			t.Fatalf("new password refused: %v", err)
		}
		if _, err := storage.Authenticate(s.Reader(), "a@example.com", "first-password"); err == nil {
			t.Fatal("old password still accepted")
		}
		err = s.Write(ctx, func(tx storage.Tx) error { return storage.SetPassword(tx, "nobody@example.com", "whatever-pass") })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown user: err %v, want ErrNotFound", err)
		}
	})
}
