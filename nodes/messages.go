package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// Message node type ids.
const (
	TypeEmail    = "message.email"
	TypeSMS      = "message.sms"
	TypeWhatsApp = "message.whatsapp"
	TypeSend     = "message.send"
)

// Ports of the message node types.
const (
	PortSent   = "sent"
	PortFailed = "failed"
)

// Message param names.
const (
	paramCredential        = "credential"
	paramRecipient         = "to"
	paramSubject           = "subject"
	paramHTML              = "html"
	paramTrack             = "track"
	paramWATemplate        = "template_name"
	paramWALanguage        = "template_language"
	paramChannels          = "channels"
	paramEmailCredential   = "email_credential"
	paramSMSCredential     = "sms_credential"
	paramWACredential      = "whatsapp_credential"
	paramDeliveryTimeout   = "delivery_timeout"
	credentialKindSMTP     = "smtp"
	credentialKindTwilio   = "twilio"
	credentialKindWhatsApp = "whatsapp"
)

// EmailParams are message.email's params.
type EmailParams struct {
	// Credential is the id of an SMTP credential; empty keeps the message
	// in the sandbox outbox ("credential").
	Credential string `json:"credential,omitempty"`
	// To is a template giving the address; empty uses the contact's ("to").
	To string `json:"to,omitempty"`
	// Subject is a template ("subject").
	Subject string `json:"subject"`
	// Body is the plain-text template ("body").
	Body string `json:"body,omitempty"`
	// HTML is the HTML template ("html").
	HTML string `json:"html,omitempty"`
	// Track adds open and click tracking ("track").
	Track bool `json:"track"`
	// Attempts and RetryWithin bound the tries while the provider is
	// down ("attempts", "retry_within"; see Budget).
	Attempts    int            `json:"attempts,omitempty"`
	RetryWithin flows.Duration `json:"retry_within,omitempty"`
}

// SMSParams are message.sms's params.
type SMSParams struct {
	// Credential is the id of a Twilio credential ("credential").
	Credential string `json:"credential,omitempty"`
	// To is a template giving the number; empty uses the contact's ("to").
	To string `json:"to,omitempty"`
	// Body is the text template ("body").
	Body string `json:"body"`
	// Attempts and RetryWithin bound the tries while the provider is
	// down ("attempts", "retry_within"; see Budget).
	Attempts    int            `json:"attempts,omitempty"`
	RetryWithin flows.Duration `json:"retry_within,omitempty"`
}

// WhatsAppParams are message.whatsapp's params.
type WhatsAppParams struct {
	// Credential is the id of a WhatsApp credential ("credential").
	Credential string `json:"credential,omitempty"`
	// To is a template giving the number; empty uses the contact's ("to").
	To string `json:"to,omitempty"`
	// Body is the text template ("body").
	Body string `json:"body,omitempty"`
	// TemplateName is an approved WhatsApp template ("template_name").
	TemplateName string `json:"template_name,omitempty"`
	// TemplateLanguage is the template's language code ("template_language").
	TemplateLanguage string `json:"template_language,omitempty"`
	// Attempts and RetryWithin bound the tries while the provider is
	// down ("attempts", "retry_within"; see Budget).
	Attempts    int            `json:"attempts,omitempty"`
	RetryWithin flows.Duration `json:"retry_within,omitempty"`
}

// SendParams are message.send's params.
type SendParams struct {
	// Channels are tried in order ("channels").
	Channels []string `json:"channels"`
	// Subject is the email subject template ("subject").
	Subject string `json:"subject,omitempty"`
	// Body is the text template used on every channel ("body").
	Body string `json:"body"`
	// HTML is the email's HTML template ("html").
	HTML string `json:"html,omitempty"`
	// TemplateName and TemplateLanguage name a WhatsApp template
	// ("template_name", "template_language").
	TemplateName     string `json:"template_name,omitempty"`
	TemplateLanguage string `json:"template_language,omitempty"`
	// EmailCredential, SMSCredential and WhatsAppCredential are
	// credential ids; empty means the sandbox for that channel.
	EmailCredential    string `json:"email_credential,omitempty"`
	SMSCredential      string `json:"sms_credential,omitempty"`
	WhatsAppCredential string `json:"whatsapp_credential,omitempty"`
	// DeliveryTimeout, when set, waits that long for a delivery receipt
	// before trying the next channel ("delivery_timeout").
	DeliveryTimeout flows.Duration `json:"delivery_timeout,omitempty"`
	// Attempts and RetryWithin bound the tries while the provider is
	// down ("attempts", "retry_within"; see Budget).
	Attempts    int            `json:"attempts,omitempty"`
	RetryWithin flows.Duration `json:"retry_within,omitempty"`
}

