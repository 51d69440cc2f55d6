package channels

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/wneessen/go-mail"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/nodes/connectors/httpreq"
)

// smtpSender sends email through one SMTP account.
type smtpSender struct {
	s        *Service
	host     string
	port     int
	security string
	user     string
	pass     string
	from     string
	fromName string
	replyTo  string
}

func (s *Service) smtpSender(values map[string]string) (*smtpSender, error) {
	port, err := strconv.Atoi(values["port"])
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("the SMTP port %q is not a port number", values["port"])
	}
	return &smtpSender{s: s, host: values["host"], port: port, security: values["security"],
		user: values["username"], pass: values["password"], from: values["from_email"],
		fromName: values["from_name"], replyTo: values["reply_to"]}, nil
}

// client builds the go-mail client. The host passes the private-address
// guard: on every connection for STARTTLS and plain, once before
// connecting for implicit TLS.
func (m *smtpSender) client(ctx context.Context) (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(m.port), mail.WithTimeout(m.s.cfg.SMTPTimeout)}
	switch m.security {
	case SecurityTLS:
		if err := httpreq.CheckHost(ctx, m.host, m.s.cfg.SMTPAllowPrivate); err != nil {
			return nil, privateHint(err)
		}
		opts = append(opts, mail.WithSSL())
	case SecurityNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.security != SecurityTLS {
		opts = append(opts, mail.WithDialContextFunc(m.dial))
	}
	if m.s.cfg.SMTPInsecureSkipVerify {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{InsecureSkipVerify: true, ServerName: m.host})) //nolint:gosec // tests only
	}
	if m.user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.user), mail.WithPassword(m.pass))
	}
	return mail.NewClient(m.host, opts...)
}

// dial connects through the private-address guard (STARTTLS and plain
// connections; go-mail only does implicit TLS with its own dialer).
func (m *smtpSender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := httpreq.GuardedDialContext(m.s.cfg.SMTPAllowPrivate)(ctx, network, addr)
	return conn, privateHint(err)
}

// privateHint names the flag that allows internal hosts.
func privateHint(err error) error {
	if errors.Is(err, httpreq.ErrForbiddenTarget) {
		return nodes.Permanent(fmt.Errorf("%w (the server allows them with --http-allow-private)", err))
	}
	return err
}

// SendEmail implements nodes.EmailSender. The Message-ID is derived from
// our message id, so a copy resent after a crash can be recognised.
func (m *smtpSender) SendEmail(ctx context.Context, e nodes.Email) (string, error) {
	msg := mail.NewMsg()
	if err := msg.FromFormat(m.fromName, m.from); err != nil {
		return "", nodes.Permanentf("the sender address %q is not valid: %v", m.from, err)
	}
	if err := msg.To(e.To); err != nil {
		return "", nodes.Permanentf("the address %q is not valid: %v", e.To, err)
	}
	if m.replyTo != "" {
		_ = msg.ReplyTo(m.replyTo)
	}
	msg.Subject(e.Subject)
	msgID := e.MessageID + "@" + m.host
	msg.SetMessageIDWithValue(msgID)
	msg.SetDate()
	for k, v := range e.Headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	// SendGrid, Mailgun and Postmark relays echo our message id in their
	// event webhooks through these headers; other servers ignore them.
	for k, v := range emailevents.CorrelationHeaders(e.MessageID) {
		msg.SetGenHeader(mail.Header(k), v)
	}
	msg.SetBodyString(mail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	}
	c, err := m.client(ctx)
	if errors.Is(err, httpreq.ErrForbiddenTarget) {
		return "", err
	}
	if err != nil {
		return "", nodes.Permanentf("the SMTP settings are not usable: %v", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return "", classifySMTP(err)
	}
	return "<" + msgID + ">", nil
}

// classifySMTP makes a 5xx reply permanent; network trouble and 4xx
// replies are retried.
func classifySMTP(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		if se.IsTemp() {
			return fmt.Errorf("the SMTP server asked to try later: %w", err)
		}
		if code := se.ErrorCode(); code >= 500 {
			return nodes.Permanent(fmt.Errorf("the SMTP server refused the message: %w", err))
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("the SMTP server could not be reached: %w", err)
	}
	return fmt.Errorf("SMTP: %w", err)
}

// testSMTP connects, starts TLS as configured, signs in and quits.
func (s *Service) testSMTP(ctx context.Context, values map[string]string) error {
	m, err := s.smtpSender(values)
	if err != nil {
		return err
	}
	c, err := m.client(ctx)
	if err != nil {
		return err
	}
	if err := c.DialWithContext(ctx); err != nil {
		return err
	}
	return c.Close()
}

// Interface guards.
var _ nodes.EmailSender = (*smtpSender)(nil)
