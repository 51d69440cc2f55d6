package storage

import "gorm.io/gorm"

// dialect is what differs between the databases the store runs on. There
// is one implementation per database (driver_sqlite.go,
// driver_postgres.go), chosen once when the store opens; the rest of
// package storage asks it instead of testing which database it is on.
// The conformance suite (storagetest) holds both to the same behaviour.
type dialect interface {
	// The driver is registered as a GORM plugin on the store's pools, so
	// a *gorm.DB that GORM hands to a hook finds its driver (dialectOf).
	gorm.Plugin
}

// dialectPlugin is the name under which the driver is registered.
const dialectPlugin = "journey.storage.dialect"

// dialectOf returns the driver registered on db's pool.
func dialectOf(db *gorm.DB) dialect {
	return db.Config.Plugins[dialectPlugin].(dialect)
}
