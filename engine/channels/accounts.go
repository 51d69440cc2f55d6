package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/nodes/connectors/hubspot"
	"github.com/journeyhq/journey/nodes/connectors/mailchimp"
	"github.com/journeyhq/journey/nodes/connectors/pipedrive"
	"github.com/journeyhq/journey/nodes/connectors/slack"
	"github.com/journeyhq/journey/storage"
)

// AccountFunc builds the vendor clients of a credential kind from the
// credential's values (secrets included).
type AccountFunc func(values map[string]string) (nodes.Account, error)

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

// VendorAccounts returns the account builders of the hubspot, pipedrive,
// mailchimp, slack and http credential kinds, and the client that makes
// http.request calls without a credential.
func VendorAccounts(o AccountOptions) (map[string]AccountFunc, nodes.HTTPCaller) {
	web := httpreq.New(httpreq.Options{AllowPrivate: o.HTTPAllowPrivate})
	plain := httpCaller{c: web}
	if o.VendorClient == nil {
		// A user can point a vendor's base URL anywhere: the same address
		// guard as http.request applies.
		o.VendorClient = httpreq.GuardedHTTPClient(o.HTTPAllowPrivate, connectors.DefaultTimeout)
	}
	return map[string]AccountFunc{
		KindHubSpot: func(v map[string]string) (nodes.Account, error) {
			return nodes.Account{CRM: hubspotCRM{c: &hubspot.Client{BaseURL: v["base_url"], AccessToken: v["access_token"], HTTPClient: o.VendorClient}}}, nil
		},
		KindPipedrive: func(v map[string]string) (nodes.Account, error) {
			base := v["base_url"]
			if base == "" && v["company_domain"] != "" {
				base = "https://" + strings.TrimSuffix(strings.TrimSpace(v["company_domain"]), ".pipedrive.com") + ".pipedrive.com"
			}
			return nodes.Account{CRM: pipedriveCRM{c: &pipedrive.Client{BaseURL: base, APIToken: v["api_token"], HTTPClient: o.VendorClient}}}, nil
		},
		KindMailchimp: func(v map[string]string) (nodes.Account, error) {
			return nodes.Account{Lists: mailchimpLists{c: &mailchimp.Client{BaseURL: v["base_url"], APIKey: v["api_key"], HTTPClient: o.VendorClient},
				defaultList: strings.TrimSpace(v["list_id"])}}, nil
		},
		KindSlack: func(v map[string]string) (nodes.Account, error) {
			if v["webhook_url"] == "" {
				return nodes.Account{}, nil // bot tokens are not used by notify.slack
			}
			return nodes.Account{Slack: slackPoster{w: &slack.Webhook{URL: v["webhook_url"], HTTPClient: o.VendorClient}}}, nil
		},
		KindHTTP: func(v map[string]string) (nodes.Account, error) {
			base, err := url.Parse(strings.TrimSpace(v["base_url"]))
			if err != nil || base.Host == "" {
				return nodes.Account{}, errors.New("the account's base URL is not a valid address")
			}
			return nodes.Account{HTTP: httpCaller{c: web, base: base, authHeader: strings.TrimSpace(v["auth_header"]), authValue: v["auth_value"]}}, nil
		},
	}, plain
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
		if acc, err = build(values); err != nil {
			return nodes.Account{}, nodes.Permanentf("the account %q: %v", c.Name, err)
		}
	}
	acc.ID, acc.Name, acc.Kind = c.ID, c.Name, c.Kind
	return acc, nil
}

// numericID returns s when it is a vendor's numeric id (owners, stages),
// else "": our built-in owners and stages are names, which vendors refuse.
func numericID(s string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return ""
	}
	return s
}

// hubspotCRM writes to HubSpot. Contacts are upserted by email (batch
// upsert, so a retry updates the same contact); deals, tasks and notes
// have no idempotency key at HubSpot, so a retry after a lost answer may
// create a second one.
type hubspotCRM struct{ c *hubspot.Client }

