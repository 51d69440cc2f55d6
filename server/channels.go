package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// channelRoutes registers the credential and message API and the public
// tracking and unsubscribe endpoints (only when channels are wired).
func (s *Server) channelRoutes(app *fiber.App, api fiber.Router) {
	if s.cfg.Channels == nil {
		return
	}
	api.Get("/credential-kinds", s.listCredentialKinds)
	api.Get("/credentials", s.listCredentials)
	api.Post("/credentials", s.createCredential)
	api.Get("/credentials/:id", s.getCredential)
	api.Put("/credentials/:id", s.updateCredential)
	api.Delete("/credentials/:id", s.deleteCredential)
	api.Post("/credentials/:id/test", s.testCredential)
	api.Post("/credentials/:id/connect", s.connectCredential)
	app.Get(channels.CallbackPath, s.oauthCallback)

	api.Get("/messages", s.listMessages)
	api.Get("/messages/:id", s.getMessage)
	api.Post("/messages/:id/simulate", s.simulateMessage)
	s.conversationRoutes(api)

	app.Get("/t/:token", s.trackLink)
	app.Get("/u/:token", s.unsubscribePage)
	app.Post("/u/:token", s.unsubscribe)
}

// optionCredentials is the choice source of credential params: the
// stored credentials of the param's kind (value id, label name).
const optionCredentials = "credentials"

func (s *Server) credentialChoices(c *fiber.Ctx, kind string) ([]option, error) {
	out := []option{}
	if s.cfg.Channels == nil {
		return out, nil
	}
	cs, err := s.cfg.Channels.ListCredentials(c.UserContext())
	if err != nil {
		return nil, err
	}
	for _, cr := range cs {
		if kind == "" || slices.Contains(strings.Split(kind, ","), cr.Kind) {
			out = append(out, option{Value: cr.ID, Label: cr.Name})
		}
	}
	return out, nil
}

// credentialRequest is the body of POST and PUT /credentials.
type credentialRequest struct {
	Name   string         `json:"name"`
	Kind   string         `json:"kind"`
	Fields map[string]any `json:"fields"`
}

func (s *Server) listCredentialKinds(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"kinds": channels.Kinds(), "oauth_callback_url": s.cfg.Channels.RedirectURL()})
}

func (s *Server) listCredentials(c *fiber.Ctx) error {
	cs, err := s.cfg.Channels.ListCredentials(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"credentials": cs})
}

func (s *Server) getCredential(c *fiber.Ctx) error {
	v, err := s.cfg.Channels.GetCredential(c.UserContext(), param(c, "id"))
	if err != nil {
		return orNotFound(err, "There is no credential %q.", param(c, "id"))
	}
	return c.JSON(fiber.Map{"credential": v})
}

func (s *Server) createCredential(c *fiber.Ctx) error {
	var in credentialRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := s.cfg.Channels.CreateCredential(c.UserContext(), channels.CredentialInput{Name: in.Name, Kind: in.Kind, Fields: in.Fields})
	if err != nil {
		return err
	}
	s.audit(c, storage.AuditCreate, storage.AuditCredential, v.ID, "created "+v.Kind+" credential "+quoted(v.Name))
	return c.Status(http.StatusCreated).JSON(fiber.Map{"credential": v})
}

func (s *Server) updateCredential(c *fiber.Ctx) error {
	var in credentialRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	v, err := s.cfg.Channels.UpdateCredential(c.UserContext(), param(c, "id"), channels.CredentialInput{Name: in.Name, Kind: in.Kind, Fields: in.Fields})
	if err != nil {
		return orNotFound(err, "There is no credential %q.", param(c, "id"))
	}
	s.audit(c, storage.AuditUpdate, storage.AuditCredential, v.ID, "updated "+v.Kind+" credential "+quoted(v.Name)+changedSecrets(in.Fields, v.SecretsSet))
	return c.JSON(fiber.Map{"credential": v})
}

