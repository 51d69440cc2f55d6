// Package bitrix24 writes leads, contacts, deals, tasks and timeline
// comments to Bitrix24 through an inbound webhook (REST API). The
// webhook's URL holds its secret code: it is never put in an error, a log
// line or a step's output.
package bitrix24

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes/connectors"
)

const vendor = "Bitrix24"

// Entity types of Bitrix24's CRM.
const (
	EntityLead    = "lead"
	EntityContact = "contact"
	EntityDeal    = "deal"
)

// Webhook is a parsed inbound webhook URL.
type Webhook struct {
	// base is scheme://host/rest/<user>/<code>/ (secret).
	base string
	code string
	// UserID is the Bitrix24 user the webhook acts as.
	UserID string
}

var (
	webhookUser = regexp.MustCompile(`^[0-9]+$`)
	webhookCode = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	fieldID     = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// ErrWebhookURL is the plain-language problem of a malformed webhook URL
// (it never repeats the URL, which is secret).
var ErrWebhookURL = errors.New("is not a Bitrix24 inbound webhook URL (like https://your.bitrix24.com/rest/1/abc123/)")

// ParseWebhook reads an inbound webhook URL as Bitrix24 shows it
// (https://<portal>/rest/<user id>/<code>/), also when a method name was
// pasted after it.
func ParseWebhook(raw string) (Webhook, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Webhook{}, ErrWebhookURL
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	i := slices.Index(parts, "rest")
	if i < 0 || len(parts) < i+3 || !webhookUser.MatchString(parts[i+1]) || !webhookCode.MatchString(parts[i+2]) {
		return Webhook{}, ErrWebhookURL
	}
	base := u.Scheme + "://" + u.Host + "/" + strings.Join(parts[:i+3], "/") + "/"
	return Webhook{base: base, code: parts[i+2], UserID: parts[i+1]}, nil
}

// Client calls one Bitrix24 portal through an inbound webhook.
type Client struct {
	Webhook Webhook
	// HTTPClient defaults to connectors.DefaultClient.
	HTTPClient *http.Client
}

// New returns a client of the webhook URL.
func New(webhookURL string, hc *http.Client) (*Client, error) {
	w, err := ParseWebhook(webhookURL)
	if err != nil {
		return nil, connectors.Invalidf("the account's webhook URL %v", err)
	}
	return &Client{Webhook: w, HTTPClient: hc}, nil
}

// Person is a lead or contact keyed by email.
type Person struct {
	Email     string
	FirstName string
	LastName  string
	Phone     string
	// Company is a lead's COMPANY_TITLE (contacts link companies by id).
	Company string
	// OwnerID is ASSIGNED_BY_ID, a Bitrix24 user id ("" = the webhook's
	// user).
	OwnerID string
	// Fields are other field ids, user fields UF_CRM_* (upper case).
	Fields map[string]any
	// IdempotencyKey is sent as a header (Bitrix24 ignores it).
	IdempotencyKey string
}

// Deal is a deal of a contact or lead.
type Deal struct {
	Title string
	// EntityType is EntityContact or EntityLead; EntityID its id.
	EntityType string
	EntityID   string
	Value      float64
	Currency   string
	// StageID is e.g. NEW or C1:NEW ("" = the pipeline's first stage).
	StageID        string
	OwnerID        string
	IdempotencyKey string
}

// Task is a task bound to a CRM item.
type Task struct {
	Title       string
	Description string
	Deadline    time.Time
	// ResponsibleID defaults to the webhook's user (Bitrix24 needs one).
	ResponsibleID  string
	EntityType     string
	EntityID       string
	IdempotencyKey string
}

// Comment is a timeline comment on a lead, contact or deal.
type Comment struct {
	EntityType     string
	EntityID       string
	Text           string
	IdempotencyKey string
}

// bitrixError is the error envelope {"error", "error_description"}.
type bitrixError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

var tags = regexp.MustCompile(`<[^>]*>`)

func parseError(body []byte) (code, message string) {
	var e bitrixError
	if json.Unmarshal(body, &e) != nil || (e.Error == "" && e.Description == "") {
		return connectors.GenericError(body)
	}
	msg := strings.TrimSpace(tags.ReplaceAllString(e.Description, " "))
	switch e.Error {
	case "NO_AUTH_FOUND", "INVALID_CREDENTIALS", "expired_token", "invalid_token":
		msg += " (the inbound webhook URL is wrong, or the webhook was deleted: create one and update the account)"
	case "insufficient_scope", "ACCESS_DENIED":
		msg += " (the inbound webhook lacks a permission: edit it in Bitrix24 and tick CRM, and Tasks for tasks)"
	}
	return e.Error, msg
}

// transient are the error codes Bitrix24 may answer with 200 or 4xx that
// mean "later": the portal's request limit or a busy server.
var transient = map[string]bool{"QUERY_LIMIT_EXCEEDED": true, "OPERATION_TIME_LIMIT": true, "INTERNAL_SERVER_ERROR": true}

// scrubbed hides the webhook code in an error's text, keeping the error
// for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

func (c *Client) scrub(err error) error {
	if err == nil || c.Webhook.code == "" {
		return err
	}
	var he *connectors.HTTPError
	if errors.As(err, &he) {
		he.Message = strings.ReplaceAll(he.Message, c.Webhook.code, "…")
	}
	if msg := err.Error(); strings.Contains(msg, c.Webhook.code) {
		return &scrubbed{msg: strings.ReplaceAll(msg, c.Webhook.code, "…"), err: err}
	}
	return err
}

// call runs one REST method and decodes its "result" into out.
// key, when set, is sent as the Idempotency-Key header.
func (c *Client) call(ctx context.Context, method, key string, params any, out any) error {
	return c.scrub(c.do(ctx, method, key, params, out))
}

func (c *Client) do(ctx context.Context, method, key string, params any, out any) error {
	if c.Webhook.base == "" {
		return connectors.Invalidf("the Bitrix24 webhook URL is not set")
	}
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	h := connectors.JSONHeader()
	if key != "" {
		h.Set(connectors.IdempotencyHeader, key)
	}
	resp, err := connectors.Do(ctx, connectors.Request{Vendor: vendor, Client: c.HTTPClient, Method: http.MethodPost,
		URL: c.Webhook.base + method + ".json", Header: h, Body: body, ParseError: parseError})
	if err != nil {
		var he *connectors.HTTPError
		if errors.As(err, &he) && transient[he.Code] {
			he.Transient = true
		}
		return err
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		bitrixError
	}
	if err := connectors.DecodeJSON(vendor, resp.Body, &env); err != nil {
		return err
	}
	if env.Error != "" || env.Description != "" {
		// Bitrix24 sometimes reports an error with 200 (and often with an
		// empty code).
		code, msg := parseError(resp.Body)
		return &connectors.HTTPError{Vendor: vendor, Status: resp.Status, Code: code, Message: msg, Transient: transient[code]}
	}
	if len(env.Result) == 0 || string(env.Result) == "null" {
		return connectors.Payloadf(vendor, "the answer of %s has no result", method)
	}
	if out == nil {
		return nil
	}
	return connectors.DecodeJSON(vendor, env.Result, out)
}

// idOf reads a created item's id: an integer, or a string of digits.
func idOf(raw json.RawMessage) (string, error) {
	s := strings.Trim(string(raw), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
		return "", connectors.Payloadf(vendor, "the answer has no item id")
	}
	return s, nil
}

func checkEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, "<> ") {
		return "", connectors.Invalidf("%q is not an email address Bitrix24 can find a person by", email)
	}
	return email, nil
}

