package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes/connectors"
	"github.com/journeyhq/journey/nodes/connectors/emailevents"
	"github.com/journeyhq/journey/nodes/connectors/twilio"
	"github.com/journeyhq/journey/nodes/connectors/whatsapp"
)

// providerHooks registers the delivery-receipt webhooks of the vendors
// (public: each checks the vendor's signature with the secrets of the
// matching credential). They come before the generic /hooks/* route.
func (s *Server) providerHooks(app *fiber.App) {
	if s.cfg.Channels == nil {
		return
	}
	app.Post("/hooks/providers/twilio", s.twilioHook)
	app.Get("/hooks/providers/whatsapp", s.whatsappChallenge)
	app.Post("/hooks/providers/whatsapp", s.whatsappHook)
	for _, p := range []string{emailevents.SendGrid, emailevents.Mailgun, emailevents.Postmark} {
		app.Post("/hooks/providers/"+p, s.emailHook(p))
	}
}

// receiptsResponse counts what a provider webhook recorded.
type receiptsResponse struct {
	Recorded   int `json:"recorded"`
	Duplicates int `json:"duplicates"`
	// Unmatched events are about messages this server did not send.
	Unmatched int `json:"unmatched"`
	Ignored   int `json:"ignored"`
}

// record stores the receipts of one request and counts them. Unknown
// messages are acknowledged (the vendor would resend them forever) and
// logged.
func (s *Server) record(c *fiber.Ctx, out *receiptsResponse, rs []channels.Receipt) error {
	if len(rs) == 0 {
		return nil
	}
	res, err := s.cfg.Channels.RecordProviderReceipts(c.UserContext(), s.eng, rs)
	if err != nil {
		return err
	}
	for i, r := range res {
		switch {
		case r.Ignored: // counted and logged by the channels service
			out.Ignored++
		case r.Unmatched:
			out.Unmatched++
			s.log.Info("a provider receipt matches no message", "provider", rs[i].Provider, "event_id", rs[i].EventID, "kind", rs[i].Kind)
		case r.Duplicate:
			out.Duplicates++
		default:
			out.Recorded++
		}
	}
	return nil
}

// providerError answers a verification or payload failure: 401 for a bad
// signature, 400 for a malformed body (logged without the body).
func (s *Server) providerError(provider string, err error) error {
	if errors.Is(err, connectors.ErrBadSignature) {
		s.log.Warn("a provider webhook failed its signature check", "provider", provider)
		return unauthorized("The " + provider + " webhook signature is missing or does not match.")
	}
	var keyErr *connectors.InputError
	if errors.As(err, &keyErr) {
		// The credential's key cannot be read: nothing can verify requests.
		s.log.Warn("a provider webhook credential cannot check signatures", "provider", provider, "error", err.Error())
		return unauthorized("The " + provider + " webhook credential cannot check signatures: " + err.Error())
	}
	s.log.Warn("a provider webhook sent a malformed body", "provider", provider, "error", err.Error())
	return badRequest("The %s webhook body cannot be read: %v", provider, err)
}

// mailgunTokenUnused remembers a verified Mailgun request's one-time token
// for ReplayWindow and refuses a token seen before (a replayed signature
// block, perhaps with forged event data). It returns the remembered key.
func (s *Server) mailgunTokenUnused(ctx context.Context, provider string, body []byte) (string, error) {
	if provider != emailevents.Mailgun {
		return "", nil
	}
	token := emailevents.MailgunToken(body)
	if token == "" {
		return "", nil
	}
	key := "mailgun:" + token
	if !s.replays.first(ctx, key) {
		s.log.Warn("a Mailgun webhook reused a signature token: refused as a replay")
		return "", unauthorized("This Mailgun webhook signature was used before; a replayed request is refused.")
	}
	return key, nil
}

// secretsOf returns the credential values of kind. With none configured
// the provider's webhook is not set up here: 404, like a webhook path no
// journey listens on.
func (s *Server) secretsOf(c *fiber.Ctx, kind string) ([]map[string]string, error) {
	all, err := s.cfg.Channels.WebhookSecrets(c.UserContext(), kind)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		s.log.Warn("a provider webhook arrived but no credential can check it", "kind", kind)
		return nil, notFound("No %s credential is configured, so this webhook is not set up.", kind)
	}
	return all, nil
}