func (s *Server) deleteCredential(c *fiber.Ctx) error {
	if err := s.cfg.Channels.DeleteCredential(c.UserContext(), param(c, "id")); err != nil {
		return orNotFound(err, "There is no credential %q.", param(c, "id"))
	}
	s.audit(c, storage.AuditDelete, storage.AuditCredential, param(c, "id"), "deleted the credential")
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) testCredential(c *fiber.Ctx) error {
	res, err := s.cfg.Channels.TestCredential(c.UserContext(), param(c, "id"))
	if err != nil {
		return orNotFound(err, "There is no credential %q.", param(c, "id"))
	}
	return c.JSON(res)
}

// connectCredential starts Connect (OAuth authorization code with PKCE)
// for the signed-in user and returns the vendor's sign-in address, where
// the editor sends the browser.
func (s *Server) connectCredential(c *fiber.Ctx) error {
	userID := ""
	if p := principalOf(c); p != nil && p.User != nil {
		userID = p.User.ID
	}
	u, err := s.cfg.Channels.StartConnect(c.UserContext(), param(c, "id"), userID)
	if err != nil {
		return orNotFound(err, "There is no credential %q.", param(c, "id"))
	}
	s.audit(c, storage.AuditUpdate, storage.AuditCredential, param(c, "id"), "started connecting the credential")
	return c.JSON(fiber.Map{"url": u, "redirect_url": s.cfg.Channels.RedirectURL()})
}

