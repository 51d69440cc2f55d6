package storage

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Roles of users and API tokens, from most to least powerful. Rows stored
// before roles were enforced hold "admin" (the column default), which is
// what they could do then.
const (
	// RoleAdmin may do everything, including users, API tokens,
	// credentials and the audit log.
	RoleAdmin = "admin"
	// RoleEditor may change journeys, contacts and runs, but not users,
	// API tokens or credentials.
	RoleEditor = "editor"
	// RoleViewer may only read.
	RoleViewer = "viewer"
)

// Roles lists the roles, most powerful first.
func Roles() []string { return []string{RoleAdmin, RoleEditor, RoleViewer} }

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	return role == RoleAdmin || role == RoleEditor || role == RoleViewer
}

// RoleRank orders roles: admin 3, editor 2, viewer 1, anything else 0
// (an unknown role may do nothing).
func RoleRank(role string) int {
	switch role {
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// RoleError rejects a role that is not one of Roles.
type RoleError struct{ Role string }

func (e *RoleError) Error() string {
	return fmt.Sprintf("role %q is not one of %s", e.Role, strings.Join(Roles(), ", "))
}

// CreateUserWithRole is CreateUser with a role other than admin; an
// unknown role is a *RoleError.
func CreateUserWithRole(tx Tx, email, password, role string, now time.Time) (*User, error) {
	if !ValidRole(role) {
		return nil, fmt.Errorf("create user: %w", &RoleError{Role: role})
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || !strings.Contains(email, "@") {
		return nil, fmt.Errorf("create user: invalid email %q", email)
	}
	if err := CheckPassword(password); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return nil, fmt.Errorf("create user: hash password: %w", err)
	}
	var n int64
	if err := tx.db.Model(&User{}).Where("email = ?", email).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("create user %s: %w", email, ErrDuplicate)
	}
	u := &User{ID: uuid.NewString(), Email: email, PasswordHash: string(hash), Role: role, CreatedAt: now.UTC()}
	if err := tx.db.Create(u).Error; err != nil {
		return nil, fmt.Errorf("create user: %w", mapErr(err))
	}
	return u, nil
}

// CreateAPITokenWithRole is CreateAPIToken with a role other than admin;
// an unknown role is a *RoleError.
func CreateAPITokenWithRole(tx Tx, name, role string, now time.Time) (string, *APIToken, error) {
	if !ValidRole(role) {
		return "", nil, fmt.Errorf("create api token: %w", &RoleError{Role: role})
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, errors.New("create api token: name is required")
	}
	raw, err := randomToken()
	if err != nil {
		return "", nil, fmt.Errorf("create api token: %w", err)
	}
	token := APITokenPrefix + raw
	t := &APIToken{ID: uuid.NewString(), Name: name, TokenHash: hashToken(token), Role: role, CreatedAt: now.UTC()}
	if err := tx.db.Create(t).Error; err != nil {
		return "", nil, fmt.Errorf("create api token: %w", mapErr(err))
	}
	return token, t, nil
}
