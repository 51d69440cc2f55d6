// Package klaviyo saves profiles, list membership, email marketing
// consent and profile properties through Klaviyo's JSON:API (revision
// header required on every call).
package klaviyo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "Klaviyo"

// Revision is the API revision this client is written against, sent in
// the revision header.
const Revision = "2026-07-15"

// DefaultBaseURL is Klaviyo's API host.
const DefaultBaseURL = "https://a.klaviyo.com"

const mediaType = "application/vnd.api+json"

// Client calls one Klaviyo account with a private API key.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is the private key (pk_…), sent as
	// "Authorization: Klaviyo-API-Key <key>".
	APIKey string
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// Profile is a person to create or update, found by email (or phone,
// external id).
type Profile struct {
	Email        string
	Phone        string // E.164
	ExternalID   string
	FirstName    string
	LastName     string
	Organization string
	TimeZone     string
	// Properties are custom profile properties, merged into existing ones.
	Properties map[string]any
	// AppendProps and UnappendProps add values to and remove values from
	// array properties (Klaviyo's meta.patch_properties).
	AppendProps   map[string][]string
	UnappendProps map[string][]string
}

func (c *Client) do(ctx context.Context, method, path string, in any) (*connectors.Response, error) {
	if strings.TrimSpace(c.APIKey) == "" {
		return nil, connectors.Invalidf("the Klaviyo private API key is not set")
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	h := http.Header{
		"Authorization": {"Klaviyo-API-Key " + strings.TrimSpace(c.APIKey)},
		"Revision":      {Revision},
		"Accept":        {mediaType},
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
		h.Set("Content-Type", mediaType)
	}
	return connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: method, URL: base + path,
		Header: h, Body: body, ParseError: parseError})
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e
}

// resource is a JSON:API resource object.
type resource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Meta       map[string]any `json:"meta,omitempty"`
}

type document struct {
	Data resource `json:"data"`
}

// UpsertProfile creates the profile or updates the one with the same
// email, phone or external id (POST /api/profile-import). It returns the
// profile id and whether it was created (201) rather than updated (200).
func (c *Client) UpsertProfile(ctx context.Context, p Profile) (string, bool, error) {
	email := strings.TrimSpace(p.Email)
	if email == "" && p.Phone == "" && p.ExternalID == "" {
		return "", false, connectors.Invalidf("Klaviyo needs an email, a phone or an external id to find the profile by")
	}
	if email != "" && !validEmail(email) {
		return "", false, connectors.Invalidf("%q is not an email address Klaviyo accepts", p.Email)
	}
	attrs := map[string]any{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			attrs[k] = v
		}
	}
	set("email", email)
	set("phone_number", p.Phone)
	set("external_id", p.ExternalID)
	set("first_name", p.FirstName)
	set("last_name", p.LastName)
	set("organization", p.Organization)
	if tz := strings.TrimSpace(p.TimeZone); tz != "" {
		attrs["location"] = map[string]any{"timezone": tz}
	}
	if len(p.Properties) > 0 {
		attrs["properties"] = p.Properties
	}
	r := resource{Type: "profile", Attributes: attrs}
	patch := map[string]any{}
	if len(p.AppendProps) > 0 {
		patch["append"] = p.AppendProps
	}
	if len(p.UnappendProps) > 0 {
		patch["unappend"] = p.UnappendProps
	}
	if len(patch) > 0 {
		r.Meta = map[string]any{"patch_properties": patch}
	}
	resp, err := c.do(ctx, http.MethodPost, "/api/profile-import", document{Data: r})
	if err != nil {
		return "", false, err
	}
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", false, err
	}
	if out.Data.ID == "" {
		return "", false, connectors.Invalidf("Klaviyo saved the profile but sent no id back")
	}
	return out.Data.ID, resp.Status == http.StatusCreated, nil
}

// Subscribe gives the address email marketing consent and adds it to the
// list (POST /api/profile-subscription-bulk-create-jobs, an asynchronous
// job Klaviyo accepts with 202). If the list has double opt-in switched
// on, Klaviyo emails a confirmation first. This also lifts an earlier
// unsubscribe, so call it only for people who just agreed.
func (c *Client) Subscribe(ctx context.Context, listID, email, source string) error {
	email = strings.TrimSpace(email)
	if !validEmail(email) {
		return connectors.Invalidf("%q is not an email address Klaviyo accepts", email)
	}
	if strings.TrimSpace(listID) == "" {
		return connectors.Invalidf("choose a Klaviyo list")
	}
	attrs := map[string]any{
		"profiles": map[string]any{"data": []resource{{Type: "profile", Attributes: map[string]any{
			"email":         email,
			"subscriptions": map[string]any{"email": map[string]any{"marketing": map[string]any{"consent": "SUBSCRIBED"}}},
		}}}},
		"historical_import": false,
	}
	if source != "" {
		attrs["custom_source"] = source
	}
	body := map[string]any{"data": map[string]any{
		"type":          "profile-subscription-bulk-create-job",
		"attributes":    attrs,
		"relationships": map[string]any{"list": map[string]any{"data": map[string]any{"type": "list", "id": strings.TrimSpace(listID)}}},
	}}
	_, err := c.do(ctx, http.MethodPost, "/api/profile-subscription-bulk-create-jobs", body)
	return err
}