func numeric(what, v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, connectors.Invalidf("the Bitrix24 %s %q is not a number", what, v)
	}
	return n, nil
}

// Find returns the lowest id of the entity ("LEAD" or "CONTACT") with this
// email (crm.duplicate.findbycomm).
func (c *Client) Find(ctx context.Context, entity, email string) (string, bool, error) {
	email, err := checkEmail(email)
	if err != nil {
		return "", false, err
	}
	var raw json.RawMessage
	if err := c.call(ctx, "crm.duplicate.findbycomm", "", map[string]any{"type": "EMAIL", "values": []string{email}, "entity_type": entity}, &raw); err != nil {
		return "", false, err
	}
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		return "", false, nil // nothing found is an empty array
	}
	var found map[string][]json.Number
	if err := connectors.DecodeJSON(vendor, raw, &found); err != nil {
		return "", false, err
	}
	var best int64
	for _, n := range found[entity] {
		if id, err := n.Int64(); err == nil && id > 0 && (best == 0 || id < best) {
			best = id
		}
	}
	if best == 0 {
		return "", false, nil
	}
	return strconv.FormatInt(best, 10), true, nil
}

// personFields are the fields of a lead or contact. Without create, the
// email and phone are left out: Bitrix24 adds, not replaces, values of
// multi-value fields on update.
func personFields(p Person, email string, create bool) (map[string]any, error) {
	f := map[string]any{}
	for name, v := range p.Fields {
		id := strings.ToUpper(strings.TrimSpace(name))
		if !fieldID.MatchString(id) {
			return nil, connectors.Invalidf("the custom field %q is not a Bitrix24 field id (like UF_CRM_1700000000 or SOURCE_DESCRIPTION)", name)
		}
		f[id] = v
	}
	for k, v := range map[string]string{"NAME": p.FirstName, "LAST_NAME": p.LastName} {
		if v = strings.TrimSpace(v); v != "" {
			f[k] = v
		}
	}
	if p.OwnerID != "" {
		n, err := numeric("user id", p.OwnerID)
		if err != nil {
			return nil, err
		}
		f["ASSIGNED_BY_ID"] = n
	}
	if create {
		f["EMAIL"] = []map[string]string{{"VALUE": email, "VALUE_TYPE": "WORK"}}
		if ph := strings.TrimSpace(p.Phone); ph != "" {
			f["PHONE"] = []map[string]string{{"VALUE": ph, "VALUE_TYPE": "WORK"}}
		}
		f["OPENED"] = "Y"
	}
	return f, nil
}

