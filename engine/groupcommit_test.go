package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/journeyhq/journey/storage"
)

// Concurrent requests share transactions; a request that fails leaves
// nothing behind and gets its own error, and the others are stored.
func TestGroupCommitIsolatesFailedRequests(t *testing.T) {
	store, err := storage.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "g.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	g := &groupCommit{store: store}
	errBad := errors.New("bad request")
	const n = 200
	var wg sync.WaitGroup
	got := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = g.write(context.Background(), func(tx *gorm.DB) error {
				key := fmt.Sprintf("req-%d", i)
				if _, err := storage.InsertEvent(tx, &storage.Event{ID: storage.NewID(), Type: "test", Data: "{}",
					At: time.Now(), ReceivedAt: time.Now(), DedupKey: &key}); err != nil {
					return err
				}
				if i%7 == 0 {
					return errBad // after writing: its row must be undone
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range got {
		if want := i%7 == 0; errors.Is(err, errBad) != want || (!want && err != nil) {
			t.Fatalf("request %d: err %v", i, err)
		}
		var count int64
		key := fmt.Sprintf("req-%d", i)
		if err := store.Reader().Model(&storage.Event{}).Where("dedup_key = ?", key).Count(&count).Error; err != nil {
			t.Fatal(err)
		}
		if want := int64(1); i%7 == 0 {
			want = 0
			if count != want {
				t.Fatalf("failed request %d left its event behind", i)
			}
		} else if count != want {
			t.Fatalf("request %d: %d events, want 1", i, count)
		}
	}
}
