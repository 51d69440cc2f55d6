package main

import (
	"flag"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/server"
)

// intakeFlags are the limits of the public webhook intake (/hooks/*).
func intakeFlags(fs *flag.FlagSet, c *config) {
	fs.IntVar(&c.HookConcurrency, "hook-concurrency", envInt("JOURNEY_HOOK_CONCURRENCY", server.DefaultHookConcurrency),
		"how many webhook requests (/hooks/*) are handled at once; more are answered 429 with Retry-After; 0: no limit [JOURNEY_HOOK_CONCURRENCY]")
	fs.IntVar(&c.HookRate, "hook-rate", envInt("JOURNEY_HOOK_RATE", server.DefaultHookRate),
		"how many webhook requests a minute one client address may send (see --trusted-proxies); more are answered 429 with Retry-After; 0: no limit [JOURNEY_HOOK_RATE]")
	fs.IntVar(&c.MaxBacklog, "max-backlog", envInt("JOURNEY_MAX_BACKLOG", engine.DefaultMaxBacklog),
		"how many steps may wait for a worker (jobs due and not yet taken, counted across instances); beyond, webhook triggers are answered 503 with Retry-After until the workers catch up; 0: no limit [JOURNEY_MAX_BACKLOG]")
}

// envInt reads a whole number from the environment (def when unset or not
// a number).
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(envOr(key, "")); err == nil {
		return n
	}
	return def
}

// intakeLimit turns a flag value into server.Config's: 0 (no limit) is
// negative there, where 0 means the default.
func intakeLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// softMemoryLimit is the Go heap size past which the collector works
// harder, unless GOMEMLIMIT is set ("off" turns it off). engine.GCPercent
// trades memory for CPU on the assumption that the live heap is small;
// large webhook bodies break it (64 concurrent 1 MiB bodies reached 1.7 GB
// RSS at GOGC 400 with no limit, 287 MB with this one: .ci/bench/bigbodies).
const softMemoryLimit = 200 << 20

func defaultMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
}
