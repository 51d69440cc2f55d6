package storage

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// Setting is one instance-wide key/value pair, such as the marker of a
// demo database.
type Setting struct {
	Name      string    `gorm:"primaryKey;size:100"`
	Value     string    `gorm:"type:text;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (Setting) TableName() string { return "settings" }

// SettingDemo marks a database made by "journey demo"; demo refuses to
// touch a database holding data without it.
const SettingDemo = "demo"

// GetSetting returns the value of key, or ErrNotFound.
func GetSetting(db Tx, key string) (string, error) {
	var s Setting
	if err := db.db.Where("name = ?", key).Take(&s).Error; err != nil {
		return "", fmt.Errorf("get setting %s: %w", key, notFound(err))
	}
	return s.Value, nil
}

// PutSetting stores value under key, replacing an earlier value.
func PutSetting(tx Tx, key, value string, now time.Time) error {
	s := Setting{Name: key, Value: value, UpdatedAt: now.UTC()}
	err := tx.db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).Create(&s).Error
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}

// HoldsData reports whether the database has any flow, user, API token,
// contact or run: whether it is in use.
func HoldsData(db Tx) (bool, error) {
	for _, m := range []any{&Flow{}, &User{}, &APIToken{}, &Contact{}, &Run{}} {
		var n int64
		if err := db.db.Model(m).Limit(1).Count(&n).Error; err != nil {
			return false, fmt.Errorf("holds data: %w", err)
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// SetPassword replaces the password of the user with email. ErrNotFound
// when there is no such user; a password that breaks PasswordRule is a
// *WeakPasswordError.
func SetPassword(tx Tx, email, password string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return fmt.Errorf("set password: hash: %w", err)
	}
	res := tx.db.Model(&User{}).Where("email = ?", email).Update("password_hash", string(hash))
	if res.Error != nil {
		return fmt.Errorf("set password: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set password %s: %w", email, ErrNotFound)
	}
	return nil
}

// ResetPassword sets a new password for the user with email and ends all
// their sessions (whoever knew the old password is signed out). It
// returns the user's id; ErrNotFound when there is no such user.
func ResetPassword(tx Tx, email, password string) (string, error) {
	if err := SetPassword(tx, email, password); err != nil {
		return "", err
	}
	var u User
	if err := tx.db.Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Take(&u).Error; err != nil {
		return "", fmt.Errorf("reset password: %w", mapErr(err))
	}
	if err := tx.db.Where("user_id = ?", u.ID).Delete(&Session{}).Error; err != nil {
		return "", fmt.Errorf("reset password: end sessions: %w", err)
	}
	return u.ID, nil
}
