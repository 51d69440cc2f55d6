package main

import (
	"log/slog"
	"os"
	"runtime"
)

// procsPerCPUOnSQLite is how many Go processors serve runs on SQLite per
// processor the runtime would give itself.
//
// SQLite's one writer commits every transaction, and it spends much of
// each in cgo calls into SQLite. A call that runs long hands its
// processor to other goroutines (webhooks, vendor calls); when it
// returns while every processor is busy, the writer waits in the
// scheduler's global queue, and with it every request of its batch.
// With more processors than CPUs the writer's thread gets a processor at
// once and the kernel shares the CPUs among the threads instead. The
// README's Benchmarks compare 2, 3, 4 and 6 processors on 2 CPUs.
const procsPerCPUOnSQLite = 2

// sqliteProcs raises GOMAXPROCS for a store with a single writer, unless
// the operator set GOMAXPROCS. It returns the processors in use.
func sqliteProcs(singleWriter bool, logger *slog.Logger) int {
	procs := runtime.GOMAXPROCS(0) // the CPUs, or the container's CPU limit
	if !singleWriter || os.Getenv("GOMAXPROCS") != "" {
		return procs
	}
	runtime.GOMAXPROCS(procs * procsPerCPUOnSQLite)
	logger.Debug("Go processors raised for SQLite's single writer", "from", procs, "to", procs*procsPerCPUOnSQLite)
	return procs * procsPerCPUOnSQLite
}