// twilioHook records Twilio status callbacks (sms.* and whatsapp.*) and
// incoming messages (see twilioInbound).
// The signature covers the public URL Twilio called.
func (s *Server) twilioHook(c *fiber.Ctx) error {
	body := bytes.Clone(c.Body())
	signature := strings.Clone(c.Get(twilio.SignatureHeader))
	fullURL := s.cfg.Channels.PublicURL() + "/hooks/providers/twilio"
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		fullURL += "?" + string(q)
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return s.providerError("twilio", connectors.Payloadf("Twilio", "the body is not form-encoded"))
	}
	creds, err := s.secretsOf(c, channels.KindTwilio)
	if err != nil {
		return err
	}
	if twilio.IsInbound(params) {
		return s.twilioInbound(c, creds, fullURL, signature, params)
	}
	var ev twilio.StatusEvent
	err = connectors.ErrBadSignature
	for _, v := range creds {
		if sid := params.Get("AccountSid"); sid != "" && v["account_sid"] != sid {
			continue
		}
		if ev, err = twilio.ParseStatusCallback(v["auth_token"], fullURL, signature, body); !errors.Is(err, connectors.ErrBadSignature) {
			break
		}
	}
	out := receiptsResponse{}
	if errors.Is(err, connectors.ErrIgnored) {
		out.Ignored++
		return c.JSON(out)
	}
	if err != nil {
		return s.providerError("twilio", err)
	}
	_, kind, _ := strings.Cut(ev.Type, ".")
	data := map[string]any{"status": ev.Status}
	if ev.ErrorCode != "" {
		data["error_code"] = ev.ErrorCode
	}
	if err := s.record(c, &out, []channels.Receipt{{Provider: "twilio", EventID: ev.MessageSID + ":" + ev.Status, Kind: kind,
		ProviderIDs: []string{ev.MessageSID}, Data: data}}); err != nil {
		return err
	}
	return c.JSON(out)
}

// whatsappChallenge answers Meta's subscription check with hub.challenge
// when hub.verify_token matches a WhatsApp credential's verify token.
func (s *Server) whatsappChallenge(c *fiber.Ctx) error {
	query := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { query.Add(string(k), string(v)) })
	creds, err := s.cfg.Channels.WebhookSecrets(c.UserContext(), channels.KindWhatsApp)
	if err != nil {
		return err
	}
	for _, v := range creds {
		if answer, err := whatsapp.Challenge(query, v["verify_token"]); err == nil {
			return c.Type("txt").SendString(answer)
		} else if !errors.Is(err, whatsapp.ErrVerifyToken) {
			return s.providerError("whatsapp", err)
		}
	}
	s.log.Warn("a WhatsApp subscription check had no matching verify token")
	return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: "The verify token does not match a WhatsApp credential."}
}

// whatsappHook records WhatsApp Cloud API status webhooks and incoming
// messages.
func (s *Server) whatsappHook(c *fiber.Ctx) error {
	body := bytes.Clone(c.Body())
	signature := strings.Clone(c.Get(whatsapp.SignatureHeader))
	creds, err := s.secretsOf(c, channels.KindWhatsApp)
	if err != nil {
		return err
	}
	var n whatsapp.Notification
	err = connectors.ErrBadSignature
	for _, v := range creds {
		if n, err = whatsapp.ParseWebhook(v["app_secret"], signature, body); !errors.Is(err, connectors.ErrBadSignature) {
			break
		}
	}
	if err != nil {
		return s.providerError("whatsapp", err)
	}
	out := receiptsResponse{}
	if err := s.whatsappInbound(c, &out, n); err != nil {
		return err
	}
	rs := make([]channels.Receipt, 0, len(n.Statuses))
	for _, st := range n.Statuses {
		_, kind, _ := strings.Cut(st.Type, ".")
		data := map[string]any{}
		if len(st.Errors) > 0 {
			data["errors"] = st.Errors
		}
		rs = append(rs, channels.Receipt{Provider: "whatsapp", EventID: st.MessageID + ":" + st.Type, Kind: kind,
			ProviderIDs: []string{st.MessageID}, Data: data})
	}
	if err := s.record(c, &out, rs); err != nil {
		return err
	}
	return c.JSON(out)
}

// emailWebhookKinds maps an e-mail provider to its webhook credential kind.
var emailWebhookKinds = map[string]string{
	emailevents.SendGrid: channels.KindSendGridWebhook,
	emailevents.Mailgun:  channels.KindMailgunWebhook,
	emailevents.Postmark: channels.KindPostmarkWebhook,
}

// emailHook records an e-mail provider's event webhook (email.*). Hard
// bounces and spam complaints withdraw the contact's email consent.
func (s *Server) emailHook(provider string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body := bytes.Clone(c.Body())
		header := http.Header{}
		c.Request().Header.VisitAll(func(k, v []byte) { header.Add(string(k), string(v)) })
		creds, err := s.secretsOf(c, emailWebhookKinds[provider])
		if err != nil {
			return err
		}
		var evs []emailevents.Event
		err = connectors.ErrBadSignature
		for _, v := range creds {
			sec := emailevents.Secrets{SendGridPublicKey: v["public_key"], MailgunSigningKey: v["signing_key"],
				PostmarkUsername: v["username"], PostmarkPassword: v["password"],
				MaxAge: ReplayWindow, Now: s.now()}
			if evs, err = emailevents.Parse(provider, sec, header, body); !errors.Is(err, connectors.ErrBadSignature) {
				break
			}
		}
		if err != nil {
			return s.providerError(provider, err)
		}
		token, err := s.mailgunTokenUnused(c.UserContext(), provider, body)
		if err != nil {
			return err
		}
		out := receiptsResponse{}
		if err := s.record(c, &out, channels.EmailReceipts(provider, evs)); err != nil {
			if token != "" {
				s.replays.forget(c.UserContext(), token) // not recorded: Mailgun's retry is no replay
			}
			return err
		}
		return c.JSON(out)
	}
}
