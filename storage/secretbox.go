package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecretKeySize is the size of the key that seals credentials (AES-256).
const SecretKeySize = 32

// SecretKeyFile is the name of the generated key file in the data directory.
const SecretKeyFile = "secret.key"

// ErrBadSecretKey reports a key that is not base64 of 32 bytes.
var ErrBadSecretKey = errors.New("the secret key must be 32 bytes, base64-encoded (e.g. from `openssl rand -base64 32`)")

// ParseSecretKey decodes a base64 key of SecretKeySize bytes.
func ParseSecretKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == SecretKeySize {
			return k, nil
		}
	}
	return nil, ErrBadSecretKey
}

// LoadOrCreateSecretKey returns the key from value (base64) when it is set;
// otherwise it reads dir/secret.key, creating it with a random key and
// mode 0600 on first start. created reports a new file.
func LoadOrCreateSecretKey(value, dir string) (key []byte, created bool, err error) {
	if strings.TrimSpace(value) != "" {
		k, err := ParseSecretKey(value)
		return k, false, err
	}
	path := filepath.Join(dir, SecretKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		k, err := ParseSecretKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read secret key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create data directory: %w", err)
	}
	k := make([]byte, SecretKeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, false, fmt.Errorf("generate secret key: %w", err)
	}
	// O_EXCL: two processes starting together never overwrite each
	// other's key; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateSecretKey("", dir)
	}
	if err != nil {
		return nil, false, fmt.Errorf("create secret key: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("write secret key: %w", werr)
	}
	return k, true, nil
}

// SecretBox seals and opens values with AES-256-GCM. A sealed value is
// base64 of nonce || ciphertext || tag; additional data binds it to its
// owner (a credential id), so a sealed value copied to another row does
// not open.
type SecretBox struct{ aead cipher.AEAD }

// NewSecretBox returns a box for a SecretKeySize key.
func NewSecretBox(key []byte) (*SecretBox, error) {
	if len(key) != SecretKeySize {
		return nil, ErrBadSecretKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts plaintext bound to owner.
func (b *SecretBox) Seal(plaintext []byte, owner string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, plaintext, []byte(owner))
	return base64.StdEncoding.EncodeToString(out), nil
}

// ErrUnseal reports a sealed value that does not open with this key.
var ErrUnseal = errors.New("the stored secrets cannot be decrypted: the secret key differs from the one they were saved with")

// Open decrypts a value sealed for owner.
func (b *SecretBox) Open(sealed, owner string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, ErrUnseal
	}
	n := b.aead.NonceSize()
	out, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(owner))
	if err != nil {
		return nil, ErrUnseal
	}
	return out, nil
}
