//go:build !cgo

package walbatch

import "errors"

// Register fails: SQLite is linked through cgo, and this build has none.
func Register() error { return errors.New("SQLite needs a build with CGO_ENABLED=1") }
