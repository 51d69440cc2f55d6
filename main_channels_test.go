package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstStartGeneratesTheSecretKeyNextToTheDatabase(t *testing.T) {
	t.Parallel()
	if os.Getenv(secretKeyEnv) != "" {
		t.Skip(secretKeyEnv + " is set in this environment, so no key file is generated")
	}
	dir := filepath.Join(t.TempDir(), "data")
	db := "sqlite://" + filepath.Join(dir, "app.db")
	if out, code := runCLI(t, "import", "--db", db, "flows/templates/chat-lead-qualification.json"); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v (mode %v), want a 0600 file next to app.db", err, st.Mode().Perm())
	}
}

func TestPublicURLAndDataDirDefaults(t *testing.T) {
	t.Parallel()
	if got := publicURL(config{Addr: "127.0.0.1:9000"}); got != "http://127.0.0.1:9000" {
		t.Errorf("publicURL = %q", got)
	}
	if got := publicURL(config{PublicURL: "https://j.example.com/"}); got != "https://j.example.com" {
		t.Errorf("publicURL = %q", got)
	}
	if got := dataDir(config{DB: "sqlite:///var/lib/journey/app.db"}); got != "/var/lib/journey" {
		t.Errorf("dataDir = %q", got)
	}
	if got := dataDir(config{DB: "postgres://x"}); got != "data" {
		t.Errorf("dataDir = %q", got)
	}
	_, err := openChannels(config{PublicURL: "journeys.example.com"}, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Errorf("a public URL without scheme: %v", err)
	}
}
