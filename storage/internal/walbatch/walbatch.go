//go:build cgo

package walbatch

// int journey_walbatch_register(void);
// long long journey_walbatch_writes(void);
// long long journey_walbatch_chunk_reads(void);
import "C"

import (
	"fmt"
	"sync"
)

var (
	once        sync.Once
	registerErr error
)

// Register registers the VFS with the SQLite linked into the binary
// (github.com/mattn/go-sqlite3's); calls after the first return the
// first's answer.
func Register() error {
	once.Do(func() {
		if rc := C.journey_walbatch_register(); rc != 0 {
			registerErr = fmt.Errorf("register the SQLite VFS %s: SQLite error %d", Name, int(rc))
		}
	})
	return registerErr
}

// walWrites counts the writes the VFS has handed to the file underneath
// for WAL files, for the tests.
func walWrites() int64 { return int64(C.journey_walbatch_writes()) }

// walChunkReads counts the WAL reads served from read chunks, for the
// tests.
func walChunkReads() int64 { return int64(C.journey_walbatch_chunk_reads()) }
