package server

import (
	"errors"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// errLastUser and errLastAdmin end the delete transaction with a 409.
var (
	errLastUser  = errors.New("last user")
	errLastAdmin = errors.New("last admin")
)

// newUserRequest is the body of POST /users.
type newUserRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// Role defaults to admin, what every user could do before roles.
	Role string `json:"role"`
}

// roleOrAdmin checks a role from a request; empty means admin.
func roleOrAdmin(role string) (string, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	if role == "" {
		return storage.RoleAdmin, nil
	}
	if !storage.ValidRole(role) {
		return "", badRequest("role must be %s.", strings.Join(storage.Roles(), ", ")+" (default admin)")
	}
	return role, nil
}

// listUsers lists the people who can sign in (never password hashes).
func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := storage.ListUsers(s.store.Reader())
	if err != nil {
		return err
	}
	out := make([]*userView, len(us))
	for i := range us {
		out[i] = newUserView(&us[i])
	}
	return c.JSON(fiber.Map{"users": out})
}

// validEmail accepts a bare address such as ann@example.com.
func validEmail(email string) bool {
	if email == "" || len(email) > 320 {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	local, domain, ok := strings.Cut(email, "@")
	return ok && local != "" && domain != "" && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// createUser adds a user who can sign in with email and password.
func (s *Server) createUser(c *fiber.Ctx) error {
	var in newUserRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	role, err := roleOrAdmin(in.Role)
	if err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if !validEmail(email) {
		return badRequest("Give a valid email address, such as ann@example.com.")
	}
	if storage.CheckPassword(in.Password) != nil {
		return badRequest("%s", storage.PasswordRule())
	}
	var u *storage.User
	err = s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		u, err = storage.CreateUserWithRole(tx, email, in.Password, role, s.now())
		if err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditCreate, storage.AuditUser, u.ID, "added user "+u.Email+" with role "+u.Role)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return conflict("There is already a user with this email address.")
	}
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"user": newUserView(u)})
}

// deleteUser removes a user and ends their sessions. Nobody removes
// themselves, and the last user and the last admin stay, so that someone
// can still sign in and manage accounts.
func (s *Server) deleteUser(c *fiber.Ctx) error {
	id := param(c, "id")
	if p := principalOf(c); p != nil && p.User != nil && p.User.ID == id {
		return conflict("You cannot remove yourself; ask another administrator to do it.")
	}
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		n, err := storage.CountUsers(tx)
		if err != nil {
			return err
		}
		target, err := storage.GetUser(tx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return notFound("There is no user with id %q.", id)
		} else if err != nil {
			return err
		}
		if n <= 1 {
			return errLastUser
		}
		if target.Role == storage.RoleAdmin {
			admins, err := storage.LockAdmins(tx)
			if err != nil {
				return err
			}
			if admins <= 1 {
				return errLastAdmin
			}
		}
		if err := storage.DeleteUser(tx, id); err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditDelete, storage.AuditUser, id, "removed user "+target.Email)
	})
	if errors.Is(err, errLastUser) {
		return conflict("This is the last user; add another one before removing it.")
	}
	if errors.Is(err, errLastAdmin) {
		return conflict("This is the last administrator; make another user an administrator before removing this one.")
	}
	if err != nil {
		return orNotFound(err, "There is no user with id %q.", id)
	}
	return c.SendStatus(http.StatusNoContent)
}

// userUpdate is the body of PATCH /users/:id. Every field is optional; a
// field left out keeps its value.
type userUpdate struct {
	Role *string `json:"role"`
	// The salesperson fields of lead routing.
	Name *string `json:"name"`
	// AwayUntil is a date ("2026-12-24": back that day) or a date and
	// time; null or "" clears it.
	AwayUntil *string            `json:"away_until"`
	TimeZone  *string            `json:"time_zone"`
	WorkDays  *[]string          `json:"work_days"`
	WorkStart *string            `json:"work_start"`
	WorkEnd   *string            `json:"work_end"`
	OwnerIDs  *map[string]string `json:"owner_ids"`
	SlackID   *string            `json:"slack_id"`
}

// setUserRole is PATCH /users/:id: an administrator changes what a user
// may do (role; the last administrator stays one, 409) and how leads are
// routed to them (name, away until, working hours, CRM owner ids).
func (s *Server) setUserRole(c *fiber.Ctx) error {
	id := param(c, "id")
	var in userUpdate
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	role := ""
	if in.Role != nil {
		role = strings.ToLower(strings.TrimSpace(*in.Role))
		if !storage.ValidRole(role) {
			return badRequest("role must be %s.", strings.Join(storage.Roles(), ", "))
		}
	}
	var u *storage.User
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		if u, err = storage.GetUser(tx, id); err != nil {
			return err
		}
		if role != "" && role != u.Role {
			if u, err = storage.SetUserRole(tx, id, role); err != nil {
				return err
			}
			if err := s.auditTx(tx, c, storage.AuditUpdate, storage.AuditUser, u.ID, "changed the role of "+u.Email+" to "+u.Role); err != nil {
				return err
			}
		}
		if !in.changesRouting() {
			return nil
		}
		p, err := in.routing(tx, u.Routing())
		if err != nil {
			return err
		}
		if u, err = storage.SetUserRouting(tx, id, p); err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditUpdate, storage.AuditUser, u.ID, "changed how leads are routed to "+u.Email)
	})
	if errors.Is(err, storage.ErrLastAdmin) {
		return conflict("This is the last administrator; make another user an administrator first.")
	}
	if err != nil {
		return orNotFound(err, "There is no user with id %q.", id)
	}
	return c.JSON(fiber.Map{"user": newUserView(u)})
}