func messagePorts() []flows.PortSpec {
	return []flows.PortSpec{{Name: PortSent, Label: "Sent"}, {Name: PortFailed, Label: "Not sent"}}
}

func credentialParam(name, label, kind string) flows.ParamSpec {
	return flows.ParamSpec{
		Name: name, Label: label, Kind: flows.KindCredential, CredentialKind: kind, Options: "credentials",
		WithoutAccount: flows.WithoutAccountSandbox,
		Description:    "The account to send with; leave empty to keep messages in the sandbox outbox (nothing is sent).",
	}
}

func recipientParam(desc, example string) flows.ParamSpec {
	return flows.ParamSpec{Name: paramRecipient, Label: "To", Kind: flows.KindTemplate, Description: desc, Example: example}
}

const policyNote = " The flow's messaging settings apply first: a contact who refused the channel is skipped, " +
	"quiet hours make the message wait, and a frequency cap skips or delays it."

func emailNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeEmail, Category: flows.CategoryMessage, Title: "Send email",
		Contact:     recipientUse(ChannelEmail),
		Description: "Sends an email to the contact over SMTP, with plain text and HTML, open and click tracking and a one-click unsubscribe link." + policyNote,
		Credential:  credentialKindSMTP,
		Waits:       true,
		Outputs:     messagePorts(),
		Params: append([]flows.ParamSpec{
			credentialParam(paramCredential, "Email account", credentialKindSMTP),
			recipientParam("The address to send to; the contact's email when empty.", "{{ contact.email }}"),
			{Name: paramSubject, Label: "Subject", Kind: flows.KindTemplate, Required: true,
				Description: "The subject line.", Example: "Welcome, {{ contact.first_name }}!"},
			{Name: paramBody, Label: "Text", Kind: flows.KindTemplate,
				Description: "The plain-text body (made from the HTML when empty).", Example: "Hi {{ contact.first_name }}, thanks for signing up."},
			{Name: paramHTML, Label: "HTML", Kind: flows.KindTemplate,
				Description: "The HTML body (made from the text when empty).", Example: "<p>Hi {{ contact.first_name }}, thanks for signing up.</p>"},
			{Name: paramTrack, Label: "Track opens and clicks", Kind: flows.KindBoolean, Default: true,
				Description: "Adds an open pixel and sends links through the click tracker."},
		}, budgetParams()...),
		Rules: []flows.Rule{emailBodyRule},
		Examples: []flows.Example{
			{Title: "Welcome email", Params: map[string]any{paramSubject: "Welcome, {{ contact.first_name }}!",
				paramBody: "Hi {{ contact.first_name }}, thanks for signing up."}},
		},
	}, runEmail)
	return remoteWithAccount(t)
}

// emailBodyRule requires a text or an HTML body.
func emailBodyRule(params map[string]any) []flows.Problem {
	if strings.TrimSpace(paramString(params, paramBody)) == "" && strings.TrimSpace(paramString(params, paramHTML)) == "" {
		return []flows.Problem{problem(codeMissingParam, paramBody, "Write the email's text or its HTML.")}
	}
	return nil
}

func smsNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeSMS, Category: flows.CategoryMessage, Title: "Send SMS",
		Contact:     recipientUse(ChannelSMS),
		Description: "Sends a text message to the contact's phone." + policyNote,
		Credential:  credentialKindTwilio,
		Waits:       true,
		Outputs:     messagePorts(),
		Params: append([]flows.ParamSpec{
			credentialParam(paramCredential, "SMS account", credentialKindTwilio),
			recipientParam("The phone number to send to; the contact's phone when empty.", "{{ contact.phone }}"),
			{Name: paramBody, Label: "Text", Kind: flows.KindTemplate, Required: true,
				Description: "The message.", Example: "Hi {{ contact.first_name }}, your demo is tomorrow at 10:00."},
		}, budgetParams()...),
		Examples: []flows.Example{
			{Title: "Reminder", Params: map[string]any{paramBody: "Hi {{ contact.first_name }}, your demo is tomorrow at 10:00."}},
		},
	}, runSMS)
	return remoteWithAccount(t)
}

func whatsAppNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeWhatsApp, Category: flows.CategoryMessage, Title: "Send WhatsApp message",
		Contact:     recipientUse(ChannelWhatsApp),
		Description: "Sends a WhatsApp message to the contact's phone: free text inside the 24-hour window, or an approved template." + policyNote,
		Credential:  credentialKindWhatsApp,
		Waits:       true,
		Outputs:     messagePorts(),
		Params: append([]flows.ParamSpec{
			credentialParam(paramCredential, "WhatsApp account", credentialKindWhatsApp),
			recipientParam("The phone number to send to; the contact's phone when empty.", "{{ contact.phone }}"),
			{Name: paramBody, Label: "Text", Kind: flows.KindTemplate,
				Description: "The message text (free-form messages only reach contacts who wrote in the last 24 hours).", Example: "Hi {{ contact.first_name }}!"},
			{Name: paramWATemplate, Label: "Template", Kind: flows.KindString,
				Description: "The name of an approved WhatsApp template to send instead of the text.", Example: "welcome_v2"},
			{Name: paramWALanguage, Label: "Template language", Kind: flows.KindString, Default: "en",
				Description: "The template's language code.", Example: "pt_BR"},
		}, budgetParams()...),
		Rules: []flows.Rule{whatsAppBodyRule},
		Examples: []flows.Example{
			{Title: "Template message", Params: map[string]any{paramWATemplate: "welcome_v2", paramWALanguage: "en"}},
		},
	}, runWhatsApp)
	return remoteWithAccount(t)
}

func whatsAppBodyRule(params map[string]any) []flows.Problem {
	if strings.TrimSpace(paramString(params, paramBody)) == "" && strings.TrimSpace(paramString(params, paramWATemplate)) == "" {
		return []flows.Problem{problem(codeMissingParam, paramBody, "Write the message's text or name an approved template.")}
	}
	return nil
}

func sendNode() *Type {
	t := define(flows.TypeSpec{
		Type: TypeSend, Category: flows.CategoryMessage, Title: "Send on the best channel",
		Contact: sendUse,
		Description: "Tries channels in order, e.g. WhatsApp, then SMS, then email: the next is tried when a channel fails, " +
			"cannot be used (no consent, no address), or, with a delivery wait, is not delivered in time. The run shows every attempt." + policyNote,
		Waits:   true,
		Outputs: messagePorts(),
		Params: append([]flows.ParamSpec{
			{Name: paramChannels, Label: "Channels, in order", Kind: flows.KindStringList, Required: true,
				Enum:        []string{ChannelWhatsApp, ChannelSMS, ChannelEmail},
				Description: "The channels to try, first choice first.", Example: []string{ChannelWhatsApp, ChannelSMS, ChannelEmail}},
			{Name: paramSubject, Label: "Email subject", Kind: flows.KindTemplate,
				Description: "The subject line when the message goes by email.", Example: "Your order {{ trigger.order_id }}"},
			{Name: paramBody, Label: "Text", Kind: flows.KindTemplate, Required: true,
				Description: "The message, on every channel.", Example: "Hi {{ contact.first_name }}, your order has shipped."},
			{Name: paramHTML, Label: "Email HTML", Kind: flows.KindTemplate,
				Description: "The HTML body when the message goes by email (made from the text when empty)."},
			{Name: paramWATemplate, Label: "WhatsApp template", Kind: flows.KindString,
				Description: "An approved WhatsApp template to send instead of the text on WhatsApp."},
			{Name: paramWALanguage, Label: "WhatsApp template language", Kind: flows.KindString, Default: "en",
				Description: "The template's language code."},
			credentialParam(paramWACredential, "WhatsApp account", credentialKindWhatsApp),
			credentialParam(paramSMSCredential, "SMS account", credentialKindTwilio),
			credentialParam(paramEmailCredential, "Email account", credentialKindSMTP),
			{Name: paramDeliveryTimeout, Label: "Wait for delivery", Kind: flows.KindDuration,
				Description: "How long to wait for a delivery receipt before trying the next channel; empty counts a message as done once it is sent.",
				Example:     "30m"},
		}, budgetParams()...),
		Rules: []flows.Rule{sendChannelsRule},
		Examples: []flows.Example{
			{Title: "WhatsApp, else SMS, else email", Params: map[string]any{
				paramChannels: []any{ChannelWhatsApp, ChannelSMS, ChannelEmail}, paramSubject: "Your order has shipped",
				paramBody: "Hi {{ contact.first_name }}, your order has shipped.", paramDeliveryTimeout: "30m",
			}},
		},
	}, runSend)
	return remoteWithAccount(t)
}

