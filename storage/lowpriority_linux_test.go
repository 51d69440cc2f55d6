//go:build cgo

package storage

import (
	"context"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestBackgroundCountRunsAtLowPriority: atLowPriority runs its function
// on a thread whose nice value is backgroundNice, and leaves the caller's
// thread as it was; RefreshAnalyticsInBackground counts and clears the
// marks as RefreshAnalytics does.
func TestBackgroundCountRunsAtLowPriority(t *testing.T) {
	nice := func() int {
		// The system call answers 20 - nice (never negative).
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Fatal(err)
		}
		return 20 - p
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := nice()
	inside := before
	atLowPriority(func() { inside = nice() })
	if inside != backgroundNice {
		t.Fatalf("the function ran at nice %d, want %d", inside, backgroundNice)
	}
	if after := nice(); after != before {
		t.Fatalf("the caller's thread went from nice %d to %d", before, after)
	}

	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "background.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, func(tx Tx) error { return markDay(rawOf(tx), time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshAnalyticsInBackground(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.Reader().db.Raw(`SELECT COUNT(*) FROM analytics_marks`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 || s.AnalyticsCountedAt().IsZero() {
		t.Fatalf("after a background refresh: %d marks left, counted at %v", n, s.AnalyticsCountedAt())
	}
}
