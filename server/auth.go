package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// sessionCookie is the name of the editor's session cookie.
const sessionCookie = "journey_session"

// localPrincipal is the c.Locals key of the authenticated caller.
const localPrincipal = "journey.principal"

// principal is who is calling: a signed-in user or an API token.
type principal struct {
	User  *userView
	Token *tokenView
}

// userView is a user as the API shows it (never the password hash).
type userView struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// The user as a salesperson of lead routing (see users.go).
	Name      string            `json:"name"`
	AwayUntil *time.Time        `json:"away_until"`
	TimeZone  string            `json:"time_zone"`
	WorkDays  []string          `json:"work_days"`
	WorkStart string            `json:"work_start"`
	WorkEnd   string            `json:"work_end"`
	OwnerIDs  map[string]string `json:"owner_ids"`
	SlackID   string            `json:"slack_id"`
}

func newUserView(u *storage.User) *userView {
	p := u.Routing()
	days := p.WorkDays
	if days == nil {
		days = []string{}
	}
	return &userView{ID: u.ID, Email: u.Email, Role: u.Role, CreatedAt: u.CreatedAt,
		Name: p.Name, AwayUntil: p.AwayUntil, TimeZone: p.TimeZone, WorkDays: days, WorkStart: p.WorkStart,
		WorkEnd: p.WorkEnd, OwnerIDs: p.OwnerIDs, SlackID: p.SlackID}
}

// tokenView is an API token as listed (never its value or hash).
type tokenView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func newTokenView(t *storage.APIToken) *tokenView {
	return &tokenView{ID: t.ID, Name: t.Name, Role: t.Role, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt}
}

// authenticate lets a request through with a valid session cookie or a
// valid "Authorization: Bearer <token>"; otherwise it answers 401. A
// request that sends an Authorization header is judged by it alone.
func (s *Server) authenticate(c *fiber.Ctx) error {
	now := s.now()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return unauthorized(`Send an API token as "Authorization: Bearer <token>".`)
		}
		t, err := storage.APITokenByValue(s.store.Reader(), strings.TrimSpace(token), now)
		if errors.Is(err, storage.ErrNotFound) {
			return unauthorized("This API token is not valid; it may have been revoked.")
		}
		if err != nil {
			return err
		}
		if storage.TokenNeedsTouch(t, now) {
			err := s.store.Write(c.UserContext(), func(tx storage.Tx) error { return storage.TouchAPIToken(tx, t.ID, now) })
			if err != nil { // bookkeeping only: the request goes on
				s.log.WarnContext(c.UserContext(), "could not record api token use", "request_id", requestIDOf(c), "error", err)
			}
		}
		c.Locals(localPrincipal, &principal{Token: newTokenView(t)})
		return c.Next()
	}
	if token := c.Cookies(sessionCookie); token != "" {
		u, err := storage.SessionUser(s.store.Reader(), token, now)
		if err == nil {
			c.Locals(localPrincipal, &principal{User: newUserView(u)})
			return c.Next()
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return unauthorized("Your session has expired; sign in again.")
	}
	return unauthorized("Sign in, or send an API token as \"Authorization: Bearer <token>\".")
}

// principalOf returns the authenticated caller (nil outside /api/v1).
func principalOf(c *fiber.Ctx) *principal {
	p, _ := c.Locals(localPrincipal).(*principal)
	return p
}

// credentials is the body of login and setup.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login checks email and password and starts a session (cookie). After
// repeated failures for the email or from the address it answers 429
// without looking at the password (see loginThrottle).
func (s *Server) login(c *fiber.Ctx) error {
	var in credentials
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ip := s.clientIP(c)
	if wait := s.logins.wait(in.Email, ip); wait > 0 {
		s.log.InfoContext(c.UserContext(), "sign-in throttled", "request_id", requestIDOf(c), "ip", ip)
		return tooManySignIns(c, wait)
	}
	u, err := storage.Authenticate(s.store.Reader(), in.Email, in.Password)
	if errors.Is(err, storage.ErrBadCredentials) {
		s.logins.failed(in.Email, ip)
		return unauthorized("The email or the password is wrong.")
	}
	if err != nil {
		return err
	}
	s.logins.succeeded(in.Email, ip)
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": newUserView(u)})
}