func sendChannelsRule(params map[string]any) []flows.Problem {
	seen := map[string]bool{}
	var probs []flows.Problem
	for _, ch := range paramStrings(params, paramChannels) {
		if ch != ChannelEmail && ch != ChannelSMS && ch != ChannelWhatsApp {
			probs = append(probs, problem(codeInvalidParam, paramChannels, "%q is not a channel: use whatsapp, sms or email.", ch))
			continue
		}
		if seen[ch] {
			probs = append(probs, problem(codeInvalidParam, paramChannels, "The channel %q is listed twice; list each channel once.", ch))
		}
		seen[ch] = true
	}
	return probs
}

// content is a message rendered for one contact.
type content struct {
	subject, text, html string
	template, language  string
	track               bool
	recipient           string // explicit recipient ("" = the contact's)
	credentialID, key   string
	channel             string
}

// bodies are the text and HTML the outbox keeps and the provider gets.
func (c content) bodies() (text, html string) {
	switch {
	case c.channel == ChannelWhatsApp && c.template != "" && c.text == "":
		return fmt.Sprintf("[WhatsApp template %s (%s)]", c.template, c.language), c.html
	case c.channel == ChannelEmail:
		return emailBodies(c.text, c.html)
	}
	return c.text, c.html
}

// render renders the named template params ("" names are skipped); the
// first that fails fails the step.
func render(in *Input, names ...string) ([]string, error) {
	out, errs := renderEach(in, names...)
	for _, name := range names {
		if err := errs[name]; err != nil {
			return nil, exprFailed(in, name, err)
		}
	}
	return out, nil
}

// renderEach renders the named template params ("" names are skipped) and
// returns the errors by param name: the engine's send and the preview
// share it.
func renderEach(in *Input, names ...string) ([]string, map[string]error) {
	out := make([]string, len(names))
	var errs map[string]error
	for i, name := range names {
		if name == "" || strings.TrimSpace(paramString(in.Node.Params, name)) == "" {
			continue
		}
		renderFunc := in.Node.Render
		if name == paramHTML {
			renderFunc = in.Node.RenderHTML // values are escaped inside HTML
		}
		v, err := renderFunc(name, in.Env)
		if err != nil {
			if errs == nil {
				errs = map[string]error{}
			}
			errs[name] = err
			continue
		}
		out[i] = v
	}
	return out, errs
}

// The params each message type renders, in the order its content
// function reads them.
var (
	emailTemplates    = []string{paramRecipient, paramSubject, paramBody, paramHTML}
	smsTemplates      = []string{paramRecipient, paramBody}
	whatsAppTemplates = []string{paramRecipient, paramBody}
)

func runEmail(ctx context.Context, in *Input, p *EmailParams) (Result, error) {
	v, err := render(in, emailTemplates...)
	if err != nil {
		return Result{}, err
	}
	return runSingle(ctx, in, emailContent(in, p, v), Budget{Attempts: p.Attempts, RetryWithin: p.RetryWithin})
}

func emailContent(in *Input, p *EmailParams, v []string) content {
	return content{channel: ChannelEmail, key: in.Key, credentialID: p.Credential, recipient: strings.TrimSpace(v[0]),
		subject: strings.TrimSpace(v[1]), text: v[2], html: v[3], track: p.Track}
}

func runSMS(ctx context.Context, in *Input, p *SMSParams) (Result, error) {
	v, err := render(in, smsTemplates...)
	if err != nil {
		return Result{}, err
	}
	return runSingle(ctx, in, smsContent(in, p, v), Budget{Attempts: p.Attempts, RetryWithin: p.RetryWithin})
}

func smsContent(in *Input, p *SMSParams, v []string) content {
	return content{channel: ChannelSMS, key: in.Key, credentialID: p.Credential, recipient: strings.TrimSpace(v[0]), text: v[1]}
}

