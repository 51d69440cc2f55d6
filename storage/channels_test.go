package storage_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

func TestSQLiteChannels(t *testing.T) {
	t.Parallel()
	storagetest.ExerciseChannels(t, openSQLite)
}

func TestPostgresChannels(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("TEST_POSTGRES_DSN is not set")
	}
	storagetest.ExerciseChannels(t, func(t *testing.T) *storage.Store {
		return openPostgresDSN(t, storagetest.PostgresDSN(t))
	})
}

func TestSecretKeyIsGeneratedOnceWithMode0600(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	k1, created, err := storage.LoadOrCreateSecretKey("", dir)
	if err != nil || !created || len(k1) != storage.SecretKeySize {
		t.Fatalf("first start: %d bytes, created %v, %v", len(k1), created, err)
	}
	st, err := os.Stat(filepath.Join(dir, storage.SecretKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	k2, created, err := storage.LoadOrCreateSecretKey("", dir)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second start: created %v, same key %v, %v", created, bytes.Equal(k1, k2), err)
	}
	fromEnv := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	k3, created, err := storage.LoadOrCreateSecretKey(fromEnv, t.TempDir())
	if err != nil || created || k3[0] != 7 {
		t.Fatalf("key from the environment: %v, created %v", err, created)
	}
	if _, _, err := storage.LoadOrCreateSecretKey("dG9vIHNob3J0", dir); !errors.Is(err, storage.ErrBadSecretKey) {
		t.Fatalf("a short key: %v, want ErrBadSecretKey", err)
	}
}

func TestSecretBoxSealsPerOwner(t *testing.T) {
	t.Parallel()
	box, err := storage.NewSecretBox(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte("hunter2"), "cred-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(sealed), []byte("hunter2")) {
		t.Fatal("the sealed value shows the secret")
	}
	if got, err := box.Open(sealed, "cred-1"); err != nil || string(got) != "hunter2" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := box.Open(sealed, "cred-2"); !errors.Is(err, storage.ErrUnseal) {
		t.Fatalf("open for another owner: %v, want ErrUnseal", err)
	}
	other, _ := storage.NewSecretBox(bytes.Repeat([]byte{2}, 32))
	if _, err := other.Open(sealed, "cred-1"); !errors.Is(err, storage.ErrUnseal) {
		t.Fatalf("open with another key: %v, want ErrUnseal", err)
	}
}

func TestSQLiteFileIsPrivateWhenItsFolderExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // exists already, like ./data on a second install
	path := filepath.Join(dir, "app.db")
	s, err := storage.Open(t.Context(), "sqlite://"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("app.db: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
}
