package testwait

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestScaleReadsTheVariable(t *testing.T) {
	t.Setenv(EnvScale, "3")
	if got := Scaled(time.Second); got != 3*time.Second {
		t.Fatalf("Scaled(1s) with %s=3 = %v, want 3s", EnvScale, got)
	}
	t.Setenv(EnvScale, "0.5") // below 1: the load decides, never shorter than the limit
	if got := Scaled(time.Second); got < time.Second {
		t.Fatalf("Scaled(1s) with %s=0.5 = %v, want at least 1s", EnvScale, got)
	}
}

func TestProgressStallsOnlyWhenTheCountStopsGrowing(t *testing.T) {
	t.Setenv(EnvScale, "1")
	p := NewProgress(50 * time.Millisecond)
	for i := range 5 {
		time.Sleep(20 * time.Millisecond) // 100ms in all: longer than the stall period
		if p.Stalled(int64(i)) {
			t.Fatalf("stalled at %d although the count grows", i)
		}
	}
	if p.Stalled(2) { // a drop is not progress, but the period has not passed yet
		t.Fatal("stalled before the period passed")
	}
	time.Sleep(60 * time.Millisecond)
	if !p.Stalled(4) {
		t.Fatal("not stalled after the count stayed at its best for longer than the period")
	}
}

func TestUntilAndWhileProgressing(t *testing.T) {
	t.Setenv(EnvScale, "1")
	var n atomic.Int64
	if !Until(time.Millisecond, 50*time.Millisecond, func() (int64, bool) { return n.Add(1), n.Load() >= 20 }) {
		t.Fatal("Until gave up while the count grew")
	}
	if Until(time.Millisecond, 20*time.Millisecond, func() (int64, bool) { return 7, false }) {
		t.Fatal("Until reported done for a check that never is")
	}
	ctx, cancel := WhileProgressing(context.Background(), time.Millisecond, 20*time.Millisecond, func() int64 { return 1 })
	defer cancel()
	<-ctx.Done() // a broken implementation hangs here until go test's -timeout
}
