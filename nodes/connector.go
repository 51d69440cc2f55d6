package nodes

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// A Connector declares one vendor account kind: the credential fields a
// user fills in, the clients its values open, and how to check them. Each
// vendor lives in its own folder under nodes/connectors and registers its
// Connector from an init function; nodes/connectors/all imports them all
// (one line per vendor), as Caddy's standard modules do.
type Connector struct {
	// Kind is the credential kind stored with the account, e.g. "hubspot".
	// Never renamed once shipped.
	Kind string
	// Title is the vendor's name as marketers know it.
	Title string
	// Provides lists what the opened Account can do; steps offer the
	// account where they need one of these.
	Provides []Capability
	// Fields are the values a user enters, in display order.
	Fields []CredentialField
	// Validate checks the values as a whole (e.g. "one of two fields"),
	// after each field passed its own checks; it returns field name →
	// problem. Nil: nothing beyond the fields.
	Validate func(values map[string]string) map[string]string
	// Open turns the stored values (secrets included) into clients.
	Open func(values map[string]string, env ConnectorEnv) (Account, error)
	// Test makes a harmless call that proves the account works (signed
	// in, right permissions). Nil: the values are only checked.
	Test func(ctx context.Context, acc Account) error
	// Docs is Markdown for the reference: what the vendor's steps do, how
	// to get the values, what to watch out for.
	Docs string
	// OAuth is set for vendors whose accounts connect through the OAuth
	// 2.0 authorization-code flow (Settings' Connect button); the tokens
	// are kept as the credential's secrets.
	OAuth *OAuthSpec
}

// OAuthSpec says how a vendor's accounts connect with OAuth 2.0. The
// credential's values carry "client_id" and "client_secret".
type OAuthSpec struct {
	// Endpoints returns the authorize and token URLs for the credential's
	// values (a login host, a data centre).
	Endpoints func(values map[string]string) (authorizeURL, tokenURL string, err error)
	// Scopes are asked for on the authorize page.
	Scopes []string
	// AuthParams are extra query parameters of the authorize URL.
	AuthParams map[string]string
	// Keep lists members of the token answer the clients need, kept with
	// the tokens (Salesforce's instance_url, Zoho's api_domain).
	Keep []string
	// Identify names who connected (a username or email), for "Connected
	// to Salesforce as …", with the freshly connected account. Nil, or an
	// error: no name is shown.
	Identify func(ctx context.Context, acc Account) (string, error)
}

// SecretsUpdater changes the stored secrets of the credential being
// opened (e.g. OAuth tokens a client refreshed). update receives the
// stored values, read afresh while no other update of the credential
// runs, and returns the secrets to change ("" deletes one; none: no
// change); the values after the change are returned. An error from
// update stores nothing and is returned.
type SecretsUpdater func(ctx context.Context, update func(values map[string]string) (map[string]string, error)) (map[string]string, error)

// Capability is something a vendor account can do.
type Capability string

// Capabilities of accounts, each an Account field.
const (
	// ProvidesCRM: Account.CRM (crm.* steps can save there).
	ProvidesCRM Capability = "crm"
	// ProvidesContacts: Account.People (crm.upsert_contact can save the
	// person there). Every CRM (ProvidesCRM) provides it too.
	ProvidesContacts Capability = "contacts"
	// ProvidesLists: Account.Lists (list.add and list.remove).
	ProvidesLists Capability = "lists"
	// ProvidesTags: Account.Tags (contact.tag).
	ProvidesTags Capability = "tags"
	// ProvidesEvents: Account.Events (contact.track_event).
	ProvidesEvents Capability = "events"
	// ProvidesSlack: Account.Slack (notify.slack).
	ProvidesSlack Capability = "slack"
	// ProvidesHTTP: Account.HTTP (http.request with an account).
	ProvidesHTTP Capability = "http"
)

// CredentialField declares one value of a credential kind.
type CredentialField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Secret      bool   `json:"secret"`
	Required    bool   `json:"required"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
	// Enum lists the allowed values, when limited.
	Enum []string `json:"enum,omitempty"`
	// Check validates a non-empty value (nil: any).
	Check func(string) error `json:"-"`
}

// Field types of credential fields.
const (
	FieldString = "string"
	FieldNumber = "number"
	FieldBool   = "bool"
)

// ConnectorEnv is what Open may use besides the account's values.
type ConnectorEnv struct {
	// HTTPClient makes the vendor calls: it carries the address guard
	// (or, in tests, a client that checks requests against the vendor's
	// spec).
	HTTPClient *http.Client
	// AllowPrivate lets clients that build their own transport reach
	// loopback and private addresses (the server's --http-allow-private).
	AllowPrivate bool
	// UpdateSecrets stores changed secrets of the credential opened (nil
	// when the values are not a stored credential's).
	UpdateSecrets SecretsUpdater
}

var connectorRegistry struct {
	sync.RWMutex
	list []Connector
}

// RegisterConnector adds a vendor. It panics on a programmer error (no
// kind, title or Open; a kind registered twice), so a bad registration
// fails at start-up, not on a user's first step.
func RegisterConnector(c Connector) {
	if c.Kind == "" || c.Title == "" || c.Open == nil {
		panic(fmt.Sprintf("nodes: connector %q needs a kind, a title and Open", c.Kind))
	}
	connectorRegistry.Lock()
	defer connectorRegistry.Unlock()
	for _, have := range connectorRegistry.list {
		if have.Kind == c.Kind {
			panic(fmt.Sprintf("nodes: connector %q registered twice", c.Kind))
		}
	}
	connectorRegistry.list = append(connectorRegistry.list, c)
}

// Connectors returns the registered vendors by name (not in registration
// order, which follows Go's package initialisation and moves when a
// connector's imports change).
func Connectors() []Connector {
	connectorRegistry.RLock()
	list := slices.Clone(connectorRegistry.list)
	connectorRegistry.RUnlock()
	slices.SortStableFunc(list, func(a, b Connector) int {
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	return list
}

// ConnectorFor returns the vendor of a credential kind.
func ConnectorFor(kind string) (Connector, bool) {
	connectorRegistry.RLock()
	defer connectorRegistry.RUnlock()
	for _, c := range connectorRegistry.list {
		if c.Kind == kind {
			return c, true
		}
	}
	return Connector{}, false
}

// connectorKinds lists the kinds of the registered vendors that can do
// what, by name.
func connectorKinds(what Capability) []string {
	var kinds []string
	for _, c := range Connectors() {
		if slices.Contains(c.Provides, what) || (what == ProvidesContacts && slices.Contains(c.Provides, ProvidesCRM)) {
			kinds = append(kinds, c.Kind)
		}
	}
	return kinds
}

// kindTitle is the display name of a credential kind.
func kindTitle(kind string) string {
	if c, ok := ConnectorFor(kind); ok {
		return c.Title
	}
	if t, ok := channelKindTitles[kind]; ok {
		return t
	}
	return kind
}

// titles says "HubSpot, Pipedrive or Salesforce" (last: "or", "and").
func titles(kinds []string, last string) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = kindTitle(k)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + last + " " + names[len(names)-1]
}
