package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Migrations are numbered SQL files, one per dialect:
// migrations/sqlite/NNNN_name.up.sql and migrations/postgres/NNNN_name.up.sql.
// They are applied in the order of their IDs, each in its own transaction,
// and recorded in schema_migrations. A shipped migration is never edited:
// add a new one.
//
//go:embed migrations/sqlite/*.up.sql migrations/postgres/*.up.sql
var migrationFiles embed.FS

// Dialects, named as the folders of migrationFiles.
const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// migrationID is the form of an ID: a four-digit number and a name.
var migrationID = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+$`)

// migration is one schema change.
type migration struct {
	// ID is unique and never changes, e.g. "0001_initial".
	ID string
	// Up is set for a migration written in Go, the way migrations were
	// written before the SQL files; it runs instead of SQL files, which
	// such a migration does not have.
	Up func(tx Tx) error
}

// goMigrations are the migrations written in Go. New migrations are SQL
// files; this list stays while branches that wrote one in Go are merged
// (move it to SQL files when convenient: same ID, same effect).
func goMigrations() []migration {
	return []migration{}
}

// migrations returns every migration in order: the SQL files (the IDs of
// migrations/sqlite; migrations/postgres has the same ones, a test checks)
// and goMigrations.
func migrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/"+dialectSQLite+"/*.up.sql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	all := goMigrations()
	for _, name := range names {
		all = append(all, migration{ID: strings.TrimSuffix(path.Base(name), ".up.sql")})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// migrationSQL returns the statements of migration id for dialect, split
// at semicolons that end a line, without comment lines.
func migrationSQL(dialect, id string) ([]string, error) {
	b, err := migrationFiles.ReadFile("migrations/" + dialect + "/" + id + ".up.sql")
	if err != nil {
		return nil, fmt.Errorf("migration %s has no %s file: %w", id, dialect, err)
	}
	return splitStatements(string(b)), nil
}

// splitStatements splits a migration file into statements. A statement
// ends with a semicolon at the end of a line; lines starting with -- are
// comments. (One statement per Exec: PostgreSQL prepares statements, and a
// prepared statement holds one.)
func splitStatements(text string) []string {
	var (
		stmts []string
		cur   strings.Builder
	)
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	ID        string    `gorm:"primaryKey;size:100"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// createSchemaMigrations creates schema_migrations, as GORM's AutoMigrate
// of schemaMigration did before.
var createSchemaMigrations = map[string]string{
	dialectSQLite:   `CREATE TABLE IF NOT EXISTS schema_migrations (id text, applied_at datetime NOT NULL, PRIMARY KEY (id))`,
	dialectPostgres: `CREATE TABLE IF NOT EXISTS schema_migrations (id varchar(100) NOT NULL, applied_at timestamptz NOT NULL, PRIMARY KEY (id))`,
}

// migrate applies the pending migrations.
func (s *Store) migrate(ctx context.Context) error { return s.applyMigrations(ctx, migrations()) }

// applyMigrations applies those of list that schema_migrations does not
// record, in list order. Every migration transaction first takes the
// dialect's migration lock (on PostgreSQL a transaction-scoped advisory
// lock per schema), so instances starting together apply each migration
// exactly once.
func (s *Store) applyMigrations(ctx context.Context, list []migration) error {
	lock, err := s.dl.lockMigrations(ctx, s.writer)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	var applied map[string]bool
	err = s.Write(ctx, func(tx Tx) error {
		if err := lock(tx); err != nil {
			return err
		}
		if err := tx.db.Exec(createSchemaMigrations[s.dl.name()]).Error; err != nil {
			return err
		}
		var ids []string
		if err := tx.db.Model(&schemaMigration{}).Pluck("id", &ids).Error; err != nil {
			return err
		}
		applied = make(map[string]bool, len(ids))
		for _, id := range ids {
			applied[id] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: schema_migrations: %w", err)
	}

	for _, m := range list {
		if applied[m.ID] {
			continue
		}
		var stmts []string
		if m.Up == nil {
			if stmts, err = migrationSQL(s.dl.name(), m.ID); err != nil {
				return fmt.Errorf("migrate %s: %w", m.ID, err)
			}
		}
		err := s.Write(ctx, func(tx Tx) error {
			if err := lock(tx); err != nil {
				return err
			}
			// Another instance may have applied it while we waited.
			var n int64
			if err := tx.db.Model(&schemaMigration{}).Where("id = ?", m.ID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if m.Up != nil {
				if err := m.Up(tx); err != nil {
					return err
				}
			}
			for _, stmt := range stmts {
				if err := tx.db.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			return tx.db.Create(&schemaMigration{ID: m.ID, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.ID, err)
		}
	}
	return nil
}
