package storage

import (
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// ReplayToken is a one-time value of a signed callback (a Mailgun token, a
// webhook signature) seen recently. Kept in the database so that every
// instance sharing it refuses a replay, not only the one that saw it.
type ReplayToken struct {
	Key       string    `gorm:"primaryKey;size:200"`
	ExpiresAt time.Time `gorm:"not null;index"`
}

func (ReplayToken) TableName() string { return "replay_tokens" }

// ClaimReplayToken records key until expires and reports whether it was
// new; false means another request used it and it has not expired. Expired
// tokens are forgotten first (an indexed delete).
func ClaimReplayToken(tx Tx, key string, now, expires time.Time) (bool, error) {
	if err := tx.db.Where("expires_at <= ?", now.UTC()).Delete(&ReplayToken{}).Error; err != nil {
		return false, fmt.Errorf("forget expired replay tokens: %w", err)
	}
	res := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&ReplayToken{Key: key, ExpiresAt: expires.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("claim replay token: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ForgetReplayToken drops key: the request that used it was not processed,
// so the sender's retry must be accepted.
func ForgetReplayToken(tx Tx, key string) error {
	if err := tx.db.Where("key = ?", key).Delete(&ReplayToken{}).Error; err != nil {
		return fmt.Errorf("forget replay token: %w", err)
	}
	return nil
}
