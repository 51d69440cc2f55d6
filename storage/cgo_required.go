//go:build !cgo

package storage

// SQLite is linked through cgo, and this build has none. Rather than the
// driver's own errors, the build stops on the name below, which says what
// to do: build with CGO_ENABLED=1 and a C compiler (gcc) installed.

const (
	cachedSQLiteDriver = ""
	cachedSQLiteWriter = ""
)

func registerCachedSQLite() {
	journey_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_such_as_gcc()
}
