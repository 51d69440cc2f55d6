//go:build cgo

package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestRefreshAnalyticsEndsWhileMarksKeepComing: a refresh counts the marks
// committed before it began and leaves the later ones to the next
// refresh. Before, it read the marks again after each pass, and while
// journeys ran (each of their transactions marks today) it counted today
// over and over, a Results request waiting on it, until the journeys
// stopped. Here a mark is committed during every pass, as the journeys
// would; the hook stops after a few so that the old way ends too.
func TestRefreshAnalyticsEndsWhileMarksKeepComing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "marks.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	today := time.Now()
	mark := func() {
		t.Helper()
		if err := s.Write(ctx, func(tx Tx) error { return markDay(rawOf(tx), today) }); err != nil {
			t.Fatal(err)
		}
	}
	marks := func() (n int) {
		t.Helper()
		if err := s.Reader().db.Raw(`SELECT COUNT(*) FROM analytics_marks`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	mark()
	mark()
	passes := 0
	err = s.refreshAnalytics(ctx, false, func() {
		passes++
		if passes <= 5 {
			mark() // a journey's transaction while the day is counted
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if passes != 1 {
		t.Fatalf("the refresh made %d passes while marks kept coming, want 1", passes)
	}
	if n := marks(); n != 1 {
		t.Fatalf("%d marks left, want 1: the one committed during the pass, for the next refresh", n)
	}
	if s.AnalyticsCountedAt().IsZero() {
		t.Fatal("the refresh did not record when it counted")
	}
	if err := s.RefreshAnalytics(ctx); err != nil {
		t.Fatal(err)
	}
	if n := marks(); n != 0 {
		t.Fatalf("%d marks left after the next refresh, want 0", n)
	}
}
