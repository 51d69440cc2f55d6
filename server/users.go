package server

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

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
	err = s.store.Write(c.UserContext(), func(tx *gorm.DB) error {
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
	err := s.store.Write(c.UserContext(), func(tx *gorm.DB) error {
		n, err := storage.CountUsers(tx)
		if err != nil {
			return err
		}
		var target storage.User
		if err := tx.Where("id = ?", id).Take(&target).Error; errors.Is(err, gorm.ErrRecordNotFound) {
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

// setUserRole is PATCH /users/:id {role}: an administrator changes what a
// user may do. The last administrator stays one (409).
func (s *Server) setUserRole(c *fiber.Ctx) error {
	id := param(c, "id")
	var in struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	role := strings.ToLower(strings.TrimSpace(in.Role))
	if !storage.ValidRole(role) {
		return badRequest("role must be %s.", strings.Join(storage.Roles(), ", "))
	}
	var u *storage.User
	err := s.store.Write(c.UserContext(), func(tx *gorm.DB) error {
		var err error
		if u, err = storage.SetUserRole(tx, id, role); err != nil {
			return err
		}
		return s.auditTx(tx, c, storage.AuditUpdate, storage.AuditUser, u.ID, "changed the role of "+u.Email+" to "+u.Role)
	})
	if errors.Is(err, storage.ErrLastAdmin) {
		return conflict("This is the last administrator; make another user an administrator first.")
	}
	if err != nil {
		return orNotFound(err, "There is no user with id %q.", id)
	}
	return c.JSON(fiber.Map{"user": newUserView(u)})
}