// startSession creates a session and sets its cookie.
func (s *Server) startSession(c *fiber.Ctx, userID string) error {
	now := s.now()
	var token string
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		token, err = storage.CreateSession(tx, userID, s.cfg.SessionTTL, now)
		return err
	})
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: now.Add(s.cfg.SessionTTL),
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return nil
}

// logout ends the session of the cookie (if any) and clears the cookie.
func (s *Server) logout(c *fiber.Ctx) error {
	if token := c.Cookies(sessionCookie); token != "" {
		token = strings.Clone(token)
		if err := s.store.Write(c.UserContext(), func(tx storage.Tx) error { return storage.DeleteSession(tx, token) }); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.SendStatus(http.StatusNoContent)
}

// me says who is calling: {"user": {...}} or {"token": {...}}.
func (s *Server) me(c *fiber.Ctx) error {
	p := principalOf(c)
	if p.User != nil {
		return c.JSON(fiber.Map{"user": p.User})
	}
	return c.JSON(fiber.Map{"token": p.Token})
}

// setupStatus tells the editor whether the first-run screen is needed.
func (s *Server) setupStatus(c *fiber.Ctx) error {
	n, err := storage.CountUsers(s.store.Reader())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"needed": n == 0})
}

// setup creates the first admin and signs them in; once any user exists
// it answers 409.
func (s *Server) setup(c *fiber.Ctx) error {
	var in credentials
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	email := strings.TrimSpace(in.Email)
	if !strings.Contains(email, "@") || len(email) > 320 {
		return badRequest("Give the email address of the first administrator.")
	}
	if storage.CheckPassword(in.Password) != nil {
		return badRequest("%s", storage.PasswordRule())
	}
	var u *storage.User
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) (err error) {
		u, err = storage.CreateFirstAdmin(tx, email, in.Password, s.now())
		return err
	})
	if errors.Is(err, storage.ErrUsersExist) || errors.Is(err, storage.ErrDuplicate) {
		return conflict("Setup is already done: sign in, or ask an administrator for an account.")
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"user": newUserView(u)})
}

// listTokens lists API tokens (names and dates, never values).
func (s *Server) listTokens(c *fiber.Ctx) error {
	ts, err := storage.ListAPITokens(s.store.Reader())
	if err != nil {
		return err
	}
	out := make([]*tokenView, len(ts))
	for i := range ts {
		out[i] = newTokenView(&ts[i])
	}
	return c.JSON(fiber.Map{"tokens": out})
}

// createToken creates an API token; its value is in this answer only.
// The role defaults to admin, what every token could do before roles.
func (s *Server) createToken(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return badRequest("Give the token a name (at most 200 characters) to recognise it by.")
	}
	role, err := roleOrAdmin(in.Role)
	if err != nil {
		return err
	}
	var (
		value string
		t     *storage.APIToken
	)
	err = s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		value, t, err = storage.CreateAPITokenWithRole(tx, name, role, s.now())
		if err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditCreate, storage.AuditToken, t.ID,
			"created API token "+quoted(t.Name)+" with role "+t.Role)
	})
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(struct {
		*tokenView
		Token string `json:"token"`
	}{newTokenView(t), value})
}

// deleteToken revokes an API token.
func (s *Server) deleteToken(c *fiber.Ctx) error {
	id := param(c, "id")
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		if err := storage.DeleteAPIToken(tx, id); err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditDelete, storage.AuditToken, id, "revoked API token")
	})
	if err != nil {
		return orNotFound(err, "There is no API token with id %q.", id)
	}
	return c.SendStatus(http.StatusNoContent)
}