// upsert finds the lead or contact by email and updates it, or adds one.
func (c *Client) upsert(ctx context.Context, entity string, p Person, extra func(f map[string]any, create bool)) (string, bool, error) {
	email, err := checkEmail(p.Email)
	if err != nil {
		return "", false, err
	}
	if _, err := personFields(p, email, true); err != nil {
		return "", false, err // a bad field id or owner: refused before any call
	}
	found, ok, err := c.Find(ctx, strings.ToUpper(entity), email)
	if err != nil {
		return "", false, err
	}
	fields, _ := personFields(p, email, !ok)
	extra(fields, !ok)
	if ok {
		if len(fields) > 0 {
			if err := c.call(ctx, "crm."+entity+".update", p.IdempotencyKey, map[string]any{"id": found, "fields": fields, "params": map[string]string{"REGISTER_SONET_EVENT": "Y"}}, nil); err != nil {
				return "", false, err
			}
		}
		return found, false, nil
	}
	var raw json.RawMessage
	if err := c.call(ctx, "crm."+entity+".add", p.IdempotencyKey, map[string]any{"fields": fields, "params": map[string]string{"REGISTER_SONET_EVENT": "Y"}}, &raw); err != nil {
		return "", false, err
	}
	id, err := idOf(raw)
	return id, err == nil, err
}

// UpsertContact updates the contact with p.Email, or adds one (searched
// first, so a retry finds the contact it added).
func (c *Client) UpsertContact(ctx context.Context, p Person) (string, bool, error) {
	return c.upsert(ctx, EntityContact, p, func(map[string]any, bool) {})
}

