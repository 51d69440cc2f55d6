package storage_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
	"github.com/journeyhq/journey/storage/storagetest"
)

// makePre0015 turns a fresh database back into what 0014 left: users
// without the salesperson fields, contacts without an owner, no counters;
// with a user and a contact in it.
func makePre0015(t *testing.T, s *storage.Store) {
	t.Helper()
	err := s.Write(t.Context(), func(tx storage.Tx) error {
		stmts := []string{`DROP INDEX idx_contacts_owner_id`, `DROP TABLE routing_counters`, `ALTER TABLE contacts DROP COLUMN owner_id`}
		for _, col := range []string{"name", "away_until", "time_zone", "work_days", "work_start", "work_end", "owner_ids", "slack_id"} {
			stmts = append(stmts, `ALTER TABLE users DROP COLUMN `+col)
		}
		stmts = append(stmts, `DELETE FROM schema_migrations WHERE id = '0015_lead_routing'`)
		for _, q := range stmts {
			if err := gormdb.Of(tx).Exec(q).Error; err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		if err := gormdb.Of(tx).Exec(`INSERT INTO users (id, email, password_hash, role, created_at) VALUES (?,?,?,?,?)`,
			"u-old", "maria@example.com", "x", "editor", now).Error; err != nil {
			return err
		}
		return gormdb.Of(tx).Exec(`INSERT INTO contacts (id, email, score, created_at, updated_at) VALUES (?,?,?,?,?)`, "c-old", "ana@example.com", 0, now, now).Error
	})
	if err != nil {
		t.Fatalf("make a 0014 database: %v", err)
	}
}

// checkLeadRouting checks the routing storage on a migrated database: the
// old user takes a profile, the old contact an owner, a counter counts,
// and removing the user frees the contact.
func checkLeadRouting(t *testing.T, s *storage.Store) {
	t.Helper()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	away := now.Add(48 * time.Hour)
	err := s.Write(t.Context(), func(tx storage.Tx) error {
		u, err := storage.SetUserRouting(tx, "u-old", storage.RoutingProfile{Name: "Maria", AwayUntil: &away, TimeZone: "Europe/Berlin",
			WorkDays: []string{"mon", "fri"}, WorkStart: "09:00", WorkEnd: "17:00", OwnerIDs: map[string]string{"hs": "5150"}, SlackID: "U1"})
		if err != nil {
			return err
		}
		p := u.Routing()
		if p.Name != "Maria" || !p.AwayUntil.Equal(away) || len(p.WorkDays) != 2 || p.OwnerIDs["hs"] != "5150" || p.SlackID != "U1" {
			t.Errorf("routing profile = %+v", p)
		}
		if _, err := storage.SetUserRouting(tx, "nobody", storage.RoutingProfile{}); err == nil {
			t.Error("a missing user took a routing profile")
		}
		owner := "u-old"
		if err := storage.SetContactOwner(tx, "c-old", &owner, now); err != nil {
			return err
		}
		for want := int64(0); want < 3; want++ {
			pos, err := storage.LockRoutingCounter(tx, "flow/step", now)
			if err != nil || pos != want {
				t.Errorf("counter = %d, %v; want %d", pos, err, want)
			}
			if err := storage.SetRoutingCounter(tx, "flow/step", pos+1, now); err != nil {
				return err
			}
		}
		for _, d := range []storage.Deal{{Stage: "new", Owner: "Maria@Example.com"}, {Stage: "won", Owner: "maria@example.com"}, {Stage: "qualified", Owner: "maria@example.com"}} {
			d.ContactID, d.Title = "c-old", "Deal"
			if _, err := storage.CreateDeal(tx, "", d, now); err != nil {
				return err
			}
		}
		open, err := storage.OpenDealsByOwner(tx, []string{"maria@example.com", "li@example.com"})
		if err != nil || open["maria@example.com"] != 2 || open["li@example.com"] != 0 {
			t.Errorf("open deals by owner = %v, %v; want maria 2 (one is won)", open, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := storage.GetContact(s.Reader(), "c-old")
	if err != nil || c.OwnerID == nil || *c.OwnerID != "u-old" {
		t.Fatalf("contact owner = %v, %v", c, err)
	}
	if err := s.Write(t.Context(), func(tx storage.Tx) error { return storage.DeleteUser(tx, "u-old") }); err != nil {
		t.Fatal(err)
	}
	if c, err := storage.GetContact(s.Reader(), "c-old"); err != nil || c.OwnerID != nil {
		t.Fatalf("contact of a removed user = %v, %v; want no owner", c.OwnerID, err)
	}
}

func TestMigration0015UpgradesSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	makePre0015(t, openSQLiteAt(t, path))
	checkLeadRouting(t, openSQLiteAt(t, path))
}

func TestMigration0015UpgradesPostgres(t *testing.T) {
	t.Parallel()
	dsn := storagetest.PostgresDSN(t)
	makePre0015(t, openPostgresDSN(t, dsn))
	checkLeadRouting(t, openPostgresDSN(t, dsn))
}
