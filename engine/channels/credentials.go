package channels

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
	"github.com/journeyhq/journey/nodes/connectors/hubspot"
	"github.com/journeyhq/journey/nodes/connectors/mailchimp"
	"github.com/journeyhq/journey/nodes/connectors/pipedrive"
	"github.com/journeyhq/journey/nodes/connectors/slack"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"

	"github.com/journeyhq/journey/storage"
)

// Credential kinds of the message channels and provider webhooks; the
// vendor connectors' kinds come from nodes.Connectors.
const (
	KindSMTP            = "smtp"
	KindTwilio          = "twilio"
	KindWhatsApp        = "whatsapp"
	KindSendGridWebhook = "sendgrid_webhook"
	KindMailgunWebhook  = "mailgun_webhook"
	KindPostmarkWebhook = "postmark_webhook"
)

// Credential kinds of the vendor connectors this package's tests use.
const (
	KindHubSpot   = hubspot.Kind
	KindPipedrive = pipedrive.Kind
	KindMailchimp = mailchimp.Kind
	KindSlack     = slack.Kind
	KindHTTP      = httpreq.Kind
)

// Field types of credential fields.
const (
	FieldString = nodes.FieldString
	FieldNumber = nodes.FieldNumber
	FieldBool   = nodes.FieldBool
)

// FieldSpec declares one value of a credential kind.
type FieldSpec = nodes.CredentialField

// KindSpec declares a credential kind.
type KindSpec struct {
	Kind   string      `json:"kind"`
	Title  string      `json:"title"`
	Fields []FieldSpec `json:"fields"`
	// Provides says what a vendor's accounts can do (crm, lists, ...);
	// empty for the channels' kinds.
	Provides []nodes.Capability `json:"provides,omitempty"`
	// OAuth is true for kinds connected with Settings' Connect button.
	OAuth bool `json:"oauth"`
	// oauth is how they connect.
	oauth *nodes.OAuthSpec
	// validate checks the values as a whole (connectors' Validate).
	validate func(map[string]string) map[string]string
	// test proves an opened account works (connectors' Test).
	test func(context.Context, nodes.Account) error
	open func(map[string]string, nodes.ConnectorEnv) (nodes.Account, error)
}

var (
	str      = connectors.Text
	secret   = connectors.Secret
	baseURL  = connectors.BaseURL
	checkURL = connectors.CheckURL
)

