package storage_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/journeyhq/journey/storage"
)

// On SQLite a Write waits for the one writer connection; a caller that
// gives up meanwhile gets its context's error at once, without waiting
// for the writer, and its callback never runs.
func TestWriteCancelledWhileWaitingForTheWriter(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	holding, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Write(context.Background(), func(storage.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	waiting := make(chan error, 1)
	go func() {
		waiting <- s.Write(ctx, func(storage.Tx) error {
			ran <- struct{}{}
			return nil
		})
	}()
	for !s.WritersWaiting() {
		runtime.Gosched()
	}
	cancel()
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: err %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), func(storage.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Fatal("the cancelled write ran")
	default:
	}
}