func (h hubspotCRM) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	props := map[string]string{}
	for k, v := range in.Fields {
		props[k] = fmt.Sprint(v)
	}
	id, created, err := h.c.UpsertContact(ctx, hubspot.Contact{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Phone: in.Phone, Company: in.Company, Properties: props, IdempotencyKey: key})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (h hubspotCRM) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	d := hubspot.Deal{Name: in.Title, ContactID: in.ContactID, IdempotencyKey: key, Properties: map[string]string{}}
	if in.Stage != "" && in.Stage != "new" { // "new" is our default, not a HubSpot stage id
		d.Stage = in.Stage
	}
	if in.Value != 0 {
		d.Amount = strconv.FormatFloat(in.Value, 'f', -1, 64)
	}
	if in.Currency != "" {
		d.Properties["deal_currency_code"] = in.Currency
	}
	if o := numericID(in.Owner); o != "" {
		d.Properties["hubspot_owner_id"] = o
	}
	id, err := h.c.CreateDeal(ctx, d)
	return id, connectors.NodeError(err)
}

func (h hubspotCRM) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	due := in.DueAt
	if due.IsZero() {
		due = time.Now() // HubSpot tasks need a due time
	}
	body := in.Notes
	if in.Owner != "" && numericID(in.Owner) == "" {
		body = strings.TrimSpace(body + "\n\nOwner: " + in.Owner)
	}
	id, err := h.c.CreateTask(ctx, hubspot.Task{Subject: in.Title, Body: body, Due: due, OwnerID: numericID(in.Owner),
		ContactID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (h hubspotCRM) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	id, err := h.c.CreateNote(ctx, hubspot.Note{Body: noteHTML(in), ContactID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

// noteHTML renders a note as the HTML both CRMs store: escaped text with
// line breaks kept, and its source.
func noteHTML(in nodes.NoteInput) string {
	body := strings.ReplaceAll(html.EscapeString(in.Body), "\n", "<br>")
	if in.Source != "" {
		body += "<br><br><i>Source: " + html.EscapeString(in.Source) + "</i>"
	}
	return body
}

// pipedriveCRM writes to Pipedrive. Persons are searched by email before
// one is created (Pipedrive has no upsert; the search is exact-match on
// email), so a retry finds the person it created. Deals, activities and
// notes have no idempotency key at Pipedrive: a retry after a lost answer
// may create a second one.
type pipedriveCRM struct{ c *pipedrive.Client }

func (p pipedriveCRM) Upsert(ctx context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	name := strings.TrimSpace(in.FirstName + " " + in.LastName)
	id, created, err := p.c.FindOrCreatePerson(ctx, pipedrive.Person{Name: name, Email: in.Email, Phone: in.Phone, IdempotencyKey: key})
	if err != nil {
		return nodes.ContactRef{}, connectors.NodeError(err)
	}
	return nodes.ContactRef{ID: id, Created: created}, nil
}

func (p pipedriveCRM) CreateDeal(ctx context.Context, key string, in nodes.DealInput) (string, error) {
	d := pipedrive.Deal{Title: in.Title, PersonID: in.ContactID, Currency: in.Currency, StageID: numericID(in.Stage),
		OwnerID: numericID(in.Owner), IdempotencyKey: key}
	if in.Value != 0 {
		v := in.Value
		d.Value = &v
	}
	id, err := p.c.CreateDeal(ctx, d)
	return id, connectors.NodeError(err)
}

func (p pipedriveCRM) CreateTask(ctx context.Context, key string, in nodes.TaskInput) (string, error) {
	id, err := p.c.CreateActivity(ctx, pipedrive.Activity{Subject: in.Title, Type: "task", Due: in.DueAt, Note: in.Notes,
		PersonID: in.ContactID, OwnerID: numericID(in.Owner), IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (p pipedriveCRM) AddNote(ctx context.Context, key string, in nodes.NoteInput) (string, error) {
	id, err := p.c.CreateNote(ctx, pipedrive.Note{Content: noteHTML(in), PersonID: in.ContactID, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

// mailchimpLists writes audience members. Members are keyed by the MD5 of
// the lower-cased email (PUT upsert) and tags are set, not added, so both
// are safe to retry.
type mailchimpLists struct {
	c           *mailchimp.Client
	defaultList string
}

func (m mailchimpLists) list(list string) (string, error) {
	if list = strings.TrimSpace(list); list != "" {
		return list, nil
	}
	if m.defaultList == "" {
		return "", nodes.Permanentf("choose a Mailchimp audience: the account has no default audience id")
	}
	return m.defaultList, nil
}

func (m mailchimpLists) Subscribe(ctx context.Context, key, list string, in nodes.ContactInput) (string, error) {
	list, err := m.list(list)
	if err != nil {
		return "", err
	}
	merge := map[string]any{}
	if in.FirstName != "" {
		merge["FNAME"] = in.FirstName
	}
	if in.LastName != "" {
		merge["LNAME"] = in.LastName
	}
	id, err := m.c.UpsertMember(ctx, list, mailchimp.Member{Email: in.Email, StatusIfNew: mailchimp.StatusSubscribed,
		MergeFields: merge, IdempotencyKey: key})
	return id, connectors.NodeError(err)
}

func (m mailchimpLists) Tag(ctx context.Context, _ string, list, email string, add, remove []string) error {
	list, err := m.list(list)
	if err != nil {
		return err
	}
	return connectors.NodeError(m.c.SetTags(ctx, list, email, add, remove))
}

// slackPoster posts to an incoming webhook. Slack webhooks have no
// idempotency key: a retry after a lost answer may post twice.
type slackPoster struct{ w *slack.Webhook }

func (s slackPoster) PostSlack(ctx context.Context, m nodes.SlackMessage) error {
	return connectors.NodeError(s.w.Post(ctx, slack.Message{Text: m.Text, Channel: m.Channel, Username: m.Username}))
}

// httpCaller makes http.request calls, adding an http credential's base
// URL and auth header. The credential is only sent to the credential's
// own host.
type httpCaller struct {
	c          *httpreq.Client
	base       *url.URL
	authHeader string
	authValue  string
}

func (h httpCaller) Call(ctx context.Context, r nodes.HTTPRequest) (nodes.HTTPResponse, error) {
	target := r.URL
	headers := map[string]string{}
	for k, v := range r.Headers {
		headers[k] = v
	}
	var secret []string
	if h.base != nil {
		u, err := h.resolve(target)
		if err != nil {
			return nodes.HTTPResponse{}, nodes.Permanent(err)
		}
		target = u
		if h.authHeader != "" && h.authValue != "" {
			headers[h.authHeader] = h.authValue
			secret = []string{h.authHeader}
		}
	}
	req := httpreq.Request{Method: r.Method, URL: target, Headers: headers, Timeout: r.Timeout, IdempotencyKey: r.IdempotencyKey, CredentialHeaders: secret}
	if r.Body != nil {
		req.JSON = json.RawMessage(r.Body)
	}
	resp, err := h.c.Do(ctx, req)
	if errors.Is(err, httpreq.ErrForbiddenTarget) {
		err = fmt.Errorf("%w (the server allows them with --http-allow-private)", err)
	}
	out := nodes.HTTPResponse{Status: resp.Status, Headers: resp.Headers, Body: resp.Body, JSON: resp.JSON}
	return out, connectors.NodeError(err)
}

// resolve puts a path under the base URL, and refuses an absolute address
// on another host (the credential would leak there).
func (h httpCaller) resolve(target string) (string, error) {
	if strings.HasPrefix(target, "/") {
		return strings.TrimRight(h.base.String(), "/") + target, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid address", target)
	}
	if !strings.EqualFold(u.Host, h.base.Host) || u.Scheme != h.base.Scheme {
		return "", fmt.Errorf("the address %s is not on %s://%s, the account's host, so the account's credentials are not sent there", u.Redacted(), h.base.Scheme, h.base.Host)
	}
	return target, nil
}

// Interface guards.
var (
	_ nodes.Accounts    = (*Service)(nil)
	_ nodes.CRMTarget   = hubspotCRM{}
	_ nodes.CRMTarget   = pipedriveCRM{}
	_ nodes.ListTarget  = mailchimpLists{}
	_ nodes.SlackPoster = slackPoster{}
	_ nodes.HTTPCaller  = httpCaller{}
)