// SMTP security modes.
const (
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// messageKinds are the credential kinds of the message channels and
// provider webhooks, in display order.
var messageKinds = []KindSpec{
	{Kind: KindSMTP, Title: "SMTP server", Fields: []FieldSpec{
		{Name: "host", Label: "Host", Required: true, Type: FieldString, Description: "The SMTP server, e.g. smtp.sendgrid.net."},
		{Name: "port", Label: "Port", Required: true, Type: FieldNumber, Default: 587, Description: "587 for STARTTLS, 465 for TLS."},
		{Name: "security", Label: "Security", Type: FieldString, Default: SecurityStartTLS,
			Enum: []string{SecurityStartTLS, SecurityTLS, SecurityNone}, Description: "starttls (port 587), tls (port 465) or none (local relays only)."},
		str("username", "Username", false, "The SMTP user (apikey for SendGrid)."),
		secret("password", "Password", false, "The SMTP password or API key."),
		{Name: "from_email", Label: "From address", Required: true, Type: FieldString, Description: "The sender address.", Check: connectors.CheckEmail},
		str("from_name", "From name", false, "The sender name people see."),
		{Name: "reply_to", Label: "Reply-to address", Type: FieldString, Description: "Where replies go.", Check: connectors.CheckEmail},
	}},
	{Kind: KindTwilio, Title: "Twilio (SMS)", Fields: twilio.CredentialFields},
	{Kind: KindWhatsApp, Title: "WhatsApp Cloud API", Fields: whatsapp.CredentialFields},
	{Kind: KindSendGridWebhook, Title: "SendGrid event webhook", Fields: emailevents.SendGridFields},
	{Kind: KindMailgunWebhook, Title: "Mailgun webhook", Fields: emailevents.MailgunFields},
	{Kind: KindPostmarkWebhook, Title: "Postmark webhook", Fields: emailevents.PostmarkFields},
}

// Kinds returns the catalogue of credential kinds: the channels', then
// every registered vendor connector's.
func Kinds() []KindSpec {
	out := slices.Clone(messageKinds)
	for _, c := range nodes.Connectors() {
		out = append(out, KindSpec{Kind: c.Kind, Title: c.Title, Fields: c.Fields, Provides: c.Provides, OAuth: c.OAuth != nil, oauth: c.OAuth,
			validate: c.Validate, test: c.Test, open: c.Open})
	}
	return out
}

// kindSpec returns the declaration of kind.
func kindSpec(kind string) (*KindSpec, bool) {
	for _, k := range Kinds() {
		if k.Kind == kind {
			return &k, true
		}
	}
	return nil, false
}

// InputError is a bad credential or request, in plain words (HTTP 400).
type InputError struct {
	Message string
	// Details maps a field name to what is wrong with it.
	Details map[string]string
}

func (e *InputError) Error() string { return e.Message }

// CredentialInput is a credential to create or update.
type CredentialInput struct {
	Name   string
	Kind   string
	Fields map[string]any
}

// CredentialView is a credential as the API shows it: never its secrets.
type CredentialView struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Kind       string         `json:"kind"`
	Fields     map[string]any `json:"fields"`
	SecretsSet []string       `json:"secrets_set"`
	// Connection is set for kinds connected with Connect (OAuth).
	Connection *ConnectionView `json:"connection,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// TestResult is the outcome of a credential check.
type TestResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// split checks in against its kind and splits it into plain fields and
// secrets. prev holds the stored secrets (an update keeps a secret left
// out or empty).
func split(in CredentialInput, prev map[string]string) (*KindSpec, map[string]any, map[string]string, error) {
	spec, ok := kindSpec(in.Kind)
	if !ok {
		all := Kinds()
		names := make([]string, len(all))
		for i, k := range all {
			names[i] = k.Kind
		}
		return nil, nil, nil, &InputError{Message: fmt.Sprintf("%q is not a credential kind; use one of %s.", in.Kind, strings.Join(names, ", "))}
	}
	if strings.TrimSpace(in.Name) == "" {
		return nil, nil, nil, &InputError{Message: "Give the credential a name.", Details: map[string]string{"name": "required"}}
	}
	details := map[string]string{}
	known := map[string]bool{}
	fields := map[string]any{}
	secrets := map[string]string{}
	for _, f := range spec.Fields {
		known[f.Name] = true
		raw, given := in.Fields[f.Name]
		val, err := fieldString(f, raw)
		if err != nil {
			details[f.Name] = err.Error()
			continue
		}
		if f.Secret {
			if !given || val == "" {
				val = prev[f.Name]
			}
			if val != "" {
				secrets[f.Name] = val
			}
		} else if val == "" && f.Default != nil {
			val = fmt.Sprint(f.Default)
		}
		if val == "" {
			if f.Required {
				details[f.Name] = "is required"
			}
			continue
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, val) {
			details[f.Name] = fmt.Sprintf("must be one of %s", strings.Join(f.Enum, ", "))
			continue
		}
		if f.Check != nil {
			if err := f.Check(val); err != nil {
				details[f.Name] = err.Error()
				continue
			}
		}
		if !f.Secret {
			fields[f.Name] = typed(f, val)
		}
	}
	for name := range in.Fields {
		if !known[name] {
			details[name] = "is not a field of " + in.Kind + " credentials"
		}
	}
	if spec.validate != nil {
		values := map[string]string{}
		for k, v := range fields {
			values[k] = fmt.Sprint(v)
		}
		maps.Copy(values, secrets)
		maps.Copy(details, spec.validate(values))
	}
	if len(details) > 0 {
		names := make([]string, 0, len(details))
		for n := range details {
			names = append(names, n)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + " " + details[n]
		}
		return nil, nil, nil, &InputError{Message: "The credential is not valid: " + strings.Join(parts, "; ") + ".", Details: details}
	}
	return spec, fields, secrets, nil
}

// fieldString reads a JSON value of a field as text.
func fieldString(f FieldSpec, raw any) (string, error) {
	switch v := raw.(type) {
	case nil:
		return "", nil
	case string:
		v = strings.TrimSpace(v)
		switch f.Type {
		case FieldNumber:
			if v != "" {
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					return "", errors.New("must be a number")
				}
			}
		case FieldBool:
			if v != "" {
				if _, err := strconv.ParseBool(v); err != nil {
					return "", errors.New("must be true or false")
				}
			}
		}
		return v, nil
	case float64:
		if f.Type == FieldString && !f.Secret {
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		}
		if f.Type != FieldNumber {
			return "", fmt.Errorf("must be %s", article(f.Type))
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case json.Number:
		if f.Type == FieldBool {
			return "", errors.New("must be true or false")
		}
		return v.String(), nil
	case bool:
		if f.Type != FieldBool {
			return "", fmt.Errorf("must be %s", article(f.Type))
		}
		return strconv.FormatBool(v), nil
	}
	return "", fmt.Errorf("must be %s", article(f.Type))
}

func article(typ string) string {
	switch typ {
	case FieldNumber:
		return "a number"
	case FieldBool:
		return "true or false"
	}
	return "text"
}

// typed turns a checked value back into its JSON type.
func typed(f FieldSpec, v string) any {
	switch f.Type {
	case FieldNumber:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
	case FieldBool:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return v
}

func (s *Service) view(c *storage.Credential) (CredentialView, error) {
	v := CredentialView{ID: c.ID, Name: c.Name, Kind: c.Kind, Fields: map[string]any{}, SecretsSet: []string{},
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Fields != "" {
		if err := json.Unmarshal([]byte(c.Fields), &v.Fields); err != nil {
			return v, fmt.Errorf("credential %s fields: %w", c.ID, err)
		}
	}
	secrets, err := s.secrets(c)
	if err != nil {
		return v, err
	}
	for name := range secrets {
		if !isConnectionSecret(name) {
			v.SecretsSet = append(v.SecretsSet, name)
		}
	}
	slices.Sort(v.SecretsSet)
	if spec, ok := kindSpec(c.Kind); ok && spec.oauth != nil {
		v.Connection = connectionView(spec.Title, secrets)
	}
	return v, nil
}

// secrets opens a credential's sealed secrets.
func (s *Service) secrets(c *storage.Credential) (map[string]string, error) {
	out := map[string]string{}
	if c.Secrets == "" {
		return out, nil
	}
	plain, err := s.box.Open(c.Secrets, c.ID)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("credential %s secrets: %w", c.ID, err)
	}
	return out, nil
}

func (s *Service) seal(id string, secrets map[string]string) (string, error) {
	if len(secrets) == 0 {
		return "", nil
	}
	b, err := json.Marshal(secrets)
	if err != nil {
		return "", err
	}
	return s.box.Seal(b, id)
}

// CreateCredential stores a new credential.
func (s *Service) CreateCredential(ctx context.Context, in CredentialInput) (CredentialView, error) {
	_, fields, secrets, err := split(in, nil)
	if err != nil {
		return CredentialView{}, err
	}
	now := s.now().UTC()
	c := &storage.Credential{ID: newID(), Name: strings.TrimSpace(in.Name), Kind: in.Kind, Fields: mustJSON(fields),
		CreatedAt: now, UpdatedAt: now}
	if c.Secrets, err = s.seal(c.ID, secrets); err != nil {
		return CredentialView{}, err
	}
	if err := s.store.Write(ctx, func(tx storage.Tx) error { return storage.InsertCredential(tx, c) }); err != nil {
		return CredentialView{}, err
	}
	return s.view(c)
}

// UpdateCredential replaces a credential's name and values; a secret left
// out or empty keeps its stored value. The kind cannot change.
func (s *Service) UpdateCredential(ctx context.Context, id string, in CredentialInput) (CredentialView, error) {
	c, err := storage.GetCredential(s.store.Reader().WithContext(ctx), id)
	if err != nil {
		return CredentialView{}, err
	}
	if in.Kind == "" {
		in.Kind = c.Kind
	}
	if in.Kind != c.Kind {
		return CredentialView{}, &InputError{Message: fmt.Sprintf("A %s credential cannot become a %s one; create a new credential instead.", c.Kind, in.Kind)}
	}
	prev, err := s.secrets(c)
	if err != nil {
		return CredentialView{}, err
	}
	spec, fields, secrets, err := split(in, prev)
	if err != nil {
		return CredentialView{}, err
	}
	if err := secretsForNewAddress(spec, c.Fields, fields, in, prev); err != nil {
		return CredentialView{}, err
	}
	if spec.oauth != nil {
		maps.Copy(secrets, keptConnection(prev, c.Fields, fields, secrets))
	}
	c.Name, c.Fields, c.UpdatedAt = strings.TrimSpace(in.Name), mustJSON(fields), s.now().UTC()
	if c.Secrets, err = s.seal(c.ID, secrets); err != nil {
		return CredentialView{}, err
	}
	if err := s.store.Write(ctx, func(tx storage.Tx) error { return storage.SaveCredential(tx, c) }); err != nil {
		return CredentialView{}, err
	}
	return s.view(c)
}

// addressFields are the fields that say where a credential's secrets are
// sent.
var addressFields = []string{"base_url", "host", "company_domain", "login_url", "data_centre", "accounts_url"}

// secretsForNewAddress refuses an update that moves a credential to
// another address while keeping its stored secrets: whoever changes the
// address must know the secrets, or could have them sent to their server.
func secretsForNewAddress(spec *KindSpec, storedFields string, fields map[string]any, in CredentialInput, prev map[string]string) error {
	old := map[string]any{}
	_ = json.Unmarshal([]byte(storedFields), &old)
	var moved []string
	for _, name := range addressFields {
		before := strings.TrimSpace(fmt.Sprint(cmp.Or(old[name], any(""))))
		after := strings.TrimSpace(fmt.Sprint(cmp.Or(fields[name], any(""))))
		if !strings.EqualFold(before, after) {
			moved = append(moved, name)
		}
	}
	if len(moved) == 0 {
		return nil
	}
	var missing []string
	for _, f := range spec.Fields {
		given, _ := fieldString(f, in.Fields[f.Name])
		if f.Secret && prev[f.Name] != "" && given == "" {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	details := map[string]string{}
	for _, m := range missing {
		details[m] = "enter it again"
	}
	return &InputError{Message: fmt.Sprintf("The address (%s) changed, so enter %s again: stored secrets are only sent to the address they were saved for.",
		strings.Join(moved, ", "), strings.Join(missing, ", ")), Details: details}
}

// DeleteCredential removes a credential. Steps that name it then fail
// with a clear reason (and fall back to the next channel).
func (s *Service) DeleteCredential(ctx context.Context, id string) error {
	return s.store.Write(ctx, func(tx storage.Tx) error { return storage.DeleteCredential(tx, id) })
}

// ListCredentials returns every credential, without secrets.
func (s *Service) ListCredentials(ctx context.Context) ([]CredentialView, error) {
	cs, err := storage.ListCredentials(s.store.Reader().WithContext(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]CredentialView, 0, len(cs))
	for i := range cs {
		v, err := s.view(&cs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetCredential returns one credential, without secrets.
func (s *Service) GetCredential(ctx context.Context, id string) (CredentialView, error) {
	c, err := storage.GetCredential(s.store.Reader().WithContext(ctx), id)
	if err != nil {
		return CredentialView{}, err
	}
	return s.view(c)
}

// open loads a credential and all its values as text, secrets included.
func (s *Service) open(ctx context.Context, id string) (*storage.Credential, map[string]string, error) {
	c, err := storage.GetCredential(s.store.Reader().WithContext(ctx), id)
	if err != nil {
		return nil, nil, err
	}
	values, err := s.secrets(c)
	if err != nil {
		return nil, nil, err
	}
	fields := map[string]any{}
	_ = json.Unmarshal([]byte(c.Fields), &fields)
	for k, v := range fields {
		values[k] = fmt.Sprint(v)
	}
	return c, values, nil
}

// TestCredential checks a credential: SMTP connects and signs in; other
// kinds check their values (no vendor call is made for them yet).
func (s *Service) TestCredential(ctx context.Context, id string) (TestResult, error) {
	c, values, err := s.open(ctx, id)
	if err != nil {
		if errors.Is(err, storage.ErrUnseal) {
			return TestResult{OK: false, Message: err.Error()}, nil
		}
		return TestResult{}, err
	}
	spec, _ := kindSpec(c.Kind)
	in := CredentialInput{Name: c.Name, Kind: c.Kind, Fields: map[string]any{}}
	for k, v := range values {
		if !isConnectionSecret(k) { // kept by Connect, not entered
			in.Fields[k] = v
		}
	}
	if _, _, _, err := split(in, nil); err != nil {
		return TestResult{OK: false, Message: err.Error()}, nil
	}
	if c.Kind == KindSMTP {
		if err := s.testSMTP(ctx, values); err != nil {
			return TestResult{OK: false, Message: "Could not sign in to the SMTP server: " + err.Error()}, nil
		}
		return TestResult{OK: true, Message: fmt.Sprintf("Connected to %s and signed in.", values["host"])}, nil
	}
	if spec.test != nil {
		acc, err := s.Account(ctx, id)
		if err == nil {
			err = spec.test(ctx, acc)
		}
		if err != nil {
			return TestResult{OK: false, Message: fmt.Sprintf("Could not reach %s with this account: %v", spec.Title, err)}, nil
		}
		return TestResult{OK: true, Message: fmt.Sprintf("Connected to %s.", spec.Title)}, nil
	}
	return TestResult{OK: true, Message: fmt.Sprintf("The %s values are complete and well-formed; no connection was tried for this kind.", spec.Title)}, nil
}
