package storage

import (
	"fmt"

	"gorm.io/gorm"
)

// ListUsers returns every user, oldest first.
func ListUsers(db *gorm.DB) ([]User, error) {
	var us []User
	if err := db.Order("created_at, id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// DeleteUser removes the user with this id and signs them out everywhere;
// a missing one is ErrNotFound.
func DeleteUser(tx *gorm.DB, id string) error {
	if err := tx.Where("user_id = ?", id).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete user sessions: %w", err)
	}
	res := tx.Where("id = ?", id).Delete(&User{})
	if res.Error != nil {
		return fmt.Errorf("delete user: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete user: %w", ErrNotFound)
	}
	return nil
}
