package channels

import (
	"context"
	"errors"
	"net/http"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	_ "github.com/journeyhq/journey/nodes/connectors/all" // every vendor registers itself
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/storage"
)

// AccountFunc builds the vendor clients of a credential kind from the
// credential's values (secrets included); update stores changed secrets
// (refreshed OAuth tokens) of the credential.
type AccountFunc func(values map[string]string, update nodes.SecretsUpdater) (nodes.Account, error)

// AccountOptions configure VendorAccounts.
type AccountOptions struct {
	// HTTPAllowPrivate lets http.request and the vendor clients (base
	// URLs, Slack webhook URLs) reach loopback, private and link-local
	// addresses (self-hosted services, mocks; tests).
	HTTPAllowPrivate bool
	// VendorClient is the *http.Client of the HubSpot, Pipedrive,
	// Mailchimp and Slack clients (nil: one with the address guard); tests
	// pass one that checks requests against the vendor's spec.
	VendorClient *http.Client
}

// VendorAccounts returns the account builders of every registered vendor
// connector (nodes.Connectors) by credential kind, and the client that
// makes http.request calls without a credential.
func VendorAccounts(o AccountOptions) (map[string]AccountFunc, nodes.HTTPCaller) {
	plain := httpreq.Caller(httpreq.New(httpreq.Options{AllowPrivate: o.HTTPAllowPrivate}))
	if o.VendorClient == nil {
		// A user can point a vendor's base URL anywhere: the same address
		// guard as http.request applies.
		o.VendorClient = httpreq.GuardedHTTPClient(o.HTTPAllowPrivate, connectors.DefaultTimeout)
	}
	env := nodes.ConnectorEnv{HTTPClient: o.VendorClient, AllowPrivate: o.HTTPAllowPrivate}
	builders := map[string]AccountFunc{}
	for _, c := range nodes.Connectors() {
		builders[c.Kind] = func(v map[string]string, update nodes.SecretsUpdater) (nodes.Account, error) {
			e := env
			e.UpdateSecrets = update
			return c.Open(v, e)
		}
	}
	return builders, plain
}

// Account implements nodes.Accounts.
func (s *Service) Account(ctx context.Context, id string) (nodes.Account, error) {
	if id == "" {
		if s.cfg.HTTP == nil {
			return nodes.Account{}, nodes.Permanentf("web requests are not available in this build")
		}
		return nodes.Account{HTTP: s.cfg.HTTP}, nil
	}
	c, values, err := s.open(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nodes.Account{}, nodes.Permanentf("the account %q no longer exists", id)
	}
	if err != nil {
		if errors.Is(err, storage.ErrUnseal) {
			return nodes.Account{}, nodes.Permanent(err)
		}
		return nodes.Account{}, err
	}
	acc := nodes.Account{}
	if build := s.cfg.Accounts[c.Kind]; build != nil {
		if acc, err = build(values, s.updater(c.ID)); err != nil {
			return nodes.Account{}, nodes.Permanentf("the account %q: %v", c.Name, err)
		}
	}
	acc.ID, acc.Name, acc.Kind = c.ID, c.Name, c.Kind
	return acc, nil
}

// Interface guards.
var _ nodes.Accounts = (*Service)(nil)
