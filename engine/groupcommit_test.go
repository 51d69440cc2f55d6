package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine/testwait"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// Concurrent requests share transactions; a request that fails leaves
// nothing behind and gets its own error, and the others are stored.
func TestGroupCommitIsolatesFailedRequests(t *testing.T) {
	g, store := sqliteGroupCommit(t)
	errBad := errors.New("bad request")
	const n = 200
	var wg sync.WaitGroup
	got := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = g.write(context.Background(), func(tx storage.Tx) error {
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
		if err := storagetest.Count(store.Reader(), &count, &storage.Event{}, "dedup_key = ?", key); err != nil {
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

// A request whose caller gives up while it waits for the writer returns
// the context's error at once, and its writes never happen.
func TestGroupCommitCancelledWhileQueuedNeverRuns(t *testing.T) {
	g, _ := sqliteGroupCommit(t)

	// The first request holds the writer until released.
	release := holdBatch(g, nil)

	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	queued := make(chan error, 1)
	go func() {
		queued <- g.write(ctx, func(storage.Tx) error {
			ran <- struct{}{}
			return nil
		})
	}()
	for {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	// The writer is still held: the answer cannot have waited for it.
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: err %v, want context.Canceled", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// A later request runs after anything still queued would have.
	if err := g.write(context.Background(), func(storage.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Fatal("the cancelled request ran")
	default:
	}
}

// A request whose context ends after a batch took it gets the batch's
// answer: nil only if its writes committed.
func TestGroupCommitCancelledInBatchTellsTheTruth(t *testing.T) {
	g, store := sqliteGroupCommit(t)
	ctx, cancel := context.WithCancel(context.Background())
	key := "in-batch"
	err := g.write(ctx, func(tx storage.Tx) error {
		_, err := storage.InsertEvent(tx, &storage.Event{ID: storage.NewID(), Type: "test", Data: "{}",
			At: time.Now(), ReceivedAt: time.Now(), DedupKey: &key})
		cancel() // the caller gives up while its write is under way
		return err
	})
	var count int64
	if err := storagetest.Count(store.Reader(), &count, &storage.Event{}, "dedup_key = ?", key); err != nil {
		t.Fatal(err)
	}
	if (err == nil) != (count == 1) {
		t.Fatalf("write returned %v with %d events stored", err, count)
	}
}

// A result (writeLater) waits while requests that someone waits on are
// queued: the batch after a busy one takes those alone, and the result
// commits in the next; a result alone commits at once.
func TestGroupCommitLaterWaitsForQueuedRequests(t *testing.T) {
	g, _ := sqliteGroupCommit(t)
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, s)
	}
	if err := g.writeLater(context.Background(), func(storage.Tx, bool) error { note("alone"); return nil }); err != nil {
		t.Fatal(err)
	}

	release := holdBatch(g, func() { note("busy") })
	done := make(chan error, 2)
	go func() {
		done <- g.writeLater(context.Background(), func(storage.Tx, bool) error { note("result"); return nil })
	}()
	waitQueued(g, 1)
	go func() {
		done <- g.write(context.Background(), func(storage.Tx) error { note("webhook"); return nil })
	}()
	waitQueued(g, 2)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(order), "[alone busy webhook result]"; got != want {
		t.Fatalf("committed in the order %s, want %s", got, want)
	}
}

// Results do not wait without end: once maxGroup of them are queued, the
// next batch takes them along with the requests queued before them.
func TestGroupCommitLaterJoinsWhenManyWait(t *testing.T) {
	g, _ := sqliteGroupCommit(t)
	release := holdBatch(g, nil)
	done := make(chan error, maxGroup+1)
	var batches sync.Map // request -> the transaction it ran in
	for i := range maxGroup {
		go func() {
			done <- g.writeLater(context.Background(), func(tx storage.Tx, _ bool) error {
				batches.Store(fmt.Sprint("result", i), tx)
				return nil
			})
		}()
	}
	waitQueued(g, maxGroup)
	go func() {
		done <- g.write(context.Background(), func(tx storage.Tx) error { batches.Store("webhook", tx); return nil })
	}()
	waitQueued(g, maxGroup+1)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for range maxGroup + 1 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	webhook, _ := batches.Load("webhook")
	for i := range maxGroup {
		if tx, _ := batches.Load(fmt.Sprint("result", i)); tx != webhook {
			t.Fatalf("result %d committed apart from the webhook queued after the %d results", i, maxGroup)
		}
	}
}

// sqliteGroupCommit is a group commit on a fresh SQLite file.
func sqliteGroupCommit(t *testing.T) (*groupCommit, *storage.Store) {
	t.Helper()
	store, err := storage.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "g.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return &groupCommit{store: store}, store
}

// holdBatch starts a request that keeps its batch under way (on SQLite,
// the writer) until release is called; the request then runs then (if
// any), and release returns its error once its batch has committed.
func holdBatch(g *groupCommit, then func()) (release func() error) {
	holding, released := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- g.write(context.Background(), func(storage.Tx) error {
			close(holding)
			<-released
			if then != nil {
				then()
			}
			return nil
		})
	}()
	<-holding
	return func() error {
		close(released)
		return <-done
	}
}

// waitQueued waits until n requests wait in g's queues.
func waitQueued(g *groupCommit, n int) {
	for {
		g.mu.Lock()
		q := len(g.queue) + len(g.later)
		g.mu.Unlock()
		if q == n {
			return
		}
		runtime.Gosched()
	}
}

// On PostgreSQL a batch does not wait for the one under way: with one
// transaction held open, the next request still commits.
func TestGroupCommitBatchesAtOnceOnPostgres(t *testing.T) {
	if os.Getenv("TEST_POSTGRES_DSN") == "" {
		t.Skip("needs PostgreSQL: set TEST_POSTGRES_DSN")
	}
	store, err := storage.Open(context.Background(), storagetest.PostgresDSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	g := &groupCommit{store: store, parallel: groupCommitsAtOnce(store)}
	release := holdBatch(g, nil)
	defer func() {
		if err := release(); err != nil {
			t.Error(err)
		}
	}()
	// A lone drainer would be held by the first batch until its release.
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Scaled(time.Minute))
	defer cancel()
	if err := g.write(ctx, func(storage.Tx) error { return nil }); err != nil {
		t.Fatalf("the second request waited for the first batch: %v", err)
	}
}

// A batch reads its webhooks' contacts ahead with one query; a request
// that creates a contact makes the requests after it in the batch look it
// up again, so they find it.
func TestGroupCommitContactsReadAheadSeeTheBatchsWrites(t *testing.T) {
	g, store := sqliteGroupCommit(t)
	now := time.Now()
	var known string
	if err := store.Write(context.Background(), func(tx storage.Tx) error {
		var err error
		known, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "known@example.com"}, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	release := holdBatch(g, nil)
	type answer struct {
		tx storage.Tx
		id string
	}
	answers := make([]answer, 3)
	var created string
	done := make(chan error, 3)
	lookup := func(i int, email string, then func(tx storage.Tx) error) {
		go func() {
			done <- g.writeOptimistic(context.Background(), func(tx storage.Tx, _ bool) error {
				id, err := storage.ContactIDByEmail(tx, email, false)
				answers[i] = answer{tx, id}
				if err == nil && then != nil {
					err = then(tx)
				}
				return err
			}, email)
		}()
		waitQueued(g, i+1) // the batch runs them in this order
	}
	lookup(0, "known@example.com", nil)
	lookup(1, "new@example.com", func(tx storage.Tx) error {
		var err error
		created, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "new@example.com"}, now)
		return err
	})
	lookup(2, "new@example.com", nil)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if answers[0].tx != answers[2].tx {
		t.Fatal("the three requests did not share a batch")
	}
	if answers[0].id != known || answers[1].id != "" || created == "" || answers[2].id != created {
		t.Fatalf("lookups %q, %q, %q; want %q, none, then %q (created by the second request)",
			answers[0].id, answers[1].id, answers[2].id, known, created)
	}
}
