package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// TestAuditLog records changes by two actors and reads them back
// filtered, newest first, on both databases.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := t.Context()
		t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
		entries := []storage.AuditEntry{
			{At: t0, ActorType: storage.ActorUser, ActorID: "u1", ActorName: "ann@example.com", Action: storage.AuditCreate,
				EntityType: storage.AuditFlow, EntityID: "welcome", Summary: "created journey welcome"},
			{At: t0.Add(time.Minute), ActorType: storage.ActorToken, ActorID: "t1", ActorName: "deploy", Action: storage.AuditPublish,
				EntityType: storage.AuditFlow, EntityID: "welcome", Summary: "published version 1"},
			{At: t0.Add(2 * time.Minute), ActorType: storage.ActorUser, ActorID: "u1", ActorName: "ann@example.com", Action: storage.AuditDelete,
				EntityType: storage.AuditToken, EntityID: "t9", Summary: strings.Repeat("é", 400)},
		}
		err := s.Write(ctx, func(tx storage.Tx) error {
			for _, e := range entries {
				if err := storage.RecordAudit(tx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		all, err := storage.ListAudit(s.Reader(), storage.AuditQuery{})
		if err != nil || len(all) != 3 {
			t.Fatalf("list all: %d entries, %v", len(all), err)
		}
		if all[0].Action != storage.AuditDelete || all[2].Action != storage.AuditCreate {
			t.Fatalf("not newest first: %s, %s, %s", all[0].Action, all[1].Action, all[2].Action)
		}
		if !all[2].At.Equal(t0) {
			t.Errorf("at = %v, want %v", all[2].At, t0)
		}
		if len(all[0].Summary) > 500 || !strings.HasPrefix(all[0].Summary, "éé") || !utf8Valid(all[0].Summary) {
			t.Errorf("a long summary is not cut cleanly: %d bytes", len(all[0].Summary))
		}
		flows, _ := storage.ListAudit(s.Reader(), storage.AuditQuery{EntityType: storage.AuditFlow, EntityID: "welcome"})
		if len(flows) != 2 {
			t.Fatalf("flow welcome: %d entries, want 2", len(flows))
		}
		byName, _ := storage.ListAudit(s.Reader(), storage.AuditQuery{Actor: "ann@example.com"})
		byID, _ := storage.ListAudit(s.Reader(), storage.AuditQuery{Actor: "t1"})
		if len(byName) != 2 || len(byID) != 1 || byID[0].ActorName != "deploy" {
			t.Fatalf("by actor: %d by email, %d by token id", len(byName), len(byID))
		}
		page, _ := storage.ListAudit(s.Reader(), storage.AuditQuery{Limit: 1, Before: all[0].ID})
		if len(page) != 1 || page[0].ID != all[1].ID {
			t.Fatalf("paging: %+v", page)
		}
		err = s.Write(ctx, func(tx storage.Tx) error { return storage.RecordAudit(tx, storage.AuditEntry{At: t0}) })
		if err == nil {
			t.Fatal("an entry without actor, action and entity was stored")
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestRoles creates users and tokens with each role, refuses unknown
// roles, and keeps rows written without a role (before roles existed)
// as admins.
func TestRoles(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		ctx := t.Context()
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		err := s.Write(ctx, func(tx storage.Tx) error {
			for _, role := range storage.Roles() {
				if _, err := storage.CreateUserWithRole(tx, role+"@example.com", "long password", role, now); err != nil {
					return err
				}
				if _, _, err := storage.CreateAPITokenWithRole(tx, role, role, now); err != nil {
					return err
				}
			}
			// A row from before roles: the column default applies.
			return gormdb.Of(tx).Exec(`INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES ('old', 'old', 'h', ?)`, now).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := storage.ListAPITokens(s.Reader())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, tok := range ts {
			got[tok.Name] = tok.Role
		}
		want := map[string]string{"admin": "admin", "editor": "editor", "viewer": "viewer", "old": "admin"}
		for name, role := range want {
			if got[name] != role {
				t.Errorf("token %s has role %q, want %q", name, got[name], role)
			}
		}
		us, _ := storage.ListUsers(s.Reader())
		for _, u := range us {
			if u.Email != u.Role+"@example.com" {
				t.Errorf("user %s has role %q", u.Email, u.Role)
			}
		}
		err = s.Write(ctx, func(tx storage.Tx) error {
			_, _, err := storage.CreateAPITokenWithRole(tx, "x", "owner", now)
			return err
		})
		var re *storage.RoleError
		if !errors.As(err, &re) || re.Role != "owner" {
			t.Fatalf("unknown token role: err %v, want *RoleError", err)
		}
		err = s.Write(ctx, func(tx storage.Tx) error {
			_, err := storage.CreateUserWithRole(tx, "x@example.com", "long password", "", now)
			return err
		})
		if !errors.As(err, &re) {
			t.Fatalf("empty user role: err %v, want *RoleError", err)
		}
	})
}
