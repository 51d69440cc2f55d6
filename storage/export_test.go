package storage

import "golang.org/x/crypto/bcrypt"

// UseMinBcryptCost makes password hashing fast for the tests. Call it from
// TestMain, before any test runs.
func UseMinBcryptCost() { bcryptCost = bcrypt.MinCost }

// BcryptPeak is the most bcrypt hashes that ran at once, and the cap.
func BcryptPeak() (peak int64, limit int) { return bcryptPeak.Load(), bcryptLimit }
