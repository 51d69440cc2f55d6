// Package gormkey holds the key that opens a storage.Tx. It is internal to
// storage, so only storage and the packages under it (the conformance suite
// and the test helpers in storagetest) can reach the *gorm.DB inside a
// handle; code outside storage cannot name Key, so it cannot build queries.
package gormkey

// Key is passed to storage.Tx.GormDB. Its unexported field keeps a literal
// of an unnamed struct type from standing in for it.
type Key struct{ private byte }
