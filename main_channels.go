package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/chatpresets"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/storage"
)

// secretKeyEnv holds the base64 key that encrypts credentials. It has no
// flag on purpose: a secret on the command line shows in process lists.
const secretKeyEnv = "JOURNEY_SECRET_KEY"

// dataDir is where the generated secret key lives: --data-dir, else the
// SQLite file's directory, else ./data.
func dataDir(c config) string {
	if c.DataDir != "" {
		return c.DataDir
	}
	if path, ok := strings.CutPrefix(c.DB, "sqlite://"); ok {
		if dir := filepath.Dir(path); dir != "" {
			return dir
		}
	}
	return "data"
}

// publicURL is --public-url, else the listen address over plain HTTP.
func publicURL(c config) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	addr := c.Addr
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	return "http://" + addr
}

// openChannels loads (or on first start generates) the secret key and
// builds the message outbox and credential store.
func openChannels(c config, store *storage.Store, logger *slog.Logger, metrics *engine.Metrics) (*channels.Service, error) {
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("bad --public-url %q: use a URL like https://journeys.example.com", c.PublicURL)
		}
	}
	dir := dataDir(c)
	key, created, err := storage.LoadOrCreateSecretKey(os.Getenv(secretKeyEnv), dir)
	if err != nil {
		return nil, fmt.Errorf("secret key (%s or %s): %w", secretKeyEnv, filepath.Join(dir, storage.SecretKeyFile), err)
	}
	if created {
		logger.Warn("generated a new secret key for credentials; back it up, or set "+secretKeyEnv,
			"path", filepath.Join(dir, storage.SecretKeyFile))
	}
	accounts, web := channels.VendorAccounts(channels.AccountOptions{HTTPAllowPrivate: c.HTTPAllowPrivate})
	return channels.New(channels.Config{Store: store, SecretKey: key, PublicURL: publicURL(c), Logger: logger,
		Connectors: channels.VendorConnectors(publicURL(c), c.HTTPAllowPrivate), Accounts: accounts, HTTP: web, Metrics: metrics,
		SMTPAllowPrivate: c.HTTPAllowPrivate, OAuthClient: httpreq.GuardedHTTPClient(c.HTTPAllowPrivate, connectors.DefaultTimeout)})
}

// registry is every node type, with trigger.webhook's chat platform
// presets wired to their parsers.
func registry() *nodes.Registry {
	reg := nodes.Builtin()
	reg.SetWebhookPresets(chatpresets.WebhookPresets())
	return reg
}
