package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// SetContactFields merges into the stored custom fields: the fields it
// names are replaced, the others kept.
func TestSetContactFieldsMerges(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		var id string
		err := s.Write(ctx, func(tx storage.Tx) error {
			var err error
			id, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ana@example.com",
				Fields: map[string]any{"plan": "pro", "email_status": "valid"}}, now)
			if err != nil {
				return err
			}
			return storage.SetContactFields(tx, id, map[string]any{"email_status": "risky", "email_check_reason": "a shared address"}, now.Add(time.Minute))
		})
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		v, err := storage.GetContact(s.Reader(), id)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		var fields map[string]any
		if err := json.Unmarshal([]byte(v.Fields), &fields); err != nil {
			t.Fatalf("fields %q: %v", v.Fields, err)
		}
		want := map[string]any{"plan": "pro", "email_status": "risky", "email_check_reason": "a shared address"}
		if len(fields) != len(want) {
			t.Fatalf("fields %v, want %v", fields, want)
		}
		for k, w := range want {
			if fields[k] != w {
				t.Fatalf("fields %v, want %v", fields, want)
			}
		}
		if !v.UpdatedAt.Equal(now.Add(time.Minute)) {
			t.Errorf("updated_at %v, want the time of the change", v.UpdatedAt)
		}
		err = s.Write(ctx, func(tx storage.Tx) error {
			return storage.SetContactFields(tx, "no-such-contact", map[string]any{"x": 1}, now)
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("a missing contact gave %v, want ErrNotFound", err)
		}
	})
}
