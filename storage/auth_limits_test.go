package storage_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// Twenty first-run setups at once leave exactly one admin, on both
// databases (PostgreSQL used to create twenty).
func TestConcurrentSetupsCreateOneAdmin(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Write(t.Context(), func(tx storage.Tx) error {
					_, err := storage.CreateFirstAdmin(tx, fmt.Sprintf("admin%d@example.com", i), "a good password", now)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		created := 0
		for err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, storage.ErrUsersExist):
				t.Errorf("setup: %v, want nil or ErrUsersExist", err)
			}
		}
		n, err := storage.CountUsers(s.Reader())
		if err != nil || n != 1 || created != 1 {
			t.Fatalf("%d setups succeeded, %d users (%v); want 1 and 1", created, n, err)
		}
	})
}

func TestSessionsPerUserAreCapped(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var tokens []string
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			u, err := storage.CreateUser(tx, "a@example.com", "a good password", t0)
			if err != nil {
				return err
			}
			for i := range storage.MaxSessionsPerUser + 3 {
				tok, err := storage.CreateSession(tx, u.ID, time.Hour, t0.Add(time.Duration(i)*time.Second))
				if err != nil {
					return err
				}
				tokens = append(tokens, tok)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, tok := range tokens {
			_, err := storage.SessionUser(s.Reader(), tok, t0)
			if oldest := i < 3; oldest != errors.Is(err, storage.ErrNotFound) {
				t.Errorf("session %d (oldest: %v): %v", i, oldest, err)
			}
		}
	})
}

// A flood of sign-ins never runs more bcrypt work at once than the cap.
// Two more sign-ins than the cap are a flood: each comparison costs
// about a second under -race, so twelve took a minute on two cores.
func TestBcryptWorkIsCapped(t *testing.T) {
	s := openSQLite(t)
	_, limit := storage.BcryptPeak()
	var wg sync.WaitGroup
	for range limit + 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// An unknown email still costs a full comparison (cost 10).
			_, _ = storage.Authenticate(s.Reader(), "nobody@example.com", "wrong password")
		}()
	}
	wg.Wait()
	if peak, limit := storage.BcryptPeak(); peak < 1 || peak > int64(limit) {
		t.Fatalf("%d bcrypt comparisons ran at once; the cap is %d", peak, limit)
	}
}
