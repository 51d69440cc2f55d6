package nodes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/journeyhq/journey/flows"
)

// Rendered is a message step's message worked out for one contact, as the
// step would send it (before the outbox adds the unsubscribe link and
// tracking to an email: see Channels.PrepareEmail).
type Rendered struct {
	Channel string
	// To is the address; "" when neither the step nor the contact has one.
	To      string
	Subject string
	Text    string
	HTML    string
	// Template and Language name an approved WhatsApp template sent
	// instead of the text.
	Template string
	Language string
	// CredentialID is the step's account for the channel ("" = sandbox).
	CredentialID string
	// Track adds open and click tracking to an email.
	Track bool
}

// RenderProblem is a parameter that could not be worked out.
type RenderProblem struct {
	// Param names the parameter, e.g. "subject".
	Param string
	// Message says what went wrong, in plain words.
	Message string
}

// ErrNotAMessage is returned for a step that sends no message.
var ErrNotAMessage = errors.New("this step sends no message")

// RenderMessage works out the message of a message step (email, SMS,
// WhatsApp, send on the best channel, Slack post) for in.Env with the same
// code the step sends with. channel picks one of message.send's channels
// ("" takes its first). Templates that fail are problems, not an error:
// the rest of the message is still shown.
func RenderMessage(in *Input, channel string) (Rendered, []RenderProblem, error) {
	var (
		c     content
		names []string
		v     []string
		errs  map[string]error
	)
	switch in.Node.Node.Type {
	case TypeEmail:
		var p EmailParams
		if err := in.Node.Decode(&p); err != nil {
			return Rendered{}, nil, err
		}
		names = emailTemplates
		v, errs = renderEach(in, names...)
		c = emailContent(in, &p, v)
	case TypeSMS:
		var p SMSParams
		if err := in.Node.Decode(&p); err != nil {
			return Rendered{}, nil, err
		}
		names = smsTemplates
		v, errs = renderEach(in, names...)
		c = smsContent(in, &p, v)
	case TypeWhatsApp:
		var p WhatsAppParams
		if err := in.Node.Decode(&p); err != nil {
			return Rendered{}, nil, err
		}
		names = whatsAppTemplates
		v, errs = renderEach(in, names...)
		c = whatsAppContent(in, &p, v)
	case TypeSend:
		var p SendParams
		if err := in.Node.Decode(&p); err != nil {
			return Rendered{}, nil, err
		}
		if channel == "" && len(p.Channels) > 0 {
			channel = p.Channels[0]
		}
		if !slices.Contains(p.Channels, channel) {
			return Rendered{}, nil, fmt.Errorf("%w on %s: it sends on %s", ErrNotAMessage, channel, strings.Join(p.Channels, ", "))
		}
		names = sendTemplates
		v, errs = renderEach(in, names...)
		c = sendContent(in, &p, v, channel)
	case TypeSlack:
		var p SlackParams
		if err := in.Node.Decode(&p); err != nil {
			return Rendered{}, nil, err
		}
		names = []string{paramText}
		v, errs = renderEach(in, names...)
		c = content{channel: ChannelSlack, credentialID: strings.TrimSpace(p.Credential), recipient: strings.TrimSpace(p.Channel),
			text: strings.TrimSpace(v[0])}
	default:
		return Rendered{}, nil, ErrNotAMessage
	}
	out := Rendered{Channel: c.channel, Subject: c.subject, CredentialID: c.credentialID, Track: c.track}
	if c.channel == ChannelWhatsApp {
		out.Template, out.Language = c.template, c.language
	}
	out.Text, out.HTML = c.bodies()
	if c.channel == ChannelSlack {
		out.To = c.recipient
	} else {
		out.To, _ = recipient(in, c)
	}
	return out, renderProblems(in, names, errs), nil
}

// renderProblems turns render errors into problems, in param order.
func renderProblems(in *Input, names []string, errs map[string]error) []RenderProblem {
	var out []RenderProblem
	for _, name := range names {
		err := errs[name]
		if err == nil {
			continue
		}
		reason := err.Error()
		var ee *flows.EvalError
		if errors.As(err, &ee) {
			reason = fmt.Sprintf("%s (in {{ %s }})", ee.Reason(), ee.Source)
		}
		out = append(out, RenderProblem{Param: name,
			Message: fmt.Sprintf("%q could not be filled in for this contact: %s.", label(in, name), reason)})
	}
	return out
}

// TestSubjectPrefix marks the subject of a test message.
const TestSubjectPrefix = "[Test] "

// SendTest sends r to the address to as a test message, through r's
// account or, without one, into the sandbox outbox. The outbox keeps it
// under key with no contact, run or journey, so no journey counts it, and
// note (e.g. which step it tests) as its reason.
func SendTest(ctx context.Context, ch Channels, r Rendered, to, key, note string) (Attempt, error) {
	a := Attempt{Channel: r.Channel, To: to}
	if r.Channel == ChannelSlack {
		return a, Permanentf("test sends are for email, SMS and WhatsApp steps")
	}
	c := content{channel: r.Channel, subject: r.Subject, text: r.Text, html: r.HTML, track: r.Track,
		template: r.Template, language: r.Language, credentialID: r.CredentialID}
	if c.template != "" {
		c.text = "" // the vendor sends the template
	}
	if c.channel == ChannelEmail {
		c.subject = TestSubjectPrefix + strings.TrimPrefix(c.subject, TestSubjectPrefix)
	}
	d := Draft{Key: key, Channel: c.channel, Provider: ProviderSandbox, CredentialID: c.credentialID, To: to,
		Subject: c.subject, Text: r.Text, HTML: r.HTML}
	sender, err := ch.Sender(ctx, c.channel, c.credentialID)
	if err != nil {
		return a, err
	}
	if sender.Sandbox() {
		d.Status, d.Reason = StatusSandboxed, note+" No account is chosen, so it was kept in the sandbox outbox; nothing was sent."
		m, err := ch.Record(ctx, d)
		a.MessageID, a.Status, a.Reason, a.Provider = m.ID, d.Status, d.Reason, ProviderSandbox
		return a, err
	}
	d.Provider, d.Status, d.Reason = sender.Provider, StatusQueued, note
	m, err := ch.Record(ctx, d)
	if err != nil {
		return a, fmt.Errorf("record the test message: %w", err)
	}
	a.MessageID, a.Provider = m.ID, sender.Provider
	pid, err := send(ctx, ch, sender, m.ID, c, d)
	if err != nil {
		a.Status, a.Reason = StatusFailed, fmt.Sprintf("%s refused the test message: %v", sender.Provider, err)
		if uerr := ch.Update(ctx, m.ID, MessageUpdate{Status: StatusFailed, Reason: a.Reason}); uerr != nil {
			return a, uerr
		}
		return a, nil
	}
	a.Status, a.Reason = StatusSent, note+" Accepted by "+sender.Provider+"."
	return a, ch.Update(ctx, m.ID, MessageUpdate{Status: StatusSent, Reason: a.Reason, ProviderID: pid, Sent: true})
}