// listProfiles is the body of the list relationship calls.
func listProfiles(ids ...string) map[string]any {
	data := make([]resource, len(ids))
	for i, id := range ids {
		data[i] = resource{Type: "profile", ID: id}
	}
	return map[string]any{"data": data}
}

// AddToList puts profiles on a list without touching their consent
// (POST /api/lists/{id}/relationships/profiles, 204).
func (c *Client) AddToList(ctx context.Context, listID string, profileIDs ...string) error {
	if strings.TrimSpace(listID) == "" || len(profileIDs) == 0 {
		return connectors.Invalidf("adding to a Klaviyo list needs a list and a profile")
	}
	_, err := c.do(ctx, http.MethodPost, "/api/lists/"+url.PathEscape(strings.TrimSpace(listID))+"/relationships/profiles", listProfiles(profileIDs...))
	return err
}

// RemoveFromList takes profiles off a list, leaving their consent as it is
// (DELETE /api/lists/{id}/relationships/profiles, 204).
func (c *Client) RemoveFromList(ctx context.Context, listID string, profileIDs ...string) error {
	if strings.TrimSpace(listID) == "" || len(profileIDs) == 0 {
		return connectors.Invalidf("removing from a Klaviyo list needs a list and a profile")
	}
	_, err := c.do(ctx, http.MethodDelete, "/api/lists/"+url.PathEscape(strings.TrimSpace(listID))+"/relationships/profiles", listProfiles(profileIDs...))
	return err
}

// FindProfile returns the id of the profile with this email, "" when
// there is none (GET /api/profiles?filter=equals(email,"…")).
func (c *Client) FindProfile(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if !validEmail(email) {
		return "", connectors.Invalidf("%q is not an email address Klaviyo accepts", email)
	}
	q := url.Values{"filter": {`equals(email,"` + strings.ReplaceAll(email, `"`, `\"`) + `")`}, "fields[profile]": {"email"}}
	resp, err := c.do(ctx, http.MethodGet, "/api/profiles?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &out); err != nil {
		return "", err
	}
	if len(out.Data) == 0 {
		return "", nil
	}
	return out.Data[0].ID, nil
}

// Event is one event to record on a profile.
type Event struct {
	Email string
	// Metric is the event's name, e.g. "Chat lead captured".
	Metric     string
	Properties map[string]any
	// Value is a monetary value (0: none).
	Value float64
	Time  time.Time
	// UniqueID makes Klaviyo keep only the first event with this id for
	// the same profile and metric (our idempotency key).
	UniqueID string
}

// CreateEvent records the event on the profile with this email, creating
// the profile when new (POST /api/events, 202).
func (c *Client) CreateEvent(ctx context.Context, e Event) error {
	email := strings.TrimSpace(e.Email)
	if !validEmail(email) {
		return connectors.Invalidf("%q is not an email address Klaviyo accepts", e.Email)
	}
	metric := strings.TrimSpace(e.Metric)
	if metric == "" || len(metric) >= 128 {
		return connectors.Invalidf("a Klaviyo event needs a name shorter than 128 characters")
	}
	props := e.Properties
	if props == nil {
		props = map[string]any{}
	}
	attrs := map[string]any{
		"properties": props,
		"metric":     map[string]any{"data": resource{Type: "metric", Attributes: map[string]any{"name": metric}}},
		"profile":    map[string]any{"data": resource{Type: "profile", Attributes: map[string]any{"email": email}}},
	}
	if !e.Time.IsZero() {
		attrs["time"] = e.Time.UTC().Format(time.RFC3339)
	}
	if e.Value != 0 {
		attrs["value"] = e.Value
	}
	if e.UniqueID != "" {
		attrs["unique_id"] = e.UniqueID
	}
	_, err := c.do(ctx, http.MethodPost, "/api/events", document{Data: resource{Type: "event", Attributes: attrs}})
	return err
}

// Ping reads one list (GET /api/lists): it proves the key works and may
// read lists, changing nothing.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodGet, "/api/lists?"+url.Values{"fields[list]": {"name"}}.Encode(), nil)
	return err
}

// parseError reads JSON:API errors: the first error's code, and its
// detail (with the field it points at).
func parseError(body []byte) (string, string) {
	var e struct {
		Errors []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Source struct {
				Pointer string `json:"pointer"`
			} `json:"source"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return connectors.GenericError(body)
	}
	first := e.Errors[0]
	msg := first.Detail
	if msg == "" {
		msg = first.Title
	}
	if first.Source.Pointer != "" {
		msg += " (" + first.Source.Pointer + ")"
	}
	return first.Code, msg
}
