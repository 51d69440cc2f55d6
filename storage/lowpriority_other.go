//go:build !linux

package storage

// atLowPriority runs fn: lowering one thread's priority is Linux's.
func atLowPriority(fn func()) { fn() }
