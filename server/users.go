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

// minNewUserPassword is stricter than storage.MinPasswordLen (which the
// first-run setup keeps) for accounts an administrator creates.
const minNewUserPassword = 10

// errLastUser ends the delete transaction with a 409.
var errLastUser = errors.New("last user")

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
	var in credentials
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if !validEmail(email) {
		return badRequest("Give a valid email address, such as ann@example.com.")
	}
	if len(in.Password) < minNewUserPassword || len(in.Password) > storage.MaxPasswordLen {
		return badRequest("The password must be %d to %d characters long.", minNewUserPassword, storage.MaxPasswordLen)
	}
	var u *storage.User
	err := s.store.Write(c.UserContext(), func(tx *gorm.DB) error {
		var err error
		u, err = storage.CreateUser(tx, email, in.Password, s.now())
		return err
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
// themselves, and the last user stays, so that someone can still sign in.
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
		if n <= 1 {
			var exists int64
			if err := tx.Model(&storage.User{}).Where("id = ?", id).Count(&exists).Error; err != nil {
				return err
			}
			if exists > 0 {
				return errLastUser
			}
		}
		return storage.DeleteUser(tx, id)
	})
	if errors.Is(err, errLastUser) {
		return conflict("This is the last user; add another one before removing it.")
	}
	if err != nil {
		return orNotFound(err, "There is no user with id %q.", id)
	}
	return c.SendStatus(http.StatusNoContent)
}
