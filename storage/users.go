package storage

import (
	"errors"
	"fmt"
)

// ListUsers returns every user, oldest first.
func ListUsers(db Tx) ([]User, error) {
	var us []User
	if err := db.db.Order("created_at, id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// DeleteUser removes the user with this id and signs them out everywhere;
// a missing one is ErrNotFound.
func DeleteUser(tx Tx, id string) error {
	if err := tx.db.Where("user_id = ?", id).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete user sessions: %w", err)
	}
	if err := releaseOwnedContacts(tx, id); err != nil {
		return err
	}
	res := tx.db.Where("id = ?", id).Delete(&User{})
	if res.Error != nil {
		return fmt.Errorf("delete user: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete user: %w", ErrNotFound)
	}
	return nil
}

// ErrLastAdmin refuses a change that would leave no administrator, so that
// someone can still manage users and tokens.
var ErrLastAdmin = errors.New("the last administrator must stay an administrator")

// SetUserRole changes the role of the user with this id and returns the
// user as changed. A missing user is ErrNotFound, an unknown role a
// *RoleError, and demoting the last admin ErrLastAdmin.
func SetUserRole(tx Tx, id, role string) (*User, error) {
	if !ValidRole(role) {
		return nil, fmt.Errorf("set user role: %w", &RoleError{Role: role})
	}
	var u User
	if err := tx.db.Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("set user role: %w", mapErr(err))
	}
	if u.Role == role {
		return &u, nil
	}
	if u.Role == RoleAdmin {
		admins, err := LockAdmins(tx)
		if err != nil {
			return nil, fmt.Errorf("set user role: %w", err)
		}
		if admins <= 1 {
			return nil, fmt.Errorf("set user role: %w", ErrLastAdmin)
		}
	}
	if err := tx.db.Model(&User{}).Where("id = ?", id).Update("role", role).Error; err != nil {
		return nil, fmt.Errorf("set user role: %w", err)
	}
	u.Role = role
	return &u, nil
}

// LockAdmins counts the administrators. On PostgreSQL it locks their rows
// until the transaction ends, so two admins demoting or removing each other
// at once cannot leave none (SQLite has one writer: no race there).
func LockAdmins(tx Tx) (int, error) {
	// Ordered, so that concurrent transactions lock the rows in one order.
	q := "SELECT id FROM users WHERE role = ? ORDER BY id" + tx.dl.lockRows()
	var ids []string
	if err := tx.db.Raw(q, RoleAdmin).Scan(&ids).Error; err != nil {
		return 0, err
	}
	return len(ids), nil
}
