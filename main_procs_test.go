package main

import (
	"io"
	"log/slog"
	"runtime"
	"testing"
)

func TestSQLiteGetsTwoGoProcessorsPerCPU(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })

	t.Setenv("GOMAXPROCS", "")
	if got := sqliteProcs(false, logger); got != before || runtime.GOMAXPROCS(0) != before {
		t.Fatalf("PostgreSQL: %d processors (GOMAXPROCS %d), want %d as before", got, runtime.GOMAXPROCS(0), before)
	}
	if got := sqliteProcs(true, logger); got != 2*before || runtime.GOMAXPROCS(0) != 2*before {
		t.Fatalf("SQLite: %d processors (GOMAXPROCS %d), want %d", got, runtime.GOMAXPROCS(0), 2*before)
	}

	runtime.GOMAXPROCS(before)
	t.Setenv("GOMAXPROCS", "3") // read at start-up only: the runtime keeps before
	if got := sqliteProcs(true, logger); got != before || runtime.GOMAXPROCS(0) != before {
		t.Fatalf("SQLite with GOMAXPROCS set: %d processors (GOMAXPROCS %d), want the operator's choice kept (%d)",
			got, runtime.GOMAXPROCS(0), before)
	}
}