func runWhatsApp(ctx context.Context, in *Input, p *WhatsAppParams) (Result, error) {
	v, err := render(in, whatsAppTemplates...)
	if err != nil {
		return Result{}, err
	}
	return runSingle(ctx, in, whatsAppContent(in, p, v), Budget{Attempts: p.Attempts, RetryWithin: p.RetryWithin})
}

func whatsAppContent(in *Input, p *WhatsAppParams, v []string) content {
	return content{channel: ChannelWhatsApp, key: in.Key, credentialID: p.Credential, recipient: strings.TrimSpace(v[0]),
		text: v[1], template: strings.TrimSpace(p.TemplateName), language: cmpOr(strings.TrimSpace(p.TemplateLanguage), "en")}
}

// runSingle sends a single-channel message within its outage budget: while
// the provider is down the step waits and tries again; once the budget is
// spent it ends on its failed port.
func runSingle(ctx context.Context, in *Input, c content, b Budget) (Result, error) {
	var t Tries
	if in.Resume != nil && len(in.Resume.State) > 0 {
		if err := json.Unmarshal(in.Resume.State, &t); err != nil {
			return Result{}, Permanentf("the step's saved progress could not be read: %w", err)
		}
	}
	a, until, retry, err := deliverWithin(ctx, in, c, b, &t)
	if err != nil || retry.IsZero() {
		return singleResult(a, until, err)
	}
	state, err := json.Marshal(t)
	if err != nil {
		return Result{}, fmt.Errorf("save the step's progress: %w", err)
	}
	return Result{Wait: &Wait{Until: retry, Reenter: true, State: state}, Output: retryOutput(a, t, b, retry)}, nil
}

// singleResult turns one delivery attempt into the step's result.
func singleResult(a Attempt, until time.Time, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	out := a.output()
	switch a.Status {
	case StatusSent, StatusSandboxed:
		return Result{Port: PortSent, Output: out}, nil
	case StatusDelayed:
		out["until"] = until
		return Result{Wait: &Wait{Until: until, Reenter: true}, Output: out}, nil
	}
	return Result{Port: PortFailed, Output: out}, nil
}

