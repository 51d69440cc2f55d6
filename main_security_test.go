package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// TestCLICreatesTokensAndUsersWithRoles: --role (or its environment
// variable) sets the role, admin stays the default, a wrong role is
// refused, and each creation is in the audit log as the command line's.
func TestCLICreatesTokensAndUsersWithRoles(t *testing.T) {
	t.Setenv("JOURNEY_TOKEN_ROLE", "")
	t.Setenv("JOURNEY_USER_ROLE", "")
	t.Setenv("JOURNEY_SECRET_KEY", "")
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "app.db")
	cli := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := run(append(args, "--db", db, "--log-level", "error"), &out, &errOut)
		return out.String() + errOut.String(), code
	}
	if out, code := cli("token", "create", "--name", "dashboard", "--role", "viewer"); code != 0 || !strings.HasPrefix(out, storage.APITokenPrefix) {
		t.Fatalf("token create --role viewer: exit %d, %s", code, out)
	}
	if out, code := cli("token", "create", "--name", "deploy"); code != 0 {
		t.Fatalf("token create: exit %d, %s", code, out)
	}
	t.Setenv("JOURNEY_TOKEN_ROLE", "editor")
	if out, code := cli("token", "create", "--name", "zapier"); code != 0 {
		t.Fatalf("token create with JOURNEY_TOKEN_ROLE: exit %d, %s", code, out)
	}
	if out, code := cli("token", "create", "--name", "x", "--role", "root"); code == 0 || !strings.Contains(out, "--role must be admin, editor or viewer") {
		t.Fatalf("token create --role root: exit %d, %s", code, out)
	}
	if out, code := cli("user", "create", "--email", "ed@example.com", "--password", "editor password", "--role", "editor"); code != 0 {
		t.Fatalf("user create --role editor: exit %d, %s", code, out)
	}
	if out, code := cli("user", "create", "--email", "x@example.com", "--password", "long password", "--role", "boss"); code == 0 {
		t.Fatalf("user create --role boss: exit %d, %s", code, out)
	}

	store, err := storage.Open(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts, err := storage.ListAPITokens(store.Reader())
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, tok := range ts {
		roles[tok.Name] = tok.Role
	}
	if roles["dashboard"] != "viewer" || roles["deploy"] != "admin" || roles["zapier"] != "editor" || len(roles) != 3 {
		t.Fatalf("token roles: %v", roles)
	}
	us, _ := storage.ListUsers(store.Reader())
	if len(us) != 1 || us[0].Role != "editor" {
		t.Fatalf("users: %+v", us)
	}
	entries, err := storage.ListAudit(store.Reader(), storage.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].EntityType != storage.AuditUser || entries[0].ActorType != storage.ActorCLI ||
		entries[3].Summary != `created API token "dashboard" with role viewer` {
		t.Fatalf("audit: %+v", entries)
	}
}

// TestServeRefusesBadTrustedProxies: a mistyped proxy list stops serve
// at once instead of silently trusting nobody (or everybody).
func TestServeRefusesBadTrustedProxies(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "--trusted-proxies", "127.0.0.1, 10.0.0.0/33", "--db", "sqlite://" + filepath.Join(t.TempDir(), "app.db")}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), `trusted proxy "10.0.0.0/33"`) {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
}

// TestCLIUserCreatePasswordRule: user create follows the one password
// policy (storage.PasswordRule), and refuses before touching the database;
// the editor's copy of the minimum (web/src/password.ts) is the same number.
func TestCLIUserCreatePasswordRule(t *testing.T) {
	t.Setenv("JOURNEY_USER_ROLE", "")
	t.Setenv("JOURNEY_SECRET_KEY", "")
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	cli := func(pw string) (string, int) {
		var out, errOut bytes.Buffer
		code := run([]string{"user", "create", "--email", "pat@example.com", "--password", pw, "--db", db, "--log-level", "error"}, &out, &errOut)
		return out.String() + errOut.String(), code
	}
	if out, code := cli("123456789"); code == 0 || !strings.Contains(out, storage.PasswordRule()) {
		t.Fatalf("9 characters: exit %d, %s", code, out)
	}
	if out, code := cli("1234567890"); code != 0 {
		t.Fatalf("10 characters: exit %d, %s", code, out)
	}
	src, err := os.ReadFile(filepath.Join("web", "src", "password.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("minPassword = %d\n", storage.MinPasswordLen); !strings.Contains(string(src), want) {
		t.Fatalf("web/src/password.ts lacks %q: the editor and the server disagree on the password minimum", want)
	}
}

func TestSetupHostsComeFromPublicURLAndAddr(t *testing.T) {
	got := setupHosts(config{PublicURL: "https://journeys.example.com/app", Addr: "journey.internal:8080"})
	if strings.Join(got, ",") != "journeys.example.com,journey.internal" {
		t.Fatalf("setup hosts %v", got)
	}
}

// TestCLIUserPasswordResetsAndSignsOut: an administrator locked out (or
// who forgot the password) gets back in from the command line; the old
// password and the old sessions stop working.
func TestCLIUserPasswordResetsAndSignsOut(t *testing.T) {
	t.Setenv("JOURNEY_USER_ROLE", "")
	t.Setenv("JOURNEY_SECRET_KEY", "")
	t.Setenv("JOURNEY_PASSWORD", "")
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	cli := func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := run(append(args, "--db", db, "--log-level", "error"), &out, &errOut)
		return out.String() + errOut.String(), code
	}
	if out, code := cli("user", "create", "--email", "Pat@example.com", "--password", "first password"); code != 0 {
		t.Fatalf("user create: exit %d, %s", code, out)
	}
	store, err := storage.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := storage.Authenticate(store.Reader(), "pat@example.com", "first password")
	if err != nil {
		t.Fatal(err)
	}
	var session string
	if err := store.Write(context.Background(), func(tx storage.Tx) (err error) {
		session, err = storage.CreateSession(tx, u.ID, time.Hour, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	if out, code := cli("user", "password", "--email", "nobody@example.com", "--password", "second password"); code == 0 || !strings.Contains(out, "there is no user nobody@example.com") {
		t.Fatalf("unknown user: exit %d, %s", code, out)
	}
	if out, code := cli("user", "password", "--email", "pat@example.com", "--password", "short"); code == 0 || !strings.Contains(out, storage.PasswordRule()) {
		t.Fatalf("short password: exit %d, %s", code, out)
	}
	if out, code := cli("user", "password", "--email", "pat@example.com", "--password", "second password"); code != 0 || !strings.Contains(out, "sessions have ended") {
		t.Fatalf("user password: exit %d, %s", code, out)
	}
	store, err = storage.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := storage.Authenticate(store.Reader(), "pat@example.com", "first password"); !errors.Is(err, storage.ErrBadCredentials) {
		t.Errorf("old password: %v, want refused", err)
	}
	if _, err := storage.Authenticate(store.Reader(), "pat@example.com", "second password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := storage.SessionUser(store.Reader(), session, time.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("old session: %v, want ended", err)
	}
}
