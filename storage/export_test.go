package storage

import "golang.org/x/crypto/bcrypt"

// UseMinBcryptCost makes password hashing fast for the tests. Call it from
// TestMain, before any test runs.
func UseMinBcryptCost() { bcryptCost = bcrypt.MinCost }
