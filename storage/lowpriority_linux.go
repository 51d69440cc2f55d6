package storage

import (
	"runtime"
	"syscall"
)

// backgroundNice is the kernel's priority (nice) of work nobody waits on.
const backgroundNice = 10

// atLowPriority runs fn on an OS thread of its own at nice backgroundNice
// and waits for it. The Results' background count reads whole days of
// rows in SQLite's C code; at the usual priority it took a CPU from the
// webhooks and the writer for as long as it read (see the README's
// Benchmarks), where at nice 10 the kernel gives it about a tenth of a
// CPU they want. The thread is never handed back to the Go scheduler:
// its goroutine ends locked to it, so the runtime ends the thread too.
func atLowPriority(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // not unlocked: the thread ends with this goroutine
		// Without the priority fn still runs; it only competes as before.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), backgroundNice)
		fn()
	}()
	<-done
}