// UpsertLead updates the lead with p.Email, or adds one titled with the
// person's name.
func (c *Client) UpsertLead(ctx context.Context, p Person) (string, bool, error) {
	return c.upsert(ctx, EntityLead, p, func(f map[string]any, create bool) {
		if co := strings.TrimSpace(p.Company); co != "" {
			f["COMPANY_TITLE"] = co
		}
		if create {
			if _, set := f["TITLE"]; !set {
				f["TITLE"] = cmpOr(strings.TrimSpace(p.FirstName+" "+p.LastName), strings.TrimSpace(p.Email))
			}
			if _, set := f["SOURCE_ID"]; !set {
				f["SOURCE_ID"] = "WEB"
			}
		}
	})
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// CreateDeal adds a deal of a contact or lead and returns its id.
func (c *Client) CreateDeal(ctx context.Context, d Deal) (string, error) {
	title := strings.TrimSpace(d.Title)
	if title == "" {
		return "", connectors.Invalidf("the deal needs a title")
	}
	f := map[string]any{"TITLE": title}
	if d.EntityID != "" {
		id, err := numeric(d.EntityType+" id", d.EntityID)
		if err != nil {
			return "", err
		}
		switch d.EntityType {
		case EntityContact:
			f["CONTACT_IDS"] = []int64{id}
		case EntityLead:
			f["LEAD_ID"] = id
		default:
			return "", connectors.Invalidf("a Bitrix24 deal belongs to a contact or lead, not a %q", d.EntityType)
		}
	}
	if d.Value != 0 {
		f["OPPORTUNITY"] = d.Value
	}
	if cur := strings.ToUpper(strings.TrimSpace(d.Currency)); cur != "" {
		f["CURRENCY_ID"] = cur
	}
	if d.StageID != "" {
		f["STAGE_ID"] = d.StageID
	}
	if d.OwnerID != "" {
		n, err := numeric("user id", d.OwnerID)
		if err != nil {
			return "", err
		}
		f["ASSIGNED_BY_ID"] = n
	}
	var raw json.RawMessage
	if err := c.call(ctx, "crm.deal.add", d.IdempotencyKey, map[string]any{"fields": f, "params": map[string]string{"REGISTER_SONET_EVENT": "Y"}}, &raw); err != nil {
		return "", err
	}
	return idOf(raw)
}

// taskPrefixes bind a task to a CRM item in UF_CRM_TASK.
var taskPrefixes = map[string]string{EntityLead: "L_", EntityContact: "C_", EntityDeal: "D_"}

// CreateTask adds a task (tasks.task.add) and returns its id.
func (c *Client) CreateTask(ctx context.Context, t Task) (string, error) {
	title := strings.TrimSpace(t.Title)
	if title == "" {
		return "", connectors.Invalidf("the task needs a title")
	}
	responsible := cmpOr(t.ResponsibleID, c.Webhook.UserID)
	rid, err := numeric("user id", responsible)
	if err != nil {
		return "", err
	}
	f := map[string]any{"TITLE": title, "RESPONSIBLE_ID": rid}
	if d := strings.TrimSpace(t.Description); d != "" {
		f["DESCRIPTION"] = d
	}
	if !t.Deadline.IsZero() {
		f["DEADLINE"] = t.Deadline.UTC().Format(time.RFC3339)
	}
	if t.EntityID != "" {
		prefix, ok := taskPrefixes[t.EntityType]
		if !ok {
			return "", connectors.Invalidf("a Bitrix24 task is bound to a lead, contact or deal, not a %q", t.EntityType)
		}
		id, err := numeric(t.EntityType+" id", t.EntityID)
		if err != nil {
			return "", err
		}
		f["UF_CRM_TASK"] = []string{prefix + strconv.FormatInt(id, 10)}
	}
	var out struct {
		Task struct {
			ID json.RawMessage `json:"id"`
		} `json:"task"`
	}
	if err := c.call(ctx, "tasks.task.add", t.IdempotencyKey, map[string]any{"fields": f}, &out); err != nil {
		return "", err
	}
	return idOf(out.Task.ID)
}

// AddComment adds a comment to a lead's, contact's or deal's timeline
// (crm.timeline.comment.add) and returns its id.
func (c *Client) AddComment(ctx context.Context, cm Comment) (string, error) {
	if strings.TrimSpace(cm.Text) == "" {
		return "", connectors.Invalidf("the note is empty")
	}
	if _, ok := taskPrefixes[cm.EntityType]; !ok {
		return "", connectors.Invalidf("a Bitrix24 timeline comment goes on a lead, contact or deal, not a %q", cm.EntityType)
	}
	id, err := numeric(cm.EntityType+" id", cm.EntityID)
	if err != nil {
		return "", err
	}
	var raw json.RawMessage
	fields := map[string]any{"ENTITY_ID": id, "ENTITY_TYPE": cm.EntityType, "COMMENT": cm.Text}
	if err := c.call(ctx, "crm.timeline.comment.add", cm.IdempotencyKey, map[string]any{"fields": fields}, &raw); err != nil {
		return "", err
	}
	return idOf(raw)
}

// Profile returns the webhook user's name (the harmless "profile" call).
func (c *Client) Profile(ctx context.Context) (string, error) {
	var out struct {
		ID       json.RawMessage `json:"ID"`
		Name     string          `json:"NAME"`
		LastName string          `json:"LAST_NAME"`
	}
	if err := c.call(ctx, "profile", "", map[string]any{}, &out); err != nil {
		return "", err
	}
	if _, err := idOf(out.ID); err != nil {
		return "", connectors.Payloadf(vendor, "the profile answer has no user")
	}
	return strings.TrimSpace(out.Name + " " + out.LastName), nil
}
