package storage

import (
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// UseMinBcryptCost makes password hashing fast for the tests. Call it from
// TestMain, before any test runs.
func UseMinBcryptCost() { bcryptCost = bcrypt.MinCost }

// BcryptPeak is the most bcrypt hashes that ran at once, and the cap.
func BcryptPeak() (peak int64, limit int) { return bcryptPeak.Load(), bcryptLimit }

// AnalyticsRaw counts f's period from the raw rows, whatever its bounds:
// what the rollups must equal.
func AnalyticsRaw(db *gorm.DB, f AnalyticsFilter) (*AnalyticsTotals, error) {
	t := &AnalyticsTotals{Channels: map[string]*ChannelCounts{}}
	return t, analyticsRaw(rawOf(db), f, t)
}