// changesRouting reports whether the update sets a routing field.
func (in *userUpdate) changesRouting() bool {
	return in.Name != nil || in.AwayUntil != nil || in.TimeZone != nil || in.WorkDays != nil ||
		in.WorkStart != nil || in.WorkEnd != nil || in.OwnerIDs != nil || in.SlackID != nil
}

// slackMemberID looks like a Slack member id (U0123ABCD, W0123ABCD).
var slackMemberID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// routing applies the update's routing fields to p, checking each, and
// returns p; a bad value is a 400 saying what to write instead.
func (in *userUpdate) routing(tx storage.Tx, p storage.RoutingProfile) (storage.RoutingProfile, error) {
	if in.Name != nil {
		p.Name = strings.Join(strings.Fields(*in.Name), " ")
		if len(p.Name) > 200 {
			return p, badRequest("The name is too long: use at most 200 characters.")
		}
	}
	if in.TimeZone != nil {
		p.TimeZone = strings.TrimSpace(*in.TimeZone)
		if _, err := time.LoadLocation(p.TimeZone); p.TimeZone != "" && (err != nil || strings.EqualFold(p.TimeZone, "local")) {
			return p, badRequest("%q is not a time zone: use a name like Europe/Berlin or America/New_York.", p.TimeZone)
		}
	}
	if in.AwayUntil != nil {
		v := strings.TrimSpace(*in.AwayUntil)
		switch {
		case v == "":
			p.AwayUntil = nil
		default:
			t, err := parseAwayUntil(v, p.TimeZone)
			if err != nil {
				return p, err
			}
			p.AwayUntil = &t
		}
	}
	if in.WorkDays != nil {
		days := make([]string, 0, len(*in.WorkDays))
		seen := map[time.Weekday]bool{}
		for _, d := range *in.WorkDays {
			wd, err := nodes.ParseWeekday(d)
			if err != nil {
				return p, badRequest("%q is not a day of the week: use mon, tue, wed, thu, fri, sat or sun.", d)
			}
			seen[wd] = true
		}
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if seen[wd] {
				days = append(days, strings.ToLower(wd.String()[:3]))
			}
		}
		p.WorkDays = days
	}
	if in.WorkStart != nil {
		p.WorkStart = strings.TrimSpace(*in.WorkStart)
	}
	if in.WorkEnd != nil {
		p.WorkEnd = strings.TrimSpace(*in.WorkEnd)
	}
	if (p.WorkStart == "") != (p.WorkEnd == "") {
		return p, badRequest("Give both the start and the end of the working hours (like 09:00 and 17:00), or neither for all day.")
	}
	for _, t := range []string{p.WorkStart, p.WorkEnd} {
		if t == "" {
			continue
		}
		ct, err := nodes.ParseClockTime(t)
		if err != nil {
			return p, badRequest("%q is not a time of day: use hours and minutes like 09:00 or 17:30.", t)
		}
		if t == p.WorkStart {
			p.WorkStart = ct.String()
		} else {
			p.WorkEnd = ct.String()
		}
	}
	if p.WorkStart != "" && p.WorkStart == p.WorkEnd {
		return p, badRequest("The working hours start and end at the same time; leave both empty for all day.")
	}
	if in.OwnerIDs != nil {
		ids := map[string]string{}
		for cred, owner := range *in.OwnerIDs {
			owner = strings.TrimSpace(owner)
			if owner == "" {
				continue
			}
			if len(owner) > 100 {
				return p, badRequest("The owner id %q is too long.", owner)
			}
			if _, err := storage.GetCredential(tx, cred); errors.Is(err, storage.ErrNotFound) {
				return p, badRequest("There is no connected account with id %q for an owner id.", cred)
			} else if err != nil {
				return p, err
			}
			ids[cred] = owner
		}
		p.OwnerIDs = ids
	}
	if in.SlackID != nil {
		p.SlackID = strings.ToUpper(strings.TrimSpace(*in.SlackID))
		if p.SlackID != "" && !slackMemberID.MatchString(p.SlackID) {
			return p, badRequest("%q is not a Slack member id: in Slack, open the person's profile, choose ⋮ and Copy member ID (it looks like U0123ABCD).", p.SlackID)
		}
	}
	return p, nil
}

// parseAwayUntil reads "2026-12-24" (back at the start of that day, in
// the user's time zone, else UTC) or an RFC 3339 date and time.
func parseAwayUntil(v, tz string) (time.Time, error) {
	loc := time.UTC
	if l, err := time.LoadLocation(tz); tz != "" && err == nil {
		loc = l
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, badRequest("%q is not a date: use the day they are back, like 2026-12-24.", v)
}