// oauthCallback is where the vendor sends the browser back after
// Connect. It needs the session of the user who pressed Connect, finishes
// the connection and sends the browser to Settings with the outcome.
func (s *Server) oauthCallback(c *fiber.Ctx) error {
	state, code := strings.Clone(c.Query("state")), strings.Clone(c.Query("code"))
	id := channels.CredentialOfState(state)
	back := func(key, msg string) error {
		q := url.Values{key: {msg}}
		if id != "" {
			q.Set("credential", id)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/settings?"+q.Encode(), http.StatusSeeOther)
	}
	userID := ""
	if token := c.Cookies(sessionCookie); token != "" {
		if u, err := storage.SessionUser(s.store.Reader(), strings.Clone(token), s.now()); err == nil {
			userID = u.ID
			c.Locals(localPrincipal, &principal{User: newUserView(u)}) // for the audit entry
		}
	}
	if userID == "" {
		return back("connect_error", "Sign in to this app in the same browser, then press Connect again.")
	}
	if e := c.Query("error"); e != "" {
		msg := "The sign-in was cancelled or refused"
		if d := c.Query("error_description"); d != "" {
			msg += ": " + truncate(d, 200)
		}
		return back("connect_error", msg+". Press Connect again to retry.")
	}
	conn, err := s.cfg.Channels.FinishConnect(c.UserContext(), state, code, userID)
	var ce *channels.ConnectError
	var ie *channels.InputError
	switch {
	case errors.As(err, &ce):
		return back("connect_error", ce.Message)
	case errors.As(err, &ie):
		return back("connect_error", ie.Message)
	case err != nil:
		s.log.ErrorContext(c.UserContext(), "oauth callback failed", "request_id", requestIDOf(c), "credential_id", id, "error", err)
		return back("connect_error", "The connection could not be saved; see the server log.")
	}
	s.audit(c, storage.AuditUpdate, storage.AuditCredential, id, "connected the credential")
	return back("connected", conn.Message)
}

// truncate shortens s to n bytes at most.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// messageView is a message as the API shows it.
type messageView struct {
	ID         string                 `json:"id"`
	Channel    string                 `json:"channel"`
	Provider   string                 `json:"provider"`
	Status     string                 `json:"status"`
	Reason     string                 `json:"reason"`
	ProviderID *string                `json:"provider_id"`
	To         string                 `json:"to"`
	Subject    string                 `json:"subject"`
	BodyText   string                 `json:"body_text"`
	BodyHTML   string                 `json:"body_html"`
	ContactID  *string                `json:"contact_id"`
	RunID      string                 `json:"run_id"`
	NodeID     string                 `json:"node_id"`
	FlowID     string                 `json:"flow_id"`
	SentAt     *time.Time             `json:"sent_at"`
	CreatedAt  time.Time              `json:"created_at"`
	UpdatedAt  time.Time              `json:"updated_at"`
	Events     []storage.MessageEvent `json:"events"`
	// Test marks a message of a test run (never delivered to a customer).
	Test bool `json:"test,omitempty"`
}

func newMessageView(m *storage.Message) messageView {
	v := messageView{ID: m.ID, Channel: m.Channel, Provider: m.Provider, Status: m.Status, Reason: m.Reason,
		ProviderID: m.ProviderID, To: m.To, Subject: m.Subject, BodyText: m.BodyText, BodyHTML: m.BodyHTML,
		ContactID: m.ContactID, RunID: m.RunID, NodeID: m.NodeID, FlowID: m.FlowID, SentAt: m.SentAt,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Events: []storage.MessageEvent{}, Test: m.Test}
	_ = json.Unmarshal([]byte(m.Events), &v.Events)
	return v
}

var messageChannels = map[string]bool{nodes.ChannelEmail: true, nodes.ChannelSMS: true, nodes.ChannelWhatsApp: true, nodes.ChannelSlack: true}

func (s *Server) listMessages(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	q := storage.MessageQuery{Channel: query(c, "channel"), Status: query(c, "status"), ContactID: query(c, "contact"),
		RunID: query(c, "run"), IncludeTest: query(c, "include_test") == "true", Limit: limit, Offset: offset}
	if q.Channel != "" && !messageChannels[q.Channel] {
		return badRequest("channel must be email, sms, whatsapp or slack.")
	}
	ms, total, err := storage.ListMessages(s.store.Reader().WithContext(c.UserContext()), q)
	if err != nil {
		return err
	}
	out := make([]messageView, len(ms))
	for i := range ms {
		out[i] = newMessageView(&ms[i])
	}
	return c.JSON(fiber.Map{"messages": out, "total": total})
}

func (s *Server) getMessage(c *fiber.Ctx) error {
	m, err := storage.GetMessage(s.store.Reader().WithContext(c.UserContext()), param(c, "id"))
	if err != nil {
		return orNotFound(err, "There is no message %q.", param(c, "id"))
	}
	return c.JSON(fiber.Map{"message": newMessageView(m)})
}

func (s *Server) simulateMessage(c *fiber.Ctx) error {
	var in struct {
		Event string `json:"event"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.cfg.Channels.Simulate(c.UserContext(), s.eng, param(c, "id"), in.Event)
	if err != nil {
		return orNotFound(err, "There is no message %q.", param(c, "id"))
	}
	return c.JSON(fiber.Map{"message": newMessageView(m)})
}

// pixel is a transparent 1x1 GIF.
var pixel = []byte{0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b}

// trackLink records an open (answering with the pixel) or a click
// (redirecting to the link's URL). A token this server did not sign is
// 404 and records nothing.
func (s *Server) trackLink(c *fiber.Ctx) error {
	l, err := s.cfg.Channels.Track(c.UserContext(), s.eng, param(c, "token"))
	if errors.Is(err, channels.ErrBadToken) {
		return notFound("This link is not valid.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if l.Kind == channels.LinkClick {
		return c.Redirect(l.URL, http.StatusFound)
	}
	c.Set(fiber.HeaderContentType, "image/gif")
	return c.Send(pixel)
}

const unsubscribeForm = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Unsubscribe</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">
<h1>Unsubscribe</h1><p>Stop receiving these emails?</p>
<form method="post"><button type="submit">Unsubscribe</button></form></body></html>`

const unsubscribedPage = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Unsubscribed</title></head><body style="font-family:sans-serif;max-width:32em;margin:3em auto">
<h1>You are unsubscribed</h1><p>You will not get these emails any more.</p></body></html>`

// unsubscribePage asks for confirmation: link scanners follow GET links,
// so only the POST (the button, or a mail client's one-click
// List-Unsubscribe-Post) unsubscribes.
func (s *Server) unsubscribePage(c *fiber.Ctx) error {
	if l, err := s.cfg.Channels.Verify(param(c, "token")); err != nil || l.Kind != channels.LinkUnsubscribe {
		return notFound("This link is not valid.")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(unsubscribeForm)
}

// unsubscribe withdraws email consent (RFC 8058 one-click, or the form).
func (s *Server) unsubscribe(c *fiber.Ctx) error {
	err := s.cfg.Channels.Unsubscribe(c.UserContext(), s.eng, param(c, "token"))
	if errors.Is(err, channels.ErrBadToken) {
		return notFound("This link is not valid.")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(unsubscribedPage)
}