// Attempt is one channel's try, as the run detail shows it.
type Attempt struct {
	Channel   string `json:"channel"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Provider  string `json:"provider,omitempty"`
	// To is the address; it stays out of run history and saved state.
	To string `json:"-"`
}

func (a Attempt) output() map[string]any {
	out := map[string]any{"channel": a.Channel, "status": a.Status}
	// The address stays in the message record only: run history outlives
	// an erased contact.
	for k, v := range map[string]string{"reason": a.Reason, "message_id": a.MessageID, "provider": a.Provider} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// sentLike reports a recorded status meaning the message went out (or
// was kept by the sandbox): it must never be sent again.
func sentLike(status string) bool {
	switch status {
	case StatusSent, StatusSandboxed, "delivered", "opened", "clicked", "read":
		return true
	}
	return false
}

// deliver applies the policies to one message on one channel, records it
// under its key, and sends it (or keeps it in the sandbox). It returns the
// attempt, and when the attempt is delayed, until when.
func deliver(ctx context.Context, in *Input, c content) (Attempt, time.Time, error) {
	a := Attempt{Channel: c.channel}
	ch := in.Channels
	if ch == nil {
		return a, time.Time{}, Permanentf("messages cannot be sent: the message outbox is not available to this step")
	}
	to, refusal := recipient(in, c)
	a.To = to
	d := Draft{Key: c.key, Channel: c.channel, Provider: ProviderSandbox, CredentialID: c.credentialID, To: to,
		Subject: c.subject, ContactID: in.Env.Contact.ID, RunID: in.RunID,
		NodeID: in.Node.Node.ID, FlowID: in.Env.Run.FlowID}
	d.Text, d.HTML = c.bodies()
	var until time.Time
	reason := consentRefusal(in, c.channel)
	if reason == "" {
		reason = refusal
	}
	if reason == "" {
		var err error
		reason, until, err = policies(ctx, in, c.channel)
		if err != nil {
			return a, time.Time{}, err
		}
	}
	if reason != "" {
		status := StatusSkipped
		if !until.IsZero() {
			status = StatusDelayed
		}
		d.Status, d.Reason = status, reason
		m, err := ch.Record(ctx, d)
		if err != nil {
			return a, time.Time{}, fmt.Errorf("record the message: %w", err)
		}
		a.MessageID = m.ID
		if sentLike(m.Status) || m.Status == StatusFailed {
			a.Status, a.Reason = m.Status, m.Reason
			return a, time.Time{}, nil
		}
		if m.Status != status || m.Reason != reason {
			if err := ch.Update(ctx, m.ID, MessageUpdate{Status: status, Reason: reason}); err != nil {
				return a, time.Time{}, fmt.Errorf("update the message: %w", err)
			}
		}
		a.Status, a.Reason = status, reason
		return a, until, nil
	}

	sender, err := ch.Sender(ctx, c.channel, c.credentialID)
	if err != nil && !IsPermanent(err) {
		return a, time.Time{}, err
	}
	if err == nil && !sender.Sandbox() {
		d.Provider = sender.Provider
	}
	switch {
	case err != nil:
		d.Provider = "none"
		d.Status, d.Reason = StatusFailed, "The account could not be used: "+err.Error()
	case sender.Sandbox():
		d.Status = StatusSandboxed
		d.Reason = fmt.Sprintf("No %s account is chosen for this step, so the message was kept in the sandbox outbox; nothing was sent.", c.channel)
	default:
		d.Status, d.Reason = StatusQueued, "Handed to "+sender.Provider+"."
	}
	m, rerr := ch.Record(ctx, d)
	if rerr != nil {
		return a, time.Time{}, fmt.Errorf("record the message: %w", rerr)
	}
	a.MessageID, a.Provider = m.ID, d.Provider
	if sentLike(m.Status) || m.Status == StatusFailed || m.Status == StatusSkipped {
		a.Status, a.Reason = m.Status, m.Reason
		return a, time.Time{}, nil
	}
	if d.Status != StatusQueued {
		// The sandbox, or an unusable account, after an earlier delay.
		if err := ch.Update(ctx, m.ID, MessageUpdate{Status: d.Status, Reason: d.Reason}); err != nil {
			return a, time.Time{}, fmt.Errorf("update the message: %w", err)
		}
		a.Status, a.Reason = d.Status, d.Reason
		return a, time.Time{}, nil
	}
	pid, err := send(ctx, ch, sender, m.ID, c, d)
	if err != nil {
		if !IsPermanent(err) {
			// The row stays queued; the next try finds it by key.
			return a, time.Time{}, &outageError{provider: sender.Provider, err: err}
		}
		a.Status, a.Reason = StatusFailed, fmt.Sprintf("%s refused the message: %v", sender.Provider, err)
		if uerr := ch.Update(ctx, m.ID, MessageUpdate{Status: StatusFailed, Reason: a.Reason}); uerr != nil {
			return a, time.Time{}, fmt.Errorf("update the message: %w", uerr)
		}
		return a, time.Time{}, nil
	}
	a.Status, a.Reason = StatusSent, "Accepted by "+sender.Provider+"."
	if err := ch.Update(ctx, m.ID, MessageUpdate{Status: StatusSent, Reason: a.Reason, ProviderID: pid, Sent: true}); err != nil {
		return a, time.Time{}, fmt.Errorf("update the message: %w", err)
	}
	return a, time.Time{}, nil
}

// send calls the channel's client.
func send(ctx context.Context, ch Channels, s Sender, id string, c content, d Draft) (string, error) {
	switch c.channel {
	case ChannelEmail:
		if s.Email == nil {
			return "", Permanentf("this account cannot send email")
		}
		e := Email{MessageID: id, To: d.To, Subject: d.Subject, Text: d.Text, HTML: d.HTML, Headers: map[string]string{}}
		ch.PrepareEmail(id, &e, c.track)
		return s.Email.SendEmail(ctx, e)
	case ChannelSMS:
		if s.SMS == nil {
			return "", Permanentf("this account cannot send SMS")
		}
		return s.SMS.SendSMS(ctx, SMS{MessageID: id, To: d.To, Body: c.text})
	case ChannelWhatsApp:
		if s.WhatsApp == nil {
			return "", Permanentf("this account cannot send WhatsApp messages")
		}
		return s.WhatsApp.SendWhatsApp(ctx, WhatsApp{MessageID: id, To: d.To, Body: c.text, Template: c.template, Language: c.language})
	}
	return "", Permanentf("unknown channel %q", c.channel)
}

// recipient returns the address to use, or why there is none.
func recipient(in *Input, c content) (to, refusal string) {
	if c.recipient != "" {
		return c.recipient, ""
	}
	switch c.channel {
	case ChannelEmail:
		if in.Env.Contact.Email == "" {
			return "", "The contact has no email address."
		}
		return in.Env.Contact.Email, ""
	default:
		if in.Env.Contact.Phone == "" {
			return "", "The contact has no phone number."
		}
		return in.Env.Contact.Phone, ""
	}
}

// messaging returns the flow's messaging policies (zero when none).
func (in *Input) messaging() flows.Messaging {
	if in.Settings == nil || in.Settings.Messaging == nil {
		return flows.Messaging{}
	}
	return *in.Settings.Messaging
}

// consentRefusal says why the contact's consent rules the channel out
// ("" when it does not).
func consentRefusal(in *Input, channel string) string {
	agreed, known := in.Env.Contact.Consent[channel]
	switch {
	case known && !agreed:
		return fmt.Sprintf("The contact does not want %s messages (consent withdrawn).", channel)
	case !known && in.messaging().RequireConsent:
		return fmt.Sprintf("The contact has not agreed to %s messages, and this journey sends only with consent.", channel)
	}
	return ""
}

// policies checks quiet hours and the frequency cap. A non-empty reason
// with a zero time skips the message; with a time, it waits.
func policies(ctx context.Context, in *Input, channel string) (string, time.Time, error) {
	pol := in.messaging()
	now := in.Now()
	if q := pol.QuietHours; q != nil && flows.Applies(q.Channels, channel) {
		from, err1 := ParseClockTime(q.From)
		to, err2 := ParseClockTime(q.To)
		if err1 == nil && err2 == nil {
			loc := in.ContactLocation()
			// The open window runs from the end of the quiet hours to their start.
			next := NextInWindow(now, loc, nil, to, from)
			if next.After(now) {
				return fmt.Sprintf("Quiet hours (%s–%s, %s): the message waits until %s.", q.From, q.To, loc, next.In(loc).Format("Mon 15:04")),
					next.UTC(), nil
			}
		}
	}
	if fc := pol.FrequencyCap; fc != nil && fc.Max > 0 && fc.Period > 0 && in.Env.Contact.ID != "" && flows.Applies(fc.Channels, channel) {
		period := time.Duration(fc.Period)
		ts, err := in.Channels.RecentSends(ctx, in.Env.Contact.ID, channel, now.Add(-period), fc.Max)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("count recent messages: %w", err)
		}
		if len(ts) >= fc.Max {
			if fc.Action == flows.CapDelay {
				until := ts[0].Add(period).Add(time.Second)
				return fmt.Sprintf("Frequency cap: %d %s messages in %s already; the message waits until %s.",
					len(ts), channel, fc.Period, until.UTC().Format(time.RFC3339)), until.UTC(), nil
			}
			return fmt.Sprintf("Frequency cap: the contact already got %d %s messages in %s, so this one was skipped.",
				len(ts), channel, fc.Period), time.Time{}, nil
		}
	}
	return "", time.Time{}, nil
}

var (
	tagPattern  = regexp.MustCompile(`(?s)<[^>]*>`)
	urlPattern  = regexp.MustCompile(`https?://[^\s<>"']+`)
	gapPattern  = regexp.MustCompile(`\n{3,}`)
	breakTags   = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>|</tr>`)
	styleBlocks = regexp.MustCompile(`(?is)<(style|script|head)[^>]*>.*?</(style|script|head)>`)
)

// emailBodies returns both bodies: the missing one is made from the other.
func emailBodies(text, htmlBody string) (string, string) {
	switch {
	case strings.TrimSpace(htmlBody) == "" && strings.TrimSpace(text) != "":
		esc := html.EscapeString(text)
		esc = urlPattern.ReplaceAllStringFunc(esc, func(u string) string { return `<a href="` + u + `">` + u + `</a>` })
		htmlBody = "<p>" + strings.ReplaceAll(esc, "\n", "<br>\n") + "</p>"
	case strings.TrimSpace(text) == "" && strings.TrimSpace(htmlBody) != "":
		t := styleBlocks.ReplaceAllString(htmlBody, "")
		t = breakTags.ReplaceAllString(t, "\n")
		t = html.UnescapeString(tagPattern.ReplaceAllString(t, ""))
		text = strings.TrimSpace(gapPattern.ReplaceAllString(t, "\n\n"))
	}
	return text, htmlBody
}
